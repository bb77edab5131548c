import Stripe from "stripe"
import { rejectionOf, harnessWithReceiver, eventsOfIntent } from "./helpers"

const SECRET = "whsec_local_stripe_multicapture"
const context = harnessWithReceiver(SECRET)
const related = (piId: string) => eventsOfIntent(context.h, piId)
const typesFor = (piId: string) => related(piId).map((e) => e.type)
const MULTICAPTURE = { card: { request_multicapture: "if_available" } } as Stripe.PaymentIntentCreateParams.PaymentMethodOptions

async function multicapturable(amount = 10000, payment_method = "pm_card_visa") {
  return context.h.stripe.paymentIntents.create({
    amount,
    currency: "usd",
    capture_method: "manual",
    confirm: true,
    payment_method,
    payment_method_options: MULTICAPTURE,
    expand: ["latest_charge"],
  })
}

describe("multicapture", () => {
  it.each(["pm_card_visa", "pm_card_mastercard", "pm_card_amex"])("is available on %s when requested", async (card) => {
    const pi = await multicapturable(10000, card)
    expect(pi.status).toBe("requires_capture")
    expect(pi.payment_method_options?.card?.request_multicapture).toBe("if_available")
    expect((pi.latest_charge as Stripe.Charge).payment_method_details?.card?.multicapture).toEqual({ status: "available" })
  })

  it("without the request the charge has no multicapture details", async () => {
    const pi = await context.h.stripe.paymentIntents.create({ amount: 1000, currency: "usd", capture_method: "manual", confirm: true, payment_method: "pm_card_visa", expand: ["latest_charge"] })
    expect((pi.latest_charge as Stripe.Charge).payment_method_details?.card).not.toHaveProperty("multicapture")
  })

  it("captures in parts: final_capture=false keeps requires_capture; the final capture releases the rest", async () => {
    const pi = await multicapturable(10000)
    const chargeId = (pi.latest_charge as Stripe.Charge).id

    const first = await context.h.stripe.paymentIntents.capture(pi.id, { amount_to_capture: 3000, final_capture: false })
    expect(first).toMatchObject({ status: "requires_capture", amount_capturable: 7000, amount_received: 3000 })
    const afterFirst = await context.h.stripe.charges.retrieve(chargeId)
    expect(afterFirst).toMatchObject({ captured: true, amount_captured: 3000, amount_refunded: 0, refunded: false, amount: 10000 })
    const firstTxn = afterFirst.balance_transaction as string
    expect(firstTxn).toMatch(/^txn_/)

    const second = await context.h.stripe.paymentIntents.capture(pi.id, { amount_to_capture: 2000, final_capture: false })
    expect(second).toMatchObject({ status: "requires_capture", amount_capturable: 5000, amount_received: 5000 })
    const afterSecond = await context.h.stripe.charges.retrieve(chargeId, { expand: ["balance_transaction"] })
    expect(afterSecond.amount_captured).toBe(5000)
    expect((afterSecond.balance_transaction as Stripe.BalanceTransaction)).toMatchObject({ amount: 2000, type: "charge" })

    const tooMuch = await rejectionOf(context.h.stripe.paymentIntents.capture(pi.id, { amount_to_capture: 5001, final_capture: false }))
    expect(tooMuch).toMatchObject({ code: "amount_too_large", param: "amount_to_capture" })

    const last = await context.h.stripe.paymentIntents.capture(pi.id, { amount_to_capture: 1000 })
    expect(last).toMatchObject({ status: "succeeded", amount_capturable: 0, amount_received: 6000 })
    expect(await context.h.stripe.charges.retrieve(chargeId)).toMatchObject({ amount_captured: 6000, amount_refunded: 4000, refunded: false })

    expect(typesFor(pi.id)).toEqual([
      "payment_intent.created",
      "charge.succeeded",
      "payment_intent.amount_capturable_updated",
      "charge.captured",
      "charge.updated",
      "payment_intent.amount_capturable_updated",
      "charge.captured",
      "charge.updated",
      "payment_intent.amount_capturable_updated",
      "charge.captured",
      "charge.updated",
      "payment_intent.succeeded",
    ])
    const events = related(pi.id)
    expect(events[4].data.previous_attributes).toEqual({ amount_captured: 0, balance_transaction: null, captured: false })
    expect((events[5].data.object as unknown as Stripe.PaymentIntent).amount_capturable).toBe(7000)
    expect(events[10].data.previous_attributes).toMatchObject({ amount_captured: 5000, amount_refunded: 0, refunded: false })

    await context.h.server.waitForWebhooks()
    const delivered = context.receiver.received
      .map((d) => context.h.stripe.webhooks.constructEvent(d.body, d.signature, SECRET))
      .filter((e) => {
        const object = e.data.object as { id: string; payment_intent?: string }
        return object.id === pi.id || object.payment_intent === pi.id
      })
    expect(delivered.map((e) => e.type)).toEqual(typesFor(pi.id))

    expect((await rejectionOf(context.h.stripe.paymentIntents.capture(pi.id, { amount_to_capture: 100, final_capture: false }))).code).toBe(
      "payment_intent_unexpected_state"
    )
  })

  it("a non-final capture that takes the rest ends the intent", async () => {
    const pi = await multicapturable(4000)
    await context.h.stripe.paymentIntents.capture(pi.id, { amount_to_capture: 1500, final_capture: false })
    const done = await context.h.stripe.paymentIntents.capture(pi.id, { amount_to_capture: 2500, final_capture: false })
    expect(done).toMatchObject({ status: "succeeded", amount_received: 4000, amount_capturable: 0 })
    expect(await context.h.stripe.charges.retrieve(done.latest_charge as string)).toMatchObject({ amount_captured: 4000, amount_refunded: 0 })
    expect(typesFor(pi.id).slice(-3)).toEqual(["charge.captured", "charge.updated", "payment_intent.succeeded"])
  })

  it("final_capture=false without multicapture fails as a 400 on final_capture and changes nothing", async () => {
    const plain = await context.h.stripe.paymentIntents.create({ amount: 3000, currency: "usd", capture_method: "manual", confirm: true, payment_method: "pm_card_visa" })
    const error = await rejectionOf(context.h.stripe.paymentIntents.capture(plain.id, { amount_to_capture: 1000, final_capture: false }))
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError)
    expect(error).toMatchObject({ statusCode: 400, param: "final_capture" })
    expect(await context.h.stripe.paymentIntents.retrieve(plain.id)).toMatchObject({ status: "requires_capture", amount_capturable: 3000 })

    const never = await context.h.stripe.paymentIntents.create({
      amount: 3000,
      currency: "usd",
      capture_method: "manual",
      confirm: true,
      payment_method: "pm_card_visa",
      payment_method_options: { card: { request_multicapture: "never" } },
    })
    expect((await rejectionOf(context.h.stripe.paymentIntents.capture(never.id, { final_capture: false }))).param).toBe("final_capture")

    // Without multicapture a capture is still one capture, the rest released.
    const single = await context.h.stripe.paymentIntents.capture(plain.id, { amount_to_capture: 1000 })
    expect(single).toMatchObject({ status: "succeeded", amount_received: 1000 })
    expect(typesFor(plain.id).slice(-2)).toEqual(["charge.captured", "payment_intent.succeeded"])
  })

  it("can be requested by update or confirm, and rejects unknown values", async () => {
    const viaUpdate = await context.h.stripe.paymentIntents.create({ amount: 2000, currency: "usd", capture_method: "manual", payment_method_options: { card: { request_three_d_secure: "automatic" } } })
    const updated = await context.h.stripe.paymentIntents.update(viaUpdate.id, { payment_method_options: MULTICAPTURE })
    expect(updated.payment_method_options?.card).toMatchObject({ request_multicapture: "if_available", request_three_d_secure: "automatic" })
    const confirmed = await context.h.stripe.paymentIntents.confirm(viaUpdate.id, { payment_method: "pm_card_visa", expand: ["latest_charge"] })
    expect((confirmed.latest_charge as Stripe.Charge).payment_method_details?.card?.multicapture?.status).toBe("available")

    const viaConfirm = await context.h.stripe.paymentIntents.create({ amount: 2000, currency: "usd", capture_method: "manual" })
    const c = await context.h.stripe.paymentIntents.confirm(viaConfirm.id, { payment_method: "pm_card_visa", payment_method_options: MULTICAPTURE, expand: ["latest_charge"] })
    expect((c.latest_charge as Stripe.Charge).payment_method_details?.card?.multicapture?.status).toBe("available")

    const bad = await rejectionOf(
      context.h.stripe.paymentIntents.create({
        amount: 2000,
        currency: "usd",
        payment_method_options: { card: { request_multicapture: "always" } } as unknown as Stripe.PaymentIntentCreateParams.PaymentMethodOptions,
      })
    )
    expect(bad).toMatchObject({ statusCode: 400, param: "payment_method_options[card][request_multicapture]" })
  })

  it("refunds give back at most what was captured so far", async () => {
    const pi = await multicapturable(5000)
    await context.h.stripe.paymentIntents.capture(pi.id, { amount_to_capture: 2000, final_capture: false })
    expect((await rejectionOf(context.h.stripe.refunds.create({ payment_intent: pi.id, amount: 2001 }))).code).toBe("amount_too_large")
    const refund = await context.h.stripe.refunds.create({ payment_intent: pi.id })
    expect(refund.amount).toBe(2000)
    expect((await rejectionOf(context.h.stripe.refunds.create({ payment_intent: pi.id }))).code).toBe("charge_already_refunded")
    const finished = await context.h.stripe.paymentIntents.capture(pi.id, { amount_to_capture: 1000 })
    expect(finished).toMatchObject({ status: "succeeded", amount_received: 3000 })
    expect((await context.h.stripe.refunds.create({ payment_intent: pi.id })).amount).toBe(1000)
    expect(await context.h.stripe.charges.retrieve((pi.latest_charge as Stripe.Charge).id)).toMatchObject({ amount_refunded: 5000, refunded: true })
  })

  it("cancel or expiry after a partial capture keeps the captured part and succeeds", async () => {
    const canceled = await multicapturable(5000)
    await context.h.stripe.paymentIntents.capture(canceled.id, { amount_to_capture: 2000, final_capture: false })
    const afterCancel = await context.h.stripe.paymentIntents.cancel(canceled.id)
    expect(afterCancel).toMatchObject({ status: "succeeded", amount_received: 2000, amount_capturable: 0 })
    expect(typesFor(canceled.id).slice(-2)).toEqual(["charge.updated", "payment_intent.succeeded"])

    const expired = await multicapturable(5000)
    await context.h.stripe.paymentIntents.capture(expired.id, { amount_to_capture: 1000, final_capture: false })
    expect(context.h.server.expireAuthorization(expired.id)).toMatchObject({ status: "succeeded", amount_received: 1000 })
    const charge = await context.h.stripe.charges.retrieve((expired.latest_charge as Stripe.Charge).id)
    expect(charge).toMatchObject({ amount_captured: 1000, amount_refunded: 4000 })
  })
})
