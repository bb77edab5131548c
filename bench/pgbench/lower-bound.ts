// How close can a payment module get to the floor? The benchmark's flow run
// by pgbench (a C client: no Node, no ORM in the figures) at 8 clients, in
// five variants on one server, each the one before it plus one thing:
//
//   floor                 bench/floor.ts FLOOR_STEPS, its own reduced tables
//   floor_reserve         + no provider call inside a transaction (RESERVING_STEPS)
//   medusa_schema         the same statements on the module's tables (Medusa's
//                         schema: wider rows, raw_* JSON, CHECKs, more indexes),
//                         bookkeeping triggers off
//   medusa_schema_ledger  + the module's 11 ledger entries per flow
//   module                this module's own statements (src/sql/hot-path.ts:
//                         lock-then-check verdicts, idempotency, stale-movement
//                         detection, books kept in the same statement)
//
//   npm run bench:lower-bound [-- --seconds 10 --clients 8]
//
// Needs pgbench (PostgreSQL's client tools) and a local server, as
// `npm run bench` does by default (BENCH_DATABASE_URL). Its databases
// (lb_*) are dropped at the end.
import { spawnSync } from "child_process"
import fs from "fs"
import os from "os"
import path from "path"
import { FLOOR_SCHEMA, FLOOR_STEPS, FloorStep, FlowIds, RESERVING_SCHEMA, RESERVING_STEPS } from "../floor"
import { loadPaymentModule } from "../loader"
import { databaseUrl, recreateDatabase, startServer, withClient } from "../pg"
import { FLOW } from "../workload"
import { CHECKOUT_STATEMENTS } from "../../src/sql/hot-path"
import { LOCK_TIMEOUT, STALE_PENDING_MS } from "../../src/sql/money"

/**
 * Marks the ids the steps are given, so that each is rendered as a pgbench
 * expression wherever it lands, JSON included (JSON.stringify escapes
 * control characters, not this one).
 */
const MARK = "\u241f"
const SYMBOLIC_IDS: FlowIds = {
  collection: `${MARK}pay_col_${MARK}`,
  session: `${MARK}payses_${MARK}`,
  payment: `${MARK}pay_${MARK}`,
  capture: `${MARK}capt_${MARK}`,
  refund: `${MARK}ref_${MARK}`,
}

// pgbench reads ":name" as a variable even inside quotes (`"precision":20` would be
// variable "20"), so a literal's colons are concatenated in on their own.
const literal = (s: string) => `'${s.replace(/'/g, "''").replace(/:/g, "' || ':' || '")}'`

/** A step's value as SQL: ids become `'prefix' || :r || '_' || :client_id` (unique per flow and client). */
function render(value: unknown): string {
  if (typeof value === "number" || typeof value === "boolean") return String(value)
  if (value === null) return "null"
  const parts = String(value).split(MARK)
  // odd parts are id prefixes, even parts literal text
  const sql = parts
    .map((part, i) => (i % 2 === 1 ? `${literal(part)} || :r || '_' || :client_id` : part ? literal(part) : ""))
    .filter(Boolean)
  return `(${sql.join(" || ")})`
}

/** A pgbench script of the steps: one statement a step, $n replaced by its rendered value. */
function script(steps: FloorStep[]): string {
  const lines = ["\\set r random(1, 2000000000)"]
  for (const step of steps) {
    const values = step.values(SYMBOLIC_IDS).map(render)
    // highest first, so that $1 does not eat the start of $10
    const text = values.reduceRight((sql, value, i) => sql.split(`$${i + 1}`).join(value), step.text)
    lines.push(text.replace(/\s+/g, " ").trim() + ";")
  }
  return lines.join("\n") + "\n"
}

const raw = (amount: string) => `jsonb_build_object('value', (${amount})::text, 'precision', 20)`

/** The ledger's entries of one step, the columns the module writes; `n` rows. */
function ledgerEntries(n: number): string {
  const row = `(payment_ledger_id(), 'capture', 'reserved', 'subject', 'pay', 'pay_col', 'pp_system_default', 'usd',
                5000, ${raw("5000")}, 5000, ${raw("5000")}, null, 'pending')`
  return `INSERT INTO payment_ledger_entry (id, subject, event, subject_id, payment_id, payment_collection_id, provider_id,
            currency_code, amount, raw_amount, captured_delta, raw_captured_delta, from_status, to_status)
          VALUES ${Array(n).fill(row).join(", ")}`
}

/**
 * RESERVING_STEPS' statements written for the module's tables, with the
 * columns Medusa's schema requires; with `ledger`, each also appends the
 * module's ledger entries for that step (11 a flow).
 */
function medusaSchemaSteps(ledger: boolean): FloorStep[] {
  const withLedger = (n: number) => (ledger ? `, ledger AS (${ledgerEntries(n)})` : "")
  const statements: [string, string, (ids: FlowIds) => unknown[]][] = [
    [
      "collection",
      `WITH w AS (INSERT INTO payment_collection (id, currency_code, currency_exponent, amount, raw_amount)
         VALUES ($1, $2, 2, $3::numeric, ${raw("$3")}) RETURNING id)${withLedger(1)} SELECT w.id FROM w`,
      (ids) => [ids.collection, FLOW.currency, FLOW.amount],
    ],
    ["read the collection", `SELECT id, currency_code, deleted_at FROM payment_collection WHERE id = $1`, (ids) => [ids.collection]],
    [
      "session",
      `WITH w AS (INSERT INTO payment_session (id, payment_collection_id, provider_id, amount, raw_amount, currency_code, data, status)
         SELECT $1, c.id, $3, $4::numeric, ${raw("$4")}, c.currency_code, '{}', 'pending'
           FROM payment_collection c WHERE c.id = $2 RETURNING id)${withLedger(1)} SELECT w.id FROM w`,
      (ids) => [ids.session, ids.collection, FLOW.provider, FLOW.amount],
    ],
    ["read the session", `SELECT to_jsonb(s) FROM payment_session s WHERE id = $1`, (ids) => [ids.session]],
    [
      "authorize",
      `WITH s AS (UPDATE payment_session SET status = 'authorized', authorized_at = now(), updated_at = now()
                   WHERE id = $1 AND status = 'pending'
               RETURNING id, payment_collection_id, provider_id, currency_code, amount, raw_amount, data),
       p AS (INSERT INTO payment (id, amount, raw_amount, currency_code, currency_exponent, provider_id, data,
                                  payment_collection_id, payment_session_id)
             SELECT $2, amount, raw_amount, currency_code, 2, provider_id, data, payment_collection_id, id FROM s
             RETURNING id, payment_collection_id, amount),
       c AS (UPDATE payment_collection pc SET authorized_amount = coalesce(pc.authorized_amount, 0) + p.amount,
                    raw_authorized_amount = ${raw("coalesce(pc.authorized_amount, 0) + p.amount")}, status = 'authorized',
                    updated_at = now()
               FROM p WHERE pc.id = p.payment_collection_id RETURNING pc.id)${withLedger(3)}
       SELECT p.id FROM p, c`,
      (ids) => [ids.session, ids.payment],
    ],
    ...(["capture", "refund"] as const).flatMap((kind): [string, string, (ids: FlowIds) => unknown[]][] => {
      const [total, bound, collectionTotal] =
        kind === "capture" ? ["captured_total", "amount", "captured_amount"] : ["refunded_total", "captured_total", "refunded_amount"]
      return [
        [
          `reserve the ${kind}`,
          `WITH p AS (UPDATE payment SET ${total} = ${total} + $2::numeric, pending_movements = pending_movements + 1
                       WHERE id = $1 AND canceled_at IS NULL AND ${total} + $2::numeric <= ${bound}
                   RETURNING id, payment_collection_id),
           m AS (INSERT INTO ${kind} (id, payment_id, amount, raw_amount, status)
                 SELECT $3, id, $2::numeric, ${raw("$2")}, 'pending' FROM p RETURNING id),
           c AS (UPDATE payment_collection pc SET ${collectionTotal} = coalesce(pc.${collectionTotal}, 0) + $2::numeric,
                        raw_${collectionTotal} = ${raw(`coalesce(pc.${collectionTotal}, 0) + $2::numeric`)}, updated_at = now()
                   FROM p WHERE pc.id = p.payment_collection_id RETURNING pc.id)${withLedger(kind === "capture" ? 2 : 1)}
           SELECT m.id FROM m, c`,
          (ids) => [ids.payment, kind === "capture" ? FLOW.amount : FLOW.refund, ids[kind]],
        ],
        [
          `settle the ${kind}`,
          `WITH m AS (UPDATE ${kind} SET status = 'succeeded', updated_at = now() WHERE id = $1 AND status = 'pending' RETURNING payment_id),
           p AS (UPDATE payment SET pending_movements = pending_movements - 1, data = '{}',
                        captured_at = ${kind === "capture" ? "now()" : "captured_at"}, updated_at = now()
                   FROM m WHERE payment.id = m.payment_id RETURNING payment.id)${withLedger(kind === "capture" ? 2 : 1)}
           SELECT p.id FROM p`,
          (ids) => [ids[kind]],
        ],
      ]
    }),
  ]
  return statements.map(([what, text, values]) => ({ name: what, what, text, values }))
}

/** What this module sends for the flow: its own statements (src/sql/hot-path.ts), with the values its service gives them. */
const MODULE_STEPS: FloorStep[] = (() => {
  const s = CHECKOUT_STATEMENTS
  const step = (what: string, { text }: { text: string }, values: FloorStep["values"]): FloorStep => ({ name: what, what, text, values })
  const amount = String(FLOW.amount)
  return [
    step("create collections", s.createCollections, (ids) => [
      // as insertCollections sends it
      JSON.stringify([{ id: ids.collection, currency_code: FLOW.currency, amount, metadata: null, raw_amount: { value: amount, precision: 20 } }]),
    ]),
    step("read the collection", s.collectionCurrency, (ids) => [ids.collection]),
    step("create session", s.createSession, (ids) => [
      ids.session, ids.collection, FLOW.provider, amount, FLOW.currency, null, JSON.stringify({ session_id: ids.session }), "pending", null,
    ]),
    step("read the session", s.sessionWithPayment, (ids) => [ids.session]),
    step("authorize", s.authorize, (ids) => [ids.session, ids.payment, JSON.stringify({ session_id: ids.session }), false, null, LOCK_TIMEOUT]),
    ...(["capture", "refund"] as const).flatMap((kind) => [
      step(`reserve the ${kind}`, s.reserve, (ids) => [
        kind, ids.payment, ids[kind], kind === "capture" ? FLOW.amount : FLOW.refund, "pending",
        null, null, null, null, null, STALE_PENDING_MS, LOCK_TIMEOUT,
      ]),
      step(`settle the ${kind}`, s.settle, (ids) => [kind, ids[kind], ids.payment, "{}", kind === "capture", true]),
    ]),
  ]
})()

type Variant = { name: string; db: string; steps: FloorStep[]; booksKept?: boolean }

const VARIANTS: Variant[] = [
  { name: "floor", db: "lb_floor", steps: FLOOR_STEPS },
  { name: "floor_reserve", db: "lb_floor_reserve", steps: RESERVING_STEPS },
  { name: "medusa_schema", db: "lb_module", steps: medusaSchemaSteps(false), booksKept: true },
  { name: "medusa_schema_ledger", db: "lb_module", steps: medusaSchemaSteps(true), booksKept: true },
  { name: "module", db: "lb_module", steps: MODULE_STEPS },
]

function findPgbench(): string {
  const fromPath = spawnSync("sh", ["-c", "command -v pgbench"], { encoding: "utf8" }).stdout.trim()
  if (fromPath) return fromPath
  const debian = "/usr/lib/postgresql"
  for (const version of fs.existsSync(debian) ? fs.readdirSync(debian).sort().reverse() : []) {
    const candidate = path.join(debian, version, "bin", "pgbench")
    if (fs.existsSync(candidate)) return candidate
  }
  throw new Error("pgbench not found: install PostgreSQL's client tools (Debian: postgresql-client)")
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} needs a positive integer`)
  return value
}

async function prepareDatabases(adminUrl: string): Promise<void> {
  for (const [db, schema] of [["lb_floor", FLOOR_SCHEMA], ["lb_floor_reserve", RESERVING_SCHEMA]] as const) {
    await recreateDatabase(adminUrl, db)
    await withClient(databaseUrl(adminUrl, db), (c) => c.query(schema))
  }
  // The module's tables, functions and triggers, migrated as a Medusa app migrates them.
  await recreateDatabase(adminUrl, "lb_module")
  const loaded = await loadPaymentModule("ours", databaseUrl(adminUrl, "lb_module"), 2)
  await loaded.shutdown()
}

function runPgbench(pgbench: string, adminUrl: string, variant: Variant, seconds: number, clients: number): { tps: number; flows: number } {
  const file = path.join(os.tmpdir(), `lower-bound-${process.pid}-${variant.name}.sql`)
  fs.writeFileSync(file, script(variant.steps))
  const u = new URL(adminUrl)
  const result = spawnSync(
    pgbench,
    ["-h", u.hostname, "-p", u.port || "5432", "-U", decodeURIComponent(u.username || "postgres"), "-n", "-M", "prepared",
     "-c", String(clients), "-j", String(Math.min(clients, os.cpus().length)), "-T", String(seconds), "-f", file, variant.db],
    {
      encoding: "utf8",
      env: {
        ...process.env,
        PGPASSWORD: decodeURIComponent(u.password),
        // the module's bookkeeping triggers stand aside, as they do for its own functions
        PGOPTIONS: variant.booksKept ? "-c payment.books=kept" : "",
      },
    }
  )
  fs.rmSync(file, { force: true })
  const tps = /tps = ([\d.]+)/.exec(result.stdout)
  const flows = /transactions actually processed: (\d+)/.exec(result.stdout)
  if (result.status !== 0 || !tps || !flows || /aborted|error/i.test(result.stderr)) {
    throw new Error(`pgbench failed for ${variant.name}: ${(result.stderr || result.stdout).trim().split("\n").slice(0, 5).join(" | ")}`)
  }
  return { tps: Number(tps[1]), flows: Number(flows[1]) }
}

/**
 * A refused step is no error to pgbench (a guard that matched no row, a
 * verdict such as payment_not_found): every flow it counted must have
 * reached its last write, the refund.
 */
async function refundCount(adminUrl: string, db: string): Promise<number> {
  return withClient(databaseUrl(adminUrl, db), async (c) => Number((await c.query(`SELECT count(*) AS n FROM refund`)).rows[0].n))
}

async function main() {
  const seconds = option("seconds", 10)
  const clients = option("clients", 8)
  const pgbench = findPgbench()
  const server = await startServer("local")
  try {
    await prepareDatabases(server.adminUrl)
    const rows: { name: string; flows: number }[] = []
    for (const variant of VARIANTS) {
      const before = await refundCount(server.adminUrl, variant.db)
      const { tps, flows } = runPgbench(pgbench, server.adminUrl, variant, seconds, clients)
      const refunds = (await refundCount(server.adminUrl, variant.db)) - before
      if (refunds !== flows) {
        throw new Error(`${variant.name}: pgbench ran ${flows} flows but ${refunds} reached their refund; a step was refused`)
      }
      rows.push({ name: variant.name, flows: tps })
      process.stdout.write(`  ${variant.name}: ${tps.toFixed(0)} flows/s\n`)
    }
    const floor = rows[0].flows
    process.stdout.write(`\npgbench, ${clients} clients, ${seconds} s each, prepared statements\n`)
    process.stdout.write(`variant               flows/s  % of floor\n`)
    for (const row of rows) {
      process.stdout.write(`${row.name.padEnd(20)}  ${row.flows.toFixed(0).padStart(7)}  ${((100 * row.flows) / floor).toFixed(0).padStart(9)} %\n`)
    }
  } finally {
    for (const db of ["lb_floor", "lb_floor_reserve", "lb_module"]) {
      await withClient(server.adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)).catch(() => {})
    }
    await server.stop()
  }
}

main().catch((error) => {
  process.stderr.write(`${error.message}\n`)
  process.exit(1)
})
