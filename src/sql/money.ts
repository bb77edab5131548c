import { Context } from "@medusajs/framework/types"
import { SqlEntityManager } from "@medusajs/framework/mikro-orm/postgresql"
import { currencyExponent } from "../utils/currency"
import { generateEntityId } from "@medusajs/framework/utils"
import { notFound, unexpectedState } from "../utils/errors"

/**
 * The statements that guard money live here, in SQL, because their
 * correctness depends on what PostgreSQL locks and when it takes a new
 * snapshot — not on what the ORM happens to have cached.
 *
 * Every function must run inside the transaction of the `@InjectTransactionManager`
 * method that calls it: the row locks they take are held until that
 * transaction ends, and never while a provider is being called.
 */

/** How long a money movement waits for a competing one before giving up. */
const LOCK_TIMEOUT = "5s"

export type LockedPayment = {
  id: string
  amount: string
  currency_code: string
  provider_id: string
  data: Record<string, unknown> | null
  payment_collection_id: string
  payment_session_id: string
  captured_at: Date | null
  canceled_at: Date | null
  /** exact sum of live captures (kept by the capture trigger) */
  captured: string
  /** exact sum of live refunds (kept by the refund trigger) */
  refunded: string
  unknown_movement: boolean
  pending_operation: string | null
}

function transactionManager(sharedContext: Context): SqlEntityManager {
  const manager = sharedContext.transactionManager as SqlEntityManager | undefined
  if (!manager?.getTransactionContext?.()) {
    throw unexpectedState(
      "A money movement must run inside a database transaction so that its row locks serialize competing calls."
    )
  }
  return manager
}

/**
 * Runs one statement on the transaction's own connection. Parameters are
 * positional (`?`) or named (`:name`, for statements that repeat a value).
 */
export async function execute<T = Record<string, unknown>>(
  sharedContext: Context,
  sql: string,
  params: unknown[] | Record<string, unknown> = []
): Promise<T[]> {
  const manager = transactionManager(sharedContext)
  // The ORM writes lazily; raw SQL must see what it was asked to write in
  // this transaction (a capture row created a line earlier, for instance).
  await manager.flush()
  const [text, values] = Array.isArray(params) ? [sql, params] : bindNamed(sql, params)
  return (await manager.execute(text, values as any[], "all")) as T[]
}

function bindNamed(sql: string, params: Record<string, unknown>): [string, unknown[]] {
  const values: unknown[] = []
  const text = sql.replace(/(?<!:):([a-z_]+)\b/g, (match, name: string) => {
    if (!(name in params)) return match
    values.push(params[name])
    return "?"
  })
  return [text, values]
}

/**
 * Locks the payment row and returns it with its exact captured and refunded
 * totals. Every capture, refund and cancel of a payment goes through this
 * lock, so their checks and writes cannot interleave, whatever process they
 * run in. The totals live on the locked row itself (triggers keep them), so
 * one statement reads them as of the moment the lock is granted.
 */
export async function lockPayment(
  paymentId: string,
  sharedContext: Context
): Promise<LockedPayment> {
  await execute(sharedContext, `SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`)
  const [row] = await execute<LockedPayment>(
    sharedContext,
    `SELECT id, raw_amount->>'value' AS amount, currency_code, provider_id, data,
            payment_collection_id, payment_session_id, captured_at, canceled_at,
            captured_total::text AS captured, refunded_total::text AS refunded,
            unknown_movements > 0 AS unknown_movement, pending_operation
       FROM payment WHERE id = ? AND deleted_at IS NULL FOR UPDATE`,
    [paymentId]
  )
  if (!row) {
    throw notFound(`Payment with id: ${paymentId} was not found`)
  }
  return row
}

/** Records the ISO 4217 exponent the database's bound check rounds with. */
export async function setPaymentExponent(
  paymentId: string,
  currencyCode: string,
  sharedContext: Context
): Promise<void> {
  await execute(sharedContext, `UPDATE payment SET currency_exponent = ? WHERE id = ?`, [
    currencyExponent(currencyCode),
    paymentId,
  ])
}

export type UnsettledOperation = {
  kind: "capture" | "refund" | "cancel"
  id: string
  payment_id: string
  amount: string | null
  completes: boolean
}

/**
 * Captures and refunds whose outcome is unknown, or pending for longer than
 * a live process would take, and cancels left half-done.
 */
export async function findUnsettledOperations(
  paymentIds: string[] | undefined,
  staleAfterMs: number,
  sharedContext: Context
): Promise<UnsettledOperation[]> {
  // knex expands an array binding into a list, hence IN with one ? per id.
  const list = paymentIds ? paymentIds.map(() => "?").join(", ") : ""
  const scope = paymentIds ? `AND m.payment_id IN (${list})` : ""
  const movement = (kind: "capture" | "refund") => `
    SELECT '${kind}' AS kind, m.id, m.payment_id, m.raw_amount->>'value' AS amount,
           ${kind === "capture" ? `round(p.captured_total, coalesce(p.currency_exponent, 4)) >= round((p.raw_amount->>'value')::numeric, coalesce(p.currency_exponent, 4))` : "false"} AS completes
      FROM ${kind} m JOIN payment p ON p.id = m.payment_id
     WHERE m.deleted_at IS NULL ${scope}
       AND (m.status = 'unknown' OR (m.status = 'pending' AND m.updated_at < now() - (? * interval '1 millisecond')))`
  const cancelScope = paymentIds ? `AND p.id IN (${list})` : ""
  const params: unknown[] = []
  for (let i = 0; i < 3; i++) {
    params.push(...(paymentIds ?? []), staleAfterMs)
  }
  return await execute<UnsettledOperation>(
    sharedContext,
    `${movement("capture")}
     UNION ALL ${movement("refund")}
     UNION ALL
    SELECT 'cancel' AS kind, p.id, p.id AS payment_id, NULL AS amount, false AS completes
      FROM payment p
     WHERE p.pending_operation = 'cancel' AND p.deleted_at IS NULL ${cancelScope}
       AND p.updated_at < now() - (? * interval '1 millisecond')`,
    params
  )
}

export async function claimIdempotencyRecord(
  operation: string,
  key: string,
  fingerprint: string,
  sharedContext: Context
): Promise<{ id: string; fingerprint: string; result_id: string | null; created: boolean }> {
  const [created] = await execute<{ id: string; fingerprint: string; result_id: string | null }>(
    sharedContext,
    `INSERT INTO idempotency_record (id, operation, key, fingerprint)
     VALUES (?, ?, ?, ?)
     ON CONFLICT (operation, key) WHERE deleted_at IS NULL DO NOTHING
     RETURNING id, fingerprint, result_id`,
    [generateEntityId(undefined, "idem"), operation, key, fingerprint]
  )
  if (created) return { ...created, created: true }
  const [existing] = await execute<{ id: string; fingerprint: string; result_id: string | null }>(
    sharedContext,
    `SELECT id, fingerprint, result_id FROM idempotency_record WHERE operation = ? AND key = ? AND deleted_at IS NULL`,
    [operation, key]
  )
  return { ...existing, created: false }
}

export async function bindIdempotencyRecord(
  recordId: string,
  resultId: string,
  sharedContext: Context
): Promise<void> {
  await execute(sharedContext, `UPDATE idempotency_record SET result_id = ?, updated_at = now() WHERE id = ?`, [
    resultId,
    recordId,
  ])
}

/**
 * Locks a session and returns the id of its live Payment, if any. Two
 * processes authorizing the same session meet here: the second waits for
 * the first's transaction and then sees the Payment it created.
 */
export async function lockSessionPayment(
  sessionId: string,
  sharedContext: Context
): Promise<string | undefined> {
  await execute(sharedContext, `SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`)
  const [locked] = await execute(
    sharedContext,
    `SELECT id FROM payment_session WHERE id = ? AND deleted_at IS NULL FOR UPDATE`,
    [sessionId]
  )
  if (!locked) {
    throw notFound(`PaymentSession with id: ${sessionId} was not found`)
  }
  const [payment] = await execute<{ id: string }>(
    sharedContext,
    `SELECT id FROM payment WHERE payment_session_id = ? AND deleted_at IS NULL`,
    [sessionId]
  )
  return payment?.id
}

/**
 * Rewrites a collection's totals and status from its parts. The collection
 * row is locked first so that two recomputations cannot cross and leave the
 * older figures behind; the aggregate then runs in a fresh snapshot.
 *
 * Status rules follow Medusa 2.21 (`not_paid`, `awaiting`, `authorized`,
 * `partially_authorized`, `completed`), plus `partially_captured` when some
 * but not all of the amount is captured; a `canceled` collection stays
 * canceled. Comparisons round to the currency's ISO 4217 precision.
 */
export async function recomputeCollection(
  collectionId: string,
  sharedContext: Context
): Promise<void> {
  const [collection] = await execute<{ currency_code: string }>(
    sharedContext,
    `SELECT currency_code FROM payment_collection WHERE id = ? FOR UPDATE`,
    [collectionId]
  )
  if (!collection) {
    throw notFound(`PaymentCollection with id: ${collectionId} was not found`)
  }
  const exponent = currencyExponent(collection.currency_code)
  await execute(
    sharedContext,
    `WITH parts AS (
       SELECT
         (SELECT count(*) FROM payment_session s
           WHERE s.payment_collection_id = :id AND s.deleted_at IS NULL) AS sessions,
         (SELECT coalesce(sum((s.raw_amount->>'value')::numeric), 0) FROM payment_session s
           WHERE s.payment_collection_id = :id AND s.deleted_at IS NULL
             AND s.status = 'authorized') AS authorized,
         (SELECT coalesce(sum((c.raw_amount->>'value')::numeric), 0)
            FROM capture c JOIN payment p ON p.id = c.payment_id
           WHERE p.payment_collection_id = :id AND c.deleted_at IS NULL AND p.deleted_at IS NULL) AS captured,
         (SELECT coalesce(sum((r.raw_amount->>'value')::numeric), 0)
            FROM refund r JOIN payment p ON p.id = r.payment_id
           WHERE p.payment_collection_id = :id AND r.deleted_at IS NULL AND p.deleted_at IS NULL) AS refunded
     ), judged AS (
       SELECT parts.*,
         CASE
           WHEN pc.status = 'canceled' THEN 'canceled'
           WHEN round(parts.captured, :exp) >= round((pc.raw_amount->>'value')::numeric, :exp) THEN 'completed'
           WHEN parts.captured > 0 THEN 'partially_captured'
           WHEN parts.authorized > 0
            AND round(parts.authorized, :exp) >= round((pc.raw_amount->>'value')::numeric, :exp) THEN 'authorized'
           WHEN parts.authorized > 0 THEN 'partially_authorized'
           WHEN parts.sessions > 0 THEN 'awaiting'
           ELSE 'not_paid'
         END AS status
       FROM parts, payment_collection pc WHERE pc.id = :id
     )
     UPDATE payment_collection pc SET
       authorized_amount = j.authorized,
       raw_authorized_amount = jsonb_build_object('value', j.authorized::text, 'precision', 20),
       captured_amount = j.captured,
       raw_captured_amount = jsonb_build_object('value', j.captured::text, 'precision', 20),
       refunded_amount = j.refunded,
       raw_refunded_amount = jsonb_build_object('value', j.refunded::text, 'precision', 20),
       status = j.status,
       completed_at = CASE WHEN j.status = 'completed' THEN coalesce(pc.completed_at, now()) ELSE pc.completed_at END,
       updated_at = now()
     FROM judged j WHERE pc.id = :id`,
    { id: collectionId, exp: exponent }
  )
}
