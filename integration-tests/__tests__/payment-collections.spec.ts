import { MedusaError } from "@medusajs/framework/utils"
import { paymentModuleSuite, query, rowCounts, MANUAL } from "../__fixtures__/module"

paymentModuleSuite(({ service, MikroOrmWrapper }) => {
  describe("createPaymentCollections", () => {
    it("creates one or many, lower-cases the currency and keeps the input's shape", async () => {
      const one = await service.createPaymentCollections({ currency_code: "USD", amount: 200 })
      expect(one).toMatchObject({ id: expect.stringMatching(/^pay_col_/), currency_code: "usd", amount: 200, status: "not_paid" })

      const many = await service.createPaymentCollections([
        { currency_code: "eur", amount: "10.50" },
        { currency_code: "jpy", amount: 1000, metadata: { cart: "c1" } },
      ])
      expect(many).toHaveLength(2)
      expect(many[1]).toMatchObject({ currency_code: "jpy", amount: 1000, metadata: { cart: "c1" } })
      const [raw] = await query(MikroOrmWrapper, `SELECT raw_amount FROM payment_collection WHERE id = ?`, [many[0].id])
      expect(raw.raw_amount).toEqual({ value: "10.5", precision: 20 })
    })

    it("accepts a zero amount (a free cart still has a collection)", async () => {
      const free = await service.createPaymentCollections({ currency_code: "usd", amount: 0 })
      expect(free.amount).toEqual(0)
    })

    it.each([
      ["an unknown currency", { currency_code: "xyz", amount: 10 }, /XYZ|xyz.*ISO 4217/],
      ["a missing currency", { amount: 10 }, /currency_code/],
      ["a negative amount", { currency_code: "usd", amount: -1 }, /must not be negative/],
      ["NaN", { currency_code: "usd", amount: NaN }, /finite/],
      ["Infinity", { currency_code: "usd", amount: Infinity }, /finite/],
      ["a non-numeric string", { currency_code: "usd", amount: "ten" }, /decimal string/],
      ["an amount beyond 2^53", { currency_code: "usd", amount: 2 ** 60 }, /2\^53/],
      ["a missing amount", { currency_code: "usd" }, /required/],
    ])("rejects %s with INVALID_DATA and writes nothing", async (_, input, message) => {
      const error = await service.createPaymentCollections(input as any).catch((e) => e)
      expect(error).toBeInstanceOf(MedusaError)
      expect(error.type).toBe(MedusaError.Types.INVALID_DATA)
      expect(error.message).toMatch(message)
      expect((await rowCounts(MikroOrmWrapper)).collections).toBe(0)
    })

    it("rejects a whole batch when one item is bad", async () => {
      await expect(
        service.createPaymentCollections([
          { currency_code: "usd", amount: 1 },
          { currency_code: "usd", amount: -1 },
        ])
      ).rejects.toMatchObject({ type: "invalid_data" })
      expect((await rowCounts(MikroOrmWrapper)).collections).toBe(0)
    })
  })

  describe("update, upsert, list, retrieve, delete", () => {
    it("updates by id and by selector", async () => {
      const [a, b] = await service.createPaymentCollections([
        { currency_code: "usd", amount: 1 },
        { currency_code: "usd", amount: 2 },
      ])
      const updated = await service.updatePaymentCollections(a.id, { amount: 5, metadata: { x: 1 } })
      expect(updated).toMatchObject({ id: a.id, amount: 5, metadata: { x: 1 } })

      // Medusa's module answers a selector update with one collection, whatever it matched.
      const bySelector = await service.updatePaymentCollections({ id: [a.id, b.id] }, { currency_code: "EUR" })
      expect(Array.isArray(bySelector)).toBe(false)
      expect((bySelector as any).currency_code).toBe("eur")
      expect((await service.listPaymentCollections({ id: [a.id, b.id] })).map((c) => c.currency_code)).toEqual(["eur", "eur"])
    })

    it("reports an unknown id as NOT_FOUND and refuses bad updates", async () => {
      await expect(service.updatePaymentCollections("pay_col_missing", { amount: 1 })).rejects.toMatchObject({
        type: "not_found",
        message: 'PaymentCollection with id "pay_col_missing" not found',
      })
      const c = await service.createPaymentCollections({ currency_code: "usd", amount: 1 })
      await expect(service.updatePaymentCollections(c.id, { amount: "abc" as any })).rejects.toMatchObject({ type: "invalid_data" })
      await expect(service.updatePaymentCollections(c.id, { captured_amount: 1 } as any)).rejects.toMatchObject({
        type: "invalid_data",
        message: expect.stringContaining("captured_amount"),
      })
      expect((await service.retrievePaymentCollection(c.id)).amount).toBe(1)
    })

    it("upserts: rows with an id are updated, rows without are created", async () => {
      const existing = await service.createPaymentCollections({ currency_code: "usd", amount: 1 })
      const result = await service.upsertPaymentCollections([
        { id: existing.id, amount: 9 },
        { currency_code: "gbp", amount: 3 },
      ] as any)
      expect(result).toHaveLength(2)
      const all = await service.listPaymentCollections({}, { order: { amount: "ASC" } })
      expect(all.map((c) => [c.currency_code, c.amount])).toEqual([["gbp", 3], ["usd", 9]])
    })

    it("lists, counts, retrieves and soft-deletes", async () => {
      const [a] = await service.createPaymentCollections([
        { currency_code: "usd", amount: 1 },
        { currency_code: "usd", amount: 2 },
      ])
      const [list, count] = await service.listAndCountPaymentCollections({ currency_code: "usd" } as any)
      expect(count).toBe(2)
      expect(list).toHaveLength(2)
      await service.softDeletePaymentCollections([a.id])
      expect(await service.listPaymentCollections({})).toHaveLength(1)
      await service.restorePaymentCollections([a.id])
      await service.deletePaymentCollections(a.id)
      await expect(service.retrievePaymentCollection(a.id)).rejects.toMatchObject({ type: "not_found" })
    })
  })

  describe("completePaymentCollections", () => {
    it("refuses to complete a collection that is not fully captured (Medusa completes anything)", async () => {
      const collection = await service.createPaymentCollections({ currency_code: "usd", amount: 100 })
      const error = await service.completePaymentCollections(collection.id).catch((e) => e)
      expect(error.type).toBe(MedusaError.Types.NOT_ALLOWED)
      expect(error.message).toContain("0 of 100 usd is captured")
      const after = await service.retrievePaymentCollection(collection.id)
      expect(after.completed_at).toBeNull()
    })

    it("completes a fully captured collection", async () => {
      const collection = await service.createPaymentCollections({ currency_code: "usd", amount: 100 })
      const session = await service.createPaymentSession(collection.id, { provider_id: MANUAL, currency_code: "usd", amount: 100, data: {} })
      const payment = await service.authorizePaymentSession(session.id, {})
      await service.capturePayment({ payment_id: payment!.id })
      const [completed] = await service.completePaymentCollections([collection.id])
      expect(completed.completed_at).toBeInstanceOf(Date)
      expect(completed.status).toBe("completed")
    })

    it("reports unknown ids", async () => {
      await expect(service.completePaymentCollections("pay_col_nope")).rejects.toMatchObject({ type: "not_found" })
    })
  })
})
