// `npm run bench:store`: N concurrent shoppers check out through Medusa's
// store and admin HTTP API, on the same store run twice — once with
// @medusajs/payment as its payment module, once with medusa-payment-plus —
// and what share of each request's time the payment module takes.
// bench/README.md ("Store-level benchmark") explains the method.
import { execFileSync } from "node:child_process"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { percentile } from "../workload"
import { formatTable, renderStoreSvg } from "./report"
import {
  LevelResult,
  RequestSample,
  StepResult,
  StoreRunResult,
  Variant,
  VariantResult,
  VARIANT_LABELS,
  VARIANTS,
} from "./types"
import { checkoutFlow, FlowRecord, openShop, REFUND_AMOUNT, Shop, Step, STEP_ROUTES, STEPS } from "./workload"

// The helpers `npm start` and the e2e tests start Medusa and PostgreSQL with.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const lifecycle = require("../../app/lifecycle.cjs")

const REPO = lifecycle.root as string
const APP_DIR = path.join(REPO, "bench", "store", "app")
const DATA_DIR = path.join(REPO, ".data", "bench-store")
const LOG_DIR = path.join(DATA_DIR, "logs")
/**
 * `medusa start` without @medusajs/cli's cli.js, which registers ts-node
 * whenever it is installed: ts-node loads Node's `domain`, which hooks every
 * promise of the process. A production store (`medusa build`, dependencies
 * installed without devDependencies) runs without it, and so do these.
 */
const MEDUSA_CLI_ENTRY = path.join(REPO, "node_modules", "@medusajs", "cli", "dist", "index.js")
const STATS_PATH = "/__bench/payment-time"

const USAGE = `usage: npm run bench:store -- [options]

  --quick               smoke run, under 2 minutes (3 s warm-up, 7 s per level)
  --concurrency 1,8     concurrent shoppers per level (default 1,8)
  --seconds N           length of each level (default 50; --quick 7)
  --warmup N            warm-up of each store, at the highest level (default 15; --quick 3)
  --variants medusa,ours
  --out DIR             where store-latest.json / .svg go (default bench/results)
  --keep-db             keep the bench_store_* databases afterwards
  --help
`

type Options = {
  profile: "quick" | "default"
  concurrency: number[]
  seconds: number
  warmup: number
  variants: Variant[]
  out: string
  keepDb: boolean
}

function parseArgs(argv: string[]): Options {
  const quick = argv.includes("--quick")
  const opts: Options = {
    profile: quick ? "quick" : "default",
    concurrency: [1, 8],
    seconds: quick ? 7 : 50,
    warmup: quick ? 3 : 15,
    variants: [...VARIANTS],
    out: path.join(REPO, "bench", "results"),
    keepDb: false,
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const value = () => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${arg} needs a value\n\n${USAGE}`)
      return v
    }
    const positive = (v: string) => {
      const n = Number(v)
      if (!(n > 0)) throw new Error(`${arg}: ${v} is not a positive number`)
      return n
    }
    if (arg === "--help" || arg === "-h") {
      process.stdout.write(USAGE)
      process.exit(0)
    } else if (arg === "--quick") continue
    else if (arg === "--concurrency") opts.concurrency = value().split(",").map((v) => Math.round(positive(v)))
    else if (arg === "--seconds") opts.seconds = positive(value())
    else if (arg === "--warmup") opts.warmup = positive(value())
    else if (arg === "--out") opts.out = path.resolve(value())
    else if (arg === "--keep-db") opts.keepDb = true
    else if (arg === "--variants") {
      const wanted = value().split(",")
      const unknown = wanted.filter((v) => !VARIANTS.includes(v as Variant))
      if (unknown.length) throw new Error(`unknown variant ${unknown.join(", ")} (medusa, ours)`)
      opts.variants = VARIANTS.filter((v) => wanted.includes(v))
    } else throw new Error(`unknown option ${arg}\n\n${USAGE}`)
  }
  return opts
}

function say(line: string) {
  process.stdout.write(`[bench:store] ${line}\n`)
}

const seconds = (since: number) => Math.round((Date.now() - since) / 100) / 10

// ------------------------------------------------------------------ stores

type Store = {
  variant: Variant
  databaseUrl: string
  seedFile: string
  prepareSeconds: number
}

/**
 * A fresh database migrated by `medusa db:migrate` and seeded by app/seed.ts
 * (`medusa exec`), the way e2e/global-setup.mjs builds its template, with the
 * bench store's medusa-config.js (bench/store/app) so that the payment
 * module's own migrations create its tables.
 */
async function prepareStore(variant: Variant, serverUrl: string): Promise<Store> {
  const started = Date.now()
  const url = new URL(serverUrl)
  url.pathname = `/bench_store_${variant}`
  const databaseUrl = url.toString()
  await dropDatabase(databaseUrl)
  await lifecycle.ensureDatabase(databaseUrl)
  const env = { ...cliEnv(variant, databaseUrl), NODE_ENV: "development" }
  await lifecycle.medusa(["db:migrate"], { cwd: APP_DIR, env, logFile: logFile(`${variant}-migrate.log`) })
  say(`${variant}: migrated (${seconds(started)}s)`)
  const seedFile = path.join(DATA_DIR, `${variant}-seed.json`)
  await lifecycle.medusa(["exec", path.join(REPO, "app", "seed.ts")], {
    cwd: APP_DIR,
    env: { ...env, SEED_OUTPUT: seedFile },
    logFile: logFile(`${variant}-seed.log`),
  })
  say(`${variant}: seeded (${seconds(started)}s)`)
  return { variant, databaseUrl, seedFile, prepareSeconds: seconds(started) }
}

async function dropDatabase(databaseUrl: string) {
  await lifecycle.withMaintenanceClient(databaseUrl, async (client: any, name: string) => {
    await client.query(`DROP DATABASE IF EXISTS ${lifecycle.quoteIdent(name)} WITH (FORCE)`)
  })
}

/** Everything set explicitly, so nothing leaks in from the shell (a REDIS_URL, a real Stripe key...). */
function cliEnv(variant: Variant, databaseUrl: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    BENCH_STORE_VARIANT: variant,
    REDIS_URL: "",
    STRIPE_API_KEY: "",
    MEDUSA_ADMIN: "false",
  }
}

function logFile(name: string) {
  const file = path.join(LOG_DIR, name)
  fs.writeFileSync(file, "")
  return file
}

type Server = { variant: Variant; url: string; pid: number; bootSeconds: number; stop(): Promise<unknown> }

/** `medusa start` in bench/store/app, as a store runs in production. */
async function startStore(store: Store): Promise<Server> {
  const started = Date.now()
  const port: number = await lifecycle.freePort()
  const log = logFile(`${store.variant}-server.log`)
  const proc = lifecycle.startProcess(process.execPath, [MEDUSA_CLI_ENTRY, "start", "--port", String(port)], {
    cwd: APP_DIR,
    env: {
      ...process.env,
      ...cliEnv(store.variant, store.databaseUrl),
      NODE_ENV: "production",
      PORT: String(port),
      MEDUSA_DISABLE_TELEMETRY: "true",
    },
    logFile: log,
  })
  const url = `http://127.0.0.1:${port}`
  try {
    await lifecycle.waitForHttp(`${url}/health`, { exited: proc.exited, describe: `${store.variant}: medusa start`, logFile: log })
  } catch (error) {
    await proc.stop()
    throw error
  }
  return { variant: store.variant, url, pid: proc.child.pid, bootSeconds: seconds(started), stop: () => proc.stop() }
}

type Stats = {
  module: string | null
  wrappedMethods: string[] | null
  samples: RequestSample[]
  outsideRequests: { calls: number; ms: number }
  afterResponse: { calls: number; ms: number }
}

/** What bench/store/app/instrumentation.js gathered since the last read; starts afresh. */
async function takeStats(server: Server): Promise<Stats> {
  const response = await fetch(`${server.url}${STATS_PATH}?reset=1`)
  if (!response.ok) throw new Error(`${server.variant}: ${STATS_PATH} answered ${response.status}`)
  return (await response.json()) as Stats
}

// ------------------------------------------------------------------ load

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100
  } catch {
    return 100
  }
})()

/** CPU time (user + system) of a process so far, in ms. */
function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS
}

type LoadRun = { records: FlowRecord[]; failed: number; firstError?: string; elapsedSeconds: number }

/**
 * Closed loop: `concurrency` shoppers, each starting a new checkout as soon
 * as theirs ends, until `seconds` have passed; the checkouts in flight then
 * finish and count.
 */
async function runLoad(shop: Shop, concurrency: number, secondsLong: number): Promise<LoadRun> {
  const started = performance.now()
  const deadline = started + secondsLong * 1000
  const run: LoadRun = { records: [], failed: 0, elapsedSeconds: 0 }
  const shopper = async () => {
    while (performance.now() < deadline) {
      const record: FlowRecord = { timing: {}, ordered: false }
      run.records.push(record)
      try {
        await checkoutFlow(shop, record)
      } catch (error) {
        record.failed = true
        run.failed++
        run.firstError ??= String((error as Error)?.message ?? error).slice(0, 500)
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, shopper))
  run.elapsedSeconds = (performance.now() - started) / 1000
  return run
}

const r2 = (n: number) => Math.round(n * 100) / 100
const r3 = (n: number) => Math.round(n * 1000) / 1000
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
const ascending = (xs: number[]) => [...xs].sort((a, b) => a - b)

function summarizeStep(latencies: number[], samples: RequestSample[]): StepResult {
  const client = ascending(latencies)
  const serverMs = sum(samples.map((s) => s.ms))
  const paymentMs = sum(samples.map((s) => s.paymentMs))
  const methods: Record<string, number> = {}
  for (const s of samples) for (const [name, count] of Object.entries(s.methods)) methods[name] = (methods[name] ?? 0) + count
  for (const name of Object.keys(methods)) methods[name] = r2(methods[name] / Math.max(1, samples.length))
  return {
    n: client.length,
    p50Ms: r2(percentile(client, 50)),
    p99Ms: r2(percentile(client, 99)),
    meanMs: r2(client.length ? sum(client) / client.length : 0),
    serverMeanMs: r2(samples.length ? serverMs / samples.length : 0),
    paymentMeanMs: r2(samples.length ? paymentMs / samples.length : 0),
    paymentP50Ms: r2(percentile(ascending(samples.map((s) => s.paymentMs)), 50)),
    paymentShare: r3(serverMs ? paymentMs / serverMs : 0),
    paymentShareP50: r3(percentile(ascending(samples.map((s) => (s.ms ? s.paymentMs / s.ms : 0))), 50)),
    callsPerRequest: r2(samples.length ? sum(samples.map((s) => s.calls)) / samples.length : 0),
    methods,
  }
}

function summarizeLevel(concurrency: number, load: LoadRun, stats: Stats, serverCpuMs: number): LevelResult {
  const done = load.records.filter((r) => !r.failed)
  const byRoute = new Map<string, RequestSample[]>()
  for (const s of stats.samples) {
    const key = `${s.method} ${s.route}`
    if (!byRoute.has(key)) byRoute.set(key, [])
    byRoute.get(key)!.push(s)
  }
  const steps = {} as Record<Step, StepResult>
  for (const step of STEPS) {
    const latencies = load.records.map((r) => r.timing[step]).filter((t): t is number => t !== undefined)
    steps[step] = summarizeStep(latencies, byRoute.get(STEP_ROUTES[step]) ?? [])
  }
  const known = new Set(Object.values(STEP_ROUTES))
  const counted = stats.samples.filter((s) => known.has(`${s.method} ${s.route}`))
  const totalMs = sum(counted.map((s) => s.ms))
  return {
    concurrency,
    seconds: r2(load.elapsedSeconds),
    flows: done.length,
    failedFlows: load.failed,
    ...(load.firstError ? { firstError: load.firstError } : {}),
    flowsPerSec: r2(done.length / load.elapsedSeconds),
    cartsPerSec: r2(load.records.filter((r) => r.ordered).length / load.elapsedSeconds),
    serverCpuMsPerFlow: r2(done.length ? serverCpuMs / done.length : 0),
    flowPaymentShare: r3(totalMs ? sum(counted.map((s) => s.paymentMs)) / totalMs : 0),
    steps,
    otherRequests: stats.samples.length - counted.length,
    outsideRequestsMs: r2(stats.outsideRequests.ms),
    afterResponseMs: r2(stats.afterResponse.ms),
    afterResponseCalls: stats.afterResponse.calls,
    loadAvg1: r2(os.loadavg()[0]),
  }
}

// ------------------------------------------------------------------ main

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  const startedAt = new Date()
  fs.mkdirSync(LOG_DIR, { recursive: true })
  if (!fs.existsSync(path.join(REPO, "dist", "index.js"))) {
    throw new Error("dist/ is missing: run `npm run build` first (the benchmark loads this package from dist/).")
  }
  // Not rebuilt here: a build replaces dist/ under any e2e test or store
  // running from it at the same time.
  if (lifecycle.packageNeedsBuild()) say("note: dist/ is older than src/; this run measures dist/ as built (npm run build to refresh)")

  const cleanups: (() => Promise<unknown>)[] = []
  const cleanup = async () => {
    while (cleanups.length) await cleanups.pop()!().catch((error) => say(`cleanup: ${error}`))
  }
  let interrupted = false
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      if (interrupted) return
      interrupted = true
      say(`${signal}: stopping the stores and dropping their databases`)
      void cleanup().then(() => process.exit(signal === "SIGINT" ? 130 : 143))
    })
  }

  try {
    // The project's one "where is PostgreSQL?" (an ES module: a real dynamic
    // import, which swc's CommonJS output would turn into require()).
    const esmImport = new Function("s", "return import(s)") as (s: string) => Promise<any>
    const { ensurePostgres } = await esmImport(path.join(REPO, "scripts", "postgres.mjs"))
    const pg = await ensurePostgres({ dataDir: path.join(DATA_DIR, "postgres"), log: say })
    cleanups.push(() => pg.stop())
    const serverUrl: string = lifecycle.databaseUrl(pg.connection, "postgres")
    const version: string = await lifecycle.withMaintenanceClient(serverUrl, async (client: any) => {
      const { rows } = await client.query("SHOW server_version")
      return rows[0].server_version
    })
    say(
      `${opts.variants.join(" vs ")} · ${opts.profile} · levels ${opts.concurrency.join(",")} × ${opts.seconds}s · ` +
        `warm-up ${opts.warmup}s · PostgreSQL ${version}${pg.embedded ? " (embedded)" : ""} · logs in ${path.relative(REPO, LOG_DIR)}`
    )

    // Both databases at once (mostly Medusa's CLI booting and migrating: the
    // two overlap well on two cores), before anything is measured.
    const prepared = await Promise.allSettled(
      opts.variants.map(async (variant) => {
        const store = await prepareStore(variant, serverUrl)
        if (!opts.keepDb) cleanups.push(() => dropDatabase(store.databaseUrl))
        return store
      })
    )
    const failedPrep = prepared.find((p): p is PromiseRejectedResult => p.status === "rejected")
    if (failedPrep) throw failedPrep.reason
    const stores = prepared.map((p) => (p as PromiseFulfilledResult<Store>).value)

    // Both servers stay up for the whole run, so levels can alternate
    // between them (medusa, ours, medusa, ours...): a change of load on a
    // shared machine then falls on both instead of on whichever ran later.
    const booted = await Promise.allSettled(
      stores.map(async (store) => {
        const server = await startStore(store)
        cleanups.push(() => server.stop())
        say(`${store.variant}: medusa start ready in ${server.bootSeconds}s (${server.url})`)
        return server
      })
    )
    const failedBoot = booted.find((b): b is PromiseRejectedResult => b.status === "rejected")
    if (failedBoot) throw failedBoot.reason
    const servers = booted.map((b) => (b as PromiseFulfilledResult<Server>).value)
    const shops = new Map<Variant, Shop>()
    const results = new Map<Variant, VariantResult>()
    for (const [i, server] of servers.entries()) {
      const seed = JSON.parse(fs.readFileSync(stores[i].seedFile, "utf8"))
      delete seed.steps
      shops.set(server.variant, await openShop(server.url, seed))
      const stats = await takeStats(server)
      if (!stats.wrappedMethods?.length) throw new Error(`${server.variant}: instrumentation.js found no payment module service to time`)
      results.set(server.variant, {
        variant: server.variant,
        label: VARIANT_LABELS[server.variant],
        resolve: server.variant === "ours" ? "dist/index.js (+ plugin entry: the repository root)" : "@medusajs/payment",
        serviceClass: stats.module,
        wrappedMethods: stats.wrappedMethods.length,
        prepareSeconds: stores[i].prepareSeconds,
        bootSeconds: server.bootSeconds,
        levels: [],
      })
    }

    // Warm-up: JIT, ORM metadata and caches, every pool connection opened.
    const top = Math.max(...opts.concurrency)
    for (const server of servers) {
      const load = await runLoad(shops.get(server.variant)!, top, opts.warmup)
      say(`${server.variant}: warm-up ${load.records.length - load.failed} checkouts at c=${top}` + (load.failed ? `, ${load.failed} failed: ${load.firstError}` : ""))
      await takeStats(server)
    }

    for (const concurrency of opts.concurrency) {
      for (const server of servers) {
        await takeStats(server) // nothing from before this level
        const cpuBefore = cpuMs(server.pid)
        const load = await runLoad(shops.get(server.variant)!, concurrency, opts.seconds)
        const cpu = cpuMs(server.pid) - cpuBefore
        const stats = await takeStats(server)
        const level = summarizeLevel(concurrency, load, stats, cpu)
        // The store has no scheduled job that uses payments in a level this
        // short: calls outside any request would mean the request context
        // was lost, and their time missing from the shares.
        if (stats.outsideRequests.calls) {
          say(`${server.variant} c=${concurrency}: note: ${stats.outsideRequests.calls} payment-module calls (${r2(stats.outsideRequests.ms)} ms) outside any request`)
        }
        results.get(server.variant)!.levels.push(level)
        say(
          `${server.variant} c=${concurrency}: ${level.flowsPerSec} checkouts/s, complete p50 ${level.steps.complete_cart.p50Ms} ms, ` +
            `payment module ${(level.flowPaymentShare * 100).toFixed(1)} % of request time` +
            (level.failedFlows ? ` · ${level.failedFlows} failed: ${level.firstError}` : "")
        )
      }
    }

    const cpus = os.cpus()
    const run: StoreRunResult = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      profile: opts.profile,
      machine: {
        cpus: cpus.length,
        cpuModel: cpus[0]?.model ?? "?",
        totalMemGb: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
      },
      postgres: { version, embedded: pg.embedded },
      settings: {
        concurrency: opts.concurrency,
        warmupSeconds: opts.warmup,
        levelSeconds: opts.seconds,
        refundAmount: REFUND_AMOUNT,
        nodeEnv: "production",
      },
      variants: opts.variants.map((v) => results.get(v)!),
    }
    fs.mkdirSync(opts.out, { recursive: true })
    const json = path.join(opts.out, "store-latest.json")
    const svg = path.join(opts.out, "store-latest.svg")
    fs.writeFileSync(json, JSON.stringify(run, null, 2) + "\n")
    fs.writeFileSync(svg, renderStoreSvg(run))
    process.stdout.write("\n" + formatTable(run) + "\n")
    say(`wrote ${path.relative(REPO, json)} and ${path.relative(REPO, svg)} (${seconds(startedAt.getTime())}s in all)`)
  } finally {
    if (!interrupted) await cleanup()
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`[bench:store] failed: ${error?.stack ?? error}\n`)
    process.exit(1)
  }
)
