import Stripe from "stripe"
import { eventually, rejectionOf, harnessWithReceiver, eventsOfIntent } from "./helpers"

const SECRET = "whsec_local_stripe_expiry"
const SEVEN_DAYS = 7 * 24 * 60 * 60
const context = harnessWithReceiver(SECRET)
const related = (piId: string) => eventsOfIntent(context.h, piId)
const typesFor = (piId: string) => related(piId).map((e) => e.type)

async function held(amount = 4000) {
  return context.h.stripe.paymentIntents.create({ amount, currency: "usd", capture_method: "manual", confirm: true, payment_method: "pm_card_visa", expand: ["latest_charge"] })
}

describe("expiring authorizations", () => {
  it("a manual-capture authorization carries capture_before, 7 days after the charge; automatic capture none", async () => {
    const pi = await held()
    const charge = pi.latest_charge as Stripe.Charge
    expect(charge.payment_method_details?.card?.capture_before).toBe(charge.created + SEVEN_DAYS)

    const paid = await context.h.stripe.paymentIntents.create({ amount: 1000, currency: "usd", confirm: true, payment_method: "pm_card_visa", expand: ["latest_charge"] })
    expect((paid.latest_charge as Stripe.Charge).payment_method_details?.card).not.toHaveProperty("capture_before")

    // Async card payments get their deadline when they are authorized.
    const slow = await context.h.stripe.paymentIntents.create({ amount: 1000, currency: "usd", capture_method: "manual", confirm: true, payment_method: "pm_card_processing" })
    expect((await context.h.stripe.charges.retrieve(slow.latest_charge as string)).payment_method_details?.card).not.toHaveProperty("capture_before")
    context.h.server.settle(slow.id)
    const settled = await context.h.stripe.charges.retrieve(slow.latest_charge as string)
    expect(settled.payment_method_details?.card?.capture_before).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + SEVEN_DAYS - 5)
  })

  it("expireAuthorization: charge.expired then payment_intent.canceled (automatic); capture and refund fail after", async () => {
    const pi = await held(4000)
    const expired = context.h.server.expireAuthorization(pi.id)
    expect(expired).toMatchObject({ status: "canceled", cancellation_reason: "automatic", amount_capturable: 0, amount_received: 0 })

    const intent = await context.h.stripe.paymentIntents.retrieve(pi.id)
    expect(intent).toMatchObject({ status: "canceled", cancellation_reason: "automatic" })
    expect(intent.canceled_at).toEqual(expect.any(Number))
    const charge = await context.h.stripe.charges.retrieve(intent.latest_charge as string)
    expect(charge).toMatchObject({ status: "succeeded", captured: false, refunded: true, amount_refunded: 4000, amount_captured: 0 })

    expect(typesFor(pi.id)).toEqual([
      "payment_intent.created",
      "charge.succeeded",
      "payment_intent.amount_capturable_updated",
      "charge.expired",
      "payment_intent.canceled",
    ])
    const [expiredEvent, canceledEvent] = related(pi.id).slice(-2)
    expect((expiredEvent.data.object as unknown as Stripe.Charge).id).toBe(charge.id)
    expect((canceledEvent.data.object as unknown as Stripe.PaymentIntent).cancellation_reason).toBe("automatic")
    expect(expiredEvent.request).toEqual({ id: null, idempotency_key: null })

    await context.h.server.waitForWebhooks()
    const delivered = context.receiver.received
      .map((d) => context.h.stripe.webhooks.constructEvent(d.body, d.signature, SECRET))
      .filter((e) => [charge.id, pi.id].includes((e.data.object as { id: string }).id))
      .map((e) => e.type)
    expect(delivered.slice(-2)).toEqual(["charge.expired", "payment_intent.canceled"])

    const capture = await rejectionOf(context.h.stripe.paymentIntents.capture(pi.id))
    expect(capture).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError)
    expect(capture).toMatchObject({ statusCode: 400, code: "payment_intent_unexpected_state" })
    expect(capture.message).toContain("status of canceled")
    expect((await rejectionOf(context.h.stripe.refunds.create({ payment_intent: pi.id }))).code).toBe("charge_not_refundable")
    expect((await rejectionOf(context.h.stripe.paymentIntents.cancel(pi.id))).code).toBe("payment_intent_unexpected_state")
    expect(() => context.h.server.expireAuthorization(pi.id)).toThrow("no authorization to expire")
  })

  it("setCaptureBefore: near its expiry the hold still captures; past it, the timer expires it", async () => {
    const near = await held()
    const soon = Math.floor(Date.now() / 1000) + 3600
    const moved = context.h.server.setCaptureBefore(near.id, soon)
    expect(moved.payment_method_details?.card?.capture_before).toBe(soon)
    expect((await context.h.stripe.charges.retrieve((near.latest_charge as Stripe.Charge).id)).payment_method_details?.card?.capture_before).toBe(soon)
    expect((await context.h.stripe.paymentIntents.capture(near.id)).status).toBe("succeeded")
    expect(() => context.h.server.setCaptureBefore(near.id, soon)).toThrow("no authorization")

    const lapsing = await held()
    context.h.server.setCaptureBefore(lapsing.id, Math.floor(Date.now() / 1000) + 1)
    await eventually(async () => expect((await context.h.stripe.paymentIntents.retrieve(lapsing.id)).status).toBe("canceled"), 4000)
    expect(typesFor(lapsing.id).slice(-2)).toEqual(["charge.expired", "payment_intent.canceled"])
  })

  it("a deadline already past expires at once (control API and admin HTTP)", async () => {
    const pi = await held()
    context.h.server.setCaptureBefore(pi.id, Math.floor(Date.now() / 1000) - 10)
    expect((await context.h.stripe.paymentIntents.retrieve(pi.id)).cancellation_reason).toBe("automatic")

    const other = await held()
    const response = await fetch(`${context.h.server.url}/_admin/payment_intents/${other.id}/expire`, { method: "POST", body: "{}" })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ status: "canceled", cancellation_reason: "automatic" })
  })

  it("a capture after capture_before fails even if no timer ran", async () => {
    const pi = await held()
    // Simulate a clock that moved on without the timer firing.
    const charge = context.h.server.app.store.charges.get((pi.latest_charge as Stripe.Charge).id)!
    charge.payment_method_details!.card!.capture_before = Math.floor(Date.now() / 1000) - 1
    context.h.server.app.cancelScheduled(`expire:${pi.id}`)
    const error = await rejectionOf(context.h.stripe.paymentIntents.capture(pi.id, { amount_to_capture: 100 }))
    expect(error).toMatchObject({ code: "payment_intent_unexpected_state" })
    expect(typesFor(pi.id).slice(-2)).toEqual(["charge.expired", "payment_intent.canceled"])
    expect(related(pi.id).at(-1)!.request.id).toBeNull()
  })

  it("capturing or canceling in time disarms the expiry", async () => {
    const pi = await held()
    await context.h.stripe.paymentIntents.cancel(pi.id)
    expect(() => context.h.server.expireAuthorization(pi.id)).toThrow()
    expect(typesFor(pi.id)).not.toContain("charge.expired")
  })
})
