// Loads a payment module the way a Medusa application does: through the
// modules SDK of @medusajs/framework (MedusaAppMigrateUp = `medusa db:migrate`,
// then MedusaApp + onApplicationStart = the server boot), with a shared knex
// connection injected as PG_CONNECTION, exactly like the framework's
// MedusaAppLoader. Nothing module-specific is called directly, so Medusa's
// module and ours go through the same code path; only `resolve` differs.
import fs from "fs"
import path from "path"

const { MedusaApp, MedusaAppMigrateUp, MedusaModule } = require("@medusajs/framework/modules-sdk")
const { ContainerRegistrationKeys, Modules, createPgConnection, createMedusaContainer } = require(
  "@medusajs/framework/utils"
)
const { asValue } = require("@medusajs/framework/awilix")

export const REPO_ROOT = path.resolve(__dirname, "..")
/** The package benchmarked as "ours": this repository unless BENCH_OURS_ROOT points elsewhere (another checkout). */
export const OURS_ROOT = path.resolve(process.env.BENCH_OURS_ROOT || REPO_ROOT)

export interface LoadedPaymentModule {
  /** the IPaymentModuleService instance the app would resolve */
  service: any
  loadedFrom: string
  migrationsRun: string[]
  bootMs: number
  shutdown(): Promise<void>
}

/**
 * What to put in `resolve` for a target.
 *  - medusa: the published package, like a default Medusa config.
 *  - ours:   the package root of this repository. After `npm run build`,
 *            require(root) is dist/index.js whose default export is the
 *            Module(Modules.PAYMENT, …) definition. Before a build, src/index.ts
 *            is compiled on load by bench/register-ts.js (BENCH_OURS_FROM=src|dist forces one).
 * The modules SDK discovers models/migrations next to the resolved file, so we
 * pass a path (not the exports object) to keep that discovery working.
 */
export function resolveTarget(target: "medusa" | "ours"): { resolve: string; loadedFrom: string } {
  if (target === "medusa") {
    const pkg = require("@medusajs/payment/package.json")
    return { resolve: "@medusajs/payment", loadedFrom: `@medusajs/payment@${pkg.version}` }
  }
  const dist = path.join(OURS_ROOT, "dist", "index.js")
  const src = path.join(OURS_ROOT, "src", "index.ts")
  const prefer = process.env.BENCH_OURS_FROM
  const attempts: string[] = []
  const candidates =
    prefer === "src" ? [src] : prefer === "dist" ? [OURS_ROOT] : fs.existsSync(dist) ? [OURS_ROOT, src] : [src]
  for (const candidate of candidates) {
    try {
      if (candidate.endsWith(".ts")) {
        if (!fs.existsSync(candidate)) throw new Error(`${candidate} does not exist`)
        ensureTypeScriptLoader()
      }
      const exported = require(candidate)
      const definition = exported?.default ?? exported
      if (!definition || typeof definition.service !== "function") {
        throw new Error(
          "its default export is not a module definition (expected `export default Module(Modules.PAYMENT, { service, loaders })`)"
        )
      }
      const file = require.resolve(candidate)
      // a stale build would silently benchmark old code: say so in the results
      const stale = file === dist && newestMtime(path.join(OURS_ROOT, "src")) > fs.statSync(dist).mtimeMs
      const notes = [...(stale ? ["src/ is newer than dist/: rebuild?"] : []), ...attempts.map((a) => `skipped ${a}`)]
      return {
        resolve: candidate,
        loadedFrom: `medusa-payment-plus (${path.relative(OURS_ROOT, file)})` + (notes.length ? ` [${notes.join("; ")}]` : ""),
      }
    } catch (e: any) {
      attempts.push(`${candidate}: ${String(e?.message ?? e).split("\n")[0]}`)
    }
  }
  // `expected`: the worker reports the message alone, without a stack trace
  throw Object.assign(
    new Error(
      `cannot load our module from ${OURS_ROOT}.\n  tried ${attempts.join("\n  tried ")}\n` +
        `  Build it with \`npm run build\` (dist/index.js) or make src/index.ts export the module definition.`
    ),
    { expected: true }
  )
}

function newestMtime(dir: string): number {
  if (!fs.existsSync(dir)) return 0
  let newest = 0
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs)
  }
  return newest
}

/** src/*.ts needs a TypeScript loader when we run from plain node. */
function ensureTypeScriptLoader() {
  if (require.extensions[".ts"]) return
  require("./register-ts")
}

/** A Logger that keeps the benchmark output readable but never hides problems. */
function quietLogger(sink: string[]) {
  const keep = (...a: unknown[]) => void sink.push(a.map(String).join(" "))
  const loud = (...a: unknown[]) => console.error("[module]", ...a)
  return {
    info: keep,
    debug: keep,
    log: keep,
    success: keep,
    progress: keep,
    activity: (m: string) => (keep(m), ""),
    warn: loud,
    error: loud,
    failure: loud,
    panic: loud,
    shouldLog: () => false,
    setLogLevel: () => {},
    unsetLogLevel: () => {},
  }
}

/** In-process event bus, like event-bus-local without subscribers: no I/O. */
const nullEventBus = {
  async emit() {},
  subscribe() {
    return this
  },
  unsubscribe() {
    return this
  },
  async releaseGroupedEvents() {},
  async clearGroupedEvents() {},
}

export async function loadPaymentModule(
  target: "medusa" | "ours",
  dbUrl: string,
  poolMax: number
): Promise<LoadedPaymentModule> {
  const { resolve, loadedFrom } = resolveTarget(target)
  const logLines: string[] = []
  const logger = quietLogger(logLines)
  // Same knex pool shape as a Medusa app (pg-connection-loader): min 2 and the
  // knex default max of 10 unless told otherwise.
  const pgConnection = createPgConnection({ clientUrl: dbUrl, schema: "public", pool: { min: 2, max: poolMax } })
  const sharedContainer = createMedusaContainer()
  sharedContainer.register({ [ContainerRegistrationKeys.LOGGER]: asValue(logger) })
  const options = () => ({
    sharedContainer,
    modulesConfig: { [Modules.PAYMENT]: { resolve, options: {} } },
    sharedResourcesConfig: { database: { clientUrl: dbUrl, schema: "public" } },
    injectedDependencies: {
      [ContainerRegistrationKeys.PG_CONNECTION]: pgConnection,
      [ContainerRegistrationKeys.LOGGER]: logger,
      [Modules.EVENT_BUS]: nullEventBus,
    },
    cwd: REPO_ROOT,
  })
  const t0 = Date.now()
  try {
    // `medusa db:migrate`: idempotent, a no-op on an up-to-date database
    await MedusaAppMigrateUp(options())
    const app = await MedusaApp(options())
    await app.onApplicationStart()
    const service = app.modules[Modules.PAYMENT]
    if (!service) throw new Error("the modules SDK returned no payment service")
    return {
      service,
      loadedFrom,
      migrationsRun: logLines.filter((l) => l.includes("Migrated ")).map((l) => l.replace(/.*Migrated /, "")),
      bootMs: Date.now() - t0,
      async shutdown() {
        await app.onApplicationPrepareShutdown()
        await app.onApplicationShutdown()
        await pgConnection.destroy()
        MedusaModule.clearInstances()
      },
    }
  } catch (e) {
    await pgConnection.destroy().catch(() => {})
    MedusaModule.clearInstances()
    throw e
  }
}
