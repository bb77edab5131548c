// The "floor": the same flow written by hand over `pg`, no ORM, in as few SQL
// statements as the database allows, to show how far from the database's own
// limits a module is.
//
// Schema: the payment module's five tables, cut to what the flow needs, plus
// running totals on payment (captured/refunded) so that every guard ("do not
// capture more than authorized", "do not refund more than captured") can live
// in the WHERE clause of a single UPDATE.
//
// One statement per step, each autocommitted (a single statement is atomic,
// so no BEGIN/COMMIT): 5 statements per flow. Writable CTEs chain the rows a
// step touches. The guards are race-free under READ COMMITTED: a concurrent
// UPDATE of the same payment row makes PostgreSQL re-check the WHERE clause on
// the newest row version before applying ours.
//
// The manual provider (pp_system_default) does nothing and returns the data it
// is given, so the provider "call" is a no-op made before the statement; a
// remote provider needs a record-then-call design: see `RESERVING_STEPS`.
import crypto from "crypto"
import { Pool } from "pg"
import { FLOW, Flow } from "./workload"

export const FLOOR_SCHEMA = `
CREATE TABLE IF NOT EXISTS payment_collection (
  id                text PRIMARY KEY,
  currency_code     text NOT NULL,
  amount            numeric NOT NULL,
  authorized_amount numeric NOT NULL DEFAULT 0,
  captured_amount   numeric NOT NULL DEFAULT 0,
  refunded_amount   numeric NOT NULL DEFAULT 0,
  status            text NOT NULL DEFAULT 'not_paid',
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS payment_session (
  id                    text PRIMARY KEY,
  payment_collection_id text NOT NULL REFERENCES payment_collection (id),
  provider_id           text NOT NULL,
  currency_code         text NOT NULL,
  amount                numeric NOT NULL,
  status                text NOT NULL DEFAULT 'pending',
  data                  jsonb NOT NULL DEFAULT '{}',
  authorized_at         timestamptz,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS payment_session_collection_idx ON payment_session (payment_collection_id);
CREATE TABLE IF NOT EXISTS payment (
  id                    text PRIMARY KEY,
  payment_collection_id text NOT NULL REFERENCES payment_collection (id),
  payment_session_id    text NOT NULL UNIQUE REFERENCES payment_session (id),
  provider_id           text NOT NULL,
  currency_code         text NOT NULL,
  amount                numeric NOT NULL,
  captured_amount       numeric NOT NULL DEFAULT 0,
  refunded_amount       numeric NOT NULL DEFAULT 0,
  data                  jsonb,
  captured_at           timestamptz,
  canceled_at           timestamptz,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS payment_collection_idx ON payment (payment_collection_id);
CREATE TABLE IF NOT EXISTS capture (
  id         text PRIMARY KEY,
  payment_id text NOT NULL REFERENCES payment (id),
  amount     numeric NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS capture_payment_idx ON capture (payment_id);
CREATE TABLE IF NOT EXISTS refund (
  id         text PRIMARY KEY,
  payment_id text NOT NULL REFERENCES payment (id),
  amount     numeric NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS refund_payment_idx ON refund (payment_id);
`

const CREATE_COLLECTION = `INSERT INTO payment_collection (id, currency_code, amount) VALUES ($1, $2, $3::numeric)`

const CREATE_SESSION = `INSERT INTO payment_session (id, payment_collection_id, provider_id, currency_code, amount, data)
SELECT $1, c.id, $3, c.currency_code, $4::numeric, $5::jsonb
  FROM payment_collection c
 WHERE c.id = $2 AND c.currency_code = $6`

const AUTHORIZE = `WITH s AS (
  UPDATE payment_session
     SET status = 'authorized', authorized_at = now(), data = $3::jsonb, updated_at = now()
   WHERE id = $1 AND status = 'pending'
  RETURNING id, payment_collection_id, provider_id, currency_code, amount, data
), p AS (
  INSERT INTO payment (id, payment_collection_id, payment_session_id, provider_id, currency_code, amount, data)
  SELECT $2, payment_collection_id, id, provider_id, currency_code, amount, data FROM s
  RETURNING id, payment_collection_id, amount
), c AS (
  UPDATE payment_collection pc
     SET authorized_amount = pc.authorized_amount + p.amount,
         status = CASE WHEN pc.authorized_amount + p.amount >= pc.amount THEN 'authorized' ELSE 'partially_authorized' END,
         updated_at = now()
    FROM p
   WHERE pc.id = p.payment_collection_id
  RETURNING pc.id
)
SELECT p.id FROM p, c`

// The collection's side of a capture or refund of $2 on the payment the CTE "p" updated.
const COLLECTION_CAPTURED = `c AS (
  UPDATE payment_collection pc
     SET captured_amount = pc.captured_amount + $2::numeric,
         status = CASE WHEN pc.captured_amount + $2::numeric >= pc.amount THEN 'completed' ELSE 'partially_captured' END,
         updated_at = now()
    FROM p
   WHERE pc.id = p.payment_collection_id
  RETURNING pc.id
)`

const COLLECTION_REFUNDED = `c AS (
  UPDATE payment_collection pc
     SET refunded_amount = pc.refunded_amount + $2::numeric, updated_at = now()
    FROM p
   WHERE pc.id = p.payment_collection_id
  RETURNING pc.id
)`

const CAPTURE = `WITH p AS (
  UPDATE payment
     SET captured_amount = captured_amount + $2::numeric,
         captured_at = CASE WHEN captured_amount + $2::numeric >= amount THEN now() ELSE captured_at END,
         updated_at = now()
   WHERE id = $1 AND canceled_at IS NULL AND $2::numeric > 0 AND captured_amount + $2::numeric <= amount
  RETURNING id, payment_collection_id
), k AS (
  INSERT INTO capture (id, payment_id, amount) SELECT $3, id, $2::numeric FROM p RETURNING id
), ${COLLECTION_CAPTURED}
SELECT k.id FROM k, c`

const REFUND = `WITH p AS (
  UPDATE payment
     SET refunded_amount = refunded_amount + $2::numeric, updated_at = now()
   WHERE id = $1 AND $2::numeric > 0 AND refunded_amount + $2::numeric <= captured_amount
  RETURNING id, payment_collection_id
), r AS (
  INSERT INTO refund (id, payment_id, amount) SELECT $3, id, $2::numeric FROM p RETURNING id
), ${COLLECTION_REFUNDED}
SELECT r.id FROM r, c`

// Crockford base32, as ULIDs (and Medusa's ids) use: time first, so ids made
// later sort later and btree inserts stay on the right edge, like Medusa's.
const B32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
export function newId(prefix: string): string {
  let t = Date.now()
  let time = ""
  for (let i = 0; i < 10; i++) {
    time = B32[t % 32] + time
    t = Math.floor(t / 32)
  }
  const bytes = crypto.randomBytes(16)
  let rand = ""
  for (let i = 0; i < 16; i++) rand += B32[bytes[i] & 31]
  return `${prefix}_${time}${rand}`
}

/** Each statement is named so PostgreSQL parses/plans it once per connection. */
async function one(pool: Pool, name: string, text: string, values: unknown[], what: string) {
  const r = await pool.query({ name, text, values })
  if (r.rowCount !== 1) throw new Error(`floor: ${what} was refused (${r.rowCount} rows)`)
}

/** The manual provider: accepts everything, returns the data it was given. */
const manualProvider = (data: Record<string, unknown>) => JSON.stringify(data)

/** What a provider call needs first: the collection's currency, the session's provider and data. */
const READ_COLLECTION = `SELECT id, currency_code FROM payment_collection WHERE id = $1`
const READ_SESSION = `SELECT provider_id, data, status FROM payment_session WHERE id = $1`

// Reservations: the movement is counted against the bounds (and the
// collection's totals) before the provider is called, as `pending`; the
// settle after the call only flips its status and the payment's counters.
export const RESERVING_SCHEMA = `${FLOOR_SCHEMA}
ALTER TABLE capture ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT 'succeeded';
ALTER TABLE refund ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT 'succeeded';
ALTER TABLE payment ADD COLUMN IF NOT EXISTS pending_movements integer NOT NULL DEFAULT 0;
`

const RESERVE_CAPTURE = `WITH p AS (
  UPDATE payment
     SET captured_amount = captured_amount + $2::numeric, pending_movements = pending_movements + 1, updated_at = now()
   WHERE id = $1 AND canceled_at IS NULL AND $2::numeric > 0 AND captured_amount + $2::numeric <= amount
  RETURNING id, payment_collection_id
), k AS (
  INSERT INTO capture (id, payment_id, amount, status) SELECT $3, id, $2::numeric, 'pending' FROM p RETURNING id
), ${COLLECTION_CAPTURED}
SELECT k.id FROM k, c`

const SETTLE_CAPTURE = `WITH k AS (
  UPDATE capture SET status = 'succeeded', updated_at = now() WHERE id = $1 AND status = 'pending' RETURNING payment_id
), p AS (
  UPDATE payment
     SET pending_movements = pending_movements - 1, data = $2::jsonb,
         captured_at = CASE WHEN captured_amount >= amount THEN now() ELSE captured_at END, updated_at = now()
    FROM k
   WHERE payment.id = k.payment_id
  RETURNING payment.id
)
SELECT p.id FROM p`

const RESERVE_REFUND = `WITH p AS (
  UPDATE payment
     SET refunded_amount = refunded_amount + $2::numeric, pending_movements = pending_movements + 1, updated_at = now()
   WHERE id = $1 AND $2::numeric > 0 AND refunded_amount + $2::numeric <= captured_amount
  RETURNING id, payment_collection_id
), r AS (
  INSERT INTO refund (id, payment_id, amount, status) SELECT $3, id, $2::numeric, 'pending' FROM p RETURNING id
), ${COLLECTION_REFUNDED}
SELECT r.id FROM r, c`

const SETTLE_REFUND = `WITH r AS (
  UPDATE refund SET status = 'succeeded', updated_at = now() WHERE id = $1 AND status = 'pending' RETURNING payment_id
), p AS (
  UPDATE payment SET pending_movements = pending_movements - 1, data = $2::jsonb, updated_at = now()
    FROM r
   WHERE payment.id = r.payment_id
  RETURNING payment.id
)
SELECT p.id FROM p`

/** The ids one flow writes, made when the flow starts. */
export type FlowIds = { collection: string; session: string; payment: string; capture: string; refund: string }

function newFlowIds(): FlowIds {
  return { collection: newId("pay_col"), session: newId("payses"), payment: newId("pay"), capture: newId("capt"), refund: newId("ref") }
}

/**
 * One statement of a floor: prepared under `name`, its values made from the
 * flow's ids (the manual provider's answer included, as if asked just
 * before). A statement that changes no row fails the flow with `what`.
 */
export type FloorStep = { name: string; text: string; what: string; values: (ids: FlowIds) => unknown[] }

const STEPS = {
  collection: { name: "floor_collection", text: CREATE_COLLECTION, what: "create collection", values: (ids) => [ids.collection, FLOW.currency, FLOW.amount] },
  readCollection: { name: "floorr_read_collection", text: READ_COLLECTION, what: "read the collection", values: (ids) => [ids.collection] },
  session: {
    name: "floor_session",
    text: CREATE_SESSION,
    what: "create session",
    values: (ids) => [ids.session, ids.collection, FLOW.provider, FLOW.amount, manualProvider({ session_id: ids.session }), FLOW.currency],
  },
  readSession: { name: "floorr_read_session", text: READ_SESSION, what: "read the session", values: (ids) => [ids.session] },
  authorize: {
    name: "floor_authorize",
    text: AUTHORIZE,
    what: "authorize",
    values: (ids) => [ids.session, ids.payment, manualProvider({ session_id: ids.session })],
  },
  capture: { name: "floor_capture", text: CAPTURE, what: "capture", values: (ids) => [ids.payment, FLOW.amount, ids.capture] },
  refund: { name: "floor_refund", text: REFUND, what: "refund", values: (ids) => [ids.payment, FLOW.refund, ids.refund] },
  reserveCapture: {
    name: "floorr_reserve_capture",
    text: RESERVE_CAPTURE,
    what: "reserve the capture",
    values: (ids) => [ids.payment, FLOW.amount, ids.capture],
  },
  settleCapture: { name: "floorr_settle_capture", text: SETTLE_CAPTURE, what: "settle the capture", values: (ids) => [ids.capture, manualProvider({})] },
  reserveRefund: {
    name: "floorr_reserve_refund",
    text: RESERVE_REFUND,
    what: "reserve the refund",
    values: (ids) => [ids.payment, FLOW.refund, ids.refund],
  },
  settleRefund: { name: "floorr_settle_refund", text: SETTLE_REFUND, what: "settle the refund", values: (ids) => [ids.refund, manualProvider({})] },
} satisfies Record<string, FloorStep>

/** The floor: one statement per step of the flow. */
export const FLOOR_STEPS: FloorStep[] = [STEPS.collection, STEPS.session, STEPS.authorize, STEPS.capture, STEPS.refund]

/**
 * The floor for a provider that moves money outside the database: no
 * provider call inside a transaction, so each capture and refund is a
 * reservation, the call, then a settle; and what the call needs is read
 * first. Nine statements per flow, the module's shape, with none of its
 * ledger, locking checks or error verdicts: the least any design that
 * keeps that rule sends.
 */
export const RESERVING_STEPS: FloorStep[] = [
  STEPS.collection,
  STEPS.readCollection,
  STEPS.session,
  STEPS.readSession,
  STEPS.authorize,
  STEPS.reserveCapture,
  STEPS.settleCapture,
  STEPS.reserveRefund,
  STEPS.settleRefund,
]

function floorFlow(pool: Pool, steps: FloorStep[]): Flow {
  return async () => {
    const ids = newFlowIds()
    for (const step of steps) await one(pool, step.name, step.text, step.values(ids), step.what)
  }
}

export type FloorKind = "floor" | "floor_reserve"

export async function openFloor(
  dbUrl: string,
  poolMax: number,
  kind: FloorKind = "floor"
): Promise<{ flow: Flow; close(): Promise<void> }> {
  const pool = new Pool({ connectionString: dbUrl, max: poolMax })
  await pool.query(kind === "floor" ? FLOOR_SCHEMA : RESERVING_SCHEMA)
  return { flow: floorFlow(pool, kind === "floor" ? FLOOR_STEPS : RESERVING_STEPS), close: () => pool.end() }
}
