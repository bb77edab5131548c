import fs from "fs"
import os from "os"
import path from "path"
import { TestDatabaseUtils } from "@medusajs/test-utils"
import { toMikroOrmEntities } from "@medusajs/framework/utils"
import { generateMigration } from "../../scripts/generate-migration"
import * as models from "../../src/models"
import { currencyExponent, knownCurrencyCodes } from "../../src/utils/currency"
import { bootModule, MIGRATIONS_PATH, query, recreateDatabase, runScoped, MANUAL } from "../__fixtures__/module"

jest.setTimeout(120000)

describe("migrations", () => {
  it("match the models: generating again from the models yields no new migration", async () => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "payment-migrations-"))
    fs.cpSync(MIGRATIONS_PATH, scratch, { recursive: true })
    const { up } = await generateMigration(scratch, runScoped("payment_plus_drift_check"))
    expect(up).toEqual([])
  })

  it("give PostgreSQL the same ISO 4217 exponents as the module's table", async () => {
    const database = "payment_plus_exponents"
    await recreateDatabase(database)
    const wrapper = TestDatabaseUtils.getMikroOrmWrapper({
      mikroOrmEntities: toMikroOrmEntities(Object.values(models)),
      pathToMigrations: MIGRATIONS_PATH,
      clientUrl: TestDatabaseUtils.getDatabaseURL(runScoped(database)),
    })
    await wrapper.setupDatabase()
    try {
      const codes = knownCurrencyCodes()
      const rows = await query(wrapper, `SELECT code, payment_currency_exponent(code) AS exponent FROM unnest(?::text[]) AS code`, [
        `{${codes.join(",")}}`,
      ])
      expect(rows).toHaveLength(codes.length)
      for (const row of rows) {
        expect([row.code, row.exponent]).toEqual([row.code, currencyExponent(row.code)])
      }
      const [lower] = await query(wrapper, `SELECT payment_currency_exponent('jpy') AS jpy, payment_currency_exponent('xyz') AS unknown`)
      expect(lower).toEqual({ jpy: 0, unknown: null })
    } finally {
      await wrapper.getOrm().close()
    }
  })

  it("upgrade a database made by @medusajs/payment 2.21.2, keeping its data", async () => {
    const database = "payment_plus_upgrade_check"
    await recreateDatabase(database)
    const medusaMigrations = path.dirname(require.resolve("@medusajs/payment/dist/migrations/Migration20240225134525.js"))
    const wrapper = TestDatabaseUtils.getMikroOrmWrapper({
      mikroOrmEntities: toMikroOrmEntities(Object.values(models)),
      pathToMigrations: [medusaMigrations, MIGRATIONS_PATH],
      clientUrl: TestDatabaseUtils.getDatabaseURL(runScoped(database)),
    })
    // The first path only: Medusa's schema, then a collection made under it.
    const medusaOnly = TestDatabaseUtils.getMikroOrmWrapper({
      mikroOrmEntities: toMikroOrmEntities(Object.values(models)),
      pathToMigrations: [medusaMigrations, medusaMigrations],
      clientUrl: TestDatabaseUtils.getDatabaseURL(runScoped(database)),
    })
    await medusaOnly.setupDatabase()
    await query(medusaOnly, `INSERT INTO payment_collection (id, currency_code, amount, raw_amount) VALUES ('pay_col_old', 'usd', 30, '{"value":"30","precision":20}')`)
    await medusaOnly.getOrm().close()

    await wrapper.setupDatabase()
    // Medusa's tables keep Medusa's columns; the module's records are tables of their own.
    const captureColumns = await query(wrapper, `SELECT column_name FROM information_schema.columns WHERE table_name = 'capture' ORDER BY 1`)
    expect(captureColumns.map((c) => c.column_name)).toEqual([
      "amount", "created_at", "created_by", "deleted_at", "id", "metadata", "payment_id", "raw_amount", "updated_at",
    ])
    const [movements] = await query(wrapper, `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'payment_movement'`)
    expect(movements.n).toBe(1)
    await wrapper.getOrm().close()

    const { service, shutdown } = await bootModule(database, {}, { freshDatabase: false })
    try {
      const session = await service.createPaymentSession("pay_col_old", { provider_id: MANUAL, currency_code: "usd", amount: 30, data: {} })
      const payment = await service.authorizePaymentSession(session.id, {})
      await service.capturePayment({ payment_id: payment!.id })
      expect(await service.retrievePaymentCollection("pay_col_old")).toMatchObject({ status: "completed", captured_amount: 30 })
    } finally {
      await shutdown()
    }
  })
})
