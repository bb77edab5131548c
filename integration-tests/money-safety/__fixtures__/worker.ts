/**
 * A separate Node process running its own instance of the payment module on
 * a shared database, driven by its parent over IPC. Started by
 * `startWorker` (./workers.ts) as
 *
 *   node -r ts-node/register/transpile-only worker.ts
 *
 * with WORKER_DATABASE (the database name) and WORKER_OPTIONS (the module's
 * options as JSON). It answers `{ id, method, args }` messages with
 * `{ id, ok, value | error }`, running every request as soon as it arrives —
 * requests sent together run concurrently, as in a busy server.
 */
import { Modules } from "@medusajs/framework/utils"
import { initModules, TestDatabaseUtils } from "@medusajs/test-utils"
import path from "path"

export type WorkerRequest = { id: number; method: string; args: unknown[] }
export type WorkerError = { type?: string; message: string; code?: string; outcome_unknown?: boolean }
export type WorkerReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: WorkerError }
  | { ready: true; pid: number }

const MODULE_PATH = path.resolve(__dirname, "..", "..", "..", "src")

async function main() {
  const database = process.env.WORKER_DATABASE!
  const options = JSON.parse(process.env.WORKER_OPTIONS ?? "{}")
  const { medusaApp, shutdown } = await initModules({
    databaseConfig: { clientUrl: TestDatabaseUtils.getDatabaseURL(database) },
    modulesConfig: { [Modules.PAYMENT]: { resolve: MODULE_PATH, options } },
  })
  const service = medusaApp.modules[Modules.PAYMENT] as Record<string, (...args: unknown[]) => Promise<unknown>>

  process.on("message", (message: WorkerRequest | "exit") => {
    if (message === "exit") {
      shutdown().finally(() => process.exit(0))
      return
    }
    const { id, method, args } = message
    Promise.resolve()
      .then(() => service[method](...args))
      .then(
        (value) => send({ id, ok: true, value: value === undefined ? null : JSON.parse(JSON.stringify(value)) }),
        (error) =>
          send({
            id,
            ok: false,
            error: { type: error?.type, message: String(error?.message ?? error), code: error?.code, outcome_unknown: error?.outcome_unknown },
          })
      )
  })
  send({ ready: true, pid: process.pid })
}

function send(reply: WorkerReply) {
  process.send!(reply)
}

main().catch((error) => {
  console.error("payment worker failed to start:", error)
  process.exit(1)
})
