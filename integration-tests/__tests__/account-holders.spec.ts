import { MedusaError } from "@medusajs/framework/utils"
import { paymentModuleSuite, rowCounts, MANUAL, SCRIPTED } from "../__fixtures__/module"
import { recordedCalls, resetRecordedCalls } from "../__fixtures__/scripted-provider"

paymentModuleSuite(({ service, MikroOrmWrapper }) => {
  beforeEach(() => resetRecordedCalls())
  const callsTo = (method: string) => recordedCalls().filter((c) => c.method === method)
  const customer = { id: "cus_42", email: "ada@example.com" }

  describe("account holders", () => {
    it("creates a holder with the provider's id as external_id and the customer's id as idempotency key", async () => {
      const holder = await service.createAccountHolder({ provider_id: SCRIPTED, context: { customer } as any })
      expect(holder).toMatchObject({
        id: expect.stringMatching(/^acchld_/), provider_id: SCRIPTED, external_id: "cus_cus_42", email: "ada@example.com",
        data: { email: "ada@example.com" },
      })
      expect(callsTo("createAccountHolder")[0].input.context.idempotency_key).toBe("cus_42")
    })

    it("returns the existing holder when asked twice for the same customer (Medusa issue #15593)", async () => {
      const first = await service.createAccountHolder({ provider_id: SCRIPTED, context: { customer } as any })
      const second = await service.createAccountHolder({ provider_id: SCRIPTED, context: { customer } as any })
      expect(second.id).toBe(first.id)
      const concurrent = await Promise.all(
        Array.from({ length: 4 }, () => service.createAccountHolder({ provider_id: SCRIPTED, context: { customer: { id: "cus_race" } } as any }))
      )
      expect(new Set(concurrent.map((h) => h.id)).size).toBe(1)
      expect((await rowCounts(MikroOrmWrapper)).account_holders).toBe(2)
    })

    it("returns a holder given in the context without calling the provider", async () => {
      const given = { id: "acchld_given", provider_id: SCRIPTED, external_id: "x", data: {} }
      const holder = await service.createAccountHolder({ provider_id: SCRIPTED, context: { customer, account_holder: given } as any })
      expect(holder).toBe(given)
      expect(callsTo("createAccountHolder")).toHaveLength(0)
    })

    it("updates the holder with the provider's data and metadata, and requires the holder in the context", async () => {
      const holder = await service.createAccountHolder({ provider_id: SCRIPTED, context: { customer } as any })
      const updated = await service.updateAccountHolder({
        id: holder.id, provider_id: SCRIPTED, context: { account_holder: holder, customer } as any, metadata: { tier: "gold" },
      })
      expect(updated).toMatchObject({ data: { email: "ada@example.com", updated: true }, metadata: { tier: "gold" } })
      await expect(
        service.updateAccountHolder({ id: holder.id, provider_id: SCRIPTED, context: {} as any })
      ).rejects.toMatchObject({ type: "invalid_data", message: "Missing account holder data while updating account holder." })
    })

    it("deletes the holder at the provider and in the database", async () => {
      const holder = await service.createAccountHolder({ provider_id: SCRIPTED, context: { customer } as any })
      await service.deleteAccountHolder(holder.id)
      expect(callsTo("deleteAccountHolder")[0].input.context.account_holder.id).toBe(holder.id)
      expect((await rowCounts(MikroOrmWrapper)).account_holders).toBe(0)
      await expect(service.deleteAccountHolder(holder.id)).rejects.toMatchObject({ type: "not_found" })
    })

    it("the manual provider uses the customer id as its holder id", async () => {
      const holder = await service.createAccountHolder({ provider_id: MANUAL, context: { customer } as any })
      expect(holder.external_id).toBe("cus_42")
    })

    it("rejects a missing customer and an unknown provider", async () => {
      await expect(service.createAccountHolder({ provider_id: SCRIPTED, context: {} as any })).rejects.toMatchObject({ type: "invalid_data" })
      await expect(service.createAccountHolder({ provider_id: "pp_x_y", context: { customer } as any })).rejects.toMatchObject({ type: "not_found" })
      expect((await rowCounts(MikroOrmWrapper)).account_holders).toBe(0)
    })
  })

  describe("payment methods", () => {
    it("lists, counts, saves and deletes through the provider", async () => {
      const context = { account_holder: { data: { id: "cus_1" } } }
      const methods = await service.listPaymentMethods({ provider_id: SCRIPTED, context } as any)
      expect(methods).toEqual([
        { id: "pm_1", data: { brand: "visa" }, provider_id: SCRIPTED },
        { id: "pm_2", data: { brand: "mastercard" }, provider_id: SCRIPTED },
      ])
      const [, count] = await service.listAndCountPaymentMethods({ provider_id: SCRIPTED, context } as any)
      expect(count).toBe(2)

      const saved = await service.createPaymentMethods({ provider_id: SCRIPTED, data: { token: "t" }, context } as any)
      expect(saved).toEqual({ id: "pm_saved", data: { token: "t" }, provider_id: SCRIPTED })

      await service.deletePaymentMethods({ provider_id: SCRIPTED, id: "pm_1", data: { x: 1 }, context } as any)
      expect(callsTo("deletePaymentMethod")[0].input).toEqual({ context, data: { x: 1, id: "pm_1" } })
    })

    it("answers as Medusa's module for a provider without saved methods: an empty list, and a save that saves nothing", async () => {
      expect(await service.listPaymentMethods({ provider_id: MANUAL, context: {} } as any)).toEqual([])
      const saved = await service.createPaymentMethods({ provider_id: MANUAL, data: {}, context: {} } as any)
      expect(saved).toEqual({ id: undefined, data: undefined, provider_id: MANUAL })
    })
  })

  describe("refund reasons", () => {
    it("starts with Medusa's three default reasons and supports the generated CRUD", async () => {
      const defaults = await service.listRefundReasons({}, { order: { code: "ASC" } })
      expect(defaults.map((r) => (r as unknown as { code: string }).code)).toEqual(["customer_care_adjustment", "pricing_error", "shipping_issue"])
      expect(defaults[0].id).toMatch(/^refr_/)

      const created = await service.createRefundReasons({ label: "Late", code: "late", description: "arrived late" })
      const [updated] = await service.updateRefundReasons([{ id: created.id, label: "Very late" }])
      expect(updated.label).toBe("Very late")
      await service.softDeleteRefundReasons([created.id])
      expect(await service.listRefundReasons({ id: created.id })).toHaveLength(0)
      await service.restoreRefundReasons([created.id])
      await service.deleteRefundReasons(created.id)
      expect(await service.listRefundReasons({ id: created.id })).toHaveLength(0)
    })
  })
})
