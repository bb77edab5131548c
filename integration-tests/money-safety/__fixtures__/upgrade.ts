import { TestDatabaseUtils } from "@medusajs/test-utils"
import { MathBN } from "@medusajs/framework/utils"
import { MANUAL, MIGRATIONS_PATH } from "../../__fixtures__/module"
import { sql } from "./money"

// Helpers of upgrade.spec.ts: whole-table snapshots compared column by
// column as text, the module's migrations applied up to a given release, and
// the data a previous release wrote through its own SQL functions.

const { mikroOrmCreateConnection } = require("@medusajs/framework/utils")

export const urlOf = (databaseName: string) => TestDatabaseUtils.getDatabaseURL(databaseName)

/** An exact decimal as one canonical string ("100.50" and "100.5" are both "100.5"). */
export const dec = (value: unknown) => MathBN.convert(value as any).toFixed()

/** Every value of a row as PostgreSQL prints it (numeric exactly, jsonb normalized, timestamps to the microsecond). */
export type TextRow = Record<string, string | null>
export type Snapshot = Record<string, TextRow[]>

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`

export async function columnsOf(url: string, table: string): Promise<string[]> {
  const rows = await sql<{ column_name: string }>(
    url,
    `SELECT column_name FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
    [table]
  )
  return rows.map((row) => row.column_name)
}

export async function tableExists(url: string, table: string): Promise<boolean> {
  const [row] = await sql(url, `SELECT to_regclass($1) IS NOT NULL AS present`, [`public.${table}`])
  return row.present
}

/** The module's tables (everything in `public` but the migrations' bookkeeping). */
export async function moduleTables(url: string): Promise<string[]> {
  const rows = await sql<{ table_name: string }>(
    url,
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT LIKE 'mikro_orm_migrations%'
      ORDER BY table_name`
  )
  return rows.map((row) => row.table_name)
}

/** Every row of a table (`SELECT *` ordered by id), each column cast to text. */
export async function tableRows(url: string, table: string): Promise<TextRow[]> {
  const columns = await columnsOf(url, table)
  if (!columns.length) throw new Error(`table ${table} does not exist`)
  const list = columns.map((c) => `${ident(c)}::text AS ${ident(c)}`).join(", ")
  // a table without an id (a link table) is keyed by all its columns
  const key = columns.includes("id") ? "" : `concat_ws('|', ${columns.map(ident).join(", ")}) AS id, `
  return await sql<TextRow>(url, `SELECT ${key}${list} FROM ${ident(table)} ORDER BY id`)
}

export async function snapshot(url: string, tables: string[]): Promise<Snapshot> {
  const out: Snapshot = {}
  // a table that no longer exists is left out (differences() reports it)
  for (const table of tables) if (await tableExists(url, table)) out[table] = await tableRows(url, table)
  return out
}

/**
 * What changed between two snapshots, one readable line per difference: a
 * row that is gone, a column that is gone, a value that changed. Rows and
 * columns that are new in `after` are not differences. `mayChange[table]`
 * lists columns whose value may differ or that may be dropped; `only[table]`
 * limits the comparison to some ids.
 */
export function differences(
  before: Snapshot,
  after: Snapshot,
  { mayChange = {}, only = {} }: { mayChange?: Record<string, string[]>; only?: Record<string, string[]> } = {}
): string[] {
  const found: string[] = []
  for (const [table, rows] of Object.entries(before)) {
    if (!after[table]) {
      found.push(`${table}: the table is gone`)
      continue
    }
    const now = new Map(after[table].map((row) => [row.id, row]))
    const free = new Set(mayChange[table] ?? [])
    for (const row of rows) {
      if (only[table] && !only[table].includes(row.id!)) continue
      const kept = now.get(row.id)
      if (!kept) {
        found.push(`${table} ${row.id}: the row is gone`)
        continue
      }
      for (const [column, value] of Object.entries(row)) {
        if (free.has(column)) continue
        if (!(column in kept)) found.push(`${table} ${row.id}: column ${column} is gone (was ${show(value)})`)
        else if (kept[column] !== value) {
          found.push(`${table} ${row.id}: ${column} was ${show(value)}, now ${show(kept[column])}`)
        }
      }
    }
  }
  return found
}

const show = (value: string | null) => (value === null ? "NULL" : `'${value}'`)

export const sum = (values: (string | null)[]) => values.reduce((a: string, v) => dec(MathBN.add(a, v ?? 0)), "0")

// ---------------------------------------------------------------------------
// The module's migrations, as `medusa db:migrate` runs them
// ---------------------------------------------------------------------------

/**
 * Applies this module's migrations up to and including `to`, with the
 * migrator Medusa builds for a module (buildMigrationScript in
 * @medusajs/utils: mikroOrmCreateConnection over the module's migrations
 * folder, then MikroORM's Migrator). Answers the names it applied.
 */
export async function migrateModuleUpTo(url: string, to: string): Promise<string[]> {
  const orm = await mikroOrmCreateConnection({ clientUrl: url, schema: "public", snapshot: false }, [], MIGRATIONS_PATH)
  try {
    const migrator = orm.getMigrator()
    const pending: string[] = (await migrator.getPendingMigrations()).map((m: { name: string }) => m.name)
    if (!pending.includes(to)) {
      throw new Error(`${to} is not among the module's migrations (${MIGRATIONS_PATH}): ${pending.join(", ")}`)
    }
    const applied = await migrator.up({ to })
    return applied.map((m: { name: string }) => m.name)
  } finally {
    await orm.close(true)
  }
}

export async function appliedMigrations(url: string): Promise<string[]> {
  const rows = await sql<{ name: string }>(url, `SELECT name FROM mikro_orm_migrations ORDER BY id`)
  return rows.map((row) => row.name)
}

// ---------------------------------------------------------------------------
// The previous release's data, written with that release's SQL functions
// (their signatures as of Migration20261121190000; src/sql/hot-path.ts shows
// how its service called them)
// ---------------------------------------------------------------------------

const LOCK_TIMEOUT = "5s"
const STALE_MS = 60_000

export async function createCollection(url: string, id: string, currency: string, amount: string) {
  const [row] = await sql(url, `SELECT * FROM payment_create_collections($1::jsonb)`, [
    JSON.stringify([{ id, currency_code: currency, amount, raw_amount: { value: amount, precision: 20 }, metadata: null }]),
  ])
  if (!row) throw new Error(`payment_create_collections made no row for ${id}`)
}

/** A collection, a session on the manual provider and its authorization: the Payment `paymentId`. */
export async function authorizedPayment(
  url: string,
  { suffix, currency = "usd", amount }: { suffix: string; currency?: string; amount: string }
) {
  const collectionId = `pay_col_upg${suffix}`
  const sessionId = `payses_upg${suffix}`
  const paymentId = `pay_upg${suffix}`
  await createCollection(url, collectionId, currency, amount)
  await sql(url, `SELECT * FROM payment_create_session($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9::jsonb)`, [
    sessionId, collectionId, MANUAL, amount, currency, JSON.stringify({}), JSON.stringify({}), "pending", null,
  ])
  const [auth] = await sql(url, `SELECT verdict, payment, capture_id FROM payment_authorize_session($1, $2, $3::jsonb, $4, $5, $6)`, [
    sessionId, paymentId, JSON.stringify({}), false, null, LOCK_TIMEOUT,
  ])
  if (auth.verdict !== "created") throw new Error(`authorizing ${sessionId}: verdict ${auth.verdict}`)
  return { collectionId, sessionId, paymentId }
}

/** Step 1 of a capture or refund: reserved, pending, counted against the bounds. */
export async function reserve(
  url: string,
  m: {
    kind: "capture" | "refund"
    paymentId: string
    id: string
    amount: string
    createdBy?: string
    note?: string
    reasonId?: string
    metadata?: unknown
    idempotencyKey?: string
  }
): Promise<{ completes: boolean }> {
  const [row] = await sql(url, `SELECT * FROM payment_reserve_movement($1, $2, $3, $4::numeric, $5, $6, $7, $8, $9::jsonb, $10, $11, $12)`, [
    m.kind, m.paymentId, m.id, m.amount, "pending", m.createdBy ?? null, m.note ?? null, m.reasonId ?? null,
    m.metadata === undefined ? null : JSON.stringify(m.metadata), m.idempotencyKey ?? null, STALE_MS, LOCK_TIMEOUT,
  ])
  if (row.verdict !== "created") throw new Error(`reserving ${m.kind} ${m.id}: verdict ${row.verdict}`)
  return { completes: row.completes }
}

/** Step 2: the provider said yes. */
export async function settle(url: string, kind: "capture" | "refund", id: string, paymentId: string, completes: boolean) {
  const [row] = await sql(url, `SELECT payment, movement, payment_updated FROM payment_settle_movement($1, $2, $3, $4::jsonb, $5, $6)`, [
    kind, id, paymentId, null, completes, true,
  ])
  if (!row?.movement) throw new Error(`settling ${kind} ${id}: no movement answered`)
}
