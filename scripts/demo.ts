// The module's main job, end to end on a real PostgreSQL: boot the module
// the way a Medusa app does (migrations included) and take one payment
// through collection → session → authorize → partial captures → refund,
// printing each step and the collection's totals.
//
//   npm run demo          (uses DB_* / DATABASE_URL, or an embedded PostgreSQL)
import path from "path"
import { Client } from "pg"
import { IPaymentModuleService } from "@medusajs/framework/types"
import { Modules, toMikroOrmEntities } from "@medusajs/framework/utils"
import { initModules, TestDatabaseUtils } from "@medusajs/test-utils"
import * as models from "../src/models"

const DATABASE = process.env.DEMO_DATABASE ?? "medusa_payment_plus_demo"
const ROOT = path.resolve(__dirname, "..")

async function freshDatabase(): Promise<string> {
  const admin = new Client({ connectionString: TestDatabaseUtils.getDatabaseURL("postgres") })
  await admin.connect()
  await admin.query(`DROP DATABASE IF EXISTS "${DATABASE}" WITH (FORCE)`)
  await admin.query(`CREATE DATABASE "${DATABASE}"`)
  await admin.end()
  const clientUrl = TestDatabaseUtils.getDatabaseURL(DATABASE)
  const migrator = TestDatabaseUtils.getMikroOrmWrapper({
    mikroOrmEntities: toMikroOrmEntities(Object.values(models)),
    pathToMigrations: path.join(ROOT, "src", "migrations"),
    clientUrl,
  })
  await migrator.setupDatabase()
  await migrator.getOrm().close()
  return clientUrl
}

function show(step: string, value: unknown) {
  console.log(`\n▸ ${step}`)
  console.log(JSON.stringify(value, null, 2))
}

async function main() {
  const clientUrl = await freshDatabase()
  console.log(`Migrated ${DATABASE}; loading the payment module from ${ROOT}`)
  const { medusaApp, shutdown } = await initModules({
    databaseConfig: { clientUrl },
    modulesConfig: { [Modules.PAYMENT]: { resolve: ROOT } },
  })
  const payments: IPaymentModuleService = medusaApp.modules[Modules.PAYMENT]
  try {
    const providers = await payments.listPaymentProviders()
    show("providers", providers)
    const collection = await payments.createPaymentCollections({ currency_code: "usd", amount: 5000 })
    show("payment collection", collection)
    const session = await payments.createPaymentSession(collection.id, {
      provider_id: "pp_system_default", currency_code: "usd", amount: 5000, data: {},
    })
    show("payment session", { id: session.id, status: session.status, amount: session.amount })
    const payment = (await payments.authorizePaymentSession(session.id, {}))!
    show("authorized payment", { id: payment.id, amount: payment.amount })
    await payments.capturePayment({ payment_id: payment.id, amount: 2000 })
    await payments.capturePayment({ payment_id: payment.id })
    const refunded = await payments.refundPayment({ payment_id: payment.id, amount: 1000 })
    show("captures and refunds", {
      captures: (await payments.listCaptures({ payment_id: payment.id })).map((c) => c.amount),
      refunds: refunded.refunds?.map((r) => r.amount),
    })
    const totals = await payments.retrievePaymentCollection(collection.id)
    show("collection after the flow", {
      status: totals.status,
      amount: totals.amount,
      authorized_amount: totals.authorized_amount,
      captured_amount: totals.captured_amount,
      refunded_amount: totals.refunded_amount,
    })
  } finally {
    await shutdown()
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
