import path from "path"
import type Stripe from "stripe"
import { PaymentCollectionDTO, PaymentDTO, PaymentSessionDTO } from "@medusajs/framework/types"
import { MedusaError } from "@medusajs/framework/utils"
import { TestDatabaseUtils } from "@medusajs/test-utils"
import { LocalStripe, startLocalStripe } from "../../local-stripe"
import { isOutcomeUnknown } from "../../src/utils/errors"
import { bootModule, runScoped } from "../__fixtures__/module"
import { answerGarbageOnce, disarmGarbage } from "./__fixtures__/garbled-stripe-provider"
import { expectInvariants, MoneySafeService, moneySafe, paymentMoney, sql } from "./__fixtures__/money"

jest.setTimeout(120_000)

/**
 * Every provider call the module makes × every way it can go wrong, with
 * the real Stripe provider against the local Stripe:
 *
 * - fails before taking effect (Stripe answers 500 and does nothing);
 * - loses the answer after taking effect (the connection drops);
 * - times out after taking effect (the answer comes after the module's
 *   `provider_timeout_ms`);
 * - answers garbage after taking effect (a wrapper around the Stripe
 *   provider returns nonsense instead of its answer).
 *
 * None of these tells the module what happened, so each must be an
 * "unknown outcome" that leaves the books balanced; then reconciliation
 * (captures, refunds, cancels) or the caller's retry (the other calls, which
 * move no money) must bring the module and Stripe to the same state, with
 * each effect made once at Stripe.
 */

const DATABASE = "payment_plus_fault_matrix"
const STRIPE = "pp_stripe_stripe"
const GARBLED = "pp_garbled_stripe"
const PROVIDER_TIMEOUT_MS = 1200
const SLOW_ANSWER_MS = 2500

type Context = {
  provider: string
  collection: PaymentCollectionDTO
  session?: PaymentSessionDTO
  payment?: PaymentDTO
  intentsBefore: Set<string>
}

type Site = {
  name: string
  /** the local Stripe route this call uses */
  route: string
  /** the provider method the garbling wrapper intercepts */
  method: Parameters<typeof answerGarbageOnce>[0]
  garbage: unknown
  prepare(ctx: Context): Promise<void>
  act(ctx: Context): Promise<unknown>
  /** whether Stripe shows the call's effect */
  tookEffect(ctx: Context): Promise<boolean> | boolean
  /** what the module holds while the outcome is unknown */
  meanwhile(ctx: Context): Promise<void>
  recover(ctx: Context): Promise<void>
  agree(ctx: Context, fault: Fault): Promise<void>
}

type Fault = { name: string; effect: boolean; garbled?: boolean; arm(local: LocalStripe, site: Site): void }

const FAULTS: Fault[] = [
  { name: "fails before taking effect", effect: false, arm: (local, site) => local.addFault({ match: site.route, phase: "before", action: "error" }) },
  {
    // The SDK retries a reset connection once by itself (same key: Stripe
    // replays the stored answer), so the replay's answer is lost too.
    name: "loses the answer after taking effect", effect: true,
    arm: (local, site) => local.addFault({ match: site.route, phase: "after", action: "disconnect", times: 2 }),
  },
  {
    name: "times out after taking effect", effect: true,
    arm: (local, site) => local.addFault({ match: site.route, phase: "after", action: "delay", delay_ms: SLOW_ANSWER_MS }),
  },
  { name: "answers garbage after taking effect", effect: true, garbled: true, arm: (_, site) => answerGarbageOnce(site.method, site.garbage) },
]

describe("provider faults at every call site", () => {
  const url = TestDatabaseUtils.getDatabaseURL(runScoped(DATABASE))
  let local: LocalStripe
  let service: MoneySafeService
  let shutdown: () => Promise<void>

  beforeAll(async () => {
    local = await startLocalStripe({ processingDelayMs: null })
    const stripeOptions = { apiKey: "sk_test_fault_matrix", apiBaseUrl: local.url, maxNetworkRetries: 0, timeoutMs: 60_000 }
    const booted = await bootModule(DATABASE, {
      provider_timeout_ms: PROVIDER_TIMEOUT_MS,
      providers: [
        { resolve: path.join(__dirname, "..", "..", "src", "providers", "stripe"), id: "stripe", options: stripeOptions },
        { resolve: path.join(__dirname, "__fixtures__", "garbled-stripe-provider.ts"), id: "stripe", options: stripeOptions },
      ],
    })
    service = moneySafe(booted.service)
    shutdown = booted.shutdown
  })

  afterEach(() => {
    local.clearFaults()
    disarmGarbage()
  })

  afterAll(async () => {
    await shutdown?.()
    await local?.close()
  })

  const intent = (id: string) => local.app.store.paymentIntents.get(id) as Stripe.PaymentIntent
  const intentOf = (ctx: Context) => intent(ctx.session!.data!.id as string)
  const eventsFor = (type: string, ctx: Context) =>
    local.events(type).filter((e) => (e.data.object as { id?: string }).id === intentOf(ctx).id)
  const refundsFor = (ctx: Context) => [...local.app.store.refunds.values()].filter((r) => r.payment_intent === intentOf(ctx).id)
  const newIntents = (ctx: Context) => [...local.app.store.paymentIntents.values()].filter((i) => !ctx.intentsBefore.has(i.id))

  const createSession = (ctx: Context) =>
    service.createPaymentSession(ctx.collection.id, {
      provider_id: ctx.provider, currency_code: "usd", amount: 50, data: { payment_method: "pm_card_visa" },
    })
  const initiated = async (ctx: Context) => {
    ctx.session = await createSession(ctx)
  }
  const authorized = async (ctx: Context) => {
    await initiated(ctx)
    ctx.payment = (await service.authorizePaymentSession(ctx.session!.id, {}))!
  }
  /** The payment's movements of one kind (every capture, refund or cancel, whatever its status), oldest first. */
  const movement = async (kind: "capture" | "refund" | "cancel", ctx: Context) =>
    (await sql(url, `SELECT id, status, raw_amount->>'value' AS amount FROM payment_movement WHERE payment_id = $1 AND kind = $2 ORDER BY created_at, id`, [ctx.payment!.id, kind]))
  /** The capture or refund rows Medusa reads: settled money only. */
  const settledRows = async (table: "capture" | "refund", ctx: Context) =>
    (await sql(url, `SELECT id, raw_amount->>'value' AS amount FROM ${table} WHERE payment_id = $1 AND deleted_at IS NULL ORDER BY id`, [ctx.payment!.id]))

  const SITES: Site[] = [
    {
      name: "initiatePayment (createPaymentSession)",
      route: "POST /v1/payment_intents",
      method: "initiatePayment",
      garbage: [],
      prepare: async () => {},
      act: (ctx) => createSession(ctx),
      tookEffect: (ctx) => newIntents(ctx).length === 1,
      meanwhile: async (ctx) => {
        expect(await service.listPaymentSessions({ payment_collection_id: ctx.collection.id })).toEqual([])
      },
      recover: async (ctx) => {
        ctx.session = await createSession(ctx)
      },
      agree: async (ctx, fault) => {
        const sessions = await service.listPaymentSessions({ payment_collection_id: ctx.collection.id })
        expect(sessions.map((s) => s.id)).toEqual([ctx.session!.id])
        expect(intentOf(ctx)).toMatchObject({ amount: 5000, currency: "usd", metadata: { session_id: ctx.session!.id } })
        // The lost attempt's intent (if it was made) is the only other one, and holds no money.
        const orphans = newIntents(ctx).filter((i) => i.id !== intentOf(ctx).id)
        expect(orphans.length).toBe(fault.effect ? 1 : 0)
        for (const orphan of orphans) {
          expect(orphan).toMatchObject({ status: "requires_confirmation", amount_received: 0, amount_capturable: 0 })
        }
      },
    },
    {
      name: "updatePayment (updatePaymentSession)",
      route: "POST /v1/payment_intents/*",
      method: "updatePayment",
      garbage: { data: [1, 2, 3] },
      prepare: initiated,
      act: (ctx) => service.updatePaymentSession({ id: ctx.session!.id, amount: 40, currency_code: "usd", data: {} }),
      tookEffect: (ctx) => intentOf(ctx).amount === 4000,
      meanwhile: async (ctx) => {
        expect((await service.retrievePaymentSession(ctx.session!.id)).amount).toBe(50)
      },
      recover: async (ctx) => {
        await service.updatePaymentSession({ id: ctx.session!.id, amount: 40, currency_code: "usd", data: {} })
      },
      agree: async (ctx) => {
        expect(await service.retrievePaymentSession(ctx.session!.id)).toMatchObject({ amount: 40, data: expect.objectContaining({ amount: 4000 }) })
        // One update at Stripe: the retry reused the first attempt's key.
        expect(intentOf(ctx)).toMatchObject({ amount: 4000, metadata: expect.objectContaining({ medusa_amount_revision: "1" }) })
      },
    },
    {
      name: "authorizePayment (authorizePaymentSession)",
      route: "POST /v1/payment_intents/*/confirm",
      method: "authorizePayment",
      garbage: { status: "approved", data: {} },
      prepare: initiated,
      act: (ctx) => service.authorizePaymentSession(ctx.session!.id, {}),
      tookEffect: (ctx) => intentOf(ctx).status === "requires_capture",
      meanwhile: async (ctx) => {
        expect(await service.listPayments({ payment_session_id: ctx.session!.id })).toEqual([])
        expect((await service.retrievePaymentSession(ctx.session!.id)).status).toBe("pending")
      },
      recover: async (ctx) => {
        ctx.payment = (await service.authorizePaymentSession(ctx.session!.id, {}))!
      },
      agree: async (ctx) => {
        expect(ctx.payment).toMatchObject({ amount: 50 })
        expect(await service.listPayments({ payment_session_id: ctx.session!.id })).toHaveLength(1)
        expect(intentOf(ctx)).toMatchObject({ status: "requires_capture", amount_capturable: 5000 })
        expect(eventsFor("payment_intent.amount_capturable_updated", ctx)).toHaveLength(1)
      },
    },
    {
      name: "capturePayment",
      route: "POST /v1/payment_intents/*/capture",
      method: "capturePayment",
      garbage: "<html>502 Bad Gateway</html>",
      prepare: authorized,
      act: (ctx) => service.capturePayment({ payment_id: ctx.payment!.id, amount: 30 }),
      tookEffect: (ctx) => intentOf(ctx).status === "succeeded",
      meanwhile: async (ctx) => {
        // Unknown, and counted: nothing can be captured past it meanwhile.
        expect((await movement("capture", ctx)).map((m) => [m.status, m.amount])).toEqual([["unknown", "30"]])
        // An unknown capture is a movement, not a capture row: Medusa's figures show settled money only.
        expect(await settledRows("capture", ctx)).toEqual([])
        expect(await paymentMoney(url, ctx.payment!.id)).toMatchObject({ captured_total: "30", captured: "0", unknown_movements: 1 })
      },
      recover: async (ctx) => {
        const report = await service.reconcilePayments({ payment_id: ctx.payment!.id, stale_after_ms: 0 })
        expect(report).toEqual({ settled: (await movement("capture", ctx)).map((m) => m.id), reversed: [], still_unknown: [], provider_cannot_find: [] })
      },
      agree: async (ctx) => {
        const [settled] = await movement("capture", ctx)
        expect((await movement("capture", ctx)).map((m) => [m.status, m.amount])).toEqual([["succeeded", "30"]])
        expect(await settledRows("capture", ctx)).toEqual([{ id: settled.id, amount: "30" }])
        expect(intentOf(ctx)).toMatchObject({ status: "succeeded", amount_received: 3000 })
        expect(eventsFor("payment_intent.succeeded", ctx)).toHaveLength(1)
        expect((await service.retrievePaymentCollection(ctx.collection.id)).captured_amount).toBe(30)
      },
    },
    {
      name: "refundPayment",
      route: "POST /v1/refunds",
      method: "refundPayment",
      garbage: { data: "refunded!" },
      prepare: async (ctx) => {
        await authorized(ctx)
        await service.capturePayment({ payment_id: ctx.payment!.id })
      },
      act: (ctx) => service.refundPayment({ payment_id: ctx.payment!.id, amount: 10 }),
      tookEffect: (ctx) => refundsFor(ctx).length === 1,
      meanwhile: async (ctx) => {
        expect((await movement("refund", ctx)).map((m) => [m.status, m.amount])).toEqual([["unknown", "10"]])
        expect(await settledRows("refund", ctx)).toEqual([])
        expect(await paymentMoney(url, ctx.payment!.id)).toMatchObject({ refunded_total: "10", refunded: "0", unknown_movements: 1 })
      },
      recover: async (ctx) => {
        const report = await service.reconcilePayments({ payment_id: ctx.payment!.id, stale_after_ms: 0 })
        expect(report).toEqual({ settled: (await movement("refund", ctx)).map((m) => m.id), reversed: [], still_unknown: [], provider_cannot_find: [] })
      },
      agree: async (ctx) => {
        const [settled] = await movement("refund", ctx)
        expect((await movement("refund", ctx)).map((m) => [m.status, m.amount])).toEqual([["succeeded", "10"]])
        expect(await settledRows("refund", ctx)).toEqual([{ id: settled.id, amount: "10" }])
        expect(refundsFor(ctx).map((r) => [r.amount, r.status])).toEqual([[1000, "succeeded"]])
        expect((await service.retrievePaymentCollection(ctx.collection.id)).refunded_amount).toBe(10)
      },
    },
    {
      name: "cancelPayment",
      route: "POST /v1/payment_intents/*/cancel",
      method: "cancelPayment",
      garbage: 42,
      prepare: authorized,
      act: (ctx) => service.cancelPayment(ctx.payment!.id),
      tookEffect: (ctx) => intentOf(ctx).status === "canceled",
      meanwhile: async (ctx) => {
        // Canceled for the module (no capture may slip in), the provider's confirmation pending: an open cancel movement.
        const [row] = await sql(url, `SELECT canceled_at FROM payment WHERE id = $1`, [ctx.payment!.id])
        expect(row).toMatchObject({ canceled_at: expect.any(Date) })
        expect((await movement("cancel", ctx)).map((m) => m.status)).toEqual(["unknown"])
        // A capture first reconciles the unknown cancel (every unknown movement, cancels included, is settled
        // before the next one). With Stripe still failing, the cancel stays unknown and the capture is refused.
        local.addFault({ match: "POST /v1/payment_intents/*/cancel", phase: "before", action: "error" })
        await expect(service.capturePayment({ payment_id: ctx.payment!.id })).rejects.toMatchObject({
          type: MedusaError.Types.CONFLICT, message: expect.stringContaining("whose outcome is unknown"),
        })
        expect(local.app.faults.list()).toEqual([]) // it did ask Stripe again
        expect(await movement("capture", ctx)).toEqual([])
        expect((await movement("cancel", ctx)).map((m) => m.status)).toEqual(["unknown"])
      },
      recover: async (ctx) => {
        const [cancel] = await movement("cancel", ctx)
        const report = await service.reconcilePayments({ payment_id: ctx.payment!.id, stale_after_ms: 0 })
        expect(report).toEqual({ settled: [cancel.id], reversed: [], still_unknown: [], provider_cannot_find: [] })
      },
      agree: async (ctx) => {
        const [row] = await sql(url, `SELECT canceled_at FROM payment WHERE id = $1`, [ctx.payment!.id])
        expect(row).toMatchObject({ canceled_at: expect.any(Date) })
        // The cancel is no longer in flight: its one movement succeeded.
        expect((await movement("cancel", ctx)).map((m) => m.status)).toEqual(["succeeded"])
        // Settled as canceled: a capture is refused as Medusa refuses it, and reserves nothing.
        await expect(service.capturePayment({ payment_id: ctx.payment!.id })).rejects.toMatchObject({
          type: MedusaError.Types.INVALID_DATA, message: `The payment: ${ctx.payment!.id} has been canceled.`,
        })
        expect(await movement("capture", ctx)).toEqual([])
        expect((await service.retrievePaymentSession(ctx.session!.id)).status).toBe("canceled")
        expect((await service.retrievePaymentCollection(ctx.collection.id)).authorized_amount).toBe(0)
        expect(intentOf(ctx).status).toBe("canceled")
        expect(eventsFor("payment_intent.canceled", ctx)).toHaveLength(1)
      },
    },
    {
      name: "deletePayment (deletePaymentSession)",
      route: "POST /v1/payment_intents/*/cancel",
      method: "deletePayment",
      garbage: "deleted",
      prepare: initiated,
      act: (ctx) => service.deletePaymentSession(ctx.session!.id),
      tookEffect: (ctx) => intentOf(ctx).status === "canceled",
      meanwhile: async (ctx) => {
        expect((await service.retrievePaymentSession(ctx.session!.id)).id).toBe(ctx.session!.id)
      },
      recover: async (ctx) => {
        await service.deletePaymentSession(ctx.session!.id)
      },
      agree: async (ctx) => {
        expect(await service.listPaymentSessions({ id: ctx.session!.id })).toEqual([])
        expect(intentOf(ctx).status).toBe("canceled")
        expect(eventsFor("payment_intent.canceled", ctx)).toHaveLength(1)
      },
    },
  ]

  describe.each(SITES.map((site) => [site.name, site] as const))("%s", (_, site) => {
    it.each(FAULTS.map((fault) => [fault.name, fault] as const))("%s: unknown outcome, then one effect that both sides agree on", async (__, fault) => {
      const ctx: Context = {
        provider: fault.garbled ? GARBLED : STRIPE,
        collection: await service.createPaymentCollections({ currency_code: "usd", amount: 50 }),
        intentsBefore: new Set(local.app.store.paymentIntents.keys()),
      }
      await site.prepare(ctx)
      if (site.method !== "initiatePayment") ctx.intentsBefore = new Set(local.app.store.paymentIntents.keys())

      fault.arm(local, site)
      const error = await site.act(ctx).then(
        () => new Error("the call succeeded although its answer was lost"),
        (e) => e
      )
      expect({ unknown: isOutcomeUnknown(error), message: error.message }).toEqual({ unknown: true, message: error.message })
      expect(await site.tookEffect(ctx)).toBe(fault.effect)
      await site.meanwhile(ctx)
      // The books balance even while the outcome is unknown.
      await expectInvariants(url, service, ctx.collection.id)

      await site.recover(ctx)
      await site.agree(ctx, fault)
      await expectInvariants(url, service, ctx.collection.id)
    })
  })

  it("a 500 Stripe stored under the capture's key keeps it unknown — counted, blocking, reported — never guessed", async () => {
    const ctx: Context = {
      provider: STRIPE,
      collection: await service.createPaymentCollections({ currency_code: "usd", amount: 50 }),
      intentsBefore: new Set(),
    }
    await authorized(ctx)
    // Stripe did capture, then answered 500 — and replays that 500 for the same key.
    local.addFault({ match: "POST /v1/payment_intents/*/capture", phase: "after", action: "error" })
    const error = await service.capturePayment({ payment_id: ctx.payment!.id }).catch((e) => e)
    expect(isOutcomeUnknown(error)).toBe(true)
    expect(intentOf(ctx).status).toBe("succeeded")

    const report = await service.reconcilePayments({ payment_id: ctx.payment!.id, stale_after_ms: 0 })
    expect(report).toMatchObject({ settled: [], reversed: [], still_unknown: [expect.stringMatching(/^capt_/)] })
    expect(await paymentMoney(url, ctx.payment!.id)).toMatchObject({ captured_total: "50", captured: "0", unknown_movements: 1 })
    expect((await movement("capture", ctx)).map((m) => [m.status, m.amount])).toEqual([["unknown", "50"]])
    expect(await settledRows("capture", ctx)).toEqual([])
    await expect(service.refundPayment({ payment_id: ctx.payment!.id, amount: 1 })).rejects.toMatchObject({
      type: MedusaError.Types.CONFLICT, message: expect.stringContaining("whose outcome is unknown"),
    })
    await expectInvariants(url, service, ctx.collection.id)
  })
})
