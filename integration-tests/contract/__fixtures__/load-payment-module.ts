import path from "path"
import { TestDatabaseUtils } from "@medusajs/test-utils"
import { IPaymentModuleService } from "@medusajs/framework/types"
import { recreateDatabase, runScoped } from "../../__fixtures__/module"

// Loads a payment module the way a Medusa application does, through the
// modules SDK of @medusajs/framework: MedusaAppMigrateUp (what
// `medusa db:migrate` runs: the module's own migrations, found next to its
// resolved entry point), then MedusaApp + onApplicationStart (the server
// boot), with a knex connection injected as PG_CONNECTION like the
// framework's MedusaAppLoader. Only `resolve` differs between Medusa's module
// and this one. Each gets a fresh database of its own.

const { MedusaApp, MedusaAppMigrateUp, MedusaModule } = require("@medusajs/framework/modules-sdk")
const { ContainerRegistrationKeys, Modules, createPgConnection, createMedusaContainer } = require(
  "@medusajs/framework/utils"
)
const { asValue } = require("@medusajs/framework/awilix")

export type Target = "medusa" | "ours"

export const RESOLVE: Record<Target, string> = {
  medusa: require.resolve("@medusajs/payment"),
  // this module's source, as the other integration suites load it
  ours: path.resolve(__dirname, "..", "..", "..", "src"),
}

export interface LoadedModule {
  service: IPaymentModuleService
  databaseName: string
  shutdown(): Promise<void>
}

/** Keeps the jest output readable; warnings and errors still go to stderr. */
function quietLogger() {
  const quiet = () => {}
  const loud = (...a: unknown[]) => console.error("[payment module]", ...a)
  return {
    info: quiet, debug: quiet, log: quiet, success: quiet, progress: quiet, activity: () => "",
    warn: loud, error: loud, failure: loud, panic: loud,
    shouldLog: () => false, setLogLevel: quiet, unsetLogLevel: quiet,
  }
}

/** An in-process event bus without subscribers that hands every emitted message to `sink`. */
function recordingEventBus(sink: (messages: any[]) => void) {
  return {
    async emit(data: unknown) {
      sink(Array.isArray(data) ? data : [data])
    },
    subscribe() { return this },
    unsubscribe() { return this },
    async releaseGroupedEvents() {},
    async clearGroupedEvents() {},
  }
}

export interface LoadOptions {
  /**
   * Load onto this existing database (a `databaseName` an earlier load
   * returned) instead of a fresh one: the upgrade path, where `medusa
   * db:migrate` runs the module's pending migrations over another module's
   * (or an older release's) tables and rows.
   */
  existingDatabase?: string
}

/**
 * Boots one payment module on a fresh database (or on `existingDatabase`).
 * The modules SDK keeps singletons (MedusaModule), so load one target at a
 * time and shut it down before loading the other.
 */
export async function loadPaymentModule(
  target: Target,
  baseName: string,
  onEvents: (messages: any[]) => void = () => {},
  { existingDatabase }: LoadOptions = {}
): Promise<LoadedModule> {
  const databaseName = existingDatabase ?? runScoped(`${baseName}_${target}`)
  if (!existingDatabase) await recreateDatabase(databaseName)
  const clientUrl = TestDatabaseUtils.getDatabaseURL(databaseName)
  const logger = quietLogger()
  const pgConnection = createPgConnection({ clientUrl, schema: "public", pool: { min: 1, max: 5 } })
  const sharedContainer = createMedusaContainer()
  sharedContainer.register({ [ContainerRegistrationKeys.LOGGER]: asValue(logger) })
  const options = () => ({
    sharedContainer,
    modulesConfig: { [Modules.PAYMENT]: { resolve: RESOLVE[target], options: {} } },
    sharedResourcesConfig: { database: { clientUrl, schema: "public" } },
    injectedDependencies: {
      [ContainerRegistrationKeys.PG_CONNECTION]: pgConnection,
      [ContainerRegistrationKeys.LOGGER]: logger,
      [Modules.EVENT_BUS]: recordingEventBus(onEvents),
    },
    cwd: path.resolve(__dirname, "..", "..", ".."),
  })
  try {
    await MedusaAppMigrateUp(options())
    const app = await MedusaApp(options())
    await app.onApplicationStart()
    const service = app.modules[Modules.PAYMENT]
    if (!service) throw new Error(`the modules SDK returned no payment service for ${target}`)
    return {
      service,
      databaseName,
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
