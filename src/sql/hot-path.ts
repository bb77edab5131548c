import { Context } from "@medusajs/framework/types"
import { MathBN } from "@medusajs/framework/utils"
import { LOCK_TIMEOUT } from "./money"
import { inTransaction, run, statement } from "./runner"

/**
 * The statements of a checkout's money path: collection → session →
 * authorize → capture → refund in at most two statements per step, each in
 * its own implicit transaction. The functions they call (src/sql/functions/)
 * lock, check and write in one statement; the triggers keep the books.
 */

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value))

const INSERT_COLLECTIONS = statement("create_collections", `SELECT * FROM payment_create_collections($1::jsonb)`)

export type NewCollection = { id: string; currency_code: string; amount: string; metadata: unknown }

export async function insertCollections(rows: NewCollection[], sharedContext: Context) {
  const records = rows.map((row) => ({ ...row, raw_amount: { value: row.amount, precision: 20 } }))
  return await run(sharedContext, INSERT_COLLECTIONS, [json(records)])
}

// Lookups by primary key leave `deleted_at` out of the WHERE and check it on
// the row: with it in the WHERE, a plan cached while the table was empty can
// prefer a partial index (`… WHERE deleted_at IS NULL`) that holds every live
// row over the primary key — a scan that grows with the table.
const COLLECTION_CURRENCY = statement(
  "collection_currency",
  `SELECT id, currency_code, deleted_at FROM payment_collection WHERE id = $1`
)

export async function findCollectionCurrency(id: string, sharedContext: Context) {
  const [row] = await run<{ id: string; currency_code: string; deleted_at: Date | null }>(
    sharedContext,
    COLLECTION_CURRENCY,
    [id]
  )
  return row && !row.deleted_at ? row : undefined
}

const INSERT_SESSION = statement(
  "create_session",
  `SELECT * FROM payment_create_session($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9::jsonb)`
)

export type NewSession = {
  id: string
  payment_collection_id: string
  provider_id: string
  amount: string
  currency_code: string
  context: unknown
  data: unknown
  status: string
  metadata: unknown
}

export async function insertSession(session: NewSession, sharedContext: Context) {
  const [row] = await run(sharedContext, INSERT_SESSION, [
    session.id,
    session.payment_collection_id,
    session.provider_id,
    session.amount,
    session.currency_code,
    json(session.context),
    json(session.data),
    session.status,
    json(session.metadata),
  ])
  return row
}

// A session's Payment is created in the statement that sets its
// authorized_at, so only a session with authorized_at can have one: the
// common first authorization reads no payment at all.
const SESSION_WITH_PAYMENT = statement(
  "session_with_payment",
  `SELECT to_jsonb(s) AS session,
          CASE WHEN s.authorized_at IS NOT NULL THEN
            (SELECT to_jsonb(p) FROM payment p WHERE p.payment_session_id = s.id AND p.deleted_at IS NULL)
          END AS payment,
          CASE WHEN s.authorized_at IS NOT NULL THEN
            (SELECT to_jsonb(c) FROM payment_collection c WHERE c.id = s.payment_collection_id)
          END AS collection
     FROM payment_session s WHERE s.id = $1`
)

export async function findSessionWithPayment(id: string, sharedContext: Context) {
  const [row] = await run<{
    session: Record<string, any>
    payment: Record<string, any> | null
    collection: Record<string, any> | null
  }>(
    sharedContext,
    SESSION_WITH_PAYMENT,
    [id]
  )
  return row && !row.session.deleted_at ? row : undefined
}

const AUTHORIZE = statement(
  "authorize_session",
  `SELECT * FROM payment_authorize_session($1, $2, $3::jsonb, $4, $5, $6)`
)

export type AuthorizeVerdict = {
  verdict: "created" | "existing" | "session_not_found"
  payment: Record<string, any> | null
  capture_id: string | null
  /** the session as authorized */
  payment_session: Record<string, any> | null
  /** for an existing payment: its collection */
  payment_collection: Record<string, any> | null
}

export async function authorizeSession(
  /** captureId: the capture to record when the provider took the money at authorization, else null */
  input: { sessionId: string; paymentId: string; data: unknown; captureId: string | null },
  sharedContext: Context
): Promise<AuthorizeVerdict> {
  const [row] = await run<AuthorizeVerdict>(sharedContext, AUTHORIZE, [
    input.sessionId,
    input.paymentId,
    json(input.data ?? {}),
    input.captureId !== null,
    input.captureId,
    LOCK_TIMEOUT,
  ])
  return row
}

const RESERVE = statement(
  "reserve_movement",
  `SELECT * FROM payment_reserve_movement($1, $2, $3, $4::numeric, $5, $6, $7, $8, $9::jsonb, $10, $11, $12)`
)

export type ReserveVerdict = {
  verdict:
    | "created"
    | "payment_not_found"
    | "canceled"
    | "reconcile"
    | "noop"
    | "nothing_left"
    | "unknown_currency"
    | "too_precise"
    | "exceeds"
    | "reason_not_found"
  /** the amount reserved (or refused), exact */
  amount: string | null
  /** a capture that brings the payment to its authorized amount */
  completes: boolean
  /** what was left to capture or refund before this request, exact */
  left_to_move: string | null
  currency_code: string | null
  unknown_movements: number
  /** the payment as locked (before the movement) */
  payment: Record<string, any> | null
}

export type Reservation = {
  kind: "capture" | "refund"
  paymentId: string
  movementId: string
  /** exact decimal string; null: whatever is left */
  amount: string | null
  /** the caller's amount when `amount` is it rounded to the currency (keys fingerprint the request as sent) */
  requestedAmount?: string | null
  status: "pending" | "succeeded"
  createdBy?: string | null
  note?: string | null
  refundReasonId?: string | null
  metadata?: unknown
  idempotencyKey?: string | null
  staleAfterMs: number
}

export async function reserveMovement(r: Reservation, sharedContext: Context): Promise<ReserveVerdict> {
  const [row] = await run<ReserveVerdict>(sharedContext, RESERVE, [
    r.kind,
    r.paymentId,
    r.movementId,
    r.amount,
    r.status,
    r.createdBy ?? null,
    r.note ?? null,
    r.refundReasonId ?? null,
    json(r.metadata ?? null),
    r.idempotencyKey ?? null,
    r.staleAfterMs,
    LOCK_TIMEOUT,
  ])
  return row
}

const SETTLE = statement(
  "settle_movement",
  `SELECT * FROM payment_settle_movement($1, $2, $3::jsonb, $4)`
)

/** What Medusa's answer to a capture or refund carries (`payment_answer_context`), as rows. */
export type MovementContext = {
  payment: Record<string, any>
  /** the capture or refund row the call made (null: none) */
  movement: Record<string, any> | null
  payment_session: Record<string, any> | null
  payment_collection: Record<string, any> | null
  collection_sessions: Record<string, any>[]
  /** the payment's settled movements of the other kind */
  others: Record<string, any>[]
}

export type Settled = MovementContext & {
  /** this call moved the movement to succeeded (false: it had succeeded already, or was refused) */
  settled_now: boolean
  movement_status: string | null
  payment_updated: boolean
}

/**
 * The provider confirmed the movement: it succeeds, its capture or refund
 * row is written, and the provider's data is merged into the payment's.
 */
export async function settleMovement(
  input: { movementId: string; paymentId: string; providerData: unknown },
  sharedContext: Context
): Promise<Settled> {
  const [row] = await run<Settled>(sharedContext, SETTLE, [
    input.movementId,
    input.paymentId,
    input.providerData === undefined || input.providerData === null ? null : json(input.providerData),
    !inTransaction(sharedContext),
  ])
  return row
}

const APPEND_LEDGER_ENTRY = statement(
  "append_ledger_entry",
  `SELECT payment_ledger_append($1, $2, $3, $4, $5, $6, $7, $8::numeric, null, null, null, null, null, null, $9)`
)

/**
 * What the provider asked its service for differed from the module's amount
 * (a store total finer than the currency, rounded to what can move): one
 * `provider_rounding` entry whose amount is `sent - asked`, so the books
 * explain every fraction between Medusa's figures and the provider's.
 * Written only when there is a difference, as its own statement.
 */
export async function recordProviderRounding(
  entry: {
    subject: "authorization" | "capture" | "refund"
    subjectId: string
    payment: { id: string; payment_collection_id: string; provider_id: string; currency_code: string }
    asked: string
    sent: string
    providerReference: string | null
  },
  sharedContext: Context
): Promise<void> {
  const difference = MathBN.sub(entry.sent, entry.asked)
  if (difference.isZero()) return
  const { payment } = entry
  await run(sharedContext, APPEND_LEDGER_ENTRY, [
    entry.subject,
    "provider_rounding",
    entry.subjectId,
    payment.id,
    payment.payment_collection_id,
    payment.provider_id,
    payment.currency_code,
    difference.toFixed(),
    entry.providerReference,
  ])
}

const ANSWER_CONTEXT = statement("answer_context", `SELECT * FROM payment_answer_context($1, $2, $3)`)

/** A payment and one of its captures or refunds (or none), with what Medusa's answer carries. */
export async function findMovementContext(
  paymentId: string,
  kind: "capture" | "refund",
  movementId: string | null,
  sharedContext: Context
): Promise<MovementContext> {
  const [row] = await run<MovementContext>(sharedContext, ANSWER_CONTEXT, [paymentId, kind, movementId])
  return row
}

/**
 * The checkout path's statements, for tools that replay the module's flow
 * outside Node (bench/pgbench/lower-bound.ts), so that they run exactly
 * what the module sends.
 */
export const CHECKOUT_STATEMENTS = {
  createCollections: INSERT_COLLECTIONS,
  collectionCurrency: COLLECTION_CURRENCY,
  createSession: INSERT_SESSION,
  sessionWithPayment: SESSION_WITH_PAYMENT,
  authorize: AUTHORIZE,
  reserve: RESERVE,
  settle: SETTLE,
}
