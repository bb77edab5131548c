import path from "path"
import { IPaymentModuleService } from "@medusajs/framework/types"
import { MedusaError, toMikroOrmEntities } from "@medusajs/framework/utils"
import { TestDatabaseUtils } from "@medusajs/test-utils"
import * as models from "../../src/models"
import {
  bootModule, defaultModuleOptions, MIGRATIONS_PATH, paymentModuleSuite, recreateDatabase, runScoped, SCRIPTED,
} from "../__fixtures__/module"
import { Script } from "../__fixtures__/scripted-provider"
import { expectInvariants, inTransaction, moneySafe, sql } from "./__fixtures__/money"

/**
 * verifyLedger rebuilds the totals from the append-only ledger and from the
 * capture/refund/session rows and compares them with what is stored. These
 * tests show it stays silent on everything the module does, and that it
 * catches money written around the triggers.
 */
paymentModuleSuite(({ service: medusaService, dbConfig }) => {
  const service = moneySafe(medusaService)
  const url = () => dbConfig.clientUrl

  async function capturedPayment(
    service: IPaymentModuleService,
    { amount = 100, capture = 60, refund = 10, script = {} as Script } = {}
  ) {
    const collection = await service.createPaymentCollections({ currency_code: "usd", amount })
    const session = await service.createPaymentSession(collection.id, {
      provider_id: SCRIPTED, currency_code: "usd", amount, data: { script },
    })
    const payment = (await service.authorizePaymentSession(session.id, {}))!
    if (capture) await service.capturePayment({ payment_id: payment.id, amount: capture })
    if (refund) await service.refundPayment({ payment_id: payment.id, amount: refund })
    return { collection, session, payment }
  }

  describe("on what the module writes", () => {
    it("finds nothing after authorizations, partial captures, refunds, a refused capture, a cancel and a deleted session", async () => {
      const { collection, payment } = await capturedPayment(service, { amount: "250.75" as any, capture: 0, refund: 0 })
      await service.capturePayment({ payment_id: payment.id, amount: "100.25" })
      await service.capturePayment({ payment_id: payment.id, amount: 50 })
      await service.refundPayment({ payment_id: payment.id, amount: "0.75" })
      await service.refundPayment({ payment_id: payment.id, amount: 40 })

      // A second session in the same collection whose provider refuses to capture, then is canceled.
      const refusing = await service.createPaymentSession(collection.id, {
        provider_id: SCRIPTED, currency_code: "usd", amount: 20, data: { script: { capture: "throw" } },
      })
      const second = (await service.authorizePaymentSession(refusing.id, {}))!
      await expect(service.capturePayment({ payment_id: second.id, amount: 5 })).rejects.toThrow(/card_declined/)
      await service.cancelPayment(second.id)

      // A third, never authorized, deleted.
      const abandoned = await service.createPaymentSession(collection.id, { provider_id: SCRIPTED, currency_code: "usd", amount: 3, data: {} })
      await service.deletePaymentSession(abandoned.id)

      await expectInvariants(url(), service, collection.id)
      expect(await service.verifyLedger()).toEqual([])

      // The ledger recorded every step, including the refused capture's reversal.
      const events = await sql(url(), `SELECT subject, event, count(*)::int AS n FROM payment_ledger_entry WHERE payment_collection_id = $1 AND subject IN ('capture', 'refund', 'authorization', 'cancellation') GROUP BY 1, 2 ORDER BY 1, 2`, [collection.id])
      expect(events).toEqual([
        { subject: "authorization", event: "authorized", n: 2 },
        { subject: "cancellation", event: "canceled", n: 1 },
        { subject: "capture", event: "reserved", n: 3 },
        { subject: "capture", event: "reversed", n: 1 },
        { subject: "capture", event: "succeeded", n: 2 },
        { subject: "refund", event: "reserved", n: 2 },
        { subject: "refund", event: "succeeded", n: 2 },
      ])
    })

    it("finds nothing when the provider captured at authorization (the capture is recorded, not requested)", async () => {
      const { collection } = await capturedPayment(service, { capture: 0, refund: 30, script: { authorize: "captured" } })
      await expectInvariants(url(), service, collection.id)
    })
  })

  describe("on money written around the module", () => {
    it("detects a capture inserted with its triggers disabled: rows disagree with the totals and the ledger", async () => {
      const { collection, payment } = await capturedPayment(service)
      await inTransaction(url(), [
        `ALTER TABLE capture DISABLE TRIGGER USER`,
        `INSERT INTO capture (id, payment_id, amount, raw_amount, status) VALUES ('capt_forged', '${payment.id}', 25, '{"value":"25","precision":20}', 'succeeded')`,
        `ALTER TABLE capture ENABLE TRIGGER USER`,
      ])
      const found = await service.verifyLedger({ payment_collection_id: collection.id })
      expect(found).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            subject: "payment", id: payment.id, check: "captured",
            figures: { ledger: "60", stored: "60", parts: "85" },
          }),
          expect.objectContaining({
            subject: "payment_collection", id: collection.id, check: "captured",
            figures: { ledger: "60", stored: "60", parts: "85" },
          }),
        ])
      )
      expect(found.find((d) => d.check === "captured")!.message).toMatch(/captured disagrees \(ledger 60, stored 60, parts 85\)/)
    })

    it("detects a payment total rewritten by hand (within the CHECK's bounds)", async () => {
      const { collection, payment } = await capturedPayment(service)
      await sql(url(), `UPDATE payment SET captured_total = 70 WHERE id = $1`, [payment.id])
      expect(await service.verifyLedger({ payment_collection_id: collection.id })).toEqual([
        expect.objectContaining({ subject: "payment", id: payment.id, check: "captured", figures: { ledger: "60", stored: "70", parts: "60" } }),
      ])
    })

    it("detects a refund deleted with its triggers disabled", async () => {
      const { collection, payment } = await capturedPayment(service)
      await inTransaction(url(), [
        `ALTER TABLE refund DISABLE TRIGGER USER`,
        `DELETE FROM refund WHERE payment_id = '${payment.id}'`,
        `ALTER TABLE refund ENABLE TRIGGER USER`,
      ])
      const checks = (await service.verifyLedger({ payment_collection_id: collection.id })).map((d) => [d.subject, d.check, d.figures])
      expect(checks).toEqual([
        ["payment", "refunded", { ledger: "10", stored: "10", parts: "0" }],
        ["payment_collection", "refunded", { ledger: "10", stored: "10", parts: "0" }],
      ])
    })

    it("detects a collection marked completed and fully captured by hand", async () => {
      const { collection } = await capturedPayment(service, { refund: 0 })
      await sql(
        url(),
        `UPDATE payment_collection SET status = 'completed', captured_amount = 100, raw_captured_amount = '{"value":"100","precision":20}' WHERE id = $1`,
        [collection.id]
      )
      const found = await service.verifyLedger({ payment_collection_id: collection.id })
      expect(found.map((d) => [d.subject, d.check, d.figures])).toEqual([
        ["payment_collection", "captured", { ledger: "60", stored: "100", parts: "60" }],
        ["payment_collection", "status", { stored: "completed", expected: "partially_captured" }],
      ])
    })

    it("detects a lost 'unknown' counter and an over-capture the CHECK could not see (triggers off)", async () => {
      const { collection, payment } = await capturedPayment(service, { refund: 0 })
      await inTransaction(url(), [
        `ALTER TABLE capture DISABLE TRIGGER USER`,
        `UPDATE capture SET status = 'unknown', amount = 160, raw_amount = '{"value":"160","precision":20}' WHERE payment_id = '${payment.id}'`,
        `ALTER TABLE capture ENABLE TRIGGER USER`,
      ])
      const checks = (await service.verifyLedger({ payment_collection_id: collection.id })).map((d) => `${d.subject}:${d.check}`)
      expect(checks).toEqual(["payment:captured", "payment:unknown_movements", "payment:bounds", "payment_collection:captured", "payment_collection:status"])
    })

    it("keeps other collections out of a scoped check, and reports a tampered one in a full check", async () => {
      const clean = await capturedPayment(service)
      const broken = await capturedPayment(service)
      await sql(url(), `UPDATE payment SET refunded_total = 0 WHERE id = $1`, [broken.payment.id])
      expect(await service.verifyLedger({ payment_collection_id: clean.collection.id })).toEqual([])
      expect((await service.verifyLedger()).map((d) => d.id)).toEqual([broken.payment.id])
      expect((await service.verifyLedger({ payment_collection_id: [clean.collection.id, broken.collection.id] })).map((d) => d.id)).toEqual([broken.payment.id])
    })
  })

  describe("the ledger itself", () => {
    it.each([
      ["UPDATE", `UPDATE payment_ledger_entry SET amount = 0`],
      ["DELETE", `DELETE FROM payment_ledger_entry`],
      ["TRUNCATE", `TRUNCATE payment_ledger_entry`],
    ])("refuses %s, so history cannot be rewritten to match a tampered total", async (_, statement) => {
      await capturedPayment(service)
      const before = await sql(url(), `SELECT count(*)::int AS n, sum(amount)::text AS total FROM payment_ledger_entry`)
      await expect(sql(url(), statement)).rejects.toThrow(/payment_ledger_entry is append-only/)
      expect(await sql(url(), `SELECT count(*)::int AS n, sum(amount)::text AS total FROM payment_ledger_entry`)).toEqual(before)
    })
  })

  describe("its input", () => {
    it("reports an unknown collection as NOT_FOUND and a malformed filter as INVALID_DATA", async () => {
      await expect(service.verifyLedger({ payment_collection_id: "pay_col_missing" })).rejects.toMatchObject({
        type: MedusaError.Types.NOT_FOUND, message: "PaymentCollection with id: pay_col_missing was not found",
      })
      for (const bad of [{ payment_collection_id: "" }, { payment_collection_id: [] }, { payment_collection_id: [42] }, "pay_col"]) {
        await expect(service.verifyLedger(bad as any)).rejects.toMatchObject({ type: MedusaError.Types.INVALID_DATA })
      }
    })
  })
}, defaultModuleOptions, "payment_plus_money_safety_ledger")

describe("a store that switched from @medusajs/payment", () => {
  jest.setTimeout(120_000)

  it("finds its earlier payments in the ledger (as opening balances), so the check starts clean and stays clean", async () => {
    const database = "payment_plus_ledger_upgrade"
    const clientUrl = TestDatabaseUtils.getDatabaseURL(runScoped(database))
    const medusaMigrations = path.dirname(require.resolve("@medusajs/payment/dist/migrations/Migration20240225134525.js"))
    const schema = (paths: string[]) =>
      TestDatabaseUtils.getMikroOrmWrapper({ mikroOrmEntities: toMikroOrmEntities(Object.values(models)), pathToMigrations: paths, clientUrl })
    await recreateDatabase(database)
    const medusaOnly = schema([medusaMigrations, medusaMigrations])
    await medusaOnly.setupDatabase()
    await medusaOnly.getOrm().close()

    // What @medusajs/payment 2.21 left behind: a payment captured 30 and
    // refunded 5 (completed collection), and a canceled one.
    const raw = (v: string) => `'{"value":"${v}","precision":20}'`
    await inTransaction(clientUrl, [
      `INSERT INTO payment_collection (id, currency_code, amount, raw_amount, authorized_amount, raw_authorized_amount, captured_amount, raw_captured_amount, refunded_amount, raw_refunded_amount, status)
       VALUES ('pay_col_old', 'usd', 30, ${raw("30")}, 30, ${raw("30")}, 30, ${raw("30")}, 5, ${raw("5")}, 'completed'),
              ('pay_col_void', 'usd', 12, ${raw("12")}, 0, ${raw("0")}, 0, ${raw("0")}, 0, ${raw("0")}, 'awaiting')`,
      `INSERT INTO payment_session (id, currency_code, amount, raw_amount, provider_id, data, status, payment_collection_id)
       VALUES ('payses_old', 'usd', 30, ${raw("30")}, 'pp_system_default', '{}', 'authorized', 'pay_col_old'),
              ('payses_void', 'usd', 12, ${raw("12")}, 'pp_system_default', '{}', 'canceled', 'pay_col_void')`,
      `INSERT INTO payment (id, amount, raw_amount, currency_code, provider_id, data, payment_collection_id, payment_session_id, captured_at, canceled_at)
       VALUES ('pay_old', 30, ${raw("30")}, 'usd', 'pp_system_default', '{}', 'pay_col_old', 'payses_old', now(), NULL),
              ('pay_void', 12, ${raw("12")}, 'usd', 'pp_system_default', '{}', 'pay_col_void', 'payses_void', NULL, now())`,
      `INSERT INTO capture (id, amount, raw_amount, payment_id) VALUES ('capt_old_1', 10, ${raw("10")}, 'pay_old'), ('capt_old_2', 20, ${raw("20")}, 'pay_old')`,
      `INSERT INTO refund (id, amount, raw_amount, payment_id) VALUES ('ref_old', 5, ${raw("5")}, 'pay_old')`,
    ])

    const upgraded = schema([medusaMigrations, MIGRATIONS_PATH])
    await upgraded.setupDatabase()
    await upgraded.getOrm().close()

    const { service, shutdown } = await bootModule(database, {}, { freshDatabase: false })
    try {
      expect(await moneySafe(service).verifyLedger()).toEqual([])
      await service.refundPayment({ payment_id: "pay_old", amount: 25 })
      expect(await moneySafe(service).verifyLedger()).toEqual([])
      await expect(service.refundPayment({ payment_id: "pay_old", amount: "0.01" })).rejects.toMatchObject({ type: "invalid_data" })
    } finally {
      await shutdown()
    }
  })
})
