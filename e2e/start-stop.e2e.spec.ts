import { spawn, type ChildProcess } from "node:child_process"
import fs from "node:fs"
import net from "node:net"
import os from "node:os"
import path from "node:path"

// `npm start` stops cleanly: whichever process gets SIGINT or SIGTERM — npm,
// `node scripts/start.mjs`, or their whole process group (a terminal's
// Ctrl+C) — Medusa, the local Stripe and the embedded PostgreSQL stop, no
// process of the store is left and none of its ports accepts connections.
//
// Each case runs the real `npm start` (embedded PostgreSQL, data kept in
// .data/e2e/start-stop between cases and runs, so only the very first start
// migrates), spawned detached so that it leads a process group of its own.

// eslint-disable-next-line @typescript-eslint/no-var-requires
const lifecycle = require("../app/lifecycle.cjs")

const root = path.resolve(__dirname, "..")
const STORE_DIR = path.join(root, ".data", "e2e", "start-stop")
const LOG_DIR = process.env.E2E_LOG_DIR ?? path.join(root, ".data", "e2e", "logs")
const READY_WITHIN_MS = 240_000 // a first start migrates a new database
const STOPPED_WITHIN_MS = 30_000 // start.mjs: 10 s for Medusa and the local Stripe, then PostgreSQL

const linux = fs.existsSync("/proc/self/stat")
if (!linux) console.log("start-stop.e2e: skipped, it reads the process table from /proc (Linux only)")
const describeOnLinux = linux ? describe : describe.skip

jest.setTimeout(READY_WITHIN_MS + STOPPED_WITHIN_MS + 30_000)

type Proc = { pid: number; ppid: number; pgrp: number; state: string; cmdline: string }

/** Every process that is not a zombie (a zombie holds no port and runs nothing). */
function processes(): Proc[] {
  const list: Proc[] = []
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8")
      const [state, ppid, pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      if (state === "Z") continue
      const cmdline = fs.readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").join(" ").trim()
      list.push({ pid: Number(name), ppid: Number(ppid), pgrp: Number(pgrp), state, cmdline })
    } catch {
      // exited meanwhile
    }
  }
  return list
}

/** `pid` and every live process below it (PostgreSQL's backends included, though each leads a group of its own). */
function tree(pid: number, all = processes()): Proc[] {
  const found = all.filter((p) => p.pid === pid)
  for (let i = 0; i < found.length; i++) found.push(...all.filter((p) => p.ppid === found[i].pid))
  return found
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once("connect", () => done(true))
    socket.once("error", () => done(false))
  })
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>()
  while (ports.size < count) ports.add(await lifecycle.freePort())
  return [...ports]
}

/** A timer that does not keep jest alive when it loses a race. */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref())

type Store = {
  npm: ChildProcess
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  ports: { medusa: number; stripe: number; postgres: number }
  output(): string
}

/** `npm start` in a process group of its own, resolved once /health answers and the summary is printed. */
async function startStore(name: string): Promise<Store> {
  const [medusa, stripe, postgres] = await distinctFreePorts(3)
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    STORE_DATA_DIR: STORE_DIR,
    PORT: String(medusa),
    LOCAL_STRIPE_PORT: String(stripe),
    EMBEDDED_PG_PORT: String(postgres),
    npm_config_update_notifier: "false",
  }
  for (const key of ["DATABASE_URL", "STRIPE_API_KEY", "STRIPE_API_BASE_URL", "REDIS_URL", "MEDUSA_ADMIN", "NODE_ENV"]) delete env[key]
  // The npm running this test when there is one, else the one on PATH.
  const npmCli = process.env.npm_execpath?.endsWith(".js") ? process.env.npm_execpath : null
  const npm = npmCli
    ? spawn(process.execPath, [npmCli, "start"], { cwd: root, env, detached: true, stdio: ["ignore", "pipe", "pipe"] })
    : spawn("npm", ["start"], { cwd: root, env, detached: true, stdio: ["ignore", "pipe", "pipe"] })
  fs.mkdirSync(LOG_DIR, { recursive: true })
  const log = fs.createWriteStream(path.join(LOG_DIR, `start-stop-${name}.log`))
  let output = ""
  for (const stream of [npm.stdout!, npm.stderr!]) {
    stream.on("data", (chunk) => {
      output += chunk
      log.write(chunk)
    })
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    npm.once("exit", (code, signal) => resolve({ code, signal }))
  )
  let gone: { code: number | null; signal: NodeJS.Signals | null } | null = null
  void exited.then((result) => {
    gone = result
    log.end()
  })
  const store: Store = { npm, exited, ports: { medusa, stripe, postgres }, output: () => output }
  const deadline = Date.now() + READY_WITHIN_MS
  for (;;) {
    if (gone) throw new Error(`npm start exited (${JSON.stringify(gone)}) before it was ready:\n${output.slice(-4000)}`)
    if (Date.now() > deadline) {
      await kill(store)
      throw new Error(`npm start was not ready within ${READY_WITHIN_MS / 1000}s:\n${output.slice(-4000)}`)
    }
    if (/store is ready/.test(output)) {
      const health = await fetch(`http://127.0.0.1:${medusa}/health`, { signal: AbortSignal.timeout(2000) }).catch(() => null)
      if (health?.ok) return store
    }
    await sleep(250)
  }
}

/** After a failure: nothing of this store may outlive the test. */
async function kill(store: Store | undefined) {
  if (!store?.npm.pid) return
  const pids = tree(store.npm.pid).map((p) => p.pid)
  for (const pid of [-store.npm.pid, ...pids]) {
    try {
      process.kill(pid, "SIGKILL")
    } catch {
      // gone
    }
  }
  await Promise.race([store.exited, sleep(5000)])
}

type Target = "npm" | "start.mjs" | "group"

describeOnLinux("npm start stops cleanly", () => {
  let store: Store | undefined

  afterEach(async () => {
    await kill(store)
    store = undefined
  })

  test.each<[NodeJS.Signals, Target]>([
    ["SIGINT", "npm"],
    ["SIGTERM", "npm"],
    ["SIGTERM", "start.mjs"],
    ["SIGTERM", "group"],
  ])("%s to %s: every process of the store exits and its ports close", async (signal, target) => {
    store = await startStore(`${signal}-${target}`.replace(".", "-"))
    const npmPid = store.npm.pid!
    const before = tree(npmPid)
    const script = before.find((p) => /scripts\/start\.mjs/.test(p.cmdline))
    expect(script).toBeDefined()
    // package.json's `exec`: npm's child is start.mjs itself, no shell in between.
    expect(script!.ppid).toBe(npmPid)
    // What is being stopped: npm, start.mjs, Medusa, the local Stripe, PostgreSQL and its backends.
    expect(before.some((p) => /cli\.js start/.test(p.cmdline))).toBe(true)
    expect(before.some((p) => /local-stripe\/cli\.ts/.test(p.cmdline))).toBe(true)
    expect(before.some((p) => /\/postgres /.test(p.cmdline + " "))).toBe(true)
    for (const port of Object.values(store.ports)) expect(await accepts(port)).toBe(true)

    const since = Date.now()
    process.kill(target === "npm" ? npmPid : target === "start.mjs" ? script!.pid : -npmPid, signal)

    const exit = await Promise.race([store.exited, sleep(STOPPED_WITHIN_MS).then(() => null)])
    let left: Proc[] = []
    let open: string[] = []
    for (;;) {
      const all = processes()
      // The group's members, and what ran below npm before (PostgreSQL's backends lead groups of their own).
      left = all.filter((p) => p.pgrp === npmPid || before.some((b) => b.pid === p.pid))
      open = []
      for (const [name, port] of Object.entries(store.ports)) if (await accepts(port)) open.push(`${name} :${port}`)
      if ((!left.length && !open.length) || Date.now() - since > STOPPED_WITHIN_MS) break
      await sleep(200)
    }
    const tookMs = Date.now() - since
    console.log(`start-stop.e2e: ${signal} to ${target}: all stopped in ${(tookMs / 1000).toFixed(1)}s`)

    expect(exit).not.toBeNull() // npm itself ended
    // The conventional way: npm ends by the signal (or with 128 + its number).
    expect(exit!.signal === signal || exit!.code === 128 + os.constants.signals[signal]).toBe(true)
    expect(left.map((p) => `${p.pid} ${p.cmdline}`)).toEqual([])
    expect(open).toEqual([])
    expect(fs.existsSync(path.join(STORE_DIR, "postgres", "postmaster.pid"))).toBe(false) // PostgreSQL shut down, not killed
    expect(store.output()).toMatch(/Stopped \(\d/) // start.mjs' own shutdown ran to its end
    expect(tookMs).toBeLessThan(STOPPED_WITHIN_MS)
  })
})
