import path from "path"
import type Stripe from "stripe"
import { PaymentCollectionDTO, PaymentDTO } from "@medusajs/framework/types"
import { TestDatabaseUtils } from "@medusajs/test-utils"
import { LocalStripe, startLocalStripe } from "../../local-stripe"
import { bootModule, runScoped } from "../__fixtures__/module"
import { expectInvariants, MoneySafeService, moneySafe, paymentMoney, sql } from "./__fixtures__/money"
import { startWorker, Worker } from "./__fixtures__/workers"

jest.setTimeout(120_000)

/**
 * A process killed with SIGKILL while its provider call is in flight —
 * the module's worst moment: the capture (or cancel) is reserved in the
 * database, the provider may or may not act on it, and nobody is left to
 * record the answer. The database must stay consistent, and reconciliation
 * from another process must finish the job: the effect exactly once at the
 * provider, and settled in the module.
 */

const DATABASE = "payment_plus_crash"
const STRIPE = "pp_stripe_stripe"
const SLOW_MS = 1500

describe("a process killed in the middle of a money movement", () => {
  const url = TestDatabaseUtils.getDatabaseURL(runScoped(DATABASE))
  let local: LocalStripe
  let service: MoneySafeService
  let shutdown: () => Promise<void>
  let workers: Worker[] = []
  const options = () => ({
    providers: [
      {
        resolve: path.join(__dirname, "..", "..", "src", "providers", "stripe"),
        id: "stripe",
        options: { apiKey: "sk_test_crash", apiBaseUrl: local.url, maxNetworkRetries: 0 },
      },
    ],
  })

  beforeAll(async () => {
    local = await startLocalStripe({ processingDelayMs: null })
    const booted = await bootModule(DATABASE, options())
    service = moneySafe(booted.service)
    shutdown = booted.shutdown
    // One doomed process per scenario, booted together.
    workers = await Promise.all([1, 2, 3].map(() => startWorker(runScoped(DATABASE), options())))
  })

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()))
    await shutdown?.()
    await local?.close()
  })

  const intentOf = (payment: PaymentDTO) => local.app.store.paymentIntents.get(payment.data!.id as string) as Stripe.PaymentIntent
  const eventsFor = (type: string, payment: PaymentDTO) =>
    local.events(type).filter((e) => (e.data.object as { id?: string }).id === intentOf(payment).id)

  async function authorizedPayment(): Promise<{ collection: PaymentCollectionDTO; payment: PaymentDTO }> {
    const collection = await service.createPaymentCollections({ currency_code: "usd", amount: 50 })
    const session = await service.createPaymentSession(collection.id, {
      provider_id: STRIPE, currency_code: "usd", amount: 50, data: { payment_method: "pm_card_visa" },
    })
    const payment = (await service.authorizePaymentSession(session.id, {}))!
    return { collection, payment }
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const value = await probe()
      if (value) return value
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  /** Kills the worker once its request reached the local Stripe (the fault armed for it was taken) and `reserved` holds. */
  async function killMidCall(worker: Worker, reserved: () => Promise<boolean>) {
    await until("the request to reach Stripe and the reservation to commit", async () => local.app.faults.list().length === 0 && (await reserved()))
    worker.kill("SIGKILL")
    expect(await worker.exited).toBe("SIGKILL")
  }

  /** The payment's movements of one kind, oldest first (a capture is a capture row only once it has succeeded). */
  const movements = (paymentId: string, kind: "capture" | "cancel") =>
    sql(url, `SELECT id, status FROM payment_movement WHERE payment_id = $1 AND kind = $2 ORDER BY created_at, id`, [paymentId, kind])
  const captureRows = (paymentId: string) =>
    sql(url, `SELECT id, raw_amount->>'value' AS amount FROM capture WHERE payment_id = $1 AND deleted_at IS NULL ORDER BY id`, [paymentId])

  /** Runs reconciliation (as the scheduled job would, from another process) until nothing is left unsettled. */
  async function reconcileUntilSettled(paymentId: string) {
    const settled: string[] = []
    await until("reconciliation to settle everything", async () => {
      const report = await service.reconcilePayments({ payment_id: paymentId, stale_after_ms: 0 })
      expect(report.reversed).toEqual([])
      settled.push(...report.settled)
      return report.still_unknown.length === 0 && settled.length > 0
    })
    return settled
  }

  it.each([
    ["before Stripe acted on its capture", "before"],
    ["after Stripe captured, before the answer came back", "after"],
  ] as const)("killed %s: the database stays consistent and reconciliation captures exactly once", async (_, phase) => {
    const worker = workers[phase === "before" ? 0 : 1]
    const { collection, payment } = await authorizedPayment()
    local.addFault({ match: "POST /v1/payment_intents/*/capture", phase, action: "delay", delay_ms: SLOW_MS })

    void worker.call("capturePayment", { payment_id: payment.id })
    await killMidCall(worker, async () => (await paymentMoney(url, payment.id))?.unsettled_captures === 1)

    // Consistent right after the crash: the reservation counts, nothing more.
    const [capture, ...others] = await movements(payment.id, "capture")
    expect(others).toEqual([])
    expect(capture.status).toBe("pending")
    // Reserved, not settled: no capture row (Medusa reads settled money only), but it counts against the bound.
    expect(await captureRows(payment.id)).toEqual([])
    expect(await paymentMoney(url, payment.id)).toMatchObject({ captured_total: "50", captured: "0", captured_at: null })
    await expectInvariants(url, service, collection.id)

    expect(await reconcileUntilSettled(payment.id)).toEqual([capture.id])
    expect(await movements(payment.id, "capture")).toEqual([{ id: capture.id, status: "succeeded" }])
    expect(await captureRows(payment.id)).toEqual([{ id: capture.id, amount: "50" }])
    expect(await paymentMoney(url, payment.id)).toMatchObject({
      captured_total: "50", captured: "50", captured_at: expect.any(Date), unknown_movements: 0,
    })
    expect(await service.retrievePaymentCollection(collection.id)).toMatchObject({ status: "completed", captured_amount: 50 })
    // At Stripe: captured once, with the capture's own key.
    expect(intentOf(payment)).toMatchObject({ status: "succeeded", amount_received: 5000 })
    expect(eventsFor("payment_intent.succeeded", payment).map((e) => e.request.idempotency_key)).toEqual([`${capture.id}:capture`])
    await expectInvariants(url, service, collection.id)
  })

  it("killed while its cancel is in flight: the payment stays canceled for captures, and reconciliation finishes the cancel once", async () => {
    const worker = workers[2]
    const { collection, payment } = await authorizedPayment()
    local.addFault({ match: "POST /v1/payment_intents/*/cancel", phase: "before", action: "delay", delay_ms: SLOW_MS })

    void worker.call("cancelPayment", payment.id)
    // A cancel in flight: an open cancel movement of the payment.
    const cancelPending = async () =>
      (await movements(payment.id, "cancel")).some((m) => m.status === "pending" || m.status === "unknown")
    await killMidCall(worker, cancelPending)
    const [cancel, ...others] = await movements(payment.id, "cancel")
    expect(others).toEqual([])
    expect(cancel.status).toBe("pending")

    await expect(service.capturePayment({ payment_id: payment.id })).rejects.toMatchObject({ type: "invalid_data" })
    await expectInvariants(url, service, collection.id)

    expect(await reconcileUntilSettled(payment.id)).toEqual([cancel.id])
    expect(await cancelPending()).toBe(false)
    expect(await movements(payment.id, "cancel")).toEqual([{ id: cancel.id, status: "succeeded" }])
    expect((await service.retrievePayment(payment.id)).canceled_at).toEqual(expect.any(Date))
    expect(await service.retrievePaymentCollection(collection.id)).toMatchObject({ authorized_amount: 0, captured_amount: 0 })
    expect(intentOf(payment).status).toBe("canceled")
    expect(eventsFor("payment_intent.canceled", payment)).toHaveLength(1)
    await expectInvariants(url, service, collection.id)
  })
})
