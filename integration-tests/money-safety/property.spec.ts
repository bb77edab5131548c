import fc from "fast-check"
import { PaymentSessionDTO } from "@medusajs/framework/types"
import { MedusaError } from "@medusajs/framework/utils"
import { defaultModuleOptions, paymentModuleSuite, SCRIPTED } from "../__fixtures__/module"
import { recordedCalls, resetRecordedCalls } from "../__fixtures__/scripted-provider"
import { expectInvariants, moneySafe, paymentMoney, sql } from "./__fixtures__/money"

/**
 * Random sequences of what callers, retries and webhooks do to a payment
 * collection — authorize, capture, refund, cancel, the same request again
 * with the same idempotency key, the same request several times at once,
 * and the webhook's copy of a capture — run against the module and
 * against a small model of its money rules. After every step the module
 * must have answered what the model predicts and hold exactly the money
 * the model holds, and the invariants must hold (bounds, one Payment per
 * session, ledger = totals = rows, collection status = its totals).
 *
 * FC_RUNS and FC_SEED (printed on failure) override the run count and seed.
 */

const RUNS = Number(process.env.FC_RUNS ?? 40)
const CURRENCIES = { usd: 2, jpy: 0, kwd: 3 } as const
type Currency = keyof typeof CURRENCIES

type SessionSpec = { amount: number; captureThrows: boolean; refundThrows: boolean; cancelThrows: boolean }
type Op =
  | { kind: "authorize"; s: number; key?: string }
  | { kind: "capture" | "refund"; s: number; amount?: number; key?: string }
  | { kind: "cancel"; s: number; key?: string }
  | { kind: "webhookCapture"; s: number }
  | { kind: "retry" }
  | { kind: "burst"; of: Exclude<Op, { kind: "retry" | "burst" | "webhookCapture" }> }

/** What a call returned: ok, or the MedusaError type it threw. */
type Outcome = "ok" | string

const oneIn = (n: number) => fc.nat({ max: n - 1 }).map((x) => x === 0)
const keyArb = fc.option(fc.constantFrom("k1", "k2", "k3"), { nil: undefined, freq: 2 })
const sessionArb = fc.nat({ max: 1 })
// Amounts in minor units: mostly small (so several movements fit), sometimes large.
const amountArb = fc.option(fc.oneof(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 20000 })), { nil: undefined, freq: 4 })
const basicOpArb = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("authorize" as const), s: sessionArb, key: keyArb }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("capture" as const), s: sessionArb, amount: amountArb, key: keyArb }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("refund" as const), s: sessionArb, amount: amountArb, key: keyArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("cancel" as const), s: sessionArb, key: keyArb }) }
)
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: basicOpArb },
  { weight: 2, arbitrary: fc.constant({ kind: "retry" as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("webhookCapture" as const), s: sessionArb }) },
  {
    weight: 2,
    arbitrary: basicOpArb.map((of) => ({ kind: "burst" as const, of: { ...of, key: of.key ?? "k1" } })),
  }
)
const scenarioArb = fc.record({
  currency: fc.constantFrom<Currency>("usd", "jpy", "kwd"),
  sessions: fc.array(
    fc.record({
      amount: fc.integer({ min: 1, max: 20000 }),
      // now and then a provider that refuses one kind of call
      captureThrows: oneIn(4),
      refundThrows: oneIn(5),
      cancelThrows: oneIn(5),
    }),
    { minLength: 1, maxLength: 2 }
  ),
  // Most histories authorize up front, so that most steps move money.
  prelude: fc.constantFrom<Op[]>(
    [{ kind: "authorize", s: 0 }, { kind: "authorize", s: 1 }],
    [{ kind: "authorize", s: 0 }, { kind: "authorize", s: 1 }],
    [{ kind: "authorize", s: 0 }],
    []
  ),
  steps: fc.array(opArb, { minLength: 1, maxLength: 24 }),
}).map(({ prelude, steps, ...rest }) => ({ ...rest, ops: [...prelude, ...steps] }))

/** Minor units as the exact decimal string of the currency ("1234", 2 → "12.34"). */
function decimal(minor: number, exponent: number): string {
  if (exponent === 0) return String(minor)
  const digits = String(minor).padStart(exponent + 1, "0")
  return `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`
}

/** An exact decimal string back to minor units (fails the test on leftover fractions). */
function minor(value: string | null | undefined, exponent: number): number {
  const [whole, fraction = ""] = (value ?? "0").split(".")
  expect(fraction.replace(/0+$/, "").length).toBeLessThanOrEqual(exponent)
  return Number(whole) * 10 ** exponent + Number(fraction.padEnd(exponent, "0").slice(0, exponent) || 0)
}

/** The module's money rules, for one collection, in minor units. */
class Model {
  payments: (string | undefined)[]
  canceled: boolean[]
  captured: number[]
  refunded: number[]
  /** caller keys that are bound: `<operation>:<key>` → what they asked for */
  keys = new Map<string, string>()

  constructor(readonly sessions: SessionSpec[]) {
    this.payments = sessions.map(() => undefined)
    this.canceled = sessions.map(() => false)
    this.captured = sessions.map(() => 0)
    this.refunded = sessions.map(() => 0)
  }

  /** Checks a caller key: CONFLICT if it named something else; true if it is a retry. */
  private claim(operation: string, key: string | undefined, fingerprint: string): "conflict" | "replay" | "new" {
    if (key === undefined) return "new"
    const previous = this.keys.get(`${operation}:${key}`)
    if (previous === undefined) return "new"
    return previous === fingerprint ? "replay" : "conflict"
  }

  private bind(operation: string, key: string | undefined, fingerprint: string) {
    if (key !== undefined) this.keys.set(`${operation}:${key}`, fingerprint)
  }

  /** Predicts an operation's outcome and applies its effect; `skip` when it cannot be sent (no payment yet). */
  apply(op: Exclude<Op, { kind: "retry" | "burst" }>, paymentId?: string): Outcome | "skip" {
    const { INVALID_DATA, CONFLICT, NOT_ALLOWED, UNEXPECTED_STATE } = MedusaError.Types
    const s = op.s
    const spec = this.sessions[s]
    if (op.kind === "authorize") {
      const claim = this.claim("authorize", op.key, `${s}`)
      if (claim === "conflict") return CONFLICT
      this.bind("authorize", op.key, `${s}`)
      this.payments[s] ??= paymentId
      return "ok"
    }
    if (!this.payments[s]) return "skip"
    if (op.kind === "capture" || op.kind === "webhookCapture") {
      const amount = op.kind === "webhookCapture" ? spec.amount : op.amount
      const key = op.kind === "webhookCapture" ? undefined : op.key
      if (this.canceled[s]) return INVALID_DATA
      const fingerprint = `${s}:${amount ?? "rest"}`
      const claim = this.claim("capture", key, fingerprint)
      if (claim !== "new") return claim === "conflict" ? CONFLICT : "ok"
      // Fully captured: a capture of the same money has nothing to do.
      if (this.captured[s] >= spec.amount) {
        this.bind("capture", key, fingerprint)
        return "ok"
      }
      // As Medusa's module: no amount asks for the payment's whole amount — more than is left after a partial capture.
      const left = spec.amount - this.captured[s]
      const requested = amount ?? spec.amount
      if (requested > left) return INVALID_DATA
      if (spec.captureThrows) return UNEXPECTED_STATE
      this.captured[s] += requested
      this.bind("capture", key, fingerprint)
      return "ok"
    }
    if (op.kind === "refund") {
      const fingerprint = `${s}:${op.amount ?? "rest"}`
      const claim = this.claim("refund", op.key, fingerprint)
      if (claim !== "new") return claim === "conflict" ? CONFLICT : "ok"
      // No amount asks for the payment's whole amount too: refundable only when all of it is captured and none refunded.
      const refundable = this.captured[s] - this.refunded[s]
      const requested = op.amount ?? spec.amount
      if (refundable <= 0 || requested > refundable) return INVALID_DATA
      if (spec.refundThrows) return UNEXPECTED_STATE
      this.refunded[s] += requested
      this.bind("refund", op.key, fingerprint)
      return "ok"
    }
    const claim = this.claim("cancel", op.key, `${s}`)
    if (claim !== "new") return claim === "conflict" ? CONFLICT : "ok"
    if (!this.canceled[s]) {
      if (this.captured[s] > 0) return NOT_ALLOWED
      if (spec.cancelThrows) return UNEXPECTED_STATE
      this.canceled[s] = true
    }
    this.bind("cancel", op.key, `${s}`)
    return "ok"
  }

  get amount() {
    return this.sessions.reduce((sum, s) => sum + s.amount, 0)
  }

  /** The collection status the model's totals call for (sessions alone leave not_paid or awaiting). */
  statuses(): string[] {
    const captured = this.captured.reduce((a, b) => a + b, 0)
    const authorized = this.sessions.reduce((sum, s, i) => sum + (this.payments[i] && !this.canceled[i] ? s.amount : 0), 0)
    if (captured >= this.amount) return ["completed"]
    if (captured > 0) return ["partially_captured"]
    if (authorized >= this.amount) return ["authorized"]
    if (authorized > 0) return ["partially_authorized"]
    return ["not_paid", "awaiting"]
  }
}

paymentModuleSuite(({ service: medusaService, dbConfig }) => {
  const service = moneySafe(medusaService)
  const url = () => dbConfig.clientUrl

  it(`keeps every invariant and agrees with a model of its money rules over ${RUNS} random histories`, async () => {
    let run = 0
    await fc.assert(
      fc.asyncProperty(scenarioArb, async ({ currency, sessions: specs, ops }) => {
        run += 1
        const exponent = CURRENCIES[currency]
        const model = new Model(specs)
        const collection = await service.createPaymentCollections({ currency_code: currency, amount: decimal(model.amount, exponent) })
        const sessions: PaymentSessionDTO[] = []
        for (const spec of specs) {
          sessions.push(
            await service.createPaymentSession(collection.id, {
              provider_id: SCRIPTED, currency_code: currency, amount: decimal(spec.amount, exponent),
              data: {
                script: {
                  ...(spec.captureThrows ? { capture: "throw" } : {}),
                  ...(spec.refundThrows ? { refund: "throw" } : {}),
                  ...(spec.cancelThrows ? { cancel: "throw" } : {}),
                },
              },
            })
          )
        }
        // Keys are global in the module: each history gets its own.
        const keyOf = (key?: string) => (key === undefined ? undefined : `run${run}-${key}`)
        const target = (s: number) => s % specs.length

        const send = async (op: Exclude<Op, { kind: "retry" | "burst" }>): Promise<{ outcome: Outcome; value?: any; message?: string }> => {
          const s = target(op.s)
          const paymentId = model.payments[s]
          let call: Promise<any>
          if (op.kind === "authorize") {
            call = service.authorizePaymentSession(sessions[s].id, op.key ? { idempotency_key: keyOf(op.key) } : {})
          } else if (!paymentId) {
            return { outcome: "skip" }
          } else if (op.kind === "webhookCapture") {
            // processPaymentWorkflow: capture with the webhook's amount, the session's whole amount
            call = service.capturePayment({ payment_id: paymentId, amount: decimal(specs[s].amount, exponent) })
          } else if (op.kind === "cancel") {
            call = service.cancelPayment(op.key ? ({ payment_id: paymentId, idempotency_key: keyOf(op.key) } as any) : paymentId)
          } else {
            const amount = op.amount === undefined ? {} : { amount: decimal(op.amount, exponent) }
            const key = op.key ? { idempotency_key: keyOf(op.key) } : {}
            call = op.kind === "capture"
              ? service.capturePayment({ payment_id: paymentId, ...amount, ...key } as any)
              : service.refundPayment({ payment_id: paymentId, ...amount, ...key } as any)
          }
          return await call.then(
            (value) => ({ outcome: "ok", value }),
            (error) => ({ outcome: error?.type ?? `non-Medusa error: ${error?.message}`, message: error?.message })
          )
        }

        let previous: Exclude<Op, { kind: "retry" | "burst" }> | undefined
        const history: string[] = []
        for (const generated of ops) {
          const op = generated.kind === "retry" ? previous : generated
          if (!op) continue
          if (op.kind === "burst") {
            const single = { ...op.of, s: target(op.of.s) } as Exclude<Op, { kind: "retry" | "burst" }>
            const results = await Promise.all([send(single), send(single), send(single)])
            if (results[0].outcome === "skip") continue
            const paymentId = results.find((r) => r.value?.id && single.kind === "authorize")?.value?.id
            const expected = model.apply(single, paymentId)
            history.push(`burst ${JSON.stringify(single)} → ${results.map((r) => r.outcome)} (model ${expected})`)
            // Copies of one request: the model's answer, or CONFLICT while the first is still at the provider.
            const inFlight = (r: { outcome: Outcome; message?: string }) =>
              r.outcome === MedusaError.Types.CONFLICT && /still in progress/.test(r.message ?? "")
            expect({ history, outcomes: results.map((r) => r.outcome === expected || inFlight(r)) }).toEqual({ history, outcomes: [true, true, true] })
            expect({ history, some: results.some((r) => r.outcome === expected) }).toEqual({ history, some: true })
            if (single.kind === "authorize" && expected === "ok") expect(new Set(results.map((r) => r.value.id)).size).toBe(1)
            previous = single
          } else {
            const single = { ...op, s: target(op.s) } as Exclude<Op, { kind: "retry" | "burst" }>
            const result = await send(single)
            if (result.outcome === "skip") continue
            const expected = model.apply(single, result.value?.id)
            history.push(`${JSON.stringify(single)} → ${result.outcome}${result.message ? ` (${result.message})` : ""} (model ${expected})`)
            expect({ history, outcome: result.outcome }).toEqual({ history, outcome: expected })
            if (single.kind === "authorize" && expected === "ok") expect(result.value.id).toBe(model.payments[single.s])
            previous = single
          }

          // The module holds exactly the model's money.
          for (let s = 0; s < specs.length; s++) {
            const paymentId = model.payments[s]
            const rows = await sql(url(), `SELECT id FROM payment WHERE payment_session_id = $1`, [sessions[s].id])
            expect(rows.map((r) => r.id)).toEqual(paymentId ? [paymentId] : [])
            if (!paymentId) continue
            const money = await paymentMoney(url(), paymentId)
            expect({ history, s, captured: minor(money.captured, exponent), refunded: minor(money.refunded, exponent), canceled: !!money.canceled_at })
              .toEqual({ history, s, captured: model.captured[s], refunded: model.refunded[s], canceled: model.canceled[s] })
            expect([money.unsettled_captures, money.unsettled_refunds]).toEqual([0, 0])
            // Nothing open: what counts against the bounds is what settled, and the rows are the succeeded movements.
            expect([money.captured_total, money.refunded_total, money.settled_captured, money.settled_refunded].map((v) => minor(v, exponent)))
              .toEqual([model.captured[s], model.refunded[s], model.captured[s], model.refunded[s]])
          }
          const [stored] = await sql(
            url(),
            `SELECT status, raw_captured_amount->>'value' AS captured, raw_refunded_amount->>'value' AS refunded FROM payment_collection WHERE id = $1`,
            [collection.id]
          )
          expect(model.statuses()).toContain(stored.status)
          expect([minor(stored.captured, exponent), minor(stored.refunded, exponent)]).toEqual([
            model.captured.reduce((a, b) => a + b, 0),
            model.refunded.reduce((a, b) => a + b, 0),
          ])
        }
        await expectInvariants(url(), service, collection.id)
      }),
      { numRuns: RUNS, ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}) }
    )
  }, 180_000)

  describe("defects the property found, pinned as examples", () => {
    const callsTo = (method: string) => recordedCalls().filter((c) => c.method === method)
    beforeEach(() => resetRecordedCalls())

    async function payment(script: Record<string, string>) {
      const collection = await service.createPaymentCollections({ currency_code: "usd", amount: 10 })
      const session = await service.createPaymentSession(collection.id, { provider_id: SCRIPTED, currency_code: "usd", amount: 10, data: { script } })
      return (await service.authorizePaymentSession(session.id, {}))!
    }

    it("a capture the provider refused, retried with the same key, is tried again — not replayed as a success", async () => {
      const { id } = await payment({ capture: "throw" })
      const capture = () => service.capturePayment({ payment_id: id, amount: 4, idempotency_key: "retry-after-refusal" } as any)
      await expect(capture()).rejects.toMatchObject({ type: MedusaError.Types.UNEXPECTED_STATE })
      await expect(capture()).rejects.toMatchObject({ type: MedusaError.Types.UNEXPECTED_STATE })
      expect(callsTo("capturePayment")).toHaveLength(2)
      expect(await sql(url(), `SELECT count(*)::int AS n FROM capture WHERE payment_id = $1`, [id])).toEqual([{ n: 0 }])
      // Two attempts, both refused: two movements kept as refused history, neither a capture row.
      expect(await sql(url(), `SELECT status FROM payment_movement WHERE payment_id = $1 AND kind = 'capture'`, [id])).toEqual([
        { status: "refused" }, { status: "refused" },
      ])
    })

    it("a refund the provider refused, retried with the same key, is tried again", async () => {
      const { id } = await payment({ refund: "throw" })
      await service.capturePayment({ payment_id: id })
      const refund = () => service.refundPayment({ payment_id: id, amount: 4, idempotency_key: "refund-after-refusal" } as any)
      await expect(refund()).rejects.toMatchObject({ type: MedusaError.Types.UNEXPECTED_STATE })
      await expect(refund()).rejects.toMatchObject({ type: MedusaError.Types.UNEXPECTED_STATE })
      expect(callsTo("refundPayment")).toHaveLength(2)
      expect(await sql(url(), `SELECT count(*)::int AS n FROM refund WHERE payment_id = $1`, [id])).toEqual([{ n: 0 }])
      expect(await sql(url(), `SELECT status FROM payment_movement WHERE payment_id = $1 AND kind = 'refund'`, [id])).toEqual([
        { status: "refused" }, { status: "refused" },
      ])
    })

    it("a cancel the provider refused, retried with the same key, is tried again — the payment is not reported canceled", async () => {
      const { id } = await payment({ cancel: "throw" })
      const cancel = () => service.cancelPayment({ payment_id: id, idempotency_key: "cancel-after-refusal" } as any)
      await expect(cancel()).rejects.toMatchObject({ type: MedusaError.Types.UNEXPECTED_STATE })
      await expect(cancel()).rejects.toMatchObject({ type: MedusaError.Types.UNEXPECTED_STATE })
      expect(callsTo("cancelPayment")).toHaveLength(2)
      expect((await service.retrievePayment(id)).canceled_at).toBeNull()
      expect(await sql(url(), `SELECT status FROM payment_movement WHERE payment_id = $1 AND kind = 'cancel'`, [id])).toEqual([
        { status: "refused" }, { status: "refused" },
      ])
    })

    it("copies of a keyed cancel the provider refuses, sent at once, never report a cancel that did not happen", async () => {
      // Found as a burst of three: the copies that waited for the first one's lock read the payment's movements
      // as of before the wait, missed its cancel in flight, took their key as a replay and answered ok.
      for (let round = 0; round < 5; round++) {
        const { id } = await payment({ cancel: "throw" })
        const cancel = () =>
          service.cancelPayment({ payment_id: id, idempotency_key: `cancel-burst-${round}` } as any).then(
            () => "ok",
            (error) => (error?.type === MedusaError.Types.CONFLICT && /still in progress/.test(error.message) ? "in flight" : error?.type)
          )
        const outcomes = await Promise.all([cancel(), cancel(), cancel()])
        expect({ round, outcomes: outcomes.map((o) => o === MedusaError.Types.UNEXPECTED_STATE || o === "in flight") })
          .toEqual({ round, outcomes: [true, true, true] })
        expect((await service.retrievePayment(id)).canceled_at).toBeNull()
        expect(await sql(url(), `SELECT count(*)::int AS n FROM payment_movement WHERE payment_id = $1 AND kind = 'cancel' AND status <> 'refused'`, [id])).toEqual([{ n: 0 }])
      }
    })
  })
}, defaultModuleOptions, "payment_plus_money_safety_property")
