// Runs once before the e2e suites: a PostgreSQL (the configured one, or an
// embedded one), a built package, and a template database that `medusa
// db:migrate` and app/seed.ts prepared. Every suite clones the template
// (CREATE DATABASE … TEMPLATE, ~1 s) instead of migrating (~30-60 s).
//
// The template is rebuilt only when what it is made of changed: the
// migrations in dist/, the lockfile, medusa-config.ts and app/seed.ts.
import crypto from "node:crypto"
import fs from "node:fs"
import path from "node:path"
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"
import { ensurePostgres } from "../scripts/postgres.mjs"

const require = createRequire(import.meta.url)
const lifecycle = require("../app/lifecycle.cjs")
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const TEMPLATE = "medusa_pp_e2e_template"

function say(line) {
  process.stdout.write(`[e2e setup] ${line}\n`)
}

function fingerprint() {
  const hash = crypto.createHash("sha256")
  const files = [
    "package-lock.json",
    "medusa-config.ts",
    "app/seed.ts",
    ...fs
      .readdirSync(path.join(root, "dist", "migrations"))
      .filter((f) => f.endsWith(".js"))
      .sort()
      .map((f) => path.join("dist", "migrations", f)),
  ]
  for (const file of files) {
    hash.update(file)
    hash.update(fs.readFileSync(path.join(root, file)))
  }
  return hash.digest("hex").slice(0, 16)
}

async function templateState(url) {
  return lifecycle.withMaintenanceClient(url, async (client) => {
    const { rows } = await client.query(
      "SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1",
      [TEMPLATE]
    )
    if (!rows.length) return null
    try {
      return JSON.parse(rows[0].comment)
    } catch {
      return { fingerprint: null }
    }
  })
}

async function buildTemplate(url, print) {
  const logDir = process.env.E2E_LOG_DIR
  await lifecycle.withMaintenanceClient(url, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${lifecycle.quoteIdent(TEMPLATE)} WITH (FORCE)`)
    await client.query(`CREATE DATABASE ${lifecycle.quoteIdent(TEMPLATE)}`)
  })
  const env = { DATABASE_URL: url, STRIPE_API_KEY: "", REDIS_URL: "", NODE_ENV: "development" }
  let since = Date.now()
  say("template: medusa db:migrate ...")
  await lifecycle.medusa(["db:migrate"], { env, logFile: path.join(logDir, "template-migrate.log") })
  say(`template: migrated in ${((Date.now() - since) / 1000).toFixed(1)}s`)
  since = Date.now()
  const output = path.join(logDir, "seed.json")
  await lifecycle.medusa(["exec", "./app/seed.ts"], {
    env: { ...env, SEED_OUTPUT: output },
    logFile: path.join(logDir, "template-seed.log"),
  })
  const seed = JSON.parse(fs.readFileSync(output, "utf8"))
  delete seed.steps
  say(`template: seeded in ${((Date.now() - since) / 1000).toFixed(1)}s`)
  return seed
}

/** The scale-out suite needs Redis (and the module suites' lock test); they are told here whether one answers. */
export async function redisAnswers() {
  const url = new URL(process.env.REDIS_URL || "redis://127.0.0.1:6379")
  const net = await import("node:net")
  return await new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port || 6379) })
    const done = (ok) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1500, () => done(false))
    socket.once("connect", () => done(true))
    socket.once("error", () => done(false))
  })
}

export default async function globalSetup() {
  process.env.E2E_REDIS_AVAILABLE = (await redisAnswers()) ? "1" : ""
  const started = Date.now()
  const logDir = process.env.E2E_LOG_DIR || path.join(root, ".data", "e2e", "logs")
  fs.mkdirSync(logDir, { recursive: true })
  process.env.E2E_LOG_DIR = logDir

  if (await lifecycle.ensurePackageBuilt()) say("built dist/ (npm run build)")

  const pg = await ensurePostgres({
    dataDir: process.env.EMBEDDED_PG_DIR || path.join(root, ".data", "e2e", "postgres"),
    log: say,
  })
  globalThis.__E2E_POSTGRES__ = pg
  const serverUrl = lifecycle.databaseUrl(pg.connection, "postgres")
  const templateUrl = lifecycle.databaseUrl(pg.connection, TEMPLATE)

  const wanted = fingerprint()
  let state = await templateState(serverUrl)
  if (!state || state.fingerprint !== wanted || !state.seed || process.env.E2E_REBUILD_TEMPLATE === "1") {
    say(state ? "template is out of date; rebuilding" : "no template database yet; building it")
    const seed = await buildTemplate(templateUrl, say)
    state = { fingerprint: wanted, seed }
    await lifecycle.withMaintenanceClient(serverUrl, async (client) => {
      const comment = JSON.stringify(state).replace(/'/g, "''")
      await client.query(`COMMENT ON DATABASE ${lifecycle.quoteIdent(TEMPLATE)} IS '${comment}'`)
    })
  } else {
    say(`template database ${TEMPLATE} is current (${wanted})`)
  }

  process.env.E2E_PG_URL = serverUrl
  process.env.E2E_TEMPLATE_DB = TEMPLATE
  process.env.E2E_SEED = JSON.stringify(state.seed)
  say(`ready in ${((Date.now() - started) / 1000).toFixed(1)}s (PostgreSQL ${pg.connection.host}:${pg.connection.port}${pg.embedded ? ", embedded" : ""})`)
}
