import Stripe from "stripe"
import { Harness, Receiver, startHarness, startReceiver } from "./helpers"

const SECRET = "whsec_local_stripe_suite_secret"
let h: Harness
let receiver: Receiver

beforeEach(async () => {
  receiver = await startReceiver()
  h = await startHarness({ webhookUrl: receiver.url, webhookSecret: SECRET, webhookRetryBaseMs: 20, webhookMaxAttempts: 4 })
})
afterEach(async () => {
  await h.server.close()
  await receiver.close()
})

/** What a real integration does with each POST: verify with the official SDK. */
function verifyAll(): Stripe.Event[] {
  return receiver.received.map((d) => h.stripe.webhooks.constructEvent(d.body, d.signature, SECRET))
}

const typesOf = (events: Array<{ type: string }>) => events.map((e) => e.type)

async function manualPayment() {
  return h.stripe.paymentIntents.create({
    amount: 1000,
    currency: "usd",
    capture_method: "manual",
    confirm: true,
    payment_method: "pm_card_visa",
  })
}

describe("webhook delivery", () => {
  it("signs every event so stripe.webhooks.constructEvent accepts it, in order", async () => {
    const pi = await manualPayment()
    await h.stripe.paymentIntents.capture(pi.id, { amount_to_capture: 600 })
    await h.stripe.refunds.create({ payment_intent: pi.id, amount: 100 })
    await h.server.waitForWebhooks()

    const events = verifyAll()
    expect(typesOf(events)).toEqual([
      "payment_intent.created",
      "charge.succeeded",
      "payment_intent.amount_capturable_updated",
      "charge.captured",
      "payment_intent.succeeded",
      "refund.created",
      "charge.refunded",
    ])
    expect(receiver.received[0].signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/)
    // Events carry a snapshot of the object at that moment, and the request that caused them.
    const capturable = events[2].data.object as Stripe.PaymentIntent
    expect(capturable).toMatchObject({ id: pi.id, status: "requires_capture", amount_capturable: 1000 })
    expect(events[2].request?.id).toMatch(/^req_/)
    expect(events[2].request?.idempotency_key).toMatch(/^stripe-node-retry-/)
    // The same events are retrievable through the API.
    const fetched = await h.stripe.events.retrieve(events[4].id)
    expect(fetched.type).toBe("payment_intent.succeeded")
    expect(fetched.data.object).toEqual(events[4].data.object)
    // A wrong secret is rejected, so the signature really depends on it.
    expect(() =>
      h.stripe.webhooks.constructEvent(receiver.received[0].body, receiver.received[0].signature, "whsec_wrong")
    ).toThrow(Stripe.errors.StripeSignatureVerificationError)
  })

  it("retries a failing endpoint with backoff; every attempt verifies", async () => {
    receiver.respond = (count) => (count <= 2 ? 500 : 200)
    const customer = await h.stripe.customers.create({ email: "retry@example.com" })
    await h.server.waitForWebhooks()

    expect(receiver.received).toHaveLength(3)
    const events = verifyAll()
    expect(new Set(events.map((e) => e.id))).toEqual(new Set([events[0].id]))
    expect((events[0].data.object as Stripe.Customer).id).toBe(customer.id)
    const gaps = [receiver.received[1].at - receiver.received[0].at, receiver.received[2].at - receiver.received[1].at]
    expect(gaps[0]).toBeGreaterThanOrEqual(15)
    expect(gaps[1]).toBeGreaterThanOrEqual(35) // exponential: 20ms, then 40ms
    expect(h.server.webhookDeliveries().map((d) => [d.attempt, d.status, d.http_status])).toEqual([
      [1, "failed", 500],
      [2, "failed", 500],
      [3, "succeeded", 200],
    ])
  })

  it("gives up after the attempt budget, also for unreachable endpoints", async () => {
    receiver.respond = () => 503
    h.server.addWebhookEndpoint({ url: "http://127.0.0.1:9/unreachable", secret: SECRET })
    await h.stripe.customers.create({})
    await h.server.waitForWebhooks()
    const deliveries = h.server.webhookDeliveries()
    expect(receiver.received).toHaveLength(4)
    verifyAll()
    const unreachable = deliveries.filter((d) => d.url.endsWith("/unreachable"))
    expect(unreachable.map((d) => d.status)).toEqual(["failed", "failed", "failed", "failed"])
    expect(unreachable[0].error).toMatch(/ECONNREFUSED/)
  })

  it("duplicate fault: same event delivered twice, both copies verify", async () => {
    h.server.setWebhookFaults({ duplicate: 1, types: ["payment_intent.succeeded"] })
    await h.stripe.paymentIntents.create({ amount: 1000, currency: "usd", confirm: true, payment_method: "pm_card_visa" })
    await h.server.waitForWebhooks()
    const events = verifyAll()
    const succeeded = events.filter((e) => e.type === "payment_intent.succeeded")
    expect(succeeded).toHaveLength(2)
    expect(succeeded[0].id).toBe(succeeded[1].id)
    expect(typesOf(events).filter((t) => t === "charge.succeeded")).toHaveLength(1)
    expect(h.server.webhookDeliveries().filter((d) => d.duplicate)).toHaveLength(1)
  })

  it("duplicates survive retries: every copy and every retry verifies", async () => {
    receiver.respond = (count) => (count === 1 ? 500 : 200)
    h.server.setWebhookFaults({ duplicate: 1 })
    await h.stripe.customers.create({})
    await h.server.waitForWebhooks()
    expect(receiver.received).toHaveLength(3)
    const ids = verifyAll().map((e) => e.id)
    expect(new Set(ids).size).toBe(1)
  })

  it("reorder fault: holds N events, then delivers them newest first", async () => {
    h.server.setWebhookFaults({ reorder: 3 })
    await manualPayment()
    await h.server.waitForWebhooks()
    expect(typesOf(verifyAll())).toEqual([
      "payment_intent.amount_capturable_updated",
      "charge.succeeded",
      "payment_intent.created",
    ])
  })

  it("reorder fault with an explicit flush", async () => {
    h.server.setWebhookFaults({ reorder: 10 })
    const customer = await h.stripe.customers.create({})
    await h.stripe.customers.update(customer.id, { name: "Later" })
    await h.server.waitForWebhooks()
    expect(receiver.received).toHaveLength(0)
    expect(h.server.app.webhooks.faults().held).toBe(2)
    const flushed = await fetch(`${h.server.url}/_admin/webhooks/flush`, { method: "POST" })
    expect(await flushed.json()).toEqual({ released: 2 })
    await h.server.waitForWebhooks()
    expect(typesOf(verifyAll())).toEqual(["customer.updated", "customer.created"])
  })

  it("drop fault: the event exists in the API but is never delivered", async () => {
    h.server.setWebhookFaults({ drop: 1, types: ["payment_intent.succeeded"] })
    const pi = await h.stripe.paymentIntents.create({ amount: 1000, currency: "usd", confirm: true, payment_method: "pm_card_visa" })
    await h.server.waitForWebhooks()
    expect(typesOf(verifyAll())).toEqual(["payment_intent.created", "charge.succeeded"])
    const dropped = h.server.webhookDeliveries().filter((d) => d.status === "dropped")
    expect(dropped).toHaveLength(1)
    // Reconciliation path: the integration can still find it via the Events API.
    const missed = await h.stripe.events.retrieve(dropped[0].event_id)
    expect((missed.data.object as Stripe.PaymentIntent).id).toBe(pi.id)
    // The fault was for one event only.
    await h.stripe.paymentIntents.create({ amount: 1000, currency: "usd", confirm: true, payment_method: "pm_card_visa" })
    await h.server.waitForWebhooks()
    expect(typesOf(verifyAll())).toContain("payment_intent.succeeded")
  })

  it("delay fault holds deliveries back", async () => {
    h.server.setWebhookFaults({ delay_ms: 150 })
    const started = Date.now()
    await h.stripe.customers.create({})
    expect(receiver.received).toHaveLength(0)
    await h.server.waitForWebhooks()
    expect(receiver.received[0].at - started).toBeGreaterThanOrEqual(140)
    verifyAll()
  })

  it("faults are configurable over the admin HTTP API", async () => {
    const set = await fetch(`${h.server.url}/_admin/webhooks/faults`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ drop: 1 }),
    })
    expect(await set.json()).toMatchObject({ drop: 1, held: 0 })
    await h.stripe.customers.create({})
    await h.stripe.customers.create({})
    await h.server.waitForWebhooks()
    expect(receiver.received).toHaveLength(1)
    const deliveries = await (await fetch(`${h.server.url}/_admin/webhooks/deliveries?status=dropped`)).json()
    expect(deliveries).toHaveLength(1)
    expect((await fetch(`${h.server.url}/_admin/webhooks/faults`, { method: "DELETE" })).status).toBe(200)
  })

  it("endpoints: Stripe's webhookEndpoints API, enabled_events filter, own secrets", async () => {
    const second = await startReceiver()
    try {
      const endpoint = await h.stripe.webhookEndpoints.create({ url: second.url, enabled_events: ["customer.created"] })
      expect(endpoint.secret).toMatch(/^whsec_/)
      expect((await h.stripe.webhookEndpoints.retrieve(endpoint.id)).secret).toBeUndefined()
      await h.stripe.paymentIntents.create({ amount: 1000, currency: "usd" })
      await h.stripe.customers.create({})
      await h.server.waitForWebhooks()
      expect(second.received).toHaveLength(1)
      const event = h.stripe.webhooks.constructEvent(second.received[0].body, second.received[0].signature, endpoint.secret!)
      expect(event.type).toBe("customer.created")
      expect(() => h.stripe.webhooks.constructEvent(second.received[0].body, second.received[0].signature, SECRET)).toThrow()
      expect(typesOf(verifyAll())).toEqual(["payment_intent.created", "customer.created"])

      await h.stripe.webhookEndpoints.del(endpoint.id)
      await h.stripe.customers.create({})
      await h.server.waitForWebhooks()
      expect(second.received).toHaveLength(1)
    } finally {
      await second.close()
    }
  })

  it("an endpoint added over the admin API receives signed events", async () => {
    const third = await startReceiver()
    try {
      const res = await fetch(`${h.server.url}/_admin/webhooks/endpoints`, {
        method: "POST",
        body: JSON.stringify({ url: third.url, secret: "whsec_admin" }),
      })
      expect(res.status).toBe(200)
      await h.stripe.customers.create({})
      await h.server.waitForWebhooks()
      expect(h.stripe.webhooks.constructEvent(third.received[0].body, third.received[0].signature, "whsec_admin").type).toBe(
        "customer.created"
      )
    } finally {
      await third.close()
    }
  })
})
