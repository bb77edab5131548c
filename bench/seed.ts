// Growth scenarios: pre-load "earlier payments" so the flow runs against big
// tables, as in a shop that has been selling for a while.
//
// Each earlier payment is a full flow's worth of rows: one collection, one
// session, one payment, one capture (5000) and one refund (1000), with the
// same ids, statuses and raw_* JSON a finished flow leaves. They are made by
// one INSERT … SELECT generate_series per table, directly in SQL, so 1M
// payments (5M rows) take a minute or two rather than hours through the API.
//
// The column list is not hard-coded per implementation: we read the table's
// real columns and fill those we know (below); unknown columns are left to
// their default/NULL, and an unknown NOT NULL column without default stops the
// run with a message naming it. That keeps seeding working for our module as
// long as its tables stay compatible with Medusa's (a drop-in replacement
// must), and for the floor's reduced tables.
import { Client } from "pg"
import { withClient } from "./pg"

// `g` is the generate_series value; ids look like ULIDs ("00SEED" + 20
// digits = 26 chars) and sort before ids made today, as earlier rows would.
const SUFFIX = `'00SEED' || lpad(g::text, 20, '0')`
const AT = `(now() - interval '1 day' - (($N - g) * interval '1 second'))`
const raw = (v: number) => `'{"value":"${v}","precision":20}'::jsonb`

/** optional: a table only some targets have (our ledger); skipped where it does not exist */
type Spec = { table: string; idPrefix: string; columns: Record<string, string>; optional?: boolean }

/** Our module's ledger rows for a seeded payment: what its triggers would have written for its money. */
const ledgerSpec = (kind: string, delta: string, amount: number): Spec => ({
  table: "payment_ledger_entry",
  idPrefix: `pledg_${kind[0]}`,
  optional: true,
  columns: {
    subject: `'${kind}'`,
    event: kind === "authorization" ? `'authorized'` : `'succeeded'`,
    subject_id: `'pay_' || ${SUFFIX}`,
    payment_id: `'pay_' || ${SUFFIX}`,
    payment_collection_id: `'pay_col_' || ${SUFFIX}`,
    provider_id: `'pp_system_default'`,
    currency_code: `'usd'`,
    amount: String(amount),
    raw_amount: raw(amount),
    [delta]: String(amount),
    [`raw_${delta}`]: raw(amount),
  },
})

// Ordered parents first (foreign keys).
const SPECS: Spec[] = [
  {
    table: "payment_collection",
    idPrefix: "pay_col_",
    columns: {
      currency_code: `'usd'`,
      amount: "5000",
      raw_amount: raw(5000),
      authorized_amount: "5000",
      raw_authorized_amount: raw(5000),
      captured_amount: "5000",
      raw_captured_amount: raw(5000),
      refunded_amount: "1000",
      raw_refunded_amount: raw(1000),
      status: `'completed'`,
    },
  },
  {
    table: "payment_session",
    idPrefix: "payses_",
    columns: {
      payment_collection_id: `'pay_col_' || ${SUFFIX}`,
      currency_code: `'usd'`,
      amount: "5000",
      raw_amount: raw(5000),
      provider_id: `'pp_system_default'`,
      data: `'{}'::jsonb`,
      status: `'authorized'`,
      authorized_at: AT,
    },
  },
  {
    table: "payment",
    idPrefix: "pay_",
    columns: {
      payment_collection_id: `'pay_col_' || ${SUFFIX}`,
      payment_session_id: `'payses_' || ${SUFFIX}`,
      currency_code: `'usd'`,
      amount: "5000",
      raw_amount: raw(5000),
      provider_id: `'pp_system_default'`,
      data: `'{}'::jsonb`,
      captured_at: AT,
      // the floor keeps running totals on payment
      captured_amount: "5000",
      refunded_amount: "1000",
    },
  },
  {
    table: "capture",
    idPrefix: "capt_",
    columns: { payment_id: `'pay_' || ${SUFFIX}`, amount: "5000", raw_amount: raw(5000) },
  },
  {
    table: "refund",
    idPrefix: "ref_",
    columns: { payment_id: `'pay_' || ${SUFFIX}`, amount: "1000", raw_amount: raw(1000) },
  },
  // our module's record of each movement (the capture and refund above, with the same ids)
  ...(["capture", "refund"] as const).map(
    (kind): Spec => ({
      table: "payment_movement",
      idPrefix: kind === "capture" ? "capt_" : "ref_",
      optional: true,
      columns: {
        kind: `'${kind}'`,
        payment_id: `'pay_' || ${SUFFIX}`,
        amount: kind === "capture" ? "5000" : "1000",
        raw_amount: raw(kind === "capture" ? 5000 : 1000),
        status: `'succeeded'`,
        settled_at: AT,
      },
    })
  ),
  // the ledger grows with the payments: an authorization, a capture and a refund entry each
  ledgerSpec("authorization", "authorized_delta", 5000),
  ledgerSpec("capture", "captured_delta", 5000),
  ledgerSpec("refund", "refunded_delta", 1000),
]

interface Column {
  name: string
  notNull: boolean
  hasDefault: boolean
}

async function columnsOf(c: Client, table: string): Promise<Column[]> {
  const r = await c.query(
    `SELECT column_name, is_nullable = 'NO' AS not_null, column_default IS NOT NULL AS has_default
       FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = $1
      ORDER BY ordinal_position`,
    [table]
  )
  if (!r.rows.length) throw new Error(`seed: table ${table} not found`)
  return r.rows.map((x) => ({ name: x.column_name, notNull: x.not_null, hasDefault: x.has_default }))
}

async function tableExists(c: Client, table: string): Promise<boolean> {
  const r = await c.query(`SELECT to_regclass($1) IS NOT NULL AS found`, [table])
  return r.rows[0].found
}

function insertSql(spec: Spec, cols: Column[]): string {
  const exprs: Record<string, string> = {
    ...spec.columns,
    id: `'${spec.idPrefix}' || ${SUFFIX}`,
    created_at: AT,
    updated_at: AT,
  }
  const used = cols.filter((c) => exprs[c.name] !== undefined)
  const missing = cols.filter((c) => c.notNull && !c.hasDefault && exprs[c.name] === undefined)
  if (missing.length) {
    throw new Error(
      `seed: ${spec.table}.${missing.map((m) => m.name).join(", ")} is NOT NULL without a default and ` +
        `bench/seed.ts does not know what to put there; add it to SPECS`
    )
  }
  return (
    `INSERT INTO ${spec.table} (${used.map((c) => c.name).join(", ")}) ` +
    `SELECT ${used.map((c) => exprs[c.name]).join(", ")} FROM generate_series($1::bigint, $2::bigint) AS g`
  )
}

/**
 * A shop's tables have statistics and a visibility map, and its old rows are
 * on disk; fresh bulk rows have neither until autovacuum passes, and sit
 * dirty in shared buffers until a checkpoint writes them. Both would land in
 * the measured window (the 1M p99 of every target paid for them), so they
 * happen here: one VACUUM (ANALYZE) per table, then a CHECKPOINT.
 */
async function settleBulkLoad(dbUrl: string, tables: string[]): Promise<void> {
  await Promise.all(tables.map((table) => withClient(dbUrl, (c) => c.query(`VACUUM (ANALYZE) ${table}`))))
  await withClient(dbUrl, (c) => c.query("CHECKPOINT"))
}

/**
 * Bring the number of payments up to `target` (payments made by earlier
 * benchmark flows count too). Returns what it did.
 */
export async function topUpPayments(dbUrl: string, target: number): Promise<{ inserted: number; ms: number }> {
  const t0 = Date.now()
  const plan = await withClient(dbUrl, async (c) => {
    const have = Number((await c.query("SELECT count(*) AS n FROM payment")).rows[0].n)
    if (target - have <= 0) return null
    // continue numbering after earlier seeds
    const seeded = Number((await c.query(`SELECT count(*) AS n FROM payment WHERE id LIKE 'pay\\_00SEED%'`)).rows[0].n)
    const from = seeded + 1
    const to = seeded + (target - have)
    const statements: { table: string; sql: string }[] = []
    for (const spec of SPECS) {
      if (spec.optional && !(await tableExists(c, spec.table))) continue
      statements.push({ table: spec.table, sql: insertSql(spec, await columnsOf(c, spec.table)).replace(/\$N/g, String(to)) })
    }
    return { from, to, statements }
  })
  if (!plan) return { inserted: 0, ms: Date.now() - t0 }
  const { from, to, statements } = plan
  // One connection per table, in parallel: with the foreign-key triggers off
  // (below) the tables do not depend on each other, and index maintenance of
  // five tables spreads over the cores.
  await Promise.all(
    statements.map(({ sql }) =>
      withClient(dbUrl, async (t) => {
        try {
          await t.query("BEGIN")
          // Rows are consistent by construction, so the per-row foreign-key
          // triggers are skipped (superuser only); they would double the time.
          await t.query("SET LOCAL session_replication_role = replica")
          await t.query("SET LOCAL synchronous_commit = off")
          await t.query(sql, [from, to])
          await t.query("COMMIT")
        } catch (e) {
          await t.query("ROLLBACK").catch(() => {})
          throw e
        }
      })
    )
  )
  await settleBulkLoad(dbUrl, [...new Set(statements.map((s) => s.table))])
  return { inserted: to - from + 1, ms: Date.now() - t0 }
}
