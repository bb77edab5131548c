// Counting the SQL statements a flow sends, as PostgreSQL itself saw them.
//
// Why the server side: client-side hooks (knex "query" events, MikroORM
// loggers) only see what goes through that client; the floor uses `pg`
// directly, a module may use several clients, and BEGIN/COMMIT/SAVEPOINT are
// often issued below the hooks. The server counts everything the same way for
// every implementation.
//
// Two methods, chosen automatically (run.ts --counter overrides):
//  1. pg_stat_statements (preferred). Exact per-statement call counters, cheap
//     enough to stay on during the timed runs, so every concurrency level gets
//     its own statements/flow. Needs `shared_preload_libraries =
//     pg_stat_statements`, which only takes effect at server start: the
//     embedded server (--pg embedded) always has it; a local server may not.
//  2. Statement log. `ALTER DATABASE <bench db> SET log_statement = 'all'`
//     (superuser, no restart, affects only new sessions of that database),
//     then the log lines of that database between two byte offsets are
//     counted. The log is read through the server (pg_stat_file /
//     pg_read_binary_file), so the harness needs no filesystem access to it.
//     Logging costs time, so in this mode the counting pass runs in its own
//     process and the timed runs are done without logging.
// Both count top-level statements only: one BEGIN, one INSERT, ... each
// counted once however many rows or triggers it touches.
import { Client } from "pg"
import { CounterConfig, StatementCounts } from "./types"
import { withClient } from "./pg"

export function emptyCounts(): StatementCounts {
  return { total: 0, select: 0, insert: 0, update: 0, delete: 0, transaction: 0, savepoint: 0, other: 0 }
}

export function scaleCounts(c: StatementCounts, divisor: number): StatementCounts {
  const out = emptyCounts()
  for (const k of Object.keys(out) as (keyof StatementCounts)[]) {
    out[k] = divisor > 0 ? Math.round((c[k] / divisor) * 100) / 100 : 0
  }
  return out
}

/** Sort one statement text into the buckets of StatementCounts. */
export function classify(sql: string): Exclude<keyof StatementCounts, "total"> {
  // strip leading comments / whitespace, e.g. ORM annotations
  const s = sql.replace(/^(\s+|--[^\n]*\n|\/\*[\s\S]*?\*\/)+/, "").toLowerCase()
  const word = /^[a-z]+/.exec(s)?.[0] ?? ""
  switch (word) {
    case "begin":
    case "start":
    case "commit":
    case "end":
    case "abort":
      return "transaction"
    case "rollback":
      return /^rollback\s+(work\s+|transaction\s+)?to\b/.test(s) ? "savepoint" : "transaction"
    case "savepoint":
    case "release":
      return "savepoint"
    case "select":
    case "insert":
    case "update":
    case "delete":
      return word
    case "with": {
      // a data-modifying CTE counts as its first write; otherwise it reads
      const m = /\b(insert|update|delete)\b/.exec(s)
      return (m?.[1] as "insert" | "update" | "delete") ?? "select"
    }
    default:
      return "other"
  }
}

function add(counts: StatementCounts, sql: string, n: number) {
  counts[classify(sql)] += n
  counts.total += n
}

/** Pick the counting method for a server (see the header comment). */
export async function detectCounter(
  adminUrl: string,
  forced?: "pg_stat_statements" | "log"
): Promise<CounterConfig & { note: string }> {
  return withClient(adminUrl, async (c) => {
    const preload: string = (await c.query("SHOW shared_preload_libraries")).rows[0].shared_preload_libraries
    const hasPgss = preload.split(",").map((s) => s.trim()).includes("pg_stat_statements")
    if (forced !== "log" && hasPgss) {
      const row = (await c.query("SHOW pg_stat_statements.track_utility")).rows[0]
      const tracksUtility = Object.values(row)[0] === "on"
      return {
        method: "pg_stat_statements",
        note:
          "pg_stat_statements call deltas of the benchmark database, top-level statements only" +
          (tracksUtility ? "" : "; WARNING: track_utility is off, BEGIN/COMMIT/SAVEPOINT are NOT counted"),
      }
    }
    if (forced === "pg_stat_statements") {
      throw new Error(
        "pg_stat_statements is not in shared_preload_libraries of this server (loading it needs a restart); " +
          "use --pg embedded, or --counter log"
      )
    }
    const prefix: string = (await c.query("SHOW log_line_prefix")).rows[0].log_line_prefix
    // %d: split the shared log by database; leading %m/%t: tell where an
    // entry starts (multi-line statements). Debian's default has both.
    if (!prefix.includes("%d") || !/^%[mt]/.test(prefix)) {
      throw new Error(
        `log_line_prefix (${JSON.stringify(prefix)}) must start with %m or %t and contain %d for the log counter; ` +
          "use --pg embedded (pg_stat_statements)"
      )
    }
    const logFile = await findLogFile(c)
    return {
      method: "log",
      logFile,
      note:
        `server statement log (log_statement=all on the benchmark database only, read from ${logFile}); ` +
        "counted in a separate untimed pass, because logging slows the server",
    }
  })
}

async function findLogFile(c: Client): Promise<string> {
  if (process.env.BENCH_PG_LOGFILE) return process.env.BENCH_PG_LOGFILE
  const current = (await c.query("SELECT pg_current_logfile() AS f")).rows[0].f as string | null
  if (current) {
    if (current.startsWith("/")) return current
    const dataDir = (await c.query("SHOW data_directory")).rows[0].data_directory
    return `${dataDir}/${current}`
  }
  // No logging collector: stderr goes wherever the service manager sends it.
  // Debian/Ubuntu's pg_ctlcluster uses /var/log/postgresql/postgresql-<ver>-<cluster>.log
  const cluster: string = (await c.query("SHOW cluster_name")).rows[0].cluster_name
  const candidate = `/var/log/postgresql/postgresql-${cluster.replace("/", "-")}.log`
  try {
    await c.query("SELECT size FROM pg_stat_file($1)", [candidate])
    return candidate
  } catch {
    throw new Error(
      "cannot locate the server log (no logging collector and no Debian-style log file); " +
        "set BENCH_PG_LOGFILE, or use --pg embedded (pg_stat_statements)"
    )
  }
}

/** One open counting session against one benchmark database. */
export interface SqlCounter {
  /** opaque position; take one before and one after a batch of flows */
  mark(): Promise<unknown>
  /** statements of the benchmark database between two marks */
  between(a: unknown, b: unknown): Promise<StatementCounts>
  close(): Promise<void>
}

/**
 * Per-database setup that must happen before the measured code connects:
 * pg_stat_statements needs its view in the database we read it from; the log
 * method needs log_statement set for new sessions of that database.
 */
export async function enableCounting(cfg: CounterConfig, adminUrl: string, dbUrl: string, dbName: string) {
  if (cfg.method === "pg_stat_statements") {
    await withClient(dbUrl, (c) => c.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"))
  } else {
    await withClient(adminUrl, (c) => c.query(`ALTER DATABASE ${dbName} SET log_statement = 'all'`))
  }
}

export async function disableCounting(cfg: CounterConfig, adminUrl: string, dbName: string) {
  if (cfg.method === "log") {
    await withClient(adminUrl, (c) => c.query(`ALTER DATABASE ${dbName} RESET log_statement`))
  }
}

export async function openCounter(cfg: CounterConfig, adminUrl: string, dbUrl: string, dbName: string): Promise<SqlCounter> {
  return cfg.method === "pg_stat_statements" ? openPgss(dbUrl) : openLog(adminUrl, dbName, cfg.logFile!)
}

async function openPgss(dbUrl: string): Promise<SqlCounter> {
  // Our own connection lives in the measured database, so our snapshot query
  // shows up in the view too: it is filtered out by its text.
  const c = new Client({ connectionString: dbUrl })
  await c.connect()
  type Snap = { rows: Map<string, { query: string; calls: number }>; dealloc: number }
  const mark = async (): Promise<Snap> => {
    const r = await c.query(
      `SELECT userid::text || ':' || queryid::text AS k, query, calls::bigint AS calls
         FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND toplevel
          AND query NOT LIKE '%pg_stat_statements%'`
    )
    const d = await c.query("SELECT dealloc FROM pg_stat_statements_info")
    const rows = new Map<string, { query: string; calls: number }>()
    for (const row of r.rows) rows.set(row.k, { query: row.query, calls: Number(row.calls) })
    return { rows, dealloc: Number(d.rows[0].dealloc) }
  }
  return {
    mark,
    async between(a: unknown, b: unknown) {
      const before = a as Snap
      const after = b as Snap
      if (after.dealloc !== before.dealloc) {
        // entries were evicted: the calls of evicted statements would be lost
        throw new Error("pg_stat_statements evicted entries during the window; raise pg_stat_statements.max")
      }
      const counts = emptyCounts()
      for (const [k, v] of after.rows) {
        const n = v.calls - (before.rows.get(k)?.calls ?? 0)
        if (n > 0) add(counts, v.query, n)
      }
      return counts
    },
    close: () => c.end(),
  }
}

async function openLog(adminUrl: string, dbName: string, logFile: string): Promise<SqlCounter> {
  const c = new Client({ connectionString: adminUrl })
  await c.connect()
  // With the Debian prefix "%m [%p] %q%u@%d " a line reads
  //   2026-01-01 10:00:00.000 UTC [123] postgres@bench_medusa LOG:  statement: BEGIN
  //   2026-01-01 10:00:00.001 UTC [123] postgres@bench_medusa LOG:  execute <unnamed>: select ...
  // Parameters follow on DETAIL lines (ignored); multi-line SQL continues on
  // unprefixed lines (kept, for classification).
  const line = new RegExp(`@${dbName} .*?LOG:  (?:statement|execute [^:]*): (.*)$`)
  // every entry starts with the %m/%t timestamp of the Debian/default prefixes
  const NEW_ENTRY = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/
  const mark = async () => Number((await c.query("SELECT size FROM pg_stat_file($1)", [logFile])).rows[0].size)
  return {
    mark,
    async between(a: unknown, b: unknown) {
      const from = a as number
      const to = b as number
      if (to < from) throw new Error(`server log ${logFile} shrank during the window (rotated?)`)
      const counts = emptyCounts()
      // A statement's SQL may span several lines (or start with a newline):
      // lines up to the next log entry belong to it, so keep them until then.
      // (PostgreSQL writes each log message in one piece, so other sessions'
      // lines cannot interleave inside it.)
      let pending: string | null = null
      const flush = () => {
        if (pending !== null) add(counts, pending, 1)
        pending = null
      }
      const consume = (buf: Buffer) => {
        for (const l of buf.toString("utf8").split("\n")) {
          if (pending !== null && !NEW_ENTRY.test(l)) {
            if (pending.length < 2000) pending += "\n" + l
            continue
          }
          flush()
          const m = line.exec(l)
          if (m) pending = m[1]
        }
      }
      // read in chunks; carry bytes, not text, as a chunk may end inside a
      // multi-byte character
      const chunk = 4 << 20
      let carry = Buffer.alloc(0)
      for (let off = from; off < to; off += chunk) {
        const len = Math.min(chunk, to - off)
        const r = await c.query("SELECT pg_read_binary_file($1, $2, $3) AS b", [logFile, off, len])
        const buf = Buffer.concat([carry, r.rows[0].b as Buffer])
        const cut = buf.lastIndexOf(0x0a)
        consume(buf.subarray(0, cut + 1))
        carry = buf.subarray(cut + 1)
      }
      consume(carry)
      flush()
      return counts
    },
    close: () => c.end(),
  }
}
