import { eventually, MEDUSA_WEBHOOK_DELAY_MS, sleep, startEnvironment, type Environment } from "./harness/environment"
import { adminOrder, deliveriesFor, moneyFacts, orderTransactions, ordersOfCart, stripeFacts } from "./harness/facts"
import { HttpError } from "./harness/http"
import { placeOrder, type PlacedOrder } from "./harness/orders"
import { concurrentCapturesAndRefunds, concurrentRefunds } from "./harness/concurrent"
import { expectOneOrderOneCaptureNoRefund, raceCheckout } from "./harness/race"
import { completeCart, createPaymentCollection, cartReadyToPay, initiatePaymentSession } from "./harness/storefront"

// Scale-out: TWO `medusa start` processes on one database, with Medusa's
// Redis event bus, Redis workflow engine and Redis locks (REDIS_URL,
// default redis://127.0.0.1:6379). Requests alternate between the servers;
// the local Stripe's webhooks go to them in turn (a round-robin proxy).

jest.setTimeout(300_000)

/**
 * Without Redis the scale-out suite cannot run; CI has Redis and must run
 * it, elsewhere it is skipped with a line saying so.
 */
const describeWithRedis: jest.Describe = (() => {
  if (process.env.E2E_REDIS_AVAILABLE) return describe
  if (process.env.CI) throw new Error("CI must run the scale-out tests, but no Redis answers (REDIS_URL).")
  process.stderr.write("Skipping the scale-out tests: no Redis answers at REDIS_URL (default redis://127.0.0.1:6379).\n")
  return describe.skip
})()

describeWithRedis("scale-out", () => {
  let env: Environment

  beforeAll(async () => {
    env = await startEnvironment({ name: "scale_out", servers: 2, redis: true, webhooks: "round-robin" })
  })

  afterAll(async () => {
    await env?.stop()
  })

  type Outcome = { ok: true } | { ok: false; status: number; message: string }

  async function outcome(call: Promise<unknown>): Promise<Outcome> {
    try {
      await call
      return { ok: true }
    } catch (error) {
      if (error instanceof HttpError) return { ok: false, status: error.status, message: error.body?.message ?? "" }
      throw error
    }
  }

  describe("two Medusa servers, Redis event bus + workflow engine + locks", () => {
    it("the servers really share Redis: both loaded Medusa's Redis modules", () => {
      for (const log of env.servers.map((s) => require("node:fs").readFileSync(s.logFile, "utf8"))) {
        expect(log).not.toMatch(/Local Event Bus installed/)
        expect(log).not.toMatch(/Locking module: Using "in-memory"/)
      }
    })

    it.each(["pp_system_default", "pp_stripe_stripe"] as const)(
      "checkout with %s, each step on the other server",
      async (provider) => {
        const cart = await cartReadyToPay(env.store(0), env.seed)
        const collection = await createPaymentCollection(env.store(1), cart.id)
        const withSession = await initiatePaymentSession(
          env.store(0),
          collection.id,
          provider,
          provider === "pp_stripe_stripe" ? { payment_method: "pm_card_visa" } : undefined
        )
        const completed = await completeCart(env.store(1), cart.id)
        expect(completed.type).toBe("order")
        expect(await ordersOfCart(env, cart.id)).toHaveLength(1)
        const facts = await moneyFacts(env, withSession.payment_sessions[0].id)
        expect(facts.payments).toHaveLength(1)
        const order = await adminOrder(env.admin(0), (completed as any).order.id)
        expect(order.payment_status).toBe("authorized")
      }
    )

    it("the same full capture sent 4 times, alternately to each server: one capture at Stripe and in Medusa", async () => {
      const placed = await placeOrder(env, "pp_stripe_stripe", 1)
      const results = await Promise.all(
        [0, 1, 0, 1].map((i) => outcome(env.admin(i).post(`/admin/payments/${placed.paymentId}/capture`, {})))
      )
      expect(results.filter((r) => r.ok).length).toBeGreaterThanOrEqual(1)
      const facts = await moneyFacts(env, placed.sessionId)
      expect(facts.captures.map((c) => c.amount)).toEqual([35])
      expect(facts.payments[0].captured_at).not.toBeNull()
      expect(await stripeFacts(env, placed.intentId!)).toMatchObject({ amount_received: 3500, captureEvents: 1 })
      const order = await adminOrder(env.admin(1), placed.orderId)
      expect(order.payment_collections[0]).toMatchObject({ status: "completed", captured_amount: 35 })
      expect((await orderTransactions(env, placed.orderId)).map((t) => Number(t.amount))).toEqual([35])
    })

    it("4 concurrent partial captures of 10 on a 35 payment, spread over both servers: 30 captured, never more", async () => {
      const placed = await placeOrder(env, "pp_system_default", 0)
      const results = await Promise.all(
        [0, 1, 0, 1].map((i) => outcome(env.admin(i).post(`/admin/payments/${placed.paymentId}/capture`, { amount: 10 })))
      )
      const succeeded = results.filter((r) => r.ok).length
      const facts = await moneyFacts(env, placed.sessionId)
      expect(facts.captured).toBe(10 * succeeded)
      expect(facts.captured).toBeLessThanOrEqual(35)
      expect(succeeded).toBe(3)
      for (const r of results) if (!r.ok) expect(r.status).toBeGreaterThanOrEqual(400)
      const order = await adminOrder(env.admin(0), placed.orderId)
      expect(order.payment_collections[0]).toMatchObject({ status: "partially_captured", captured_amount: 30 })
      // One order transaction per capture made, of that capture's amount.
      expect((await orderTransactions(env, placed.orderId)).map((t) => Number(t.amount))).toEqual([10, 10, 10])
    })

    it.each(["pp_system_default", "pp_stripe_stripe"] as const)(
      "10 concurrent refunds of 5 on 35 captured (%s), spread over both servers: 7 refunded, 3 refused before moving money, order = payment = Stripe",
      async (provider) => {
        // The plugin's per-order lock lives in Redis here, so it holds across
        // the two processes (e2e/order-serialization.e2e.spec.ts: one server).
        await concurrentRefunds(env, provider, { count: 10, amount: 5, servers: 2 })
      }
    )

    it("captures and refunds at once on one Stripe order, spread over both servers: the books agree", async () => {
      await concurrentCapturesAndRefunds(
        env,
        "pp_stripe_stripe",
        [{ kind: "refund", amount: 5 }, { kind: "capture" }, { kind: "refund", amount: 5 }, { kind: "capture" }, { kind: "refund", amount: 5 }, { kind: "refund", amount: 5 }],
        2
      )
    })

    it("#13301 across servers: Place order on one server, the webhook processed by either (automatic capture)", async () => {
      const offsets = [-400, -50, 0, 50, 400, -150, 150]
      const runs = await Promise.all(
        offsets.map((offset, i) =>
          raceCheckout(env, offset, {
            storefrontServer: i % 2,
            // The store is configured for manual capture; a storefront may ask
            // Stripe for automatic capture per payment, as with Medusa's provider.
            sessionData: { capture_method: "automatic" },
          })
        )
      )
      process.stdout.write(
        `[e2e] scale-out #13301 answers: ${runs.map((r) => `${r.offsetMs}ms→${r.answers.join("/")}`).join(", ")}\n`
      )
      for (const run of runs) await expectOneOrderOneCaptureNoRefund(env, run)
    })

    it("no lost or doubled event: 6 Dashboard captures, each webhook delivered twice (once to each server)", async () => {
      const placed: PlacedOrder[] = []
      for (let i = 0; i < 6; i++) placed.push(await placeOrder(env, "pp_stripe_stripe", i % 2))
      env.local.setWebhookFaults({ duplicate: 6, types: ["payment_intent.succeeded"] })
      try {
        await Promise.all(placed.map((p) => env.stripe.paymentIntents.capture(p.intentId!)))
        await eventually(() => {
          for (const p of placed) {
            const deliveries = deliveriesFor(env, p.intentId!, "payment_intent.succeeded")
            expect(deliveries.map((d) => d.http_status)).toEqual([200, 200])
          }
        })
      } finally {
        env.local.clearWebhookFaults()
      }
      await sleep(MEDUSA_WEBHOOK_DELAY_MS)
      for (const p of placed) {
        await eventually(
          async () => {
            expect(await moneyFacts(env, p.sessionId)).toMatchObject({ captured: 35, settled: true })
            expect(await orderTransactions(env, p.orderId)).toHaveLength(1)
          },
          { timeoutMs: 60_000 }
        )
      }
      await sleep(3000)
      for (const p of placed) {
        const facts = await moneyFacts(env, p.sessionId)
        expect(facts.captures).toHaveLength(1)
        expect(facts.refunds).toHaveLength(0)
        expect(await stripeFacts(env, p.intentId!)).toMatchObject({ amount_received: 3500, captureEvents: 1, refunded: 0 })
        const order = await adminOrder(env.admin(0), p.orderId)
        expect(order.payment_status).toBe("captured")
        expect(order.summary.paid_total).toBe(35)
      }
    })

    it("every webhook the local Stripe delivered in this suite was processed exactly once, by one of the servers", async () => {
      const processed = () =>
        env.servers.map(
          (s) => (require("node:fs").readFileSync(s.logFile, "utf8").match(/Processing payment\.webhook_received/g) ?? []).length
        )
      const delivered = env.local.webhookDeliveries().filter((d) => d.http_status === 200).length
      await eventually(() => expect(processed().reduce((a, b) => a + b, 0)).toBe(delivered), {
        timeoutMs: MEDUSA_WEBHOOK_DELAY_MS + 30_000,
      })
      await sleep(MEDUSA_WEBHOOK_DELAY_MS + 1000)
      const perServer = processed()
      process.stdout.write(`[e2e] webhooks delivered: ${delivered}, processed per server: ${perServer.join(" + ")}\n`)
      expect(perServer.reduce((a, b) => a + b, 0)).toBe(delivered)
      expect(perServer.every((n) => n > 0)).toBe(true)
    })
  })
})
