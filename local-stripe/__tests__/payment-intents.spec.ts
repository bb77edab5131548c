import Stripe from "stripe"
import { startLocalStripe } from "../index"
import { client, eventually, Harness, rejectionOf, startHarness } from "./helpers"

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h.server.close())

const eventTypesFor = (id: string) =>
  h.server
    .events()
    .filter((e) => (e.data.object as { id?: string; payment_intent?: string }).id === id || (e.data.object as { payment_intent?: string }).payment_intent === id)
    .map((e) => e.type)

describe("PaymentIntents", () => {
  it("manual capture: authorises, partially captures and releases the rest", async () => {
    const created = await h.stripe.paymentIntents.create({
      amount: 5000,
      currency: "usd",
      capture_method: "manual",
      metadata: { session_id: "payses_1" },
    })
    expect(created).toMatchObject({ object: "payment_intent", status: "requires_payment_method", amount_capturable: 0 })
    expect(created.id).toMatch(/^pi_/)
    expect(created.client_secret).toMatch(new RegExp(`^${created.id}_secret_`))

    const confirmed = await h.stripe.paymentIntents.confirm(created.id, {
      payment_method: "pm_card_visa",
      expand: ["latest_charge", "payment_method"],
    })
    expect(confirmed.status).toBe("requires_capture")
    expect(confirmed.amount_capturable).toBe(5000)
    expect(confirmed.amount_received).toBe(0)
    const charge = confirmed.latest_charge as Stripe.Charge
    expect(charge).toMatchObject({ object: "charge", captured: false, status: "succeeded", amount: 5000 })
    expect(charge.id).toMatch(/^ch_/)
    const pm = confirmed.payment_method as Stripe.PaymentMethod
    // A magic test id is never stored as-is: Stripe mints a real pm_ object.
    expect(pm.id).toMatch(/^pm_/)
    expect(pm.id).not.toBe("pm_card_visa")
    expect(pm.card).toMatchObject({ brand: "visa", last4: "4242" })

    const captured = await h.stripe.paymentIntents.capture(created.id, { amount_to_capture: 3000 })
    expect(captured).toMatchObject({ status: "succeeded", amount_received: 3000, amount_capturable: 0 })
    const after = await h.stripe.charges.retrieve(charge.id)
    expect(after).toMatchObject({ captured: true, amount_captured: 3000, amount_refunded: 2000 })
    expect(eventTypesFor(created.id)).toEqual([
      "payment_intent.created",
      "charge.succeeded",
      "payment_intent.amount_capturable_updated",
      "charge.captured",
      "payment_intent.succeeded",
    ])

    const again = await rejectionOf(h.stripe.paymentIntents.capture(created.id))
    expect(again).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError)
    expect(again.code).toBe("payment_intent_unexpected_state")
  })

  it("refuses to capture more than the hold", async () => {
    const pi = await h.stripe.paymentIntents.create({
      amount: 1000,
      currency: "eur",
      capture_method: "manual",
      confirm: true,
      payment_method: "pm_card_mastercard",
    })
    const error = await rejectionOf(h.stripe.paymentIntents.capture(pi.id, { amount_to_capture: 1001 }))
    expect(error).toMatchObject({ type: "StripeInvalidRequestError", code: "amount_too_large", param: "amount_to_capture", statusCode: 400 })
    expect((await h.stripe.paymentIntents.retrieve(pi.id)).status).toBe("requires_capture")
  })

  it("automatic capture succeeds in one call with a balance transaction", async () => {
    const pi = await h.stripe.paymentIntents.create({
      amount: 2599,
      currency: "usd",
      capture_method: "automatic",
      confirm: true,
      payment_method: "pm_card_visa",
      expand: ["latest_charge.balance_transaction"],
    })
    expect(pi).toMatchObject({ status: "succeeded", amount_received: 2599, amount_capturable: 0, capture_method: "automatic" })
    const charge = pi.latest_charge as Stripe.Charge
    const txn = charge.balance_transaction as Stripe.BalanceTransaction
    expect(txn).toMatchObject({ object: "balance_transaction", amount: 2599, type: "charge" })
    expect(txn.net).toBe(2599 - txn.fee)
  })

  it("defaults to automatic_async capture like current API versions", async () => {
    const pi = await h.stripe.paymentIntents.create({ amount: 700, currency: "usd", confirm: true, payment_method: "pm_card_visa" })
    expect(pi.capture_method).toBe("automatic_async")
    expect(pi.status).toBe("succeeded")
  })

  it("decline: 402 StripeCardError carrying the failed intent", async () => {
    const error = await rejectionOf(
      h.stripe.paymentIntents.create({ amount: 1500, currency: "usd", confirm: true, payment_method: "pm_card_chargeDeclined" })
    )
    expect(error).toBeInstanceOf(Stripe.errors.StripeCardError)
    expect(error).toMatchObject({ statusCode: 402, code: "card_declined", decline_code: "generic_decline" })
    const intent = error.payment_intent as Stripe.PaymentIntent
    expect(intent.status).toBe("requires_payment_method")
    expect(intent.last_payment_error).toMatchObject({ type: "card_error", code: "card_declined", decline_code: "generic_decline" })
    expect(intent.payment_method).toBeNull()

    const stored = await h.stripe.paymentIntents.retrieve(intent.id)
    expect(stored.status).toBe("requires_payment_method")
    expect(stored.latest_charge).toBe(error.charge)
    expect((await h.stripe.charges.retrieve(error.charge)).status).toBe("failed")
    expect(eventTypesFor(intent.id)).toEqual(["payment_intent.created", "charge.failed", "payment_intent.payment_failed"])

    // The customer tries another card on the same intent.
    const retried = await h.stripe.paymentIntents.confirm(intent.id, { payment_method: "pm_card_visa" })
    expect(retried.status).toBe("succeeded")
    expect(retried.last_payment_error).toBeNull()
  })

  it.each([
    ["pm_card_visa_chargeDeclined", "card_declined", "generic_decline"],
    ["pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"],
    ["pm_card_chargeDeclinedExpiredCard", "expired_card", undefined],
    ["pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", undefined],
  ])("decline card %s → %s / %s", async (card, code, declineCode) => {
    const error = await rejectionOf(
      h.stripe.paymentIntents.create({ amount: 1000, currency: "usd", confirm: true, payment_method: card })
    )
    expect(error.type).toBe("StripeCardError")
    expect(error.code).toBe(code)
    expect(error.decline_code).toBe(declineCode)
  })

  it("3-D Secure card stops in requires_action with a challenge URL on this server", async () => {
    const pi = await h.stripe.paymentIntents.create({
      amount: 1200,
      currency: "usd",
      capture_method: "manual",
      confirm: true,
      payment_method: "pm_card_authenticationRequired",
    })
    expect(pi.status).toBe("requires_action")
    expect(pi.next_action?.type).toBe("use_stripe_sdk")
    expect(pi.next_action?.redirect_to_url?.url).toBe(`${h.server.url}/3ds/${pi.id}`)

    h.server.authenticate(pi.id, "approve")
    const approved = await h.stripe.paymentIntents.retrieve(pi.id, { expand: ["latest_charge"] })
    expect(approved.status).toBe("requires_capture")
    const details = (approved.latest_charge as Stripe.Charge).payment_method_details?.card
    expect(details?.three_d_secure?.result).toBe("authenticated")
  })

  it("off-session payment with a 3DS card fails with authentication_required", async () => {
    const error = await rejectionOf(
      h.stripe.paymentIntents.create({
        amount: 1000,
        currency: "usd",
        confirm: true,
        off_session: true,
        payment_method: "pm_card_threeDSecure2Required",
      })
    )
    expect(error).toMatchObject({ type: "StripeCardError", code: "authentication_required" })
  })

  it("declines after a passed challenge for the 3DS + insufficient funds card", async () => {
    const pi = await h.stripe.paymentIntents.create({
      amount: 1000,
      currency: "usd",
      confirm: true,
      payment_method: "pm_card_authenticationRequiredChargeDeclinedInsufficientFunds",
      return_url: "http://127.0.0.1/return",
    })
    expect(pi.next_action).toMatchObject({ type: "redirect_to_url", redirect_to_url: { return_url: "http://127.0.0.1/return" } })
    h.server.authenticate(pi.id, "approve")
    const after = await h.stripe.paymentIntents.retrieve(pi.id)
    expect(after.status).toBe("requires_payment_method")
    expect(after.last_payment_error?.decline_code).toBe("insufficient_funds")
  })

  it("async payment method: processing, then settles on a timer", async () => {
    const server = await startLocalStripe({ processingDelayMs: 50 })
    try {
      const stripe = client(server)
      const pi = await stripe.paymentIntents.create({ amount: 1000, currency: "eur", confirm: true, payment_method: "pm_sepa_debit" })
      expect(pi.status).toBe("processing")
      expect((await stripe.charges.retrieve(pi.latest_charge as string)).status).toBe("pending")
      await eventually(async () => expect((await stripe.paymentIntents.retrieve(pi.id)).status).toBe("succeeded"))
      expect(server.events().map((e) => e.type)).toEqual(
        expect.arrayContaining(["payment_intent.processing", "charge.pending", "charge.succeeded", "payment_intent.succeeded"])
      )
    } finally {
      await server.close()
    }
  })

  it("async payment method settles on an admin call, including failure", async () => {
    const ok = await h.stripe.paymentIntents.create({ amount: 1000, currency: "usd", confirm: true, payment_method: "pm_card_processing", capture_method: "manual" })
    expect(ok.status).toBe("processing")
    expect(h.server.settle(ok.id).status).toBe("requires_capture")

    const bad = await h.stripe.paymentIntents.create({ amount: 1000, currency: "eur", confirm: true, payment_method: "pm_sepa_debit_fail" })
    const response = await fetch(`${h.server.url}/_admin/payment_intents/${bad.id}/settle`, { method: "POST", body: "{}" })
    expect(response.status).toBe(200)
    const failed = await h.stripe.paymentIntents.retrieve(bad.id)
    expect(failed.status).toBe("requires_payment_method")
    expect(failed.last_payment_error).not.toBeNull()
    expect(() => h.server.settle(bad.id)).toThrow("not processing")
  })

  it("cancel releases an authorisation and is refused once succeeded", async () => {
    const held = await h.stripe.paymentIntents.create({
      amount: 4000,
      currency: "usd",
      capture_method: "manual",
      confirm: true,
      payment_method: "pm_card_visa",
    })
    const canceled = await h.stripe.paymentIntents.cancel(held.id, { cancellation_reason: "requested_by_customer" })
    expect(canceled).toMatchObject({ status: "canceled", amount_capturable: 0, cancellation_reason: "requested_by_customer" })
    expect(canceled.canceled_at).toEqual(expect.any(Number))
    const charge = await h.stripe.charges.retrieve(held.latest_charge as string)
    expect(charge).toMatchObject({ refunded: true, amount_refunded: 4000, captured: false })
    expect((await rejectionOf(h.stripe.paymentIntents.capture(held.id))).code).toBe("payment_intent_unexpected_state")

    const paid = await h.stripe.paymentIntents.create({ amount: 1000, currency: "usd", confirm: true, payment_method: "pm_card_visa" })
    const error = await rejectionOf(h.stripe.paymentIntents.cancel(paid.id))
    expect(error).toMatchObject({ type: "StripeInvalidRequestError", statusCode: 400, code: "payment_intent_unexpected_state" })
    expect(error.message).toContain("status of succeeded")
  })

  it("update: amount before confirmation, metadata always, amount never after success", async () => {
    const pi = await h.stripe.paymentIntents.create({ amount: 1000, currency: "usd", metadata: { a: "1", b: "2" } })
    const updated = await h.stripe.paymentIntents.update(pi.id, {
      amount: 1500,
      metadata: { a: "", c: "3" },
      payment_method: "pm_card_visa",
    })
    expect(updated).toMatchObject({ amount: 1500, metadata: { b: "2", c: "3" }, status: "requires_confirmation" })
    const done = await h.stripe.paymentIntents.confirm(pi.id)
    expect(done).toMatchObject({ status: "succeeded", amount_received: 1500 })

    const error = await rejectionOf(h.stripe.paymentIntents.update(pi.id, { amount: 2000 }))
    expect(error).toMatchObject({ code: "payment_intent_unexpected_state", param: "amount" })
    const tagged = await h.stripe.paymentIntents.update(pi.id, { metadata: { order: "o_1" } })
    expect(tagged.metadata).toEqual({ b: "2", c: "3", order: "o_1" })
  })

  it("lists intents newest first with cursors", async () => {
    const customer = await h.stripe.customers.create({ email: "list@example.com" })
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      ids.push((await h.stripe.paymentIntents.create({ amount: 100 + i, currency: "jpy", customer: customer.id })).id)
    }
    const page1 = await h.stripe.paymentIntents.list({ customer: customer.id, limit: 2 })
    expect(page1.data.map((p) => p.id)).toEqual([ids[2], ids[1]])
    expect(page1.has_more).toBe(true)
    const page2 = await h.stripe.paymentIntents.list({ customer: customer.id, limit: 2, starting_after: ids[1] })
    expect(page2.data.map((p) => p.id)).toEqual([ids[0]])
    expect(page2.has_more).toBe(false)
  })

  it("validates like Stripe: missing, unknown and malformed params, 404s, auth", async () => {
    expect(await rejectionOf(h.stripe.paymentIntents.create({ currency: "usd" } as Stripe.PaymentIntentCreateParams))).toMatchObject({
      type: "StripeInvalidRequestError",
      code: "parameter_missing",
      param: "amount",
    })
    expect(
      await rejectionOf(h.stripe.paymentIntents.create({ amount: 100, currency: "usd", bogus: "x" } as Stripe.PaymentIntentCreateParams))
    ).toMatchObject({ code: "parameter_unknown", param: "bogus" })
    expect(await rejectionOf(h.stripe.paymentIntents.create({ amount: 10, currency: "usd" }))).toMatchObject({ code: "amount_too_small" })
    expect(await rejectionOf(h.stripe.paymentIntents.retrieve("pi_missing"))).toMatchObject({
      type: "StripeInvalidRequestError",
      statusCode: 404,
      code: "resource_missing",
    })
    expect(
      await rejectionOf(h.stripe.paymentIntents.create({ amount: 100, currency: "usd", payment_method: "pm_nope" }))
    ).toMatchObject({ statusCode: 404, param: "payment_method" })
    const live = new Stripe("sk_live_nope", { ...h.server.stripeConfig })
    expect(await rejectionOf(live.paymentIntents.list())).toBeInstanceOf(Stripe.errors.StripeAuthenticationError)
    expect(await rejectionOf(h.stripe.paymentIntents.create({ amount: 100, currency: "usd", confirm: true }))).toMatchObject({
      code: "payment_intent_unexpected_state",
      param: "payment_method",
    })
  })

  it("accepts payment_method_data with a test token", async () => {
    const pi = await h.stripe.paymentIntents.create({
      amount: 900,
      currency: "usd",
      confirm: true,
      // The SDK's types omit card here, but the API (and this server) take a token.
      payment_method_data: { type: "card", card: { token: "tok_mastercard" } } as unknown as Stripe.PaymentIntentCreateParams.PaymentMethodData,
      expand: ["payment_method"],
    })
    expect(pi.status).toBe("succeeded")
    expect((pi.payment_method as Stripe.PaymentMethod).card?.brand).toBe("mastercard")
  })
})
