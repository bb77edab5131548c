import path from "path"

/** Where the tests load the module from: its source, exactly as a Medusa app resolves it. */
export const MODULE_PATH = path.resolve(__dirname, "..", "..", "src")
export const MIGRATIONS_PATH = path.join(MODULE_PATH, "migrations")
export const SCRIPTED_PROVIDER = path.join(__dirname, "scripted-provider.ts")

/** The scripted provider registered as { resolve, id: "test" } gets this key. */
export const SCRIPTED = "pp_scripted_test"
export const MANUAL = "pp_system_default"

export const defaultModuleOptions = {
  providers: [{ resolve: SCRIPTED_PROVIDER, id: "test" }],
}

import { IPaymentModuleService } from "@medusajs/framework/types"
import { Modules } from "@medusajs/framework/utils"
import { moduleIntegrationTestRunner, SuiteOptions } from "@medusajs/test-utils"

/**
 * Runs `testSuite` against the module loaded by Medusa's own module runner,
 * on a real PostgreSQL whose schema comes from the committed migrations.
 */
export function paymentModuleSuite(
  testSuite: (options: SuiteOptions<IPaymentModuleService>) => void,
  moduleOptions: Record<string, unknown> = defaultModuleOptions,
  /** A database of the suite's own (default: one per jest worker, shared by suites run in turn). */
  dbName?: string
) {
  jest.setTimeout(60000)
  moduleIntegrationTestRunner<IPaymentModuleService>({
    moduleName: Modules.PAYMENT,
    resolve: MODULE_PATH,
    pathToMigrations: MIGRATIONS_PATH,
    moduleOptions,
    testSuite,
    dbName: runScoped(dbName ?? `payment_plus_suite_${process.env.JEST_WORKER_ID ?? "1"}`),
  })
}

/** Runs a raw query on the test database (to check what was, or was not, written). */
export async function query<T = any>(
  MikroOrmWrapper: { forkManager(): any },
  sql: string,
  params: unknown[] = []
): Promise<T[]> {
  return await MikroOrmWrapper.forkManager().execute(sql, params)
}

/** How many rows each money table holds: the "writes nothing" check. */
export async function rowCounts(MikroOrmWrapper: { forkManager(): any }) {
  const [row] = await query(
    MikroOrmWrapper,
    `SELECT (SELECT count(*) FROM payment_collection)::int AS collections,
            (SELECT count(*) FROM payment_session)::int AS sessions,
            (SELECT count(*) FROM payment)::int AS payments,
            (SELECT count(*) FROM capture)::int AS captures,
            (SELECT count(*) FROM refund)::int AS refunds,
            (SELECT count(*) FROM account_holder)::int AS account_holders`
  )
  return row
}

import { initModules, TestDatabaseUtils } from "@medusajs/test-utils"
import { Client } from "pg"
import { toMikroOrmEntities } from "@medusajs/framework/utils"
import * as models from "../../src/models"

/**
 * A database name private to this test run: two runs on one machine (a
 * developer's and CI's, or two engineers') never share a database. The
 * run's databases are dropped when it ends (scripts/jest-global-teardown.js).
 */
export function runScoped(name: string): string {
  const run = process.env.PAYMENT_TEST_RUN
  return run && !name.endsWith(`_r${run}`) ? `${name}_r${run}` : name
}

export async function recreateDatabase(base: string): Promise<void> {
  const name = runScoped(base)
  const client = new Client({ connectionString: TestDatabaseUtils.getDatabaseURL("postgres") })
  await client.connect()
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
    await client.query(`CREATE DATABASE "${name}"`)
  } finally {
    await client.end()
  }
}

/**
 * Loads the module outside the suite runner, against a database of its
 * own, the way a Medusa app boots it — for tests about loading itself
 * (bad provider options, restarts with another provider list).
 */
export async function bootModule(
  databaseName: string,
  options: Record<string, unknown>,
  { freshDatabase = true } = {}
): Promise<{ service: IPaymentModuleService; shutdown: () => Promise<void> }> {
  const clientUrl = TestDatabaseUtils.getDatabaseURL(runScoped(databaseName))
  if (freshDatabase) {
    await recreateDatabase(databaseName)
    const wrapper = TestDatabaseUtils.getMikroOrmWrapper({
      mikroOrmEntities: toMikroOrmEntities(Object.values(models)),
      pathToMigrations: MIGRATIONS_PATH,
      clientUrl,
    })
    await wrapper.setupDatabase()
    await wrapper.getOrm().close()
  }
  const { medusaApp, shutdown } = await initModules({
    databaseConfig: { clientUrl },
    modulesConfig: { [Modules.PAYMENT]: { resolve: MODULE_PATH, options } },
  })
  return { service: medusaApp.modules[Modules.PAYMENT], shutdown }
}

/** A plain connection to a test database, for the checks that read rows directly. */
export async function connectToDatabase(databaseName: string) {
  const { MikroORM } = await import("@medusajs/framework/mikro-orm/postgresql")
  const orm = await MikroORM.init({
    clientUrl: TestDatabaseUtils.getDatabaseURL(runScoped(databaseName)),
    entities: [],
    discovery: { warnWhenNoEntities: false },
  })
  return { forkManager: () => orm.em.fork(), close: () => orm.close() }
}
