// Generates the next migration of this module from its DML models with
// MikroORM (through Medusa's `Migrations`, which uses Medusa's migration
// generator), diffing against the committed snapshot in src/migrations.
//
//   npm run migration:generate
import path from "path"
import { Client } from "pg"
import { MikroORM } from "@medusajs/framework/mikro-orm/core"
import { defineMikroOrmCliConfig, Modules } from "@medusajs/framework/utils"
import * as models from "../src/models"

export const MIGRATIONS_DIR = path.resolve(__dirname, "..", "src", "migrations")

function connection() {
  return {
    host: process.env.DB_HOST ?? "127.0.0.1",
    port: Number(process.env.DB_PORT ?? 5432),
    user: process.env.DB_USERNAME ?? "postgres",
    password: process.env.DB_PASSWORD ?? "",
  }
}

/** MikroORM needs a database to connect to; an empty scratch one is enough. */
async function recreateDatabase(name: string): Promise<void> {
  const client = new Client({ ...connection(), database: "postgres" })
  await client.connect()
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}"`)
    await client.query(`CREATE DATABASE "${name}"`)
  } finally {
    await client.end()
  }
}

/** Returns the SQL of the migration the models call for (empty when none), writing it to `migrationsPath`. */
export async function generateMigration(
  migrationsPath = MIGRATIONS_DIR,
  scratchDatabase = "payment_plus_migration_scratch"
): Promise<{ fileName: string; up: string[] }> {
  await recreateDatabase(scratchDatabase)
  const { host, port, user, password } = connection()
  const config = defineMikroOrmCliConfig(Modules.PAYMENT, {
    entities: Object.values(models) as any[],
    dbName: scratchDatabase,
    host,
    port,
    user,
    password,
    migrations: { path: migrationsPath },
  } as any)
  const orm = await MikroORM.init(config as any)
  try {
    const result = await orm.getMigrator().createMigration()
    return { fileName: result.fileName, up: result.diff.up }
  } finally {
    await orm.close(true)
  }
}

if (require.main === module) {
  generateMigration()
    .then(({ fileName, up }) => {
      console.log(up.length ? `Wrote src/migrations/${fileName} (${up.length} statements)` : "The models match the migrations: nothing to generate.")
    })
    .catch((error) => {
      console.error(error)
      process.exit(1)
    })
}
