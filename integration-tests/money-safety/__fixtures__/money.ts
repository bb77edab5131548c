import { IPaymentModuleService } from "@medusajs/framework/types"
import { Client, Pool } from "pg"
import type PaymentModuleService from "../../../src/services/payment-module"

/** The module's own extensions on top of Medusa's interface. */
export type MoneySafeService = IPaymentModuleService &
  Pick<PaymentModuleService, "verifyLedger" | "reconcilePayments">

export const moneySafe = (service: IPaymentModuleService) => service as MoneySafeService

/** A short-lived connection of the test's own, outside the module. */
export async function withClient<T>(clientUrl: string, run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: clientUrl })
  await client.connect()
  try {
    return await run(client)
  } finally {
    await client.end()
  }
}

const pools = new Map<string, Pool>()

/** A query on a small pool per database (tests that check after every step run thousands). */
export async function sql<T = any>(clientUrl: string, text: string, params: unknown[] = []): Promise<T[]> {
  let pool = pools.get(clientUrl)
  if (!pool) {
    pool = new Pool({ connectionString: clientUrl, max: 2 })
    pools.set(clientUrl, pool)
  }
  return (await pool.query(text, params)).rows as T[]
}

/** Closes the pools `sql` opened; call it in afterAll. */
export async function closePools(): Promise<void> {
  await Promise.all([...pools.values()].map((pool) => pool.end()))
  pools.clear()
}

afterAll(closePools)

/**
 * Runs statements in one transaction of their own — e.g. with a trigger
 * disabled for the length of the transaction, which is how someone would
 * write money "around" the module.
 */
export async function inTransaction(clientUrl: string, statements: string[]): Promise<void> {
  await withClient(clientUrl, async (client) => {
    await client.query("BEGIN")
    try {
      for (const statement of statements) await client.query(statement)
      await client.query("COMMIT")
    } catch (error) {
      await client.query("ROLLBACK")
      throw error
    }
  })
}

/** Row counts of every table the module writes, the ledger and the idempotency records included. */
export async function tableCounts(clientUrl: string): Promise<Record<string, number>> {
  const tables = [
    "payment_collection", "payment_session", "payment", "capture", "refund", "refund_reason",
    "account_holder", "payment_provider", "payment_ledger_entry", "idempotency_record", "payment_movement",
    "payment_collection_payment_providers",
  ]
  const [row] = await sql(
    clientUrl,
    `SELECT ${tables.map((t) => `(SELECT count(*) FROM ${t})::int AS ${t}`).join(", ")}`
  )
  return row
}

/** Exact money of one payment as its movements and the capture and refund rows tell it. */
export async function paymentMoney(clientUrl: string, paymentId: string) {
  const movements = (filter: string) =>
    `coalesce((SELECT sum((m.raw_amount->>'value')::numeric) FROM payment_movement m WHERE m.payment_id = p.id AND m.deleted_at IS NULL AND ${filter}), 0)::text`
  const [row] = await sql(
    clientUrl,
    `SELECT p.raw_amount->>'value' AS amount,
            round((p.raw_amount->>'value')::numeric, coalesce(payment_currency_exponent(p.currency_code), 20))::text AS bound,
            ${movements("m.kind = 'capture' AND m.status <> 'refused'")} AS captured_total,
            ${movements("m.kind = 'refund' AND m.status <> 'refused'")} AS refunded_total,
            ${movements("m.kind = 'capture' AND m.status = 'succeeded'")} AS settled_captured,
            ${movements("m.kind = 'refund' AND m.status = 'succeeded'")} AS settled_refunded,
            p.canceled_at, p.captured_at,
            (SELECT count(*)::int FROM payment_movement m WHERE m.payment_id = p.id AND m.deleted_at IS NULL AND m.status = 'unknown') AS unknown_movements,
            coalesce((SELECT sum((c.raw_amount->>'value')::numeric) FROM capture c WHERE c.payment_id = p.id AND c.deleted_at IS NULL), 0)::text AS captured,
            coalesce((SELECT sum((r.raw_amount->>'value')::numeric) FROM refund r WHERE r.payment_id = p.id AND r.deleted_at IS NULL), 0)::text AS refunded,
            (SELECT count(*)::int FROM payment_movement m WHERE m.payment_id = p.id AND m.deleted_at IS NULL AND m.kind = 'capture' AND m.status IN ('pending', 'unknown')) AS unsettled_captures,
            (SELECT count(*)::int FROM payment_movement m WHERE m.payment_id = p.id AND m.deleted_at IS NULL AND m.kind = 'refund' AND m.status IN ('pending', 'unknown')) AS unsettled_refunds
       FROM payment p WHERE p.id = $1`,
    [paymentId]
  )
  return row as {
    amount: string
    /** the authorized amount rounded to the currency: what captures may reach */
    bound: string
    /** captures that are settled or still open: what counts against the bound */
    captured_total: string
    /** refunds that are settled or still open */
    refunded_total: string
    /** succeeded movements only */
    settled_captured: string
    settled_refunded: string
    canceled_at: Date | null
    captured_at: Date | null
    unknown_movements: number
    /** the capture and refund rows Medusa reads (settled money only) */
    captured: string
    refunded: string
    unsettled_captures: number
    unsettled_refunds: number
  }
}

/**
 * The invariants every test of this folder checks after it has done its
 * worst to a collection:
 * - at most one live Payment per session;
 * - for every payment 0 <= refunded (settled and open) <= captured rows, and
 *   captures (settled and open) <= authorized; the capture and refund rows
 *   are exactly the succeeded movements;
 * - the collection's stored totals equal the sums of its parts;
 * - the ledger check finds nothing.
 */
export async function expectInvariants(clientUrl: string, service: MoneySafeService, collectionId: string) {
  const duplicates = await sql(
    clientUrl,
    `SELECT payment_session_id, count(*)::int AS n FROM payment
      WHERE payment_collection_id = $1 AND deleted_at IS NULL GROUP BY payment_session_id HAVING count(*) > 1`,
    [collectionId]
  )
  expect(duplicates).toEqual([])

  const payments = await sql<{ id: string }>(
    clientUrl,
    `SELECT id FROM payment WHERE payment_collection_id = $1 AND deleted_at IS NULL`,
    [collectionId]
  )
  let captured = 0
  let refunded = 0
  for (const { id } of payments) {
    const money = await paymentMoney(clientUrl, id)
    expect(Number(money.refunded)).toBeGreaterThanOrEqual(0)
    expect(Number(money.refunded_total)).toBeLessThanOrEqual(Number(money.captured))
    expect(Number(money.captured_total)).toBeLessThanOrEqual(Number(money.bound))
    expect([money.settled_captured, money.settled_refunded].map(Number)).toEqual([money.captured, money.refunded].map(Number))
    captured += Number(money.captured)
    refunded += Number(money.refunded)
  }

  const [collection] = await sql(
    clientUrl,
    `SELECT raw_captured_amount->>'value' AS captured, raw_refunded_amount->>'value' AS refunded FROM payment_collection WHERE id = $1`,
    [collectionId]
  )
  expect(Number(collection.captured ?? 0)).toBeCloseTo(captured, 8)
  expect(Number(collection.refunded ?? 0)).toBeCloseTo(refunded, 8)

  expect(await service.verifyLedger({ payment_collection_id: collectionId })).toEqual([])
}
