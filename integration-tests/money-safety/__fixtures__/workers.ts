import { ChildProcess, fork } from "child_process"
import path from "path"
import type { WorkerError, WorkerReply, WorkerRequest } from "./worker"

export type WorkerResult<T = any> = { ok: true; value: T } | { ok: false; error: WorkerError }

export type Worker = {
  pid: number
  /** Sends one request; many sent without awaiting run concurrently in the worker. */
  call<T = any>(method: string, ...args: unknown[]): Promise<WorkerResult<T>>
  /** Resolves with the exit signal or code. */
  exited: Promise<NodeJS.Signals | number | null>
  kill(signal?: NodeJS.Signals): void
  stop(): Promise<void>
}

const WORKER_SCRIPT = path.join(__dirname, "worker.ts")
const BOOT_TIMEOUT_MS = 60_000

/**
 * Forks a Node process that boots its own payment module on the database
 * named `database` (already run-scoped: see `runScoped`)
 * (TypeScript through ts-node's transpile-only register: no type checking,
 * so four of them boot in seconds) and resolves once it is ready.
 */
export async function startWorker(database: string, moduleOptions: Record<string, unknown>): Promise<Worker> {
  const child: ChildProcess = fork(WORKER_SCRIPT, [], {
    execArgv: ["-r", "ts-node/register/transpile-only"],
    env: {
      ...process.env,
      MEDUSA_DISABLE_TELEMETRY: "true",
      LOG_LEVEL: "error",
      WORKER_DATABASE: database,
      WORKER_OPTIONS: JSON.stringify(moduleOptions),
    },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  })
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once("exit", (code, signal) => resolve(signal ?? code))
  )
  let nextId = 1
  const pending = new Map<number, (result: WorkerResult) => void>()

  const pid = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not boot within ${BOOT_TIMEOUT_MS} ms`)), BOOT_TIMEOUT_MS)
    exited.then((code) => reject(new Error(`worker exited (${code}) before it was ready`)))
    child.on("message", (reply: WorkerReply) => {
      if ("ready" in reply) {
        clearTimeout(timer)
        resolve(reply.pid)
        return
      }
      const settle = pending.get(reply.id)
      pending.delete(reply.id)
      settle?.(reply.ok ? { ok: true, value: reply.value } : { ok: false, error: reply.error })
    })
  })
  exited.then((code) => {
    for (const settle of pending.values()) settle({ ok: false, error: { message: `worker exited (${code})` } })
    pending.clear()
  })

  return {
    pid,
    exited,
    call: (method, ...args) =>
      new Promise((resolve) => {
        const id = nextId++
        pending.set(id, resolve)
        child.send({ id, method, args } satisfies WorkerRequest)
      }),
    kill: (signal = "SIGKILL") => {
      child.kill(signal)
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.send("exit")
        await exited
      }
    },
  }
}
