import Stripe from "stripe"
import { startLocalStripe } from "../index"
import { client, Harness, rawRequest, rejectionOf, startHarness } from "./helpers"

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h.server.close())
afterEach(() => {
  h.server.clearFaults()
  h.server.configure({ latencyMs: 0 })
})

async function succeededPayment(amount = 5000) {
  return h.stripe.paymentIntents.create({ amount, currency: "usd", confirm: true, payment_method: "pm_card_visa" })
}

const refundsOf = async (pi: string) => (await h.stripe.refunds.list({ payment_intent: pi })).data

describe("request faults", () => {
  it("before effect: 500 api_error and nothing changes", async () => {
    const pi = await succeededPayment()
    h.server.addFault({ match: "POST /v1/refunds", phase: "before" })
    const error = await rejectionOf(h.noRetry.refunds.create({ payment_intent: pi.id, amount: 100 }))
    expect(error).toBeInstanceOf(Stripe.errors.StripeAPIError)
    expect(error.statusCode).toBe(500)
    expect(await refundsOf(pi.id)).toHaveLength(0)
    expect(h.server.events("charge.refunded").filter((e) => (e.data.object as unknown as Stripe.Charge).payment_intent === pi.id)).toHaveLength(0)
    // The rule fired once; the next call goes through.
    await h.noRetry.refunds.create({ payment_intent: pi.id, amount: 100 })
    expect(await refundsOf(pi.id)).toHaveLength(1)
  })

  it("before effect: the SDK's automatic retry (same key) succeeds exactly once", async () => {
    const pi = await succeededPayment()
    h.server.addFault({ match: "POST /v1/refunds", phase: "before" })
    const refund = await h.stripe.refunds.create({ payment_intent: pi.id, amount: 300 })
    expect(refund.amount).toBe(300)
    expect(await refundsOf(pi.id)).toHaveLength(1)
  })

  it("after effect (500): state changed, and the same key replays the 500", async () => {
    const pi = await h.stripe.paymentIntents.create({
      amount: 5000,
      currency: "usd",
      capture_method: "manual",
      confirm: true,
      payment_method: "pm_card_visa",
    })
    h.server.addFault({ match: "POST /v1/payment_intents/*/capture", phase: "after" })
    const error = await rejectionOf(h.stripe.paymentIntents.capture(pi.id, {}, { idempotencyKey: "capture-1" }))
    expect(error).toBeInstanceOf(Stripe.errors.StripeAPIError)
    // Stripe-Should-Retry: false stops the SDK from retrying a stored 500.
    expect(error.headers["stripe-should-retry"]).toBe("false")
    expect((await h.stripe.paymentIntents.retrieve(pi.id)).status).toBe("succeeded")

    const replay = await rejectionOf(h.stripe.paymentIntents.capture(pi.id, {}, { idempotencyKey: "capture-1" }))
    expect(replay.statusCode).toBe(500)
    expect(replay.headers["idempotent-replayed"]).toBe("true")
    // The honest way out: read the state back.
    const charge = await h.stripe.charges.retrieve(pi.latest_charge as string)
    expect(charge.captured).toBe(true)
  })

  it("after effect (disconnect): the lost response is recovered by the SDK retry + replay", async () => {
    const pi = await succeededPayment()
    h.server.addFault({ match: "POST /v1/refunds", phase: "after", action: "disconnect" })
    const refund = await h.stripe.refunds.create({ payment_intent: pi.id, amount: 700 }, { idempotencyKey: "lost-1" })
    expect(refund.lastResponse.headers["idempotent-replayed"]).toBe("true")
    const refunds = await refundsOf(pi.id)
    expect(refunds.map((r) => r.id)).toEqual([refund.id])
  })

  it("after effect (disconnect) without an idempotency key: the retry runs twice", async () => {
    // What the key protects against: with retries off the SDK sends no key,
    // yet still retries once on ECONNRESET, and the refund happens twice.
    const pi = await succeededPayment()
    h.server.addFault({ match: "POST /v1/refunds", phase: "after", action: "disconnect", times: 2 })
    const error = await rejectionOf(h.noRetry.refunds.create({ payment_intent: pi.id, amount: 200 }))
    expect(error).toBeInstanceOf(Stripe.errors.StripeConnectionError)
    expect(await refundsOf(pi.id)).toHaveLength(2)
  })

  it("faults apply to replays too, so a response can be lost repeatedly", async () => {
    const pi = await succeededPayment()
    h.server.addFault({ match: "POST /v1/refunds", phase: "after", action: "disconnect", times: 2 })
    const error = await rejectionOf(
      client(h.server, { maxNetworkRetries: 1 }).refunds.create({ payment_intent: pi.id, amount: 50 }, { idempotencyKey: "lost-twice" })
    )
    expect(error).toBeInstanceOf(Stripe.errors.StripeConnectionError)
    expect(await refundsOf(pi.id)).toHaveLength(1)
    const recovered = await h.stripe.refunds.create({ payment_intent: pi.id, amount: 50 }, { idempotencyKey: "lost-twice" })
    expect(recovered.lastResponse.headers["idempotent-replayed"]).toBe("true")
    expect(await refundsOf(pi.id)).toHaveLength(1)
  })

  it("delay after effect + client timeout: the call times out but the effect happened", async () => {
    const pi = await succeededPayment()
    h.server.addFault({ match: "POST /v1/refunds", phase: "after", action: "delay", delay_ms: 600 })
    const impatient = client(h.server, { maxNetworkRetries: 0, timeout: 150 })
    const error = await rejectionOf(impatient.refunds.create({ payment_intent: pi.id, amount: 100 }))
    expect(error).toBeInstanceOf(Stripe.errors.StripeConnectionError)
    expect(await refundsOf(pi.id)).toHaveLength(1)
  })

  it("global latency slows every call", async () => {
    h.server.configure({ latencyMs: 120 })
    const started = Date.now()
    await h.stripe.customers.create({})
    expect(Date.now() - started).toBeGreaterThanOrEqual(110)
  })

  it("rules match method and path segments and are managed over the admin API", async () => {
    const res = await fetch(`${h.server.url}/_admin/faults`, {
      method: "POST",
      body: JSON.stringify({ match: "POST /v1/payment_intents/*/cancel", phase: "before", status: 503, times: 2 }),
    })
    const rule = await res.json()
    expect(rule).toMatchObject({ method: "POST", path: "/v1/payment_intents/*/cancel", remaining: 2, status: 503 })

    const pi = await h.stripe.paymentIntents.create({ amount: 1000, currency: "usd" })
    // Other paths and methods are untouched.
    await h.noRetry.paymentIntents.retrieve(pi.id)
    await h.noRetry.paymentIntents.update(pi.id, { description: "x" })
    const first = await rejectionOf(h.noRetry.paymentIntents.cancel(pi.id))
    expect(first.statusCode).toBe(503)
    expect((await h.stripe.paymentIntents.retrieve(pi.id)).status).toBe("requires_payment_method")
    expect(await (await fetch(`${h.server.url}/_admin/faults`)).json()).toMatchObject([{ remaining: 1 }])
    await fetch(`${h.server.url}/_admin/faults`, { method: "DELETE" })
    expect((await h.noRetry.paymentIntents.cancel(pi.id)).status).toBe("canceled")
  })

  it("admin: reset empties the account and config changes take effect", async () => {
    const server = await startLocalStripe()
    try {
      const stripe = client(server)
      const customer = await stripe.customers.create({})
      const reset = await fetch(`${server.url}/_admin/reset`, { method: "POST" })
      expect(reset.status).toBe(200)
      expect(await rejectionOf(stripe.customers.retrieve(customer.id))).toMatchObject({ statusCode: 404 })
      const config = await fetch(`${server.url}/_admin/config`, { method: "POST", body: JSON.stringify({ processing_delay_ms: null }) })
      expect(await config.json()).toMatchObject({ processingDelayMs: null })
      const bad = await fetch(`${server.url}/_admin/config`, { method: "POST", body: JSON.stringify({ nope: 1 }) })
      expect(bad.status).toBe(400)
      const unknown = await rawRequest(server, "POST", "/v1/nothing_here", "")
      expect(unknown.status).toBe(404)
      expect(JSON.parse(unknown.body).error.message).toContain("Unrecognized request URL")
    } finally {
      await server.close()
    }
  })
})
