import path from "path"
import { IPaymentModuleService } from "@medusajs/framework/types"
import { Modules } from "@medusajs/framework/utils"
import { MockEventBusService, moduleIntegrationTestRunner } from "@medusajs/test-utils"
import { MANUAL, MIGRATIONS_PATH, query } from "../__fixtures__/module"

jest.setTimeout(60000)

const PACKAGE_ROOT = path.resolve(__dirname, "..", "..")

/**
 * The module as a store installs it: `resolve` is the package root, whose
 * `main` is the built `dist/index.js` (`npm test` builds first).
 */
moduleIntegrationTestRunner<IPaymentModuleService>({
  moduleName: Modules.PAYMENT,
  resolve: PACKAGE_ROOT,
  pathToMigrations: MIGRATIONS_PATH,
  testSuite: ({ service, MikroOrmWrapper }) => {
    let emitted: string[] = []
    beforeEach(() => {
      emitted = []
      jest.spyOn(MockEventBusService.prototype, "emit").mockImplementation(async (events: any) => {
        for (const event of [events].flat()) emitted.push(event.name)
      })
    })
    afterEach(() => jest.restoreAllMocks())

    it("loads from the package root and runs collection → session → authorize → partial captures → refunds", async () => {
      expect(require(PACKAGE_ROOT).default.service.name).toBe("PaymentModuleService")

      const collection = await service.createPaymentCollections({ currency_code: "eur", amount: "120.50" })
      const session = await service.createPaymentSession(collection.id, {
        provider_id: MANUAL, currency_code: "eur", amount: "120.50", data: {},
      })
      expect((await service.retrievePaymentCollection(collection.id)).status).toBe("not_paid")

      const payment = (await service.authorizePaymentSession(session.id, {}))!
      expect(await service.retrievePaymentCollection(collection.id)).toMatchObject({ status: "authorized", authorized_amount: 120.5 })

      await service.capturePayment({ payment_id: payment.id, amount: "20.50" })
      expect(await service.retrievePaymentCollection(collection.id)).toMatchObject({ status: "partially_captured", captured_amount: 20.5 })
      await service.capturePayment({ payment_id: payment.id, amount: 100 })
      await service.refundPayment({ payment_id: payment.id, amount: "0.50" })
      await service.refundPayment({ payment_id: payment.id, amount: 20 })

      const final = await service.retrievePaymentCollection(collection.id, { relations: ["payments.captures", "payments.refunds"] })
      expect(final).toMatchObject({
        status: "completed", authorized_amount: 120.5, captured_amount: 120.5, refunded_amount: 20.5, completed_at: expect.any(Date),
      })
      const [parts] = await query(
        MikroOrmWrapper,
        `SELECT (SELECT sum(amount) FROM capture)::text AS captured, (SELECT sum(amount) FROM refund)::text AS refunded`
      )
      expect(parts).toEqual({ captured: "120.5", refunded: "20.5" })
      const stored = await service.retrievePayment(payment.id)
      expect(stored.captured_at).toBeInstanceOf(Date)

      expect(emitted).toEqual(
        expect.arrayContaining([
          "payment.payment-collection.created",
          "payment.payment-session.created",
          "payment.payment.created",
          "payment.capture.created",
          "payment.refund.created",
        ])
      )
    })
  },
})
