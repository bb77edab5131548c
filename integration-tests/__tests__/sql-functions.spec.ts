import fs from "fs"
import path from "path"
import { Client } from "pg"
import { TestDatabaseUtils } from "@medusajs/test-utils"
import { toMikroOrmEntities } from "@medusajs/framework/utils"
import * as models from "../../src/models"
import { MIGRATIONS_PATH, MODULE_PATH, recreateDatabase, runScoped } from "../__fixtures__/module"

/**
 * src/sql/functions/<name>.sql holds the live definition of each function
 * the module's migrations leave in the database, and src/sql/triggers*.sql
 * its triggers. Two fresh databases get every migration; in the second, the
 * module's functions and triggers are dropped and created again from the
 * files. Both must then read the same (pg_get_functiondef and
 * pg_get_triggerdef; only the schema name is ignored). A file edited without
 * a migration, or a migration that changes a function without its file,
 * fails here.
 */

jest.setTimeout(120000)

const FUNCTIONS_DIR = path.join(MODULE_PATH, "sql", "functions")
const SQL_DIR = path.join(MODULE_PATH, "sql")

/** The functions this module owns: payment_* in its schema, and whatever its tables' triggers run. */
const MODULE_FUNCTIONS = `
  select p.proname as name,
         p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' as signature,
         p.oid::regprocedure::text as regprocedure,
         pg_get_functiondef(p.oid) as definition
    from pg_proc p
    join pg_namespace n on n.oid = p.pronamespace
   where p.prokind in ('f', 'p')
     and not exists (select 1 from pg_depend d
                      where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
     and ((n.nspname = current_schema() and p.proname like 'payment\\_%')
          or p.oid in (select t.tgfoid from pg_trigger t join pg_class c on c.oid = t.tgrelid
                        where not t.tgisinternal and c.relnamespace = current_schema()::regnamespace))
   order by 2`

/** The triggers on the module's tables (not the ones PostgreSQL makes for foreign keys). */
const MODULE_TRIGGERS = `
  select c.relname || '.' || t.tgname as name,
         format('drop trigger %I on %I.%I', t.tgname, n.nspname, c.relname) as drop_statement,
         pg_get_triggerdef(t.oid) as definition
    from pg_trigger t
    join pg_class c on c.oid = t.tgrelid
    join pg_namespace n on n.oid = c.relnamespace
   where not t.tgisinternal and n.nspname = current_schema()
   order by 1`

type FunctionRow = { name: string; signature: string; regprocedure: string; definition: string }
type TriggerRow = { name: string; drop_statement: string; definition: string }

async function migratedDatabase(base: string): Promise<Client> {
  await recreateDatabase(base)
  const clientUrl = TestDatabaseUtils.getDatabaseURL(runScoped(base))
  const wrapper = TestDatabaseUtils.getMikroOrmWrapper({
    mikroOrmEntities: toMikroOrmEntities(Object.values(models)),
    pathToMigrations: MIGRATIONS_PATH,
    clientUrl,
  })
  await wrapper.setupDatabase()
  await wrapper.getOrm().close()
  const client = new Client({ connectionString: clientUrl })
  await client.connect()
  return client
}

/** Definitions keyed by signature (or table.trigger), without the schema's name. */
async function definitions(client: Client, sql: string): Promise<Record<string, string>> {
  const [{ schema }] = (await client.query(`select current_schema() as schema`)).rows
  const { rows } = await client.query<{ name: string; signature?: string; definition: string }>(sql)
  const unqualified = (text: string) => text.split(`"${schema}".`).join("").split(`${schema}.`).join("")
  return Object.fromEntries(rows.map((row) => [row.signature ?? row.name, unqualified(row.definition)]))
}

const functionFiles = () =>
  fs.readdirSync(FUNCTIONS_DIR).filter((file) => file.endsWith(".sql")).sort()
const triggerFiles = () =>
  fs.readdirSync(SQL_DIR).filter((file) => /^triggers.*\.sql$/.test(file)).sort()

describe("src/sql/functions and src/sql/triggers.sql", () => {
  let live: Client
  let fromFiles: Client
  /** Per file: what it failed with, or (a function's file) the names of the functions it created. */
  const loaded: Record<string, { error?: string; created?: string[]; ran?: true }> = {}

  beforeAll(async () => {
    live = await migratedDatabase("payment_plus_sql_live")
    fromFiles = await migratedDatabase("payment_plus_sql_files")

    // Everything the migrations made in the second database goes: dropping a
    // function drops the triggers that run it; any other trigger is dropped too.
    for (const fn of (await fromFiles.query<FunctionRow>(MODULE_FUNCTIONS)).rows) {
      await fromFiles.query(`drop function if exists ${fn.regprocedure} cascade`)
    }
    for (const trigger of (await fromFiles.query<TriggerRow>(MODULE_TRIGGERS)).rows) {
      await fromFiles.query(trigger.drop_statement)
    }
    expect((await fromFiles.query(MODULE_FUNCTIONS)).rows).toEqual([])
    expect((await fromFiles.query(MODULE_TRIGGERS)).rows).toEqual([])

    // ... and comes back from the files.
    for (const file of functionFiles()) {
      const before = new Set((await fromFiles.query<FunctionRow>(MODULE_FUNCTIONS)).rows.map((fn) => fn.signature))
      try {
        await fromFiles.query(fs.readFileSync(path.join(FUNCTIONS_DIR, file), "utf8"))
        const after = (await fromFiles.query<FunctionRow>(MODULE_FUNCTIONS)).rows
        loaded[file] = { created: after.filter((fn) => !before.has(fn.signature)).map((fn) => fn.name) }
      } catch (error) {
        loaded[file] = { error: (error as Error).message }
      }
    }
    for (const file of triggerFiles()) {
      try {
        await fromFiles.query(fs.readFileSync(path.join(SQL_DIR, file), "utf8"))
        loaded[file] = { ran: true }
      } catch (error) {
        loaded[file] = { error: (error as Error).message }
      }
    }
  })

  afterAll(async () => {
    await live?.end()
    await fromFiles?.end()
  })

  it("every file runs, and a function's file creates that function and no other", () => {
    const expected = {
      ...Object.fromEntries(functionFiles().map((file) => [file, { created: [file.replace(/\.sql$/, "")] }])),
      ...Object.fromEntries(triggerFiles().map((file) => [file, { ran: true }])),
    }
    expect(loaded).toEqual(expected)
  })

  it("every live function has a file, and every file a live function", async () => {
    const liveNames = [...new Set((await live.query<FunctionRow>(MODULE_FUNCTIONS)).rows.map((fn) => fn.name))]
    const fileNames = functionFiles().map((file) => file.replace(/\.sql$/, ""))
    expect({ withoutFile: liveNames.filter((name) => !fileNames.includes(name)) }).toEqual({ withoutFile: [] })
    expect({ withoutFunction: fileNames.filter((name) => !liveNames.includes(name)) }).toEqual({ withoutFunction: [] })
  })

  it("each file holds its function's live definition, byte for byte", async () => {
    const migrated = await definitions(live, MODULE_FUNCTIONS)
    const files = await definitions(fromFiles, MODULE_FUNCTIONS)
    expect(Object.keys(files)).toEqual(Object.keys(migrated))
    for (const signature of Object.keys(migrated)) {
      // the signature first, so that a failure names the function
      expect(`${signature}\n${files[signature]}`).toEqual(`${signature}\n${migrated[signature]}`)
    }
  })

  it("src/sql/triggers.sql holds the live triggers", async () => {
    expect(await definitions(fromFiles, MODULE_TRIGGERS)).toEqual(await definitions(live, MODULE_TRIGGERS))
  })
})

describe("migrations", () => {
  it("are frozen: none imports from src/ or from another migration", () => {
    const relative = [
      /\bfrom\s*["']\.{1,2}\//,
      /\bimport\s*["']\.{1,2}\//,
      /\bimport\s*\(\s*["']\.{1,2}\//,
      /\brequire\s*\(\s*["']\.{1,2}\//,
    ]
    const migrations = fs.readdirSync(MIGRATIONS_PATH).filter((file) => /\.[cm]?[jt]s$/.test(file))
    expect(migrations.length).toBeGreaterThan(0)
    const offenders = migrations.filter((file) => {
      const text = fs.readFileSync(path.join(MIGRATIONS_PATH, file), "utf8")
      return relative.some((pattern) => pattern.test(text))
    })
    expect(offenders).toEqual([])
  })
})
