import fs from "node:fs"
import http from "node:http"
import path from "node:path"
import { Pool } from "pg"
import Stripe from "stripe"
import { startLocalStripe, type LocalStripe } from "../../local-stripe"
import { adminClient, storeClient, type Client } from "./http"
import type { Seed } from "./seed"

// The lifecycle helpers are plain CommonJS, shared with `npm start`.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const lifecycle = require("../../app/lifecycle.cjs")

export const WEBHOOK_PATH = "/hooks/payment/stripe_stripe"
export const WEBHOOK_SECRET = "whsec_e2e_medusa_payment_plus"
export const STRIPE_KEY = "sk_test_e2e_medusa_payment_plus"

export type MedusaServer = {
  url: string
  port: number
  logFile: string
  stop(): Promise<unknown>
  exited: Promise<{ code: number | null; signal: string | null }>
  child: { pid?: number; kill(signal: NodeJS.Signals): boolean }
}

export type EnvironmentOptions = {
  /** Names the database, the log files and the Redis namespace. */
  name: string
  /** How many `medusa start` processes share the database (default 1). */
  servers?: number
  /** Redis event bus, workflow engine, locking and cache (REDIS_URL, default redis://127.0.0.1:6379). */
  redis?: boolean
  /** The Stripe provider's `capture` option. */
  capture?: "manual" | "automatic"
  /**
   * Where the local Stripe sends webhooks when there are several servers:
   * "round-robin" alternates between them (one delivery per event), "all"
   * registers one endpoint per server (every event reaches every server).
   */
  webhooks?: "first" | "round-robin" | "all"
  /**
   * Run `medusa start` in a store of its own instead of this repository: a
   * folder of e2e/fixtures/ (its medusa-config.ts) copied under .data/e2e/apps,
   * with this package in its node_modules as `npm install` would put it.
   */
  app?: string
  /**
   * Medusa's admin dashboard at /app, as `npm start` serves it: built once
   * (reused while its inputs are unchanged) and served by `medusa start` in
   * production mode, with a session cookie a browser on plain http accepts.
   */
  dashboard?: boolean
  /** The plugin's `orphanedPaymentMinutes` (ORPHANED_PAYMENT_MINUTES); the store's default when unset. */
  orphanedPaymentMinutes?: number
  /** The module's `provider_timeout_ms` (PROVIDER_TIMEOUT_MS); the module's default when unset. */
  providerTimeoutMs?: number
  /** Another Redis than REDIS_URL's (one the test may restart). */
  redisUrl?: string
}

export type Environment = {
  name: string
  seed: Seed
  servers: MedusaServer[]
  /** Storefront / admin clients of server `i` (default 0). */
  store(i?: number): Client
  admin(i?: number): Client
  /** Direct SQL on the store's database (for assertions only). */
  sql<T = any>(text: string, params?: unknown[]): Promise<T[]>
  /** The official SDK pointed at the local Stripe: plays Stripe.js and the Dashboard. */
  stripe: Stripe
  local: LocalStripe
  databaseUrl: string
  /** Every line the servers logged so far. */
  serverLogs(): string
  /** Kills server `i` (SIGKILL: no shutdown of any kind) and starts it again on its port, with its log appended. */
  restartServer(i: number): Promise<void>
  stop(): Promise<void>
}

function logDir(): string {
  const dir = process.env.E2E_LOG_DIR || path.join(lifecycle.root, ".data", "e2e", "logs")
  fs.mkdirSync(dir, { recursive: true })
  return dir
}

function requireEnv(name: string): string {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set: run the e2e tests through e2e/jest.config.js (its globalSetup prepares the database).`)
  return value
}

export function seedFromGlobalSetup(): Seed {
  return JSON.parse(requireEnv("E2E_SEED"))
}

/**
 * A copy of e2e/fixtures/<fixture> under .data/e2e/apps, inside this
 * repository so that Medusa's own packages resolve from its node_modules,
 * with node_modules/medusa-payment-plus → this package (as installed).
 */
function prepareStoreApp(fixture: string): string {
  const source = path.join(lifecycle.root, "e2e", "fixtures", fixture)
  if (!fs.existsSync(path.join(source, "medusa-config.ts"))) {
    throw new Error(`e2e/fixtures/${fixture} has no medusa-config.ts`)
  }
  const dir = path.join(lifecycle.root, ".data", "e2e", "apps", fixture)
  fs.rmSync(dir, { recursive: true, force: true })
  fs.cpSync(source, dir, { recursive: true })
  fs.mkdirSync(path.join(dir, "node_modules"), { recursive: true })
  fs.symlinkSync(lifecycle.root, path.join(dir, "node_modules", "medusa-payment-plus"), "dir")
  return dir
}

/** A fresh database copied from the migrated + seeded template (globalSetup). */
async function cloneTemplate(name: string): Promise<string> {
  const serverUrl = requireEnv("E2E_PG_URL")
  const template = requireEnv("E2E_TEMPLATE_DB")
  const database = `medusa_pp_e2e_${name.replace(/[^a-z0-9_]/gi, "_").toLowerCase()}`
  const url = new URL(serverUrl)
  url.pathname = `/${database}`
  await lifecycle.withMaintenanceClient(url.toString(), async (client: any) => {
    await client.query(`DROP DATABASE IF EXISTS ${lifecycle.quoteIdent(database)} WITH (FORCE)`)
    await client.query(`CREATE DATABASE ${lifecycle.quoteIdent(database)} TEMPLATE ${lifecycle.quoteIdent(template)}`)
  })
  return url.toString()
}

async function dropDatabase(databaseUrl: string): Promise<void> {
  await lifecycle.withMaintenanceClient(databaseUrl, async (client: any, name: string) => {
    await client.query(`DROP DATABASE IF EXISTS ${lifecycle.quoteIdent(name)} WITH (FORCE)`)
  })
}

/**
 * Forwards each webhook to the next server in turn, byte for byte (the
 * signature covers the raw body), and answers with that server's answer.
 */
async function roundRobinProxy(targets: () => string[]): Promise<{ url: string; close(): Promise<void> }> {
  let next = 0
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on("data", (c) => chunks.push(c))
    req.on("end", async () => {
      const list = targets()
      const target = list[next++ % list.length]
      try {
        const headers: Record<string, string> = {}
        for (const [k, v] of Object.entries(req.headers)) {
          if (typeof v === "string" && !["host", "content-length", "connection"].includes(k)) headers[k] = v
        }
        const answer = await fetch(target + req.url, { method: req.method, headers, body: Buffer.concat(chunks) })
        res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "text/plain" })
        res.end(Buffer.from(await answer.arrayBuffer()))
      } catch (error) {
        res.writeHead(502)
        res.end(String(error))
      }
    })
  })
  const port: number = await lifecycle.freePort()
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve))
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

async function flushRedisNamespace(redisUrl: string, namespace: string): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const Redis = require("ioredis")
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await redis.connect()
    let cursor = "0"
    do {
      const [nextCursor, keys] = await redis.scan(cursor, "MATCH", `*${namespace}*`, "COUNT", 1000)
      cursor = nextCursor
      if (keys.length) await redis.del(...keys)
    } while (cursor !== "0")
  } finally {
    redis.disconnect()
  }
}

/**
 * A store as `npm start` runs it, for one test file: its own database
 * (cloned from the template), a local Stripe in this process, and one or
 * more `medusa start` processes. Everything is stopped by stop().
 */
export async function startEnvironment(options: EnvironmentOptions): Promise<Environment> {
  const count = options.servers ?? 1
  const routing = options.webhooks ?? (count > 1 ? "round-robin" : "first")
  const seed = seedFromGlobalSetup()
  const started = Date.now()
  const cleanups: (() => Promise<unknown>)[] = []
  const stopAll = async () => {
    // Last started, first stopped; each cleanup runs once.
    while (cleanups.length) {
      await cleanups.pop()!().catch((error) => console.error(`e2e cleanup: ${error}`))
    }
  }

  try {
    const databaseUrl = await cloneTemplate(options.name)
    if (process.env.E2E_KEEP_DB !== "1") cleanups.push(() => dropDatabase(databaseUrl))

    const ports: number[] = []
    for (let i = 0; i < count; i++) ports.push(await lifecycle.freePort())
    const serverUrls = ports.map((port) => `http://127.0.0.1:${port}`)

    let proxy: { url: string; close(): Promise<void> } | undefined
    if (routing === "round-robin") {
      proxy = await roundRobinProxy(() => serverUrls)
      cleanups.push(() => proxy!.close())
    }
    const webhookTargets =
      routing === "all" ? serverUrls : routing === "round-robin" ? [proxy!.url] : [serverUrls[0]]

    const local = await startLocalStripe({
      webhookUrl: webhookTargets.map((base) => base + WEBHOOK_PATH),
      webhookSecret: WEBHOOK_SECRET,
      processingDelayMs: null,
    })
    cleanups.push(() => local.close())

    const redisUrl = options.redisUrl || process.env.REDIS_URL || "redis://127.0.0.1:6379"
    const namespace = `e2e-${options.name}-${process.pid}`
    if (options.redis) {
      await flushRedisNamespace(redisUrl, namespace).catch((error) => {
        throw new Error(
          `Redis does not answer at ${redisUrl} (${error.message}). The scale-out tests need one: ` +
            `start Redis, or point REDIS_URL at it.`
        )
      })
      cleanups.push(() => flushRedisNamespace(redisUrl, namespace))
    }

    // Values are set explicitly ("" = off) so nothing leaks in from the shell
    // that runs the tests (a real STRIPE_API_KEY, a REDIS_URL...).
    const env: Record<string, string> = {
      DATABASE_URL: databaseUrl,
      STRIPE_API_KEY: "",
      STRIPE_API_BASE_URL: local.url,
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      STRIPE_CAPTURE: options.capture ?? "manual",
      JWT_SECRET: "e2e-jwt-secret",
      COOKIE_SECRET: "e2e-cookie-secret",
      REDIS_URL: options.redis ? redisUrl : "",
      MEDUSA_REDIS_NAMESPACE: options.redis ? namespace : "",
      NODE_ENV: "development",
      MEDUSA_ADMIN: "false",
      // What create-medusa-app's .env gives a store.
      STORE_CORS: "http://localhost:8000",
      ADMIN_CORS: "http://localhost:5173",
      AUTH_CORS: "http://localhost:5173,http://localhost:8000",
      ORPHANED_PAYMENT_MINUTES: options.orphanedPaymentMinutes === undefined ? "" : String(options.orphanedPaymentMinutes),
      PROVIDER_TIMEOUT_MS: options.providerTimeoutMs === undefined ? "" : String(options.providerTimeoutMs),
    }
    if (options.dashboard) {
      const built = await lifecycle.ensureDashboardBuilt({ logFile: path.join(logDir(), "dashboard-build.log") })
      process.stdout.write(`[e2e] ${options.name}: dashboard ${built.built ? `built in ${built.seconds}s` : "reused"}\n`)
      const origins = [...serverUrls, ...ports.map((port) => `http://localhost:${port}`)].join(",")
      Object.assign(env, {
        NODE_ENV: "production",
        MEDUSA_ADMIN: "true",
        SESSION_COOKIE_SECURE: "false",
        ADMIN_CORS: `${env.ADMIN_CORS},${origins}`,
        AUTH_CORS: `${env.AUTH_CORS},${origins}`,
      })
    }
    const cwd = options.app ? prepareStoreApp(options.app) : undefined
    // A documented config reads its key from the environment, as a store's does.
    if (options.app) env.STRIPE_API_KEY = STRIPE_KEY

    const dir = logDir()
    const servers: MedusaServer[] = []
    const booted = await Promise.allSettled(
      ports.map(async (port, i) => {
        const logFile = path.join(dir, `${options.name}-server${i + 1}.log`)
        fs.writeFileSync(logFile, "")
        const server: MedusaServer = await lifecycle.startMedusaServer({ port, env, logFile, cwd })
        cleanups.push(() => (servers[i] ?? server).stop())
        return server
      })
    )
    const failed = booted.find((b): b is PromiseRejectedResult => b.status === "rejected")
    if (failed) throw failed.reason
    servers.push(...booted.map((b) => (b as PromiseFulfilledResult<MedusaServer>).value))
    const restartServer = async (i: number) => {
      const old = servers[i]
      old.child.kill("SIGKILL")
      await old.exited
      fs.appendFileSync(old.logFile, `\n[e2e] server ${i + 1} killed (SIGKILL) and restarted\n`)
      servers[i] = await lifecycle.startMedusaServer({ port: old.port, env, logFile: old.logFile, cwd })
    }
    const stores = servers.map((s) => storeClient(s.url, seed.publishable_key))
    const admins = await Promise.all(servers.map((s) => adminClient(s.url, seed.admin_email, seed.admin_password)))

    const pool = new Pool({ connectionString: databaseUrl, max: 4 })
    cleanups.push(() => pool.end())

    const stripe = new Stripe(STRIPE_KEY, { ...local.stripeConfig, maxNetworkRetries: 0 })
    const boot = ((Date.now() - started) / 1000).toFixed(1)
    process.stdout.write(`[e2e] ${options.name}: ${count} Medusa server(s) ready in ${boot}s (logs in ${dir})\n`)

    return {
      name: options.name,
      seed,
      servers,
      store: (i = 0) => stores[i],
      admin: (i = 0) => admins[i],
      sql: async (text, params) => (await pool.query(text, params as any[])).rows,
      stripe,
      local,
      databaseUrl,
      serverLogs: () => servers.map((s) => fs.readFileSync(s.logFile, "utf8")).join("\n"),
      restartServer,
      stop: stopAll,
    }
  } catch (error) {
    await stopAll()
    throw error
  }
}

/** Retries `check` until it stops throwing (assertions included) or time runs out. */
export async function eventually<T>(check: () => Promise<T> | T, { timeoutMs = 30_000, intervalMs = 250 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  while (Date.now() < deadline) {
    try {
      return await check()
    } catch (error) {
      lastError = error
    }
    await sleep(intervalMs)
  }
  throw lastError
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Medusa 2.21's webhook route enqueues the event with a fixed 5 s delay before any subscriber sees it. */
export const MEDUSA_WEBHOOK_DELAY_MS = 5000

/**
 * A test that shows a known defect: it is expected to FAIL until the defect
 * is fixed (jest `it.failing`, so the suite stays green and a fix is
 * noticed). E2E_KNOWN_DEFECTS=strict runs them as ordinary tests, to see the
 * actual failure.
 */
export const knownDefect: jest.It["failing"] =
  process.env.E2E_KNOWN_DEFECTS === "strict" ? (it as unknown as jest.It["failing"]) : it.failing
