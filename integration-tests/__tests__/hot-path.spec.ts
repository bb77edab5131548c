import { MANUAL, paymentModuleSuite, query } from "../__fixtures__/module"
import { newId, ulid } from "../../src/sql/rows"
import { Capture, Payment, PaymentCollection } from "../../src/models"

/**
 * The checkout path (collection → session → authorize → capture → refund)
 * runs on hand-written statements and maps rows to DTOs itself. These tests
 * hold it to what the ORM path answers for the same rows, and show that a
 * settle lost after its asynchronous commit is redone by reconciliation.
 */

/**
 * The hot path's DTO must carry every field the ORM's DTO has, with the same
 * value. Relations are compared by the contract test instead: answers load
 * the ones Medusa's answers load (integration-tests/contract).
 */
function expectSameAsOrm(hot: Record<string, unknown>, orm: Record<string, unknown>, relations: string[] = []) {
  const keys = Object.keys(orm).filter((key) => !relations.includes(key))
  const shared = Object.fromEntries(keys.map((key) => [key, hot[key]]))
  expect(shared).toEqual(Object.fromEntries(keys.map((key) => [key, orm[key]])))
}

const PAYMENT_RELATIONS = ["payment_collection", "payment_session"]

paymentModuleSuite(({ service, MikroOrmWrapper }) => {
  it("answers with the DTOs the ORM gives for the same rows", async () => {
    const collection = await service.createPaymentCollections({ currency_code: "eur", amount: "120.50", metadata: { cart: "c1" } })
    expectSameAsOrm(collection as any, (await service.retrievePaymentCollection(collection.id)) as any)
    expect(collection).toMatchObject({ amount: 120.5, raw_amount: { value: "120.5", precision: 20 }, status: "not_paid", payments: [] })
    expect(collection.created_at).toBeInstanceOf(Date)

    const session = await service.createPaymentSession(collection.id, {
      provider_id: MANUAL, currency_code: "eur", amount: "120.50", data: { a: 1 }, context: { customer: { id: "cus_1" } } as any,
    })
    expectSameAsOrm(session as any, (await service.retrievePaymentSession(session.id)) as any)

    const payment = (await service.authorizePaymentSession(session.id, {}))!
    const stored = await service.retrievePayment(payment.id)
    expectSameAsOrm(payment as any, stored as any, PAYMENT_RELATIONS)
    expectSameAsOrm((payment as any).payment_session, (await service.retrievePaymentSession(session.id)) as any, ["payment_collection", "payment"])
    expect(payment).toMatchObject({ payment_session_id: session.id, payment_collection_id: collection.id, amount: 120.5 })

    const captured = await service.capturePayment({ payment_id: payment.id, amount: "20.50" })
    const [capture] = await service.listCaptures({ payment_id: payment.id })
    expect(captured.captures).toHaveLength(1)
    expectSameAsOrm(captured.captures![0] as any, capture as any, ["payment"])
    expectSameAsOrm(captured as any, (await service.retrievePayment(payment.id)) as any, PAYMENT_RELATIONS)

    const refunded = await service.refundPayment({ payment_id: payment.id, amount: 10, note: "damaged" })
    const [refund] = await service.listRefunds({ payment_id: payment.id })
    expectSameAsOrm(refunded.refunds![0] as any, refund as any, ["payment"])
    expect(refunded.refunds![0]).toMatchObject({ amount: 10, note: "damaged" })
    expect(refunded.refunds![0]).not.toHaveProperty("status")
  })

  /** What a process that died after reserving leaves behind: a pending movement, aged past the stale threshold. */
  async function reserveAndDie(paymentId: string, movementId: string, amount: number) {
    const [reserved] = await query(
      MikroOrmWrapper,
      `SELECT verdict FROM payment_reserve_movement('capture', ?, ?, ?, 'pending', null, null, null, null, null, 60000, '5s')`,
      [paymentId, movementId, amount]
    )
    expect(reserved.verdict).toBe("created")
    await query(MikroOrmWrapper, `UPDATE payment_movement SET updated_at = now() - interval '10 minutes' WHERE id = ?`, [movementId])
  }

  it("redoes a settle whose commit was lost: the movement is found pending and reconciliation confirms it once", async () => {
    const collection = await service.createPaymentCollections({ currency_code: "usd", amount: 40 })
    const session = await service.createPaymentSession(collection.id, { provider_id: MANUAL, currency_code: "usd", amount: 40, data: {} })
    const payment = (await service.authorizePaymentSession(session.id, {}))!
    // What a crash right after the settle's asynchronous commit can leave:
    // the reservation (synchronous) without the settle.
    await reserveAndDie(payment.id, "capt_lost_settle", 40)
    // Medusa reads settled money only: nothing is captured yet where it looks.
    expect(await service.listCaptures({ payment_id: payment.id })).toEqual([])
    expect(await service.retrievePaymentCollection(collection.id)).toMatchObject({ captured_amount: 0, status: "authorized" })

    // Reconciliation settles it with the same idempotency key.
    expect(await (service as any).reconcilePayments({ payment_id: payment.id })).toEqual({
      settled: ["capt_lost_settle"], reversed: [], still_unknown: [], provider_cannot_find: [],
    })
    const [row] = await query(
      MikroOrmWrapper,
      `SELECT m.status, (SELECT c.amount::text FROM capture c WHERE c.id = m.id) AS captured FROM payment_movement m WHERE m.id = ?`,
      ["capt_lost_settle"]
    )
    expect(row).toEqual({ status: "succeeded", captured: "40" })
    expect((await service.retrievePayment(payment.id)).captured_at).toBeInstanceOf(Date)
    expect(await service.retrievePaymentCollection(collection.id)).toMatchObject({ captured_amount: 40, status: "completed" })
    expect(await (service as any).verifyLedger({ payment_collection_id: collection.id })).toEqual([])
  })

  it("records a capture the provider already made (is_captured) as succeeded, without a pending step", async () => {
    const collection = await service.createPaymentCollections({ currency_code: "jpy", amount: 1200 })
    const session = await service.createPaymentSession(collection.id, { provider_id: MANUAL, currency_code: "jpy", amount: 1200, data: {} })
    const payment = (await service.authorizePaymentSession(session.id, {}))!
    const partial = await service.capturePayment({ payment_id: payment.id, amount: 200, is_captured: true, captured_by: "user_1" } as any)
    expect(partial.captures).toEqual([expect.objectContaining({ amount: 200, created_by: "user_1" })])
    expect(partial.captured_at).toBeNull()
    const rest = await service.capturePayment({ payment_id: payment.id, amount: 1000, is_captured: true } as any)
    expect(rest.captures).toEqual([expect.objectContaining({ amount: 1000 })])
    expect(rest.captured_at).toBeInstanceOf(Date)
    const movements = await query(MikroOrmWrapper, `SELECT status, amount::text FROM payment_movement WHERE payment_id = ? ORDER BY amount::numeric`, [payment.id])
    expect(movements).toEqual([{ status: "succeeded", amount: "200" }, { status: "succeeded", amount: "1000" }])
    const ledger = await query(MikroOrmWrapper, `SELECT event FROM payment_ledger_entry WHERE subject = 'capture' AND payment_id = ? ORDER BY event`, [payment.id])
    expect(ledger.map((e) => e.event)).toEqual(["recorded", "recorded"])
    expect((await service.retrievePaymentCollection(collection.id)).status).toBe("completed")
  })

  it("with a caller's key, checks the payment before the key, and keeps a key used by a no-op", async () => {
    const collection = await service.createPaymentCollections({ currency_code: "usd", amount: 20 })
    const first = await service.createPaymentSession(collection.id, { provider_id: MANUAL, currency_code: "usd", amount: 10, data: {} })
    const second = await service.createPaymentSession(collection.id, { provider_id: MANUAL, currency_code: "usd", amount: 10, data: {} })
    const captured = (await service.authorizePaymentSession(first.id, {}))!
    const canceled = (await service.authorizePaymentSession(second.id, {}))!
    await service.cancelPayment(canceled.id)

    await service.capturePayment({ payment_id: captured.id, idempotency_key: "k1" } as any)
    // the same key for another payment: the canceled payment answers first, as before the hot path
    await expect(service.capturePayment({ payment_id: canceled.id, idempotency_key: "k1" } as any)).rejects.toMatchObject({
      type: "invalid_data", message: `The payment: ${canceled.id} has been canceled.`,
    })
    await expect(service.capturePayment({ payment_id: "pay_missing", idempotency_key: "k1" } as any)).rejects.toMatchObject({
      type: "not_found",
    })

    // a no-op under a new key still claims it: the same key for another request is then a CONFLICT
    const noop = await service.capturePayment({ payment_id: captured.id, amount: 1, idempotency_key: "k2" } as any)
    expect(noop.captures).toEqual([])
    await expect(service.capturePayment({ payment_id: captured.id, idempotency_key: "k2" } as any)).rejects.toMatchObject({
      type: "conflict",
    })
  })

  it("finds a stale pending movement before reserving the next, and settles it first", async () => {
    const collection = await service.createPaymentCollections({ currency_code: "usd", amount: 30 })
    const session = await service.createPaymentSession(collection.id, { provider_id: MANUAL, currency_code: "usd", amount: 30, data: {} })
    const payment = (await service.authorizePaymentSession(session.id, {}))!
    await reserveAndDie(payment.id, "capt_stale", 10)

    // The next capture reconciles the stale one first, then moves its own money.
    const second = await service.capturePayment({ payment_id: payment.id, amount: 20 })
    expect(second.captures).toHaveLength(1)
    const rows = await query(MikroOrmWrapper, `SELECT id, amount::text FROM capture WHERE payment_id = ? ORDER BY amount`, [payment.id])
    expect(rows).toEqual([{ id: "capt_stale", amount: "10" }, { id: second.captures![0].id, amount: "20" }])
    const open = await query(MikroOrmWrapper, `SELECT id FROM payment_movement WHERE payment_id = ? AND status <> 'succeeded'`, [payment.id])
    expect(open).toEqual([])
    expect(await service.retrievePaymentCollection(collection.id)).toMatchObject({ captured_amount: 30, status: "completed" })
  })
})

describe("ids of the hot path", () => {
  it("carry each model's prefix and a ULID that sorts by time and does not repeat", () => {
    expect(newId(PaymentCollection)).toMatch(/^pay_col_[0-9A-HJKMNP-TV-Z]{26}$/)
    expect(newId(Payment)).toMatch(/^pay_[0-9A-HJKMNP-TV-Z]{26}$/)
    expect(newId(Capture)).toMatch(/^capt_[0-9A-HJKMNP-TV-Z]{26}$/)
    const ids = Array.from({ length: 50000 }, () => ulid())
    expect(new Set(ids).size).toBe(ids.length)
    const times = [0, 1, 31, 32, 1_700_000_000_000, 2 ** 48 - 1]
    const encoded = times.map((t) => ulid(t).slice(0, 10))
    expect([...encoded].sort()).toEqual(encoded)
    expect(ulid(2 ** 48 - 1).slice(0, 10)).toBe("7ZZZZZZZZZ")
  })
})
