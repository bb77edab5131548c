import { Context } from "@medusajs/framework/types"
import { currencyExponent } from "../utils/currency"
import { IdempotencyRecord } from "../models"
import { newId } from "./rows"
import { notFound } from "../utils/errors"
import { execute } from "./runner"

/**
 * The statements that guard money live here, in SQL, because their
 * correctness depends on what PostgreSQL locks and when it takes a new
 * snapshot — not on what the ORM happens to have cached.
 *
 * Every function must run inside the transaction of the `@InjectTransactionManager`
 * method that calls it (`execute` refuses otherwise): the row locks they take
 * are held until that transaction ends, and never while a provider is being
 * called.
 */

/** How long a money movement waits for a competing one before giving up. */
export const LOCK_TIMEOUT = "5s"

/**
 * How long after its provider call must have ended (`provider_timeout_ms`) a
 * pending movement's process is presumed dead and its outcome unknown. Never
 * less than the timeout: a call still in flight must not be repeated beside it.
 */
export const STALE_PENDING_MS = 60_000

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
  /** exact sum of its capture movements that are not refused (settled or still open) */
  captured: string
  /** exact sum of its refund movements that are not refused */
  refunded: string
  unknown_movement: boolean
  /** the cancel movement still waiting for the provider, if any */
  open_cancel_id: string | null
  deleted_at: Date | null
}

/**
 * Locks the payment row and returns it with its exact captured and refunded
 * totals. Every capture, refund and cancel of a payment goes through this
 * lock, so their checks and writes cannot interleave, whatever process they
 * run in. The totals are read from its movements in the same statement, as
 * of the moment the lock is granted.
 */
export async function lockPayment(
  paymentId: string,
  sharedContext: Context
): Promise<LockedPayment> {
  await execute(sharedContext, `SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`)
  // The lock first, in a statement of its own: the next one's snapshot is then taken after any competing
  // writer committed (a sub-select in the locking statement would read movements as of before the wait).
  await execute(sharedContext, `SELECT 1 FROM payment WHERE id = ? FOR UPDATE`, [paymentId])
  const movements = (filter: string) =>
    `(SELECT coalesce(sum(m.amount), 0) FROM payment_movement m WHERE m.payment_id = p.id AND m.deleted_at IS NULL AND ${filter})`
  const [row] = await execute<LockedPayment>(
    sharedContext,
    `SELECT p.id, p.raw_amount->>'value' AS amount, p.currency_code, p.provider_id, p.data,
            p.payment_collection_id, p.payment_session_id, p.captured_at, p.canceled_at, p.deleted_at,
            ${movements("m.kind = 'capture' AND m.status <> 'refused'")}::text AS captured,
            ${movements("m.kind = 'refund' AND m.status <> 'refused'")}::text AS refunded,
            EXISTS (SELECT 1 FROM payment_movement m WHERE m.payment_id = p.id AND m.deleted_at IS NULL
                       AND m.status = 'unknown') AS unknown_movement,
            (SELECT m.id FROM payment_movement m WHERE m.payment_id = p.id AND m.deleted_at IS NULL
                AND m.kind = 'cancel' AND m.status IN ('pending', 'unknown') LIMIT 1) AS open_cancel_id
       FROM payment p WHERE p.id = ? FOR UPDATE OF p`,
    [paymentId]
  )
  // deleted_at is checked here, not in the WHERE: see the note on primary-key lookups in hot-path.ts
  if (!row || row.deleted_at) {
    throw notFound(`Payment with id: ${paymentId} was not found`)
  }
  return row
}

export type UnsettledOperation = {
  kind: "capture" | "refund" | "cancel"
  id: string
  payment_id: string
  amount: string | null
  status: "pending" | "unknown"
  updated_at: Date
}

/**
 * Movements whose outcome is unknown, or pending for longer than a live
 * process would take (cancels included).
 */
export async function findUnsettledOperations(
  paymentIds: string[] | undefined,
  staleAfterMs: number,
  sharedContext: Context
): Promise<UnsettledOperation[]> {
  // knex expands an array binding into a list, hence IN with one ? per id.
  const scope = paymentIds ? `AND m.payment_id IN (${paymentIds.map(() => "?").join(", ")})` : ""
  return await execute<UnsettledOperation>(
    sharedContext,
    `SELECT m.kind, m.id, m.payment_id, CASE WHEN m.kind = 'cancel' THEN NULL ELSE m.raw_amount->>'value' END AS amount,
            m.status, m.updated_at
       FROM payment_movement m
      WHERE m.deleted_at IS NULL ${scope}
        AND (m.status = 'unknown' OR (m.status = 'pending' AND m.updated_at < now() - (? * interval '1 millisecond')))
      ORDER BY m.created_at, m.id`,
    [...(paymentIds ?? []), staleAfterMs]
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
    [newId(IdempotencyRecord), operation, key, fingerprint]
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
 * Frees the caller's keys bound to an operation that did not happen (the
 * provider refused it): a retry with the same key is then a new attempt —
 * instead of a replay reporting success for a capture that was never made.
 */
export async function releaseIdempotencyRecords(
  operation: string,
  resultId: string,
  sharedContext: Context
): Promise<void> {
  await execute(
    sharedContext,
    `UPDATE idempotency_record SET deleted_at = now(), updated_at = now()
      WHERE operation = ? AND result_id = ? AND deleted_at IS NULL`,
    [operation, resultId]
  )
}

/** Where a movement stands (`undefined` when there is none). */
export async function movementStatus(id: string, sharedContext: Context): Promise<string | undefined> {
  const [row] = await execute<{ status: string }>(
    sharedContext,
    `SELECT status FROM payment_movement WHERE id = ? AND deleted_at IS NULL`,
    [id]
  )
  return row?.status
}

/**
 * Moves an open movement (pending or unknown) to the outcome its provider
 * gave — `unknown` (the answer was lost: it stays counted, for
 * reconciliation, with `reason` kept for the operator), `refused` or
 * `succeeded` — under its payment's lock, taken first as every money path
 * takes it (payment, then movement). True only when this call moved it: a
 * movement another call settled meanwhile keeps its outcome. The triggers
 * refuse any other transition and keep the books.
 */
export async function settleOpenMovement(
  id: string,
  outcome: "unknown" | "refused" | "succeeded",
  sharedContext: Context,
  reason: string | null = null
): Promise<boolean> {
  await lockPaymentOfMovement(id, sharedContext)
  const rows = await execute<{ moved: boolean }>(
    sharedContext,
    `UPDATE payment_movement m
        SET status = :outcome, updated_at = now(),
            settled_at = CASE WHEN :outcome = 'succeeded' THEN now() ELSE m.settled_at END,
            unknown_reason = CASE WHEN :outcome = 'unknown' THEN coalesce(:reason, m.unknown_reason) ELSE m.unknown_reason END
       FROM payment_movement prior
      WHERE m.id = :id AND prior.id = m.id AND m.status IN ('pending', 'unknown')
        AND (m.status <> :outcome OR :outcome = 'unknown')
      RETURNING prior.status <> m.status AS moved`,
    { id, outcome, reason }
  )
  return rows.length > 0 && rows[0].moved
}

async function lockPaymentOfMovement(movementId: string, sharedContext: Context): Promise<void> {
  await execute(
    sharedContext,
    `SELECT 1 FROM payment p WHERE p.id = (SELECT m.payment_id FROM payment_movement m WHERE m.id = ?) FOR NO KEY UPDATE`,
    [movementId]
  )
}

/**
 * The status a collection's parts give it — one rule for the recomputation
 * that writes it and the ledger check that verifies it. Arguments are SQL
 * expressions.
 */
function collectionStatusSql(e: {
  status: string
  amount: string
  captured: string
  authorized: string
  sessions: string
  exponent: string
}): string {
  // The rule itself is the SQL function the collection triggers use
  // (Migration20261121150000), so the triggers, this recomputation and the
  // ledger check cannot disagree.
  return `payment_collection_status((${e.status})::text, (${e.amount})::numeric, (${e.authorized})::numeric,
           (${e.captured})::numeric, (${e.sessions})::integer, (${e.exponent})::smallint)`
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
    // Medusa's words for completing a collection that does not exist.
    throw notFound(`PaymentCollection with id "${collectionId}" not found`)
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
         ${collectionStatusSql({
           status: "pc.status",
           amount: "(pc.raw_amount->>'value')::numeric",
           captured: "parts.captured",
           authorized: "parts.authorized",
           sessions: "parts.sessions",
           exponent: ":exp",
         })} AS status
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

/** One payment's or collection's money as three sources tell it. */
export type LedgerFigures = {
  subject: "payment" | "payment_collection"
  id: string
  payment_collection_id: string
  currency_code: string
  /** the ISO 4217 exponent totals are rounded to (null: a currency the table does not know) */
  exponent: number | null
  amount: string
  /** collections: the stored status, and the one their parts call for (the recomputation's rule) */
  status: string | null
  expected_status: string | null
  /** payments: what their succeeded movements add up to; collections: their stored totals */
  stored_captured: string
  stored_refunded: string
  stored_authorized: string
  /** payments: captures and refunds still waiting for their outcome (they count against the bounds) */
  open_captured: string | null
  open_refunded: string | null
  /** what the capture, refund (and, for collections, authorized session) rows add up to */
  parts_captured: string
  parts_refunded: string
  parts_authorized: string | null
  /** payments: movements whose status is not the one the ledger last recorded for them (null: none) */
  movement_mismatches: string | null
  /** payments: movements the ledger last recorded as open or settled that no longer exist (null: none) */
  missing_movements: string | null
  /** what the append-only ledger adds up to */
  ledger_captured: string
  ledger_refunded: string
  ledger_authorized: string | null
}

/**
 * Every figure the ledger check compares, for the live collections given
 * (all when none are) and their live payments, read by ONE statement so
 * that all of them come from the same snapshot: a check that runs while
 * money moves compares figures of one instant, never a total from before a
 * capture with a sum from after it.
 *
 * `exponents` maps the collections' currency codes to their ISO 4217
 * exponents (the table lives in TypeScript, not in the database).
 */
export async function ledgerFigures(
  collectionIds: string[] | undefined,
  exponents: Record<string, number>,
  sharedContext: Context
): Promise<LedgerFigures[]> {
  const total = (expression: string, from: string) => `coalesce((SELECT sum(${expression}) FROM ${from}), 0)`
  const movement = (kind: string, status: string) =>
    `payment_movement m WHERE m.deleted_at IS NULL AND m.payment_id = p.id AND m.kind = '${kind}' AND m.status ${status}`
  const value = (column: string) => `(${column}->>'value')::numeric`
  const ids = collectionIds ? JSON.stringify(collectionIds) : null
  return await execute<LedgerFigures>(
    sharedContext,
    `WITH scope AS (
       SELECT pc.*, e.exp
         FROM payment_collection pc
         LEFT JOIN (SELECT key AS code, value::int AS exp FROM jsonb_each_text(?::jsonb)) e ON e.code = pc.currency_code
        WHERE pc.deleted_at IS NULL
          AND (?::jsonb IS NULL OR pc.id IN (SELECT jsonb_array_elements_text(?::jsonb)))
     )
     SELECT 'payment' AS subject, p.id, p.payment_collection_id, p.currency_code, s.exp AS exponent,
            p.raw_amount->>'value' AS amount, NULL AS status, NULL AS expected_status,
            ${total(value("m.raw_amount"), movement("capture", "= 'succeeded'"))}::text AS stored_captured,
            ${total(value("m.raw_amount"), movement("refund", "= 'succeeded'"))}::text AS stored_refunded,
            CASE WHEN p.canceled_at IS NULL THEN p.raw_amount->>'value' ELSE '0' END AS stored_authorized,
            ${total(value("m.raw_amount"), movement("capture", "IN ('pending', 'unknown')"))}::text AS open_captured,
            ${total(value("m.raw_amount"), movement("refund", "IN ('pending', 'unknown')"))}::text AS open_refunded,
            ${total(value("c.raw_amount"), "capture c WHERE c.deleted_at IS NULL AND c.payment_id = p.id")}::text AS parts_captured,
            ${total(value("r.raw_amount"), "refund r WHERE r.deleted_at IS NULL AND r.payment_id = p.id")}::text AS parts_refunded,
            NULL AS parts_authorized,
            -- each movement's status as the ledger last recorded it; and movements the ledger has open that no longer exist
            (SELECT string_agg(m.id || ' is ' || m.status || ', the ledger says ' || coalesce(l.to_status, 'nothing'), '; ' ORDER BY m.id)
               FROM payment_movement m
               LEFT JOIN LATERAL (SELECT e.to_status FROM payment_ledger_entry e
                                   WHERE e.payment_collection_id = p.payment_collection_id AND e.payment_id = p.id
                                     AND e.subject_id = m.id AND e.to_status IS NOT NULL
                                   ORDER BY e.id DESC LIMIT 1) l ON true
              WHERE m.payment_id = p.id AND m.deleted_at IS NULL AND l.to_status IS DISTINCT FROM m.status) AS movement_mismatches,
            (SELECT string_agg(e.subject_id || ' (' || e.to_status || ')', '; ' ORDER BY e.subject_id)
               FROM (SELECT DISTINCT ON (x.subject_id) x.subject_id, x.to_status
                       FROM payment_ledger_entry x
                      WHERE x.payment_collection_id = p.payment_collection_id AND x.payment_id = p.id
                        AND x.subject IN ('capture', 'refund', 'cancellation') AND x.subject_id <> p.id
                      ORDER BY x.subject_id, x.id DESC) e
              WHERE e.to_status IN ('pending', 'unknown', 'succeeded')
                AND NOT EXISTS (SELECT 1 FROM payment_movement m WHERE m.id = e.subject_id AND m.deleted_at IS NULL)) AS missing_movements,
            ${total(value("l.raw_captured_delta"), "payment_ledger_entry l WHERE l.payment_collection_id = p.payment_collection_id AND l.payment_id = p.id")}::text AS ledger_captured,
            ${total(value("l.raw_refunded_delta"), "payment_ledger_entry l WHERE l.payment_collection_id = p.payment_collection_id AND l.payment_id = p.id")}::text AS ledger_refunded,
            ${total(value("l.raw_authorized_delta"), "payment_ledger_entry l WHERE l.payment_collection_id = p.payment_collection_id AND l.payment_id = p.id")}::text AS ledger_authorized
       FROM payment p JOIN scope s ON s.id = p.payment_collection_id
      WHERE p.deleted_at IS NULL
     UNION ALL
     SELECT 'payment_collection', s.id, s.id, s.currency_code, s.exp,
            s.raw_amount->>'value', s.status::text,
            ${collectionStatusSql({
              status: "s.status",
              amount: value("s.raw_amount"),
              captured: "parts.captured",
              authorized: "parts.authorized",
              sessions: "parts.sessions",
              // a currency the table does not know is compared unrounded
              exponent: "coalesce(s.exp, 20)",
            })},
            coalesce(s.raw_captured_amount->>'value', '0'),
            coalesce(s.raw_refunded_amount->>'value', '0'),
            coalesce(s.raw_authorized_amount->>'value', '0'),
            NULL, NULL,
            parts.captured::text, parts.refunded::text, parts.authorized::text, NULL, NULL,
            ${total(value("l.raw_captured_delta"), "payment_ledger_entry l WHERE l.payment_collection_id = s.id")}::text,
            ${total(value("l.raw_refunded_delta"), "payment_ledger_entry l WHERE l.payment_collection_id = s.id")}::text,
            NULL
       FROM scope s CROSS JOIN LATERAL (
         SELECT
           ${total(value("c.raw_amount"), "capture c JOIN payment p ON p.id = c.payment_id WHERE c.deleted_at IS NULL AND p.deleted_at IS NULL AND p.payment_collection_id = s.id")} AS captured,
           ${total(value("r.raw_amount"), "refund r JOIN payment p ON p.id = r.payment_id WHERE r.deleted_at IS NULL AND p.deleted_at IS NULL AND p.payment_collection_id = s.id")} AS refunded,
           (${total(value("ps.raw_amount"), "payment_session ps WHERE ps.deleted_at IS NULL AND ps.payment_collection_id = s.id AND ps.status = 'authorized'")}
            -- a payment whose session @medusajs/payment deleted (a store upgraded from it) still holds its authorization
            + ${total(value("op.raw_amount"), "payment op WHERE op.payment_collection_id = s.id AND op.deleted_at IS NULL AND op.canceled_at IS NULL AND NOT EXISTS (SELECT 1 FROM payment_session os WHERE os.id = op.payment_session_id)")}) AS authorized,
           (SELECT count(*) FROM payment_session ps WHERE ps.deleted_at IS NULL AND ps.payment_collection_id = s.id) AS sessions
       ) parts
      ORDER BY 3, 1, 2`,
    [JSON.stringify(exponents), ids, ids]
  )
}

/**
 * Records a refund the provider made without this module (its dashboard, or a
 * lost dispute), as a succeeded refund movement: the books trigger then writes Medusa's refund
 * row, the collection's total and the ledger entry, after checking the bounds.
 * Its id is derived from the provider's id of it, so recording it again —
 * the same webhook twice, or a later one listing it — writes nothing.
 * Answers whether it was written now. Runs under the payment's lock.
 */
export async function recordRefundMadeAtProvider(
  input: { id: string; payment_id: string; amount: string; note: string; metadata: Record<string, unknown> },
  sharedContext: Context
): Promise<boolean> {
  const rows = await execute(
    sharedContext,
    `INSERT INTO payment_movement (id, kind, payment_id, amount, raw_amount, status, created_by, note, metadata, settled_at)
     VALUES (:id, 'refund', :payment_id, :amount::numeric, payment_raw(:amount::numeric), 'succeeded', 'provider', :note, :metadata::jsonb, now())
     ON CONFLICT (id) DO NOTHING
     RETURNING id`,
    { ...input, metadata: JSON.stringify(input.metadata) }
  )
  return rows.length > 0
}

/**
 * What is left of payment `p`'s authorization to capture, as the books bound
 * it (payment_movement_books.sql): the amount as money can hold it — a taxed
 * 10.814175 USD is 10.81 at the provider — less every capture and release
 * not refused, pending and unknown ones included, since they may have moved.
 */
const LEFT_TO_CAPTURE = `trim_scale(round((p.raw_amount->>'value')::numeric, coalesce(payment_currency_exponent(p.currency_code), 20))
       - coalesce((SELECT sum(m.amount) FROM payment_movement m
                    WHERE m.payment_id = p.id AND m.deleted_at IS NULL
                      AND m.kind IN ('capture', 'release') AND m.status <> 'refused'), 0))`

/**
 * What each payment has left to capture (LEFT_TO_CAPTURE), nothing once it
 * is canceled or captured as far as it goes (`captured_at`).
 */
export async function capturableAmounts(
  paymentIds: string[],
  sharedContext: Context
): Promise<{ payment_id: string; amount: string; currency_code: string }[]> {
  if (!paymentIds.length) return []
  return await execute(
    sharedContext,
    `SELECT p.id AS payment_id, p.currency_code,
            CASE WHEN p.canceled_at IS NOT NULL OR p.captured_at IS NOT NULL THEN 0
                 ELSE greatest(${LEFT_TO_CAPTURE}, 0) END::text AS amount
       FROM payment p
      WHERE p.id IN (SELECT jsonb_array_elements_text(?::jsonb)) AND p.deleted_at IS NULL`,
    [JSON.stringify(paymentIds)]
  )
}

/**
 * Records that the provider released what was left of the payment's
 * authorization after a capture (a `release` movement, succeeded as it
 * happened: the books trigger writes its ledger entry) and marks the payment
 * as captured as far as it will go (`captured_at`), so nothing more is
 * offered for capture. Nothing when the payment is already complete or
 * canceled, or nothing is left. Answers the movement written, if any.
 */
export async function recordReleasedRemainder(
  paymentId: string,
  movementId: string,
  sharedContext: Context
): Promise<{ id: string; amount: string } | undefined> {
  const payment = await lockPayment(paymentId, sharedContext)
  if (payment.captured_at || payment.canceled_at || payment.open_cancel_id) return undefined
  const [row] = await execute<{ id: string; amount: string }>(
    sharedContext,
    // What is left of the authorization as money can hold it: a taxed 10.814175 USD is
    // 10.81 at the provider, and the books bound captures plus releases by that.
    `WITH left_over AS (SELECT ${LEFT_TO_CAPTURE} AS amount FROM payment p WHERE p.id = :payment_id)
     INSERT INTO payment_movement (id, kind, payment_id, amount, raw_amount, status, created_by, note, settled_at)
     SELECT :id, 'release', :payment_id, amount, payment_raw(amount), 'succeeded', 'provider',
            'Released by the provider after a partial capture', now()
       FROM left_over WHERE amount > 0
     RETURNING id, amount::text`,
    { id: movementId, payment_id: paymentId }
  )
  if (!row) return undefined
  await execute(sharedContext, `UPDATE payment SET captured_at = now(), updated_at = now() WHERE id = ? AND captured_at IS NULL`, [paymentId])
  return row
}

/**
 * Records where a dispute of the payment stands, when that changed: on the
 * payment (`metadata.disputes[<id>]`: status, amount, reason) and as a
 * ledger entry (subject `dispute`, from the previous status to this one).
 * Runs under the payment's lock. Answers the previous status (null for a
 * new dispute), or undefined when nothing changed.
 */
export async function recordDisputeStatus(
  payment: LockedPayment & { metadata?: Record<string, any> | null },
  dispute: { id: string; amount: string; status: string; reason?: string },
  sharedContext: Context
): Promise<{ previous: string | null } | undefined> {
  const [row] = await execute<{ previous: string | null; changed: boolean }>(
    sharedContext,
    `WITH before AS (
       SELECT metadata->'disputes'->:id->>'status' AS previous FROM payment WHERE id = :payment_id
     ), updated AS (
       UPDATE payment p
          SET metadata = coalesce(p.metadata, '{}'::jsonb) || jsonb_build_object('disputes',
                coalesce(p.metadata->'disputes', '{}'::jsonb) || jsonb_build_object(:id,
                  jsonb_build_object('status', :status, 'amount', :amount, 'reason', :reason))),
              updated_at = now()
        WHERE p.id = :payment_id AND (SELECT previous FROM before) IS DISTINCT FROM :status
       RETURNING p.id
     )
     SELECT (SELECT previous FROM before) AS previous, EXISTS (SELECT 1 FROM updated) AS changed`,
    { id: dispute.id, payment_id: payment.id, status: dispute.status, amount: dispute.amount, reason: dispute.reason ?? null }
  )
  if (!row.changed) return undefined
  await execute(
    sharedContext,
    `SELECT payment_ledger_append('dispute', ?, ?, ?, ?, ?, ?, ?::numeric, null, null, null, ?, ?, null, ?)`,
    [
      dispute.status,
      dispute.id,
      payment.id,
      payment.payment_collection_id,
      payment.provider_id,
      payment.currency_code,
      dispute.amount,
      row.previous,
      dispute.status,
      dispute.id,
    ]
  )
  return { previous: row.previous }
}

/** The payment's refund movements that are not refused, apart from lost disputes (not refunds at the provider). */
export async function refundMovements(
  paymentId: string,
  sharedContext: Context
): Promise<{ id: string; amount: string; status: string }[]> {
  return await execute(
    sharedContext,
    `SELECT id, amount::text, status FROM payment_movement
      WHERE payment_id = ? AND kind = 'refund' AND status <> 'refused' AND deleted_at IS NULL
        AND metadata->>'provider_dispute_id' IS NULL`,
    [paymentId]
  )
}

export type TimelineRow = {
  id: string
  created_at: Date
  payment_id: string
  subject: string
  subject_id: string
  event: string
  amount: string | null
  currency_code: string | null
  from_status: string | null
  to_status: string | null
  created_by: string | null
  note: string | null
  movement_status: string | null
  movement_created_at: Date | null
  movement_updated_at: Date | null
  movement_amount: string | null
  unknown_reason: string | null
}

/**
 * The ledger entries about money of these payments — authorizations,
 * captures, refunds, releases, cancels, disputes — in the order they were
 * written, with the movement each is about (who asked for it, where it
 * stands now). Collection ids let the ledger's index serve the read.
 */
export async function paymentTimelineRows(
  payments: { id: string; payment_collection_id: string }[],
  sharedContext: Context
): Promise<TimelineRow[]> {
  if (!payments.length) return []
  return await execute<TimelineRow>(
    sharedContext,
    `SELECT e.id, e.created_at, e.payment_id, e.subject, e.subject_id, e.event, e.raw_amount->>'value' AS amount,
            e.currency_code, e.from_status, e.to_status, m.created_by, m.note,
            m.status AS movement_status, m.created_at AS movement_created_at, m.updated_at AS movement_updated_at,
            m.raw_amount->>'value' AS movement_amount, m.unknown_reason
       FROM payment_ledger_entry e
       LEFT JOIN payment_movement m ON m.id = e.subject_id AND m.payment_id = e.payment_id
      WHERE e.payment_collection_id IN (SELECT jsonb_array_elements_text(?::jsonb))
        AND e.payment_id IN (SELECT jsonb_array_elements_text(?::jsonb))
        AND e.subject IN ('authorization', 'capture', 'refund', 'release', 'cancellation', 'dispute')
      ORDER BY e.payment_id, e.id`,
    [JSON.stringify([...new Set(payments.map((p) => p.payment_collection_id))]), JSON.stringify(payments.map((p) => p.id))]
  )
}

export type IdleSession = {
  id: string
  payment_collection_id: string
  provider_id: string
  status: string
  payment_id: string | null
  updated_at: Date
}

/**
 * Sessions that may hold a customer's money while nothing follows them up:
 * not canceled, untouched for `idleMs`, at most `lookbackMs` old, and — so a
 * store's abandoned carts cost a few provider calls, not one per run each —
 * due: every run during their first hour past `idleMs`, then in the one run
 * of each hour that falls in the hour's first `runEveryMs`. Payments that
 * were canceled, or whose captured money was all refunded, are done.
 */
export async function findIdleSessions(
  idleMs: number,
  lookbackMs: number,
  runEveryMs: number,
  limit: number,
  sharedContext: Context
): Promise<IdleSession[]> {
  return await execute<IdleSession>(
    sharedContext,
    `SELECT s.id, s.payment_collection_id, s.provider_id, s.status, p.id AS payment_id, s.updated_at
       FROM payment_session s
       LEFT JOIN payment p ON p.payment_session_id = s.id AND p.deleted_at IS NULL
      WHERE s.deleted_at IS NULL AND s.status <> 'canceled'
        AND s.updated_at < now() - (:idle * interval '1 millisecond')
        AND s.updated_at > now() - (:lookback * interval '1 millisecond')
        AND (s.updated_at > now() - ((:idle + 3600000) * interval '1 millisecond')
             OR mod((extract(epoch FROM now() - s.updated_at) * 1000)::bigint, 3600000) < :every)
        AND (p.id IS NULL OR (p.canceled_at IS NULL AND NOT EXISTS (
              SELECT 1 FROM payment_collection c WHERE c.id = s.payment_collection_id
                 AND c.refunded_amount > 0 AND c.refunded_amount >= c.captured_amount)))
      ORDER BY s.updated_at DESC
      LIMIT :limit`,
    { idle: idleMs, lookback: lookbackMs, every: runEveryMs, limit }
  )
}

export type AuditedSession = {
  payment_collection_id: string
  payment_session_id: string
  session_status: string
  provider_id: string
  currency_code: string
  data: Record<string, unknown> | null
  payment_id: string | null
  payment_data: Record<string, unknown> | null
  authorized: string | null
  captured: string
  refunded: string
  canceled: boolean
  open_movements: number
  settled: { kind: "capture" | "refund"; id: string; amount: string }[]
}

/**
 * Every payment session created in the period, with its payment's settled
 * books (captures and refunds that succeeded) and how many of its movements
 * are still open — what the audit holds against the provider's records.
 */
export async function auditedSessions(from: Date, to: Date, limit: number, sharedContext: Context): Promise<AuditedSession[]> {
  return await execute<AuditedSession>(
    sharedContext,
    `SELECT s.payment_collection_id, s.id AS payment_session_id, s.status AS session_status, s.provider_id, s.currency_code,
            s.data, p.id AS payment_id, p.data AS payment_data, p.raw_amount->>'value' AS authorized,
            coalesce(sum(m.amount) FILTER (WHERE m.kind = 'capture' AND m.status = 'succeeded'), 0)::text AS captured,
            coalesce(sum(m.amount) FILTER (WHERE m.kind = 'refund' AND m.status = 'succeeded'), 0)::text AS refunded,
            p.canceled_at IS NOT NULL AS canceled,
            count(m.id) FILTER (WHERE m.status IN ('pending', 'unknown'))::int AS open_movements,
            coalesce(jsonb_agg(jsonb_build_object('kind', m.kind, 'id', m.id, 'amount', m.amount::text) ORDER BY m.created_at)
                       FILTER (WHERE m.kind IN ('capture', 'refund') AND m.status = 'succeeded'), '[]'::jsonb) AS settled
       FROM payment_session s
       LEFT JOIN payment p ON p.payment_session_id = s.id AND p.deleted_at IS NULL
       LEFT JOIN payment_movement m ON m.payment_id = p.id AND m.deleted_at IS NULL
      WHERE s.created_at >= :from AND s.created_at < :to
        AND (s.deleted_at IS NULL OR p.id IS NOT NULL)
      GROUP BY s.id, p.id
      ORDER BY s.created_at
      LIMIT :limit`,
    { from, to, limit }
  )
}

/**
 * Captures and refunds settled since `since` outside any workflow: settled by
 * reconciliation (their ledger shows them unknown first) or recorded from the
 * provider (a refund made in its dashboard, a lost dispute). Medusa's
 * workflows record on the order the money they move; these only the plugin
 * records (src/plugin/order-transactions.ts).
 */
export async function settledOutsideWorkflows(since: Date, sharedContext: Context): Promise<string[]> {
  const rows = await execute<{ id: string }>(
    sharedContext,
    `SELECT m.id FROM payment_movement m JOIN payment p ON p.id = m.payment_id
      WHERE m.kind IN ('capture', 'refund') AND m.status = 'succeeded' AND m.deleted_at IS NULL AND m.settled_at >= ?
        AND (m.created_by = 'provider'
             OR EXISTS (SELECT 1 FROM payment_ledger_entry e
                         WHERE e.payment_collection_id = p.payment_collection_id AND e.payment_id = m.payment_id
                           AND e.subject_id = m.id AND e.event = 'unknown'))
      ORDER BY m.settled_at`,
    [since]
  )
  return rows.map((r) => r.id)
}
