// How close can a payment module get to the floor? The benchmark's flow run
// by pgbench (a C client: no Node, no ORM in the figures) at 8 clients, in
// six variants on one server, each the one before it plus one thing:
//
//   floor                 bench/floor.ts FLOOR_STEPS, its own reduced tables
//   floor_reserve         + no provider call inside a transaction (RESERVING_STEPS)
//   medusa_schema         that shape on the module's tables (Medusa's schema: wider
//                         rows, raw_* JSON, CHECKs, more indexes) as the module moves
//                         money: a capture or refund is a pending payment_movement,
//                         inserted by the statement that checks the bound, then
//                         settled (it succeeds, its capture/refund row is written).
//                         The statements keep the collection's totals themselves; the
//                         module's triggers are disabled (a copy of the database,
//                         foreign keys still checked): the bare statements
//   medusa_schema_ledger  + the module's 11 ledger entries per flow, written by the
//                         statements (triggers still disabled)
//   medusa_schema_books   the same rows with the books left to the module's triggers,
//                         which now book every write (collection totals and statuses,
//                         the ledger, bounds re-checked under the payment's lock,
//                         the movement state machine, the settled-row guard): this
//                         layer and the next include the triggers' cost
//   module                this module's own statements (src/sql/hot-path.ts:
//                         lock-then-check verdicts, stale-movement detection, the
//                         answer's relations read back; books by the same triggers)
//
//   npm run bench:lower-bound [-- --seconds 10 --clients 8 --warmup 2]
//
// Each variant first runs unmeasured for --warmup seconds, then its database is
// analyzed, then it is measured: plans made on empty tables would penalize
// whichever variant runs first on a database.
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

/**
 * How the hand-written layers on the module's tables keep the books:
 *  - "bare":     the statements keep the collection's totals and status (what
 *                Medusa reads) themselves, no ledger; run where the module's
 *                triggers are disabled (lb_module_bare), so no trigger fires.
 *  - "ledger":   the same + the ledger entries the module's triggers write for
 *                each step, written by the statements (triggers still disabled).
 *  - "triggers": the statements write the rows only (collection, session,
 *                payment, movement, capture/refund) and the module's triggers
 *                book every write, as they do for any writer: collection totals
 *                and statuses, the ledger, the bounds re-checked under the
 *                payment's lock, the movement's state machine, the settled-row
 *                guard. The layer includes the triggers' cost.
 */
type Books = "bare" | "ledger" | "triggers"

/** The ledger entries the module's triggers write for each step of the flow (checked against them after the run). */
const LEDGER_ENTRIES = {
  collection: 1, // collection created (status)
  session: 1, // session created (status)
  authorize: 3, // session authorized, collection authorized, payment authorized
  reserve: 1, // movement reserved
  settleCapture: 3, // movement succeeded, collection completed, payment fully captured
  settleRefund: 1, // movement succeeded
}
const LEDGER_ENTRIES_PER_FLOW =
  LEDGER_ENTRIES.collection + LEDGER_ENTRIES.session + LEDGER_ENTRIES.authorize +
  2 * LEDGER_ENTRIES.reserve + LEDGER_ENTRIES.settleCapture + LEDGER_ENTRIES.settleRefund

/** The ledger's entries of one step, the columns the module writes; `n` rows. */
function ledgerEntries(n: number): string {
  const row = `(payment_ledger_id(), 'capture', 'reserved', 'subject', 'pay', 'pay_col', 'pp_system_default', 'usd',
                5000, ${raw("5000")}, 5000, ${raw("5000")}, null, 'pending')`
  return `INSERT INTO payment_ledger_entry (id, subject, event, subject_id, payment_id, payment_collection_id, provider_id,
            currency_code, amount, raw_amount, captured_delta, raw_captured_delta, from_status, to_status)
          VALUES ${Array(n).fill(row).join(", ")}`
}

/**
 * RESERVING_STEPS' shape written for the module's tables as the module moves
 * money: a capture or refund is first a pending `payment_movement`, inserted
 * by the statement that checks the bound (captures within the authorized
 * amount, refunds within the settled captures; refused movements excluded);
 * settling marks it succeeded and writes its capture or refund row (same id),
 * and a capture that completes the payment sets its captured_at. The
 * collection's totals count settled money only, so they move at the settle.
 * The provider's data ($2 of a settle: the manual provider answers `{}`) is
 * merged into the payment's. No verdicts, idempotency or stale-movement
 * checks: the least these tables need. The bound is read in the statement's
 * snapshot: with "triggers" the books re-check it under the payment's lock;
 * in "bare" and "ledger" it is not race-free on its own (here every flow has
 * its own payment, so no race arises).
 */
function medusaSchemaSteps(books: Books): FloorStep[] {
  const ledger = (n: number) => (books === "ledger" ? `, ledger AS (${ledgerEntries(n)})` : "")
  // the collection's side, when the statements keep it (not with the triggers, which do)
  const totals = (cte: string) => (books === "triggers" ? "" : `, ${cte}`)
  const statements: [string, string, (ids: FlowIds) => unknown[]][] = [
    [
      "collection",
      `WITH w AS (INSERT INTO payment_collection (id, currency_code, amount, raw_amount)
         VALUES ($1, $2, $3::numeric, ${raw("$3")}) RETURNING id)${ledger(LEDGER_ENTRIES.collection)} SELECT w.id FROM w`,
      (ids) => [ids.collection, FLOW.currency, FLOW.amount],
    ],
    ["read the collection", `SELECT id, currency_code, deleted_at FROM payment_collection WHERE id = $1`, (ids) => [ids.collection]],
    [
      "session",
      `WITH w AS (INSERT INTO payment_session (id, payment_collection_id, provider_id, amount, raw_amount, currency_code, data, status)
         SELECT $1, c.id, $3, $4::numeric, ${raw("$4")}, c.currency_code, '{}', 'pending'
           FROM payment_collection c WHERE c.id = $2 RETURNING id)${ledger(LEDGER_ENTRIES.session)} SELECT w.id FROM w`,
      (ids) => [ids.session, ids.collection, FLOW.provider, FLOW.amount],
    ],
    ["read the session", `SELECT to_jsonb(s) FROM payment_session s WHERE id = $1`, (ids) => [ids.session]],
    [
      "authorize",
      `WITH s AS (UPDATE payment_session SET status = 'authorized', authorized_at = now(), updated_at = now()
                   WHERE id = $1 AND status = 'pending'
               RETURNING id, payment_collection_id, provider_id, currency_code, amount, raw_amount, data),
       p AS (INSERT INTO payment (id, amount, raw_amount, currency_code, provider_id, data, payment_collection_id, payment_session_id)
             SELECT $2, amount, raw_amount, currency_code, provider_id, data, payment_collection_id, id FROM s
             RETURNING id, payment_collection_id, amount)${totals(
        `c AS (UPDATE payment_collection pc SET authorized_amount = coalesce(pc.authorized_amount, 0) + p.amount,
                    raw_authorized_amount = ${raw("coalesce(pc.authorized_amount, 0) + p.amount")},
                    status = CASE WHEN coalesce(pc.authorized_amount, 0) + p.amount >= pc.amount THEN 'authorized' ELSE 'partially_authorized' END,
                    updated_at = now()
               FROM p WHERE pc.id = p.payment_collection_id RETURNING pc.id)`
      )}${ledger(LEDGER_ENTRIES.authorize)}
       SELECT p.id FROM p`,
      (ids) => [ids.session, ids.payment],
    ],
    ...(["capture", "refund"] as const).flatMap((kind): [string, string, (ids: FlowIds) => unknown[]][] => {
      const capture = kind === "capture"
      const [collectionTotal, movementColumns] = capture
        ? ["captured_amount", "id, payment_id, amount, raw_amount, created_by, metadata"]
        : ["refunded_amount", "id, payment_id, amount, raw_amount, created_by, note, refund_reason_id, metadata"]
      return [
        [
          `reserve the ${kind}`,
          `WITH p AS (SELECT id, amount FROM payment
                       WHERE id = $1 AND deleted_at IS NULL${capture ? " AND canceled_at IS NULL" : ""}
                         FOR NO KEY UPDATE),
           t AS (SELECT coalesce(sum(x.amount) FILTER (WHERE x.kind = 'capture'), 0) AS captures,
                        coalesce(sum(x.amount) FILTER (WHERE x.kind = 'capture' AND x.status = 'succeeded'), 0) AS settled_captures,
                        coalesce(sum(x.amount) FILTER (WHERE x.kind = 'refund'), 0) AS refunds
                   FROM payment_movement x, p
                  WHERE x.payment_id = p.id AND x.deleted_at IS NULL AND x.status <> 'refused'),
           m AS (INSERT INTO payment_movement (id, kind, payment_id, amount, raw_amount, status)
                 SELECT $3, '${kind}', p.id, $2::numeric, ${raw("$2")}, 'pending' FROM p, t
                  WHERE $2::numeric > 0
                    AND ${capture ? "t.captures + $2::numeric <= p.amount" : "t.refunds + $2::numeric <= t.settled_captures"}
                 RETURNING id)${ledger(LEDGER_ENTRIES.reserve)}
           SELECT m.id FROM m`,
          (ids) => [ids.payment, capture ? FLOW.amount : FLOW.refund, ids[kind]],
        ],
        [
          `settle the ${kind}`,
          `WITH m AS (UPDATE payment_movement SET status = 'succeeded', settled_at = now(), updated_at = now()
                       WHERE id = $1 AND kind = '${kind}' AND status IN ('pending', 'unknown')
                   RETURNING ${movementColumns}),
           k AS (INSERT INTO ${kind} (${movementColumns}) SELECT ${movementColumns} FROM m RETURNING id),
           p AS (UPDATE payment SET data = coalesce(payment.data, '{}') || $2::jsonb,${
             capture
               ? `
                        captured_at = CASE WHEN m.amount + (SELECT coalesce(sum(x.amount), 0) FROM payment_movement x
                                                             WHERE x.payment_id = payment.id AND x.kind = 'capture'
                                                               AND x.status = 'succeeded' AND x.deleted_at IS NULL) >= payment.amount
                                           THEN coalesce(payment.captured_at, now()) ELSE payment.captured_at END,`
               : ""
           }
                        updated_at = now()
                   FROM m WHERE payment.id = m.payment_id${capture ? "" : ` AND $2::jsonb <> '{}'::jsonb`}
                 RETURNING payment.id)${totals(
            `c AS (UPDATE payment_collection pc SET ${collectionTotal} = coalesce(pc.${collectionTotal}, 0) + m.amount,
                        raw_${collectionTotal} = ${raw(`coalesce(pc.${collectionTotal}, 0) + m.amount`)},${
                          capture
                            ? `
                        status = CASE WHEN coalesce(pc.captured_amount, 0) + m.amount >= pc.amount THEN 'completed' ELSE 'partially_captured' END,`
                            : ""
                        }
                        updated_at = now()
                   FROM m JOIN payment pay ON pay.id = m.payment_id WHERE pc.id = pay.payment_collection_id RETURNING pc.id)`
          )}${ledger(capture ? LEDGER_ENTRIES.settleCapture : LEDGER_ENTRIES.settleRefund)}
           SELECT k.id FROM k`,
          (ids) => [ids[kind], "{}"],
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
    // as insertSession sends it: no context or metadata (JSON null), the caller's data ({}) and the manual provider's ({})
    step("create session", s.createSession, (ids) => [
      ids.session, ids.collection, FLOW.provider, amount, FLOW.currency, "null", "{}", "pending", "null",
    ]),
    step("read the session", s.sessionWithPayment, (ids) => [ids.session]),
    // the manual provider authorizes with data {}; no capture at authorization
    step("authorize", s.authorize, (ids) => [ids.session, ids.payment, "{}", false, null, LOCK_TIMEOUT]),
    ...(["capture", "refund"] as const).flatMap((kind) => [
      // as reserveMovement sends it: no key, created_by, note, reason; metadata JSON null
      step(`reserve the ${kind}`, s.reserve, (ids) => [
        kind, ids.payment, ids[kind], String(kind === "capture" ? FLOW.amount : FLOW.refund), "pending",
        null, null, null, "null", null, STALE_PENDING_MS, LOCK_TIMEOUT,
      ]),
      // (movement, payment, the provider's data — the manual provider answers {} —, own transaction: capturePayment opens none)
      step(`settle the ${kind}`, s.settle, (ids) => [ids[kind], ids.payment, "{}", true]),
    ]),
  ]
})()

/** Each step gives its statement exactly the parameters it takes ($1…$n), so a changed signature fails here, not in pgbench. */
function checkParameters(variant: Variant): void {
  for (const step of variant.steps) {
    const numbers = [...step.text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]))
    const taken = numbers.length ? Math.max(...numbers) : 0
    const given = step.values(SYMBOLIC_IDS).length
    if (taken !== given) {
      throw new Error(`${variant.name}, ${step.what}: the statement takes ${taken} parameters, the tool gives ${given}`)
    }
  }
}

/** `ledger`: the ledger entries a flow of this variant writes, checked after its run. */
type Variant = { name: string; db: string; steps: FloorStep[]; ledger?: number }

const VARIANTS: Variant[] = [
  { name: "floor", db: "lb_floor", steps: FLOOR_STEPS },
  { name: "floor_reserve", db: "lb_floor_reserve", steps: RESERVING_STEPS },
  { name: "medusa_schema", db: "lb_module_bare", steps: medusaSchemaSteps("bare"), ledger: 0 },
  { name: "medusa_schema_ledger", db: "lb_module_bare", steps: medusaSchemaSteps("ledger"), ledger: LEDGER_ENTRIES_PER_FLOW },
  { name: "medusa_schema_books", db: "lb_module", steps: medusaSchemaSteps("triggers"), ledger: LEDGER_ENTRIES_PER_FLOW },
  { name: "module", db: "lb_module", steps: MODULE_STEPS, ledger: LEDGER_ENTRIES_PER_FLOW },
]
const DATABASES = [...new Set(VARIANTS.map((v) => v.db))]

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

function option(name: string, fallback: number, min = 1): number {
  const i = process.argv.indexOf(`--${name}`)
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} needs an integer of at least ${min}`)
  return value
}

async function prepareDatabases(adminUrl: string): Promise<void> {
  for (const [db, schema] of [["lb_floor", FLOOR_SCHEMA], ["lb_floor_reserve", RESERVING_SCHEMA]] as const) {
    await recreateDatabase(adminUrl, db)
    await withClient(databaseUrl(adminUrl, db), (c) => c.query(schema))
  }
  // The module's tables, functions and triggers, migrated as a Medusa app migrates them. The
  // statements replayed come from src/ (CHECKOUT_STATEMENTS), so the functions are migrated from
  // src/ too unless BENCH_OURS_FROM says otherwise: a dist/ built before a schema change would
  // install functions those statements no longer match.
  process.env.BENCH_OURS_FROM ??= "src"
  await recreateDatabase(adminUrl, "lb_module")
  const loaded = await loadPaymentModule("ours", databaseUrl(adminUrl, "lb_module"), 2)
  await loaded.shutdown()
  // The bare layers' copy: every trigger the module defines disabled (ALTER TABLE … DISABLE
  // TRIGGER USER), so its statements run alone; the foreign keys' internal triggers stay on, as
  // on the floors' tables. (session_replication_role = replica would skip those checks too.)
  await withClient(adminUrl, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS lb_module_bare WITH (FORCE)`)
    for (let attempt = 0; ; attempt++) {
      try {
        await c.query(`CREATE DATABASE lb_module_bare TEMPLATE lb_module`)
        break
      } catch (error: any) {
        // 55006: the pool that migrated lb_module may take a moment to leave it
        if (error?.code !== "55006" || attempt >= 40) throw error
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
    }
  })
  await withClient(databaseUrl(adminUrl, "lb_module_bare"), async (c) => {
    const tables = (await c.query(`SELECT DISTINCT tgrelid::regclass::text AS t FROM pg_trigger WHERE NOT tgisinternal`)).rows
    for (const { t } of tables) await c.query(`ALTER TABLE ${t} DISABLE TRIGGER USER`)
    const left = Number((await c.query(`SELECT count(*) AS n FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'`)).rows[0].n)
    if (!tables.length || left) throw new Error(`lb_module_bare: expected the module's triggers, all disabled (${tables.length} tables, ${left} left on)`)
  })
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
      env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) },
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
async function rowCount(adminUrl: string, db: string, table: "refund" | "payment_ledger_entry"): Promise<number> {
  return withClient(databaseUrl(adminUrl, db), async (c) => Number((await c.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n))
}

async function main() {
  if (process.argv.includes("--help")) {
    process.stdout.write(
      `npm run bench:lower-bound [-- --seconds N (default 10, per variant) --clients N (default 8) --warmup N (default 2 s, 0: none)]\n` +
        `variants: ${VARIANTS.map((v) => v.name).join(", ")} (bench/README.md, "How close can anything get?")\n`
    )
    return
  }
  const seconds = option("seconds", 10)
  const clients = option("clients", 8)
  const warmup = option("warmup", 2, 0)
  VARIANTS.forEach(checkParameters)
  const pgbench = findPgbench()
  const server = await startServer("local")
  try {
    await prepareDatabases(server.adminUrl)
    const rows: { name: string; flows: number }[] = []
    for (const variant of VARIANTS) {
      // Warm-up, not measured: prepared statements planned on empty tables keep plans that
      // scale with them (on the module's empty tables, a lookup of one payment by id is
      // planned as a scan of IDX_payment_provider_id), which cost whichever variant ran
      // first on a database up to half its throughput. So each variant first fills its tables,
      // they are analyzed, and the measured pass plans on new connections.
      if (warmup > 0) {
        runPgbench(pgbench, server.adminUrl, variant, warmup, clients)
        await withClient(databaseUrl(server.adminUrl, variant.db), (c) => c.query("ANALYZE"))
      }
      const before = await rowCount(server.adminUrl, variant.db, "refund")
      const ledgerBefore = variant.ledger === undefined ? 0 : await rowCount(server.adminUrl, variant.db, "payment_ledger_entry")
      const { tps, flows } = runPgbench(pgbench, server.adminUrl, variant, seconds, clients)
      const refunds = (await rowCount(server.adminUrl, variant.db, "refund")) - before
      if (refunds !== flows) {
        throw new Error(`${variant.name}: pgbench ran ${flows} flows but ${refunds} reached their refund; a step was refused`)
      }
      if (variant.ledger !== undefined) {
        // the hand-written ledger stands for the triggers' one only if they write as many entries
        const entries = (await rowCount(server.adminUrl, variant.db, "payment_ledger_entry")) - ledgerBefore
        if (entries !== variant.ledger * flows) {
          process.stderr.write(
            `  note: ${variant.name} wrote ${(entries / flows).toFixed(2)} ledger entries per flow, not ${variant.ledger}` +
              ` (LEDGER_ENTRIES in this file stands for what the triggers write)\n`
          )
        }
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
    for (const db of [...DATABASES].reverse()) {
      await withClient(server.adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)).catch(() => {})
    }
    await server.stop()
  }
}

main().catch((error) => {
  process.stderr.write(`${error.message}\n`)
  process.exit(1)
})
