import Stripe from "stripe"
import { API_KEY, client, eventually, Harness, rawRequest, rejectionOf, startHarness } from "./helpers"

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h.server.close())
afterEach(() => h.server.clearFaults())

describe("Idempotency-Key", () => {
  it("replays the stored response byte for byte, with Idempotent-Replayed", async () => {
    const body = "amount=2000&currency=usd&confirm=true&payment_method=pm_card_visa&metadata[order]=o_1"
    const headers = { "Idempotency-Key": "replay-bytes-1" }
    const first = await rawRequest(h.server, "POST", "/v1/payment_intents", body, headers)
    // Same parameters in another order are still the same request.
    const reordered = "metadata[order]=o_1&payment_method=pm_card_visa&confirm=true&currency=usd&amount=2000"
    const second = await rawRequest(h.server, "POST", "/v1/payment_intents", reordered, headers)
    expect(first.status).toBe(200)
    expect(second.status).toBe(200)
    expect(second.body).toBe(first.body)
    expect(first.headers["idempotent-replayed"]).toBeUndefined()
    expect(second.headers["idempotent-replayed"]).toBe("true")
    expect(second.headers["original-request"]).toBe(first.headers["request-id"])
    expect(h.server.app.store.paymentIntents.size).toBe(1)
  })

  it("replays through the SDK without running the endpoint twice", async () => {
    const pi = await h.stripe.paymentIntents.create({ amount: 3000, currency: "usd", confirm: true, payment_method: "pm_card_visa" })
    const params = { payment_intent: pi.id, amount: 1000 }
    const a = await h.stripe.refunds.create(params, { idempotencyKey: "refund-once" })
    const b = await h.stripe.refunds.create(params, { idempotencyKey: "refund-once" })
    expect(b.id).toBe(a.id)
    expect(b.lastResponse.headers["idempotent-replayed"]).toBe("true")
    expect((await h.stripe.refunds.list({ payment_intent: pi.id })).data).toHaveLength(1)
    expect((await h.stripe.charges.retrieve(pi.latest_charge as string)).amount_refunded).toBe(1000)
  })

  it("same key, different parameters → StripeIdempotencyError", async () => {
    await h.stripe.customers.create({ email: "one@example.com" }, { idempotencyKey: "cus-key" })
    const error = await rejectionOf(h.stripe.customers.create({ email: "two@example.com" }, { idempotencyKey: "cus-key" }))
    expect(error).toBeInstanceOf(Stripe.errors.StripeIdempotencyError)
    expect(error.statusCode).toBe(400)
    expect(error.message).toContain("same parameters")

    const otherEndpoint = await rejectionOf(h.stripe.paymentIntents.create({ amount: 100, currency: "usd" }, { idempotencyKey: "cus-key" }))
    expect(otherEndpoint).toBeInstanceOf(Stripe.errors.StripeIdempotencyError)
  })

  it("a duplicate arriving while the first is in flight gets 409 idempotency_key_in_use", async () => {
    h.server.addFault({ match: "POST /v1/customers", phase: "before", action: "delay", delay_ms: 300 })
    const params = { email: "slow@example.com" }
    const first = h.noRetry.customers.create(params, { idempotencyKey: "in-flight" })
    // The delay rule is consumed once the first request is inside the server.
    await eventually(() => expect(h.server.app.faults.list()).toHaveLength(0))
    const duplicate = await rejectionOf(h.noRetry.customers.create(params, { idempotencyKey: "in-flight" }))
    expect(duplicate.statusCode).toBe(409)
    expect(duplicate.code).toBe("idempotency_key_in_use")
    const created = await first
    // Once the first finished, the same key replays its result.
    const replay = await h.noRetry.customers.create(params, { idempotencyKey: "in-flight" })
    expect(replay.id).toBe(created.id)
    expect((await h.stripe.customers.list({ email: "slow@example.com" })).data).toHaveLength(1)
  })

  it("the SDK's own retry on 409 ends in the replayed result", async () => {
    h.server.addFault({ match: "POST /v1/customers", phase: "before", action: "delay", delay_ms: 200 })
    const params = { email: "retry409@example.com" }
    const [a, b] = await Promise.all([
      h.stripe.customers.create(params, { idempotencyKey: "in-flight-2" }),
      new Promise((r) => setTimeout(r, 30)).then(() => h.stripe.customers.create(params, { idempotencyKey: "in-flight-2" })),
    ])
    expect(b.id).toBe(a.id)
  })

  it("keys are scoped per API key", async () => {
    const other = client(h.server, {}, "sk_test_another_account")
    const a = await h.stripe.customers.create({ email: "scope@example.com" }, { idempotencyKey: "shared-key" })
    const b = await other.customers.create({ email: "scope@example.com" }, { idempotencyKey: "shared-key" })
    expect(b.id).not.toBe(a.id)
    expect(b.lastResponse.headers["idempotent-replayed"]).toBeUndefined()
  })

  it("card declines are remembered; validation errors are not", async () => {
    const decline = { amount: 1000, currency: "usd", confirm: true, payment_method: "pm_card_chargeDeclined" }
    const first = await rejectionOf(h.stripe.paymentIntents.create(decline, { idempotencyKey: "declined" }))
    const second = await rejectionOf(h.stripe.paymentIntents.create(decline, { idempotencyKey: "declined" }))
    expect(second.payment_intent.id).toBe(first.payment_intent.id)
    expect(second.headers["idempotent-replayed"]).toBe("true")

    // Validation failed before anything ran, so nothing was stored and the
    // corrected request may reuse the key.
    const invalid = await rejectionOf(h.stripe.customers.create({ email: "x@example.com", bogus: 1 } as Stripe.CustomerCreateParams, { idempotencyKey: "invalid" }))
    expect(invalid.code).toBe("parameter_unknown")
    const retry = await rejectionOf(h.stripe.customers.create({ email: "x@example.com", bogus: 1 } as Stripe.CustomerCreateParams, { idempotencyKey: "invalid" }))
    expect(retry.headers["idempotent-replayed"]).toBeUndefined()
    const fixed = await h.stripe.customers.create({ email: "x@example.com" }, { idempotencyKey: "invalid" })
    expect(fixed.id).toMatch(/^cus_/)
  })

  it("GET requests ignore the key", async () => {
    const res = await rawRequest(h.server, "GET", "/v1/events?limit=1", "", { "Idempotency-Key": "cus-key", Authorization: `Bearer ${API_KEY}` })
    expect(res.status).toBe(200)
    expect(res.headers["idempotent-replayed"]).toBeUndefined()
  })
})
