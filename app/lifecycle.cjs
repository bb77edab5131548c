// The moving parts of the demo store, shared by `npm start` (scripts/start.mjs)
// and the end-to-end tests (e2e/): build the package, create a database, run
// Medusa's CLI (migrations, seed), start the local Stripe and Medusa servers.
// Plain CommonJS so that both an ES module and a jest (CJS) test can load it.
"use strict"

const fs = require("node:fs")
const net = require("node:net")
const path = require("node:path")
const { spawn } = require("node:child_process")

const root = path.resolve(__dirname, "..")
const MEDUSA_CLI = path.join(root, "node_modules", "@medusajs", "cli", "cli.js")
const TS_NODE = path.join(root, "node_modules", "ts-node", "dist", "bin.js")

/** Environment every Medusa process of ours gets (ts-node without type checking: 10× faster boot). */
function medusaEnv(extra = {}) {
  return {
    ...process.env,
    TS_NODE_TRANSPILE_ONLY: "true",
    MEDUSA_DISABLE_TELEMETRY: "true",
    ...extra,
  }
}

// --------------------------------------------------------------- the package

function newestMtime(dir, skip) {
  let newest = 0
  if (!fs.existsSync(dir)) return newest
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (skip(full, entry)) continue
    const time = entry.isDirectory() ? newestMtime(full, skip) : fs.statSync(full).mtimeMs
    if (time > newest) newest = time
  }
  return newest
}

/** Whether the build (dist/ and the plugin's layout) is missing or older than a source it is built from. */
function packageNeedsBuild() {
  // What `npm run build` writes last (scripts/build-plugin.mjs): a build that
  // failed half-way leaves it missing or older than the sources.
  const marker = path.join(root, ".medusa", "server", "src", "admin", "index.mjs")
  if (!fs.existsSync(marker)) return true
  const builtAt = fs.statSync(marker).mtimeMs
  const sources = newestMtime(path.join(root, "src"), (full, entry) =>
    entry.name === "__tests__" || (!entry.isDirectory() && !/\.(tsx?|json)$/.test(entry.name)) || /\.spec\.ts$/.test(entry.name)
  )
  return sources > builtAt
}

/** `npm run build` when dist/ is stale. Resolves to true when it built. */
async function ensurePackageBuilt({ log = () => {} } = {}) {
  if (!packageNeedsBuild()) return false
  log("building medusa-payment-plus (npm run build)")
  await run(process.platform === "win32" ? "npm.cmd" : "npm", ["run", "build", "--silent"], { cwd: root })
  return true
}

// --------------------------------------------------------------- the dashboard

/** Where `medusa start` serves the admin dashboard from (<root>/public/admin, Medusa's ADMIN_RELATIVE_OUTPUT_DIR). */
const DASHBOARD_DIR = path.join(root, "public", "admin")
/** What the dashboard in DASHBOARD_DIR was built from; beside it, since the build empties that folder. */
const DASHBOARD_STAMP = path.join(root, "public", "admin-build.json")

/**
 * Builds the admin dashboard unless the one in public/admin was built from
 * the same inputs (scripts/build-dashboard.mjs --if-changed, which loads the
 * store's config to know them). Resolves to { built, seconds, fingerprint }:
 * `seconds` is this build's, or the reused one's. `log` gets its progress.
 */
async function ensureDashboardBuilt({ log = () => {}, logFile } = {}) {
  let result = null
  await run(process.execPath, [path.join(root, "scripts", "build-dashboard.mjs"), "--if-changed"], {
    env: medusaEnv({ NODE_ENV: "production" }),
    logFile,
    onLine: (line) => {
      if (line.startsWith("{")) result = JSON.parse(line)
      else if (line.startsWith("build-dashboard: ")) log(line.slice("build-dashboard: ".length))
    },
  })
  if (!result) throw new Error("scripts/build-dashboard.mjs did not say what it did")
  return result
}

// --------------------------------------------------------------- processes

/**
 * Runs a command to completion. Output goes to `logFile` (appended) and to
 * `onLine`; a non-zero exit rejects with the last lines of output.
 */
function run(command, args, { cwd = root, env = process.env, logFile, onLine } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] })
    const tail = []
    const sink = logFile ? fs.createWriteStream(logFile, { flags: "a" }) : null
    const handle = lineSplitter((line) => {
      tail.push(line)
      if (tail.length > 40) tail.shift()
      onLine?.(line)
    })
    for (const stream of [child.stdout, child.stderr]) {
      stream.on("data", (chunk) => {
        sink?.write(chunk)
        handle(chunk)
      })
    }
    child.once("error", reject)
    child.once("close", (code, signal) => {
      sink?.end()
      if (code === 0) resolve()
      else
        reject(
          new Error(
            `${path.basename(command)} ${args.join(" ")} exited with ${code ?? signal}` +
              (logFile ? ` (full log: ${logFile})` : "") +
              `\n${tail.map(stripAnsi).join("\n")}`
          )
        )
    })
  })
}

/** `medusa <args>` from the repository root, as `npx medusa` would. */
function medusa(args, options = {}) {
  return run(process.execPath, [MEDUSA_CLI, ...args], { ...options, env: medusaEnv(options.env) })
}

function lineSplitter(onLine) {
  let buffered = ""
  return (chunk) => {
    buffered += chunk.toString()
    let index
    while ((index = buffered.indexOf("\n")) !== -1) {
      onLine(buffered.slice(0, index).replace(/\r$/, ""))
      buffered = buffered.slice(index + 1)
    }
  }
}

function stripAnsi(text) {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, "")
}

/**
 * Starts a long-running child whose output goes to `logFile` and `onLine`.
 * Returns { child, stop() }; stop() sends SIGTERM to that child only and
 * waits (SIGKILL after `graceMs`).
 */
function startProcess(command, args, { cwd = root, env = process.env, logFile, onLine } = {}) {
  const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] })
  const sink = logFile ? fs.createWriteStream(logFile, { flags: "a" }) : null
  const handle = lineSplitter((line) => onLine?.(line))
  for (const stream of [child.stdout, child.stderr]) {
    stream.on("data", (chunk) => {
      sink?.write(chunk)
      handle(chunk)
    })
  }
  const exited = new Promise((resolve) =>
    child.once("exit", (code, signal) => {
      sink?.end()
      resolve({ code, signal })
    })
  )
  const stop = async (graceMs = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return exited
    child.kill("SIGTERM")
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs)
    const result = await exited
    clearTimeout(timer)
    return result
  }
  return { child, exited, stop }
}

/** Polls `url` until it answers 2xx; fails early if `exited` settles first. */
async function waitForHttp(url, { timeoutMs = 180_000, exited, describe = url, logFile } = {}) {
  const deadline = Date.now() + timeoutMs
  let gone = null
  exited?.then((result) => (gone = result))
  while (Date.now() < deadline) {
    if (gone) {
      throw new Error(
        `${describe} exited (${gone.code ?? gone.signal}) before answering at ${url}` +
          (logFile ? `\n${readTail(logFile)}` : "")
      )
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) })
      if (response.ok) return
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`${describe} did not answer at ${url} within ${timeoutMs / 1000}s` + (logFile ? `\n${readTail(logFile)}` : ""))
}

function readTail(file, lines = 40) {
  try {
    return fs.readFileSync(file, "utf8").split("\n").slice(-lines).map(stripAnsi).join("\n")
  } catch {
    return ""
  }
}

/** A Medusa server (`medusa start`) on `port`, resolved once /health answers. */
/** `medusa start` in `cwd` (default: this repository, whose medusa-config.ts it then loads). */
async function startMedusaServer({ port, env = {}, logFile, onLine, timeoutMs, cwd } = {}) {
  const proc = startProcess(process.execPath, [MEDUSA_CLI, "start", "--port", String(port)], {
    env: medusaEnv({ PORT: String(port), ...env }),
    logFile,
    onLine,
    cwd,
  })
  const url = `http://127.0.0.1:${port}`
  try {
    await waitForHttp(`${url}/health`, { exited: proc.exited, describe: "medusa start", logFile, timeoutMs })
  } catch (error) {
    await proc.stop()
    throw error
  }
  return { ...proc, url, port, logFile }
}

/** The local Stripe (local-stripe/cli.ts) as its own process, e.g. for `npm start`. */
async function startLocalStripeProcess({ port, webhookUrl, webhookSecret, logFile, onLine, env = {} }) {
  const proc = startProcess(process.execPath, [TS_NODE, "--transpile-only", path.join(root, "local-stripe", "cli.ts")], {
    env: {
      ...process.env,
      LOCAL_STRIPE_PORT: String(port),
      LOCAL_STRIPE_HOST: "127.0.0.1",
      LOCAL_STRIPE_WEBHOOK_URL: webhookUrl,
      LOCAL_STRIPE_WEBHOOK_SECRET: webhookSecret,
      ...env,
    },
    logFile,
    onLine,
  })
  const url = `http://127.0.0.1:${port}`
  try {
    await waitForHttp(`${url}/_admin`, { exited: proc.exited, describe: "local Stripe", logFile, timeoutMs: 60_000 })
  } catch (error) {
    await proc.stop()
    throw error
  }
  return { ...proc, url, port }
}

// --------------------------------------------------------------- network

function portIsFree(port, host = "127.0.0.1") {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once("error", () => resolve(false))
    server.listen(port, host, () => server.close(() => resolve(true)))
  })
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** `preferred` when nothing listens there, else any free port. */
async function portOrFree(preferred) {
  return preferred && (await portIsFree(preferred)) ? preferred : await freePort()
}

// --------------------------------------------------------------- database

function databaseUrl({ host, port, user, password }, database) {
  const auth = password ? `${encodeURIComponent(user)}:${encodeURIComponent(password)}` : encodeURIComponent(user)
  return `postgres://${auth}@${host}:${port}/${database}`
}

/** Connects to the maintenance database of the server `url` points at. */
async function withMaintenanceClient(url, fn) {
  const { Client } = require("pg")
  const target = new URL(url)
  const maintenance = new URL(url)
  maintenance.pathname = "/postgres"
  const client = new Client({ connectionString: maintenance.toString() })
  await client.connect()
  try {
    return await fn(client, decodeURIComponent(target.pathname.replace(/^\//, "")))
  } finally {
    await client.end()
  }
}

/** CREATE DATABASE unless it exists. Resolves to true when it created it. */
async function ensureDatabase(url) {
  return withMaintenanceClient(url, async (client, name) => {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])
    if (rowCount) return false
    await client.query(`CREATE DATABASE ${quoteIdent(name)}`)
    return true
  })
}

function quoteIdent(name) {
  return `"${String(name).replace(/"/g, '""')}"`
}

module.exports = {
  root,
  medusaEnv,
  packageNeedsBuild,
  ensurePackageBuilt,
  DASHBOARD_DIR,
  DASHBOARD_STAMP,
  ensureDashboardBuilt,
  run,
  medusa,
  startProcess,
  startMedusaServer,
  startLocalStripeProcess,
  waitForHttp,
  readTail,
  stripAnsi,
  portIsFree,
  freePort,
  portOrFree,
  databaseUrl,
  withMaintenanceClient,
  ensureDatabase,
  quoteIdent,
}
