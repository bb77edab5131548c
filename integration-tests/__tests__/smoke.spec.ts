import { IPaymentModuleService } from "@medusajs/framework/types"
import { Modules } from "@medusajs/framework/utils"
import { moduleIntegrationTestRunner } from "@medusajs/test-utils"
import { defaultModuleOptions, MANUAL, MIGRATIONS_PATH, MODULE_PATH } from "../__fixtures__/module"

jest.setTimeout(60000)

moduleIntegrationTestRunner<IPaymentModuleService>({
  moduleName: Modules.PAYMENT,
  resolve: MODULE_PATH,
  pathToMigrations: MIGRATIONS_PATH,
  moduleOptions: defaultModuleOptions,
  testSuite: ({ service }) => {
    it("runs a whole manual flow", async () => {
      const collection = await service.createPaymentCollections({ currency_code: "usd", amount: 5000 })
      const session = await service.createPaymentSession(collection.id, {
        provider_id: MANUAL, currency_code: "usd", amount: 5000, data: {},
      })
      const payment = await service.authorizePaymentSession(session.id, {})
      await service.capturePayment({ payment_id: payment!.id })
      await service.refundPayment({ payment_id: payment!.id, amount: 1000 })
      const after = await service.retrievePaymentCollection(collection.id)
      expect(after).toMatchObject({ status: "completed", captured_amount: 5000, refunded_amount: 1000, authorized_amount: 5000 })
    })
  },
})
