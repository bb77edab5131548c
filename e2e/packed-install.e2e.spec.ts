import { execFile } from "node:child_process"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { builtinModules, createRequire } from "node:module"
import { promisify } from "node:util"
import { Pool } from "pg"
import Stripe from "stripe"
import { startLocalStripe, type LocalStripe } from "../local-stripe"
import { STRIPE_KEY, WEBHOOK_PATH, WEBHOOK_SECRET, type Environment, type MedusaServer } from "./harness/environment"
import { adminOrder, moneyFacts, onlyPayment, stripeFacts } from "./harness/facts"
import { adminClient, storeClient, type Client } from "./harness/http"
import { placeOrder } from "./harness/orders"
import type { Seed } from "./harness/seed"

// The package as a user gets it: `npm pack` of this repository (its existing
// dist/, never rebuilt here), installed with `npm install` into a fresh
// Medusa 2.21.2 store OUTSIDE this repository (under os.tmpdir(), so nothing
// can resolve from this repository's node_modules), whose medusa-config.ts
// names the package by its plain name as README.md does
// (e2e/fixtures/packed-store). The store migrates a fresh database with its
// own `npx medusa db:migrate`, gets the demo data (app/seed.ts, run as the
// e2e template's seed is, against that database), runs its own `medusa start`
// with the local Stripe as Stripe, and checks out with both providers.
//
// E2E_KEEP_APP=1 keeps the store folder (its path is printed).

// eslint-disable-next-line @typescript-eslint/no-var-requires
const lifecycle = require("../app/lifecycle.cjs")

jest.setTimeout(180_000)
const SETUP_TIMEOUT_MS = 480_000

const ROOT: string = lifecycle.root
const NAME = "packed_install"
const npm = process.platform === "win32" ? "npm.cmd" : "npm"
const npx = process.platform === "win32" ? "npx.cmd" : "npx"
const execFileAsync = promisify(execFile)
const say = (line: string) => process.stdout.write(`[e2e] ${NAME}: ${line}\n`)
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)}s`

type PackedFile = { path: string }
type PackageJson = {
  name: string
  main?: string
  types?: string
  bin?: Record<string, string> | string
  files?: string[]
  exports?: Record<string, string | Record<string, string>>
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
}

const pkg: PackageJson = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"))
const work = path.join(os.tmpdir(), `medusa-pp-packed-${process.pid}`)
const app = path.join(work, "store")
const logDir = process.env.E2E_LOG_DIR || path.join(ROOT, ".data", "e2e", "logs")
const logFile = (step: string) => path.join(logDir, `${NAME}-${step}.log`)
/** This run's log of one step (lifecycle.run appends). */
function freshLog(step: string): string {
  fs.writeFileSync(logFile(step), "")
  return logFile(step)
}

/** The environment of every npm / Medusa command in the store: nothing of the npm or jest run that started us. */
function storeEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^npm_/i.test(key) || key === "NODE_PATH" || key === "INIT_CWD") continue
    env[key] = value
  }
  return { ...env, MEDUSA_DISABLE_TELEMETRY: "true", ...extra }
}

/** Every file a bin, main, types or "exports" entry of package.json points at. */
function entryPoints(manifest: PackageJson): string[] {
  const targets = new Set<string>()
  const add = (target: unknown) => {
    if (typeof target === "string") targets.add(target.replace(/^\.\//, ""))
    else if (target && typeof target === "object") Object.values(target).forEach(add)
  }
  add(manifest.main)
  add(manifest.types)
  add(manifest.bin)
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) if (!subpath.endsWith("package.json")) add(target)
  return [...targets].sort()
}

/** Fails with what to do when the build `npm pack` would pack is missing. */
function assertBuilt(): void {
  const missing = [
    ...(pkg.files ?? []).filter((entry) => !fs.existsSync(path.join(ROOT, entry))),
    ...entryPoints(pkg).filter((file) => !fs.existsSync(path.join(ROOT, file))),
  ]
  if (missing.length) {
    throw new Error(
      `This test packs the existing build, and it is incomplete: ${missing.join(", ")} missing. ` +
        `Run \`npm run build\` first (\`npm test\` does it in its pretest).`
    )
  }
}

/** Bare specifiers of every literal require("…") / import("…") in the installed package's JavaScript. */
function bareRequires(packageDir: string): Map<string, { spec: string; file: string }[]> {
  const found = new Map<string, { spec: string; file: string }[]>()
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules") walk(full)
        continue
      }
      if (!/\.(c|m)?js$/.test(entry.name)) continue
      const text = fs.readFileSync(full, "utf8")
      for (const match of text.matchAll(/\b(?:require|import)\(\s*(["'`])([^"'`]+)\1\s*\)/g)) {
        const spec = match[2]
        if (spec.startsWith(".") || path.isAbsolute(spec)) continue
        const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]
        const list = found.get(name) ?? []
        list.push({ spec, file: path.relative(packageDir, full) })
        found.set(name, list)
      }
    }
  }
  walk(packageDir)
  return found
}

/** Node's own resolution (not jest's) from a directory, as the store's processes resolve. */
function resolveFrom(dir: string, spec: string): string {
  return fs.realpathSync(createRequire(path.join(dir, "noop.js")).resolve(spec))
}

/** The folder of the package `name` a resolved file belongs to. */
function packageDirOf(file: string, name: string): string {
  let dir = path.dirname(file)
  while (dir !== path.dirname(dir)) {
    const manifest = path.join(dir, "package.json")
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, "utf8")).name === name) return dir
    dir = path.dirname(dir)
  }
  throw new Error(`no package ${name} above ${file}`)
}

const README_JOB = `export { default, config } from "medusa-payment-plus/jobs/reconcile-payments"\n`

let tarball: string
let packedFiles: string[]
let installSeconds: number
let databaseUrl: string | undefined
let server: MedusaServer | undefined
let local: LocalStripe | undefined
let pool: Pool | undefined
let env: Environment
const started = Date.now()

beforeAll(async () => {
  assertBuilt()
  fs.mkdirSync(logDir, { recursive: true })
  fs.rmSync(work, { recursive: true, force: true })
  fs.mkdirSync(path.join(work, "pack"), { recursive: true })

  // 1. npm pack: the existing build, no lifecycle scripts (nothing is rebuilt).
  let since = Date.now()
  const { stdout } = await execFileAsync(
    npm,
    ["pack", "--ignore-scripts", "--json", "--pack-destination", path.join(work, "pack")],
    { cwd: ROOT, env: storeEnv(), maxBuffer: 64 * 1024 * 1024 }
  )
  const [packed] = JSON.parse(stdout) as { filename: string; files: PackedFile[] }[]
  tarball = path.join(work, "pack", packed.filename)
  packedFiles = packed.files.map((f) => f.path)
  say(`npm pack: ${packed.filename}, ${packedFiles.length} files (${seconds(since)})`)

  // 2. A fresh store outside the repository, depending on the tarball.
  fs.cpSync(path.join(ROOT, "e2e", "fixtures", "packed-store"), app, { recursive: true })
  const manifestFile = path.join(app, "package.json")
  const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8"))
  manifest.dependencies["medusa-payment-plus"] = `file:${tarball}`
  fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + "\n")
  // README's "In your own store, add src/jobs/reconcile-payments.ts with …"
  // (written here, not kept in the fixture: inside this repository the
  // import cannot resolve, the package is not installed there).
  fs.mkdirSync(path.join(app, "src", "jobs"), { recursive: true })
  fs.writeFileSync(path.join(app, "src", "jobs", "reconcile-payments.ts"), README_JOB)

  // 3. npm install, from the npm cache where it can.
  since = Date.now()
  say("npm install in the store ...")
  await lifecycle.run(npm, ["install", "--prefer-offline", "--no-audit", "--no-fund"], {
    cwd: app,
    env: storeEnv(),
    logFile: freshLog("npm-install"),
  })
  installSeconds = (Date.now() - since) / 1000
  say(`npm install took ${installSeconds.toFixed(1)}s`)

  // 4. A fresh database, migrated by the store's own Medusa (`npx medusa db:migrate`).
  const serverUrl = process.env.E2E_PG_URL
  if (!serverUrl) throw new Error("E2E_PG_URL is not set: run the e2e tests through e2e/jest.config.js (its globalSetup prepares PostgreSQL).")
  const url = new URL(serverUrl)
  url.pathname = `/medusa_pp_e2e_${NAME}_${process.pid}`
  await lifecycle.withMaintenanceClient(url.toString(), async (client: any, name: string) => {
    await client.query(`DROP DATABASE IF EXISTS ${lifecycle.quoteIdent(name)} WITH (FORCE)`)
    await client.query(`CREATE DATABASE ${lifecycle.quoteIdent(name)}`)
  })
  databaseUrl = url.toString()

  const port: number = await lifecycle.freePort()
  const base = `http://127.0.0.1:${port}`
  local = await startLocalStripe({ webhookUrl: base + WEBHOOK_PATH, webhookSecret: WEBHOOK_SECRET, processingDelayMs: null })
  const medusaEnv = lifecycle.medusaEnv(
    storeEnv({
      DATABASE_URL: databaseUrl,
      // What the store's .env would hold; the key is the local Stripe's.
      STRIPE_API_KEY: STRIPE_KEY,
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      STRIPE_API_BASE_URL: local.url,
      JWT_SECRET: "e2e-jwt-secret",
      COOKIE_SECRET: "e2e-cookie-secret",
      REDIS_URL: "",
      NODE_ENV: "development",
      STORE_CORS: "http://localhost:8000",
      ADMIN_CORS: "http://localhost:5173",
      AUTH_CORS: "http://localhost:5173,http://localhost:8000",
    })
  )
  since = Date.now()
  await lifecycle.run(npx, ["--no", "medusa", "db:migrate"], { cwd: app, env: medusaEnv, logFile: freshLog("migrate") })
  say(`npx medusa db:migrate in the store: ${seconds(since)}`)

  // 5. The demo data (app/seed.ts), run as globalSetup seeds its template,
  //    against the store's database.
  since = Date.now()
  const seedFile = path.join(work, "seed.json")
  await lifecycle.medusa(["exec", "./app/seed.ts"], {
    env: { DATABASE_URL: databaseUrl, STRIPE_API_KEY: "", REDIS_URL: "", NODE_ENV: "development", SEED_OUTPUT: seedFile },
    logFile: freshLog("seed"),
  })
  const seed: Seed = JSON.parse(fs.readFileSync(seedFile, "utf8"))
  delete (seed as { steps?: unknown }).steps
  say(`seeded: ${seconds(since)}`)

  // 6. The store's own `medusa start` (its node_modules' CLI, in its folder).
  since = Date.now()
  freshLog("server")
  const proc = lifecycle.startProcess(
    process.execPath,
    [path.join(app, "node_modules", "@medusajs", "cli", "cli.js"), "start", "--port", String(port)],
    { cwd: app, env: { ...medusaEnv, PORT: String(port) }, logFile: logFile("server") }
  )
  server = { ...proc, url: base, port, logFile: logFile("server") } as MedusaServer
  await lifecycle.waitForHttp(`${base}/health`, {
    exited: proc.exited,
    describe: "medusa start (packed store)",
    logFile: logFile("server"),
    timeoutMs: 240_000,
  })
  say(`medusa start in the store: ${seconds(since)}`)

  const store: Client = storeClient(base, seed.publishable_key)
  const admin: Client = await adminClient(base, seed.admin_email, seed.admin_password)
  pool = new Pool({ connectionString: databaseUrl, max: 2 })
  const stripe = new Stripe(STRIPE_KEY, { ...local.stripeConfig, maxNetworkRetries: 0 })
  const db = pool
  env = {
    name: NAME,
    seed,
    servers: [server],
    store: () => store,
    admin: () => admin,
    sql: async (text, params) => (await db.query(text, params as any[])).rows,
    stripe,
    local,
    databaseUrl,
    serverLogs: () => fs.readFileSync(logFile("server"), "utf8"),
    restartServer: async () => {
      throw new Error("the packed store's server is not restarted by these tests")
    },
    stop: async () => {},
  }
  say(`store ready in ${seconds(started)} (logs: ${logDir}/${NAME}-*.log, store: ${app})`)
}, SETUP_TIMEOUT_MS)

afterAll(async () => {
  const steps: [string, () => Promise<unknown> | unknown][] = [
    ["medusa start", () => server?.stop()],
    ["pg pool", () => pool?.end()],
    ["local Stripe", () => local?.close()],
    [
      "database",
      () =>
        databaseUrl &&
        process.env.E2E_KEEP_DB !== "1" &&
        lifecycle.withMaintenanceClient(databaseUrl, (client: any, name: string) =>
          client.query(`DROP DATABASE IF EXISTS ${lifecycle.quoteIdent(name)} WITH (FORCE)`)
        ),
    ],
    [
      "store folder",
      () => {
        if (process.env.E2E_KEEP_APP === "1") say(`kept the store (E2E_KEEP_APP=1): ${app}`)
        else fs.rmSync(work, { recursive: true, force: true })
      },
    ],
  ]
  for (const [what, step] of steps) {
    try {
      await step()
    } catch (error) {
      console.error(`${NAME} cleanup (${what}): ${error}`)
    }
  }
  say(`done in ${seconds(started)} (npm install ${installSeconds?.toFixed(1) ?? "-"}s)`)
}, 60_000)

it("the tarball holds every file package.json's main, types, bin and exports point at, and each \"files\" entry", () => {
  for (const file of entryPoints(pkg)) expect(packedFiles).toContain(file)
  for (const entry of pkg.files ?? []) {
    expect(packedFiles.some((file) => file === entry || file.startsWith(entry.replace(/\/$/, "") + "/"))).toBe(true)
  }
  // The admin extensions are the bundle alone (Vite would also copy the store's built dashboard in public/).
  const admin = packedFiles.filter((file) => file.startsWith(".medusa/server/src/admin/"))
  expect(admin).toEqual(expect.arrayContaining([".medusa/server/src/admin/index.js", ".medusa/server/src/admin/index.mjs"]))
  expect(admin.filter((file) => !/^\.medusa\/server\/src\/admin\/(index\.m?js|_chunks\/)/.test(file))).toEqual([])
  // Nothing of the repository beyond what "files" names (npm adds package.json and README.md).
  const allowed = [...(pkg.files ?? []).map((e) => e.replace(/\/$/, "") + "/"), "package.json", "README.md", "LICENSE"]
  expect(packedFiles.filter((file) => !allowed.some((a) => file === a || file.startsWith(a)))).toEqual([])
})

it("installs the package from the tarball, with stripe from its dependencies in the store's node_modules", () => {
  const storeModules = path.join(app, "node_modules") + path.sep
  const installed = path.join(app, "node_modules", "medusa-payment-plus")
  expect(fs.lstatSync(installed).isSymbolicLink()).toBe(false)
  expect(resolveFrom(app, "medusa-payment-plus")).toBe(path.join(installed, pkg.main!))
  expect(resolveFrom(app, "medusa-payment-plus/providers/stripe")).toBe(path.join(installed, "dist/providers/stripe/index.js"))
  // The admin extensions a store's dashboard build imports (the payment timeline widget).
  expect(resolveFrom(app, "medusa-payment-plus/admin")).toBe(path.join(installed, ".medusa/server/src/admin/index.js"))

  // stripe as the package itself resolves it (and as the store does): inside
  // the store, not this repository, at the version the package depends on.
  for (const from of [installed, app]) {
    const stripeMain = resolveFrom(from, "stripe")
    expect(stripeMain.startsWith(storeModules)).toBe(true)
    const stripeDir = packageDirOf(stripeMain, "stripe")
    expect(JSON.parse(fs.readFileSync(path.join(stripeDir, "package.json"), "utf8")).version).toBe(pkg.dependencies!.stripe)
  }

  // The store's Medusa is its own 2.21.2, and the package's peer resolves to it.
  for (const name of ["@medusajs/medusa", "@medusajs/framework", "@medusajs/cli"]) {
    const file = path.join(app, "node_modules", name, "package.json")
    expect(JSON.parse(fs.readFileSync(file, "utf8")).version).toBe("2.21.2")
  }
  expect(resolveFrom(installed, "@medusajs/framework/utils").startsWith(path.join(app, "node_modules", "@medusajs", "framework") + path.sep)).toBe(true)
})

it("declares every package the installed code requires: a dependency, a peer dependency or a Node builtin, resolved inside the store", () => {
  const installed = path.join(app, "node_modules", "medusa-payment-plus")
  const manifest: PackageJson = JSON.parse(fs.readFileSync(path.join(installed, "package.json"), "utf8"))
  const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})])
  const builtins = new Set(builtinModules)
  const undeclared: string[] = []
  const unresolved: string[] = []
  const requires = bareRequires(installed)
  for (const [name, uses] of requires) {
    const builtin = name.startsWith("node:") || builtins.has(name)
    if (!builtin && name !== manifest.name && !declared.has(name)) {
      undeclared.push(`${name} (${[...new Set(uses.map((u) => u.file))].join(", ")})`)
    }
    if (builtin) continue
    for (const use of uses) {
      try {
        const resolved = resolveFrom(path.dirname(path.join(installed, use.file)), use.spec)
        if (!resolved.startsWith(app + path.sep)) unresolved.push(`${use.spec} from ${use.file} → ${resolved}`)
      } catch (error) {
        unresolved.push(`${use.spec} from ${use.file}: ${(error as Error).message.split("\n")[0]}`)
      }
    }
  }
  say(`the installed package requires: ${[...requires.keys()].sort().join(", ")}`)
  expect(undeclared).toEqual([])
  expect(unresolved).toEqual([])
})

it("type-checks the store (tsc, its tsconfig): the types of the package's exports resolve as a TypeScript store imports them", async () => {
  await lifecycle.run(process.execPath, [path.join(app, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", "."], {
    cwd: app,
    env: storeEnv(),
    logFile: freshLog("tsc"),
  })
})

it("medusa start took the plugin and README's reconciliation job from the installed package", async () => {
  const logs = env.serverLogs()
  // Medusa names each folder it looked in and found empty: the store's
  // src/jobs (README's re-export of the job) is not one of them.
  expect(logs).not.toContain(`No job to load from ${path.join(app, "src", "jobs")}`)
  expect(logs).not.toContain(ROOT + path.sep)
  // The plugin's admin route (README: POST /admin/payment-plus/reconcile),
  // served from the tarball's .medusa/server/src.
  expect(await env.admin().post("/admin/payment-plus/reconcile", {})).toHaveProperty("reconciliation")
})

describe.each(["pp_system_default", "pp_stripe_stripe"] as const)("checkout with %s in the packed store", (provider) => {
  it("ends as an order with an authorized payment, and the admin captures it", async () => {
    const placed = await placeOrder(env, provider)

    const order = await adminOrder(env.admin(), placed.orderId)
    expect(order.payment_status).toBe("authorized")
    const payment = onlyPayment(order)
    expect(payment).toMatchObject({ provider_id: provider, amount: 35, captured_at: null, canceled_at: null })
    expect(order.payment_collections[0].status).toBe("authorized")
    if (provider === "pp_stripe_stripe") {
      expect(await stripeFacts(env, placed.intentId!)).toMatchObject({ status: "requires_capture", amount: 3500 })
    }

    await env.admin().post(`/admin/payments/${placed.paymentId}/capture`, {})

    const captured = await adminOrder(env.admin(), placed.orderId)
    expect(captured.payment_status).toBe("captured")
    expect(onlyPayment(captured).captures.map((c: { amount: number }) => c.amount)).toEqual([35])
    const facts = await moneyFacts(env, placed.sessionId)
    expect(facts).toMatchObject({ captured: 35, refunded: 0, settled: true })
    // The capture went through this package's books (its movement and ledger tables).
    const movements = await env.sql(
      `SELECT kind, status, amount::float8 AS amount FROM payment_movement WHERE payment_id = $1 AND deleted_at IS NULL`,
      [placed.paymentId]
    )
    expect(movements).toEqual([{ kind: "capture", status: "succeeded", amount: 35 }])
    if (provider === "pp_stripe_stripe") {
      expect(await stripeFacts(env, placed.intentId!)).toMatchObject({ status: "succeeded", amount_received: 3500 })
    }
  })
})
