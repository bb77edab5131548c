import { MedusaError } from "@medusajs/framework/utils"
import { paymentModuleSuite, query, rowCounts, MANUAL, SCRIPTED } from "../__fixtures__/module"
import { recordedCalls, resetRecordedCalls } from "../__fixtures__/scripted-provider"

paymentModuleSuite(({ service, MikroOrmWrapper }) => {
  beforeEach(() => resetRecordedCalls())

  const newCollection = (amount: number | string = 100, currency_code = "usd") =>
    service.createPaymentCollections({ currency_code, amount })

  const callsTo = (method: string) => recordedCalls().filter((c) => c.method === method)

  describe("createPaymentSession", () => {
    it("calls the provider once, with the session id as idempotency key, and stores its answer", async () => {
      const collection = await newCollection()
      const session = await service.createPaymentSession(collection.id, {
        provider_id: SCRIPTED, currency_code: "USD", amount: "100", data: { extra: 1 }, context: { customer: { id: "cus_1" } } as any,
      })
      expect(session).toMatchObject({ id: expect.stringMatching(/^payses_/), status: "pending", currency_code: "usd", amount: 100 })
      expect(session.data).toMatchObject({ extra: 1, session_id: session.id, ref: `ref_${session.id}` })
      const [initiate] = callsTo("initiatePayment")
      expect(initiate.input.context).toMatchObject({ idempotency_key: session.id, customer: { id: "cus_1" } })
      expect(initiate.input).toMatchObject({ amount: "100", currency_code: "usd" })
      const stored = await service.retrievePaymentSession(session.id)
      expect(stored.payment_collection_id).toBe(collection.id)
      const [updated] = await service.listPaymentCollections({ id: collection.id })
      expect(updated.status).toBe("not_paid")
    })

    it("writes nothing when the provider refuses, and surfaces the provider's message and code", async () => {
      const collection = await newCollection()
      const error = await service
        .createPaymentSession(collection.id, { provider_id: SCRIPTED, currency_code: "usd", amount: 100, data: { script: { initiate: "throw" } } })
        .catch((e) => e)
      expect(error).toBeInstanceOf(MedusaError)
      expect(error.message).toContain("pp_scripted_test failed to initiatePayment: card_declined")
      expect(error.code).toBe("card_declined")
      expect((await rowCounts(MikroOrmWrapper)).sessions).toBe(0)
    })

    it.each([
      ["an unknown collection", "pay_col_missing", { provider_id: MANUAL, currency_code: "usd", amount: 1 }, "not_found", /^You tried to set relationship payment_collection_id: pay_col_missing, but such entity does not exist$/],
      ["an unknown provider", undefined, { provider_id: "pp_nope_nope", currency_code: "usd", amount: 1 }, "not_found", /^\nUnable to retrieve the payment provider with id: pp_nope_nope\n/],
      ["another currency than the collection's", undefined, { provider_id: MANUAL, currency_code: "eur", amount: 1 }, "invalid_data", /eur does not match/],
      ["a negative amount", undefined, { provider_id: MANUAL, currency_code: "usd", amount: -5 }, "invalid_data", /negative/],
      ["a missing provider", undefined, { currency_code: "usd", amount: 5 }, "invalid_data", /provider_id/],
    ])("rejects %s and writes nothing, without calling the provider", async (_, collectionId, input, type, message) => {
      const collection = await newCollection()
      const error = await service.createPaymentSession(collectionId ?? collection.id, { data: {}, ...(input as any) }).catch((e) => e)
      expect(error.type).toBe(type)
      expect(error.message).toMatch(message)
      expect((await rowCounts(MikroOrmWrapper)).sessions).toBe(0)
      expect(callsTo("initiatePayment")).toHaveLength(0)
    })
  })

  describe("updatePaymentSession and deletePaymentSession", () => {
    it("sends a new amount to the provider and stores what it answers", async () => {
      const collection = await newCollection(100)
      const session = await service.createPaymentSession(collection.id, { provider_id: SCRIPTED, currency_code: "usd", amount: 100, data: {} })
      const updated = await service.updatePaymentSession({ id: session.id, amount: 80, currency_code: "usd", data: { note: "x" }, metadata: { m: 1 } })
      expect(updated).toMatchObject({ amount: 80, metadata: { m: 1 } })
      expect(updated.data).toMatchObject({ note: "x", amount: "80" })
      expect(callsTo("updatePayment")[0].input).toMatchObject({ amount: "80", currency_code: "usd" })
    })

    it("refuses to change the amount of an authorized session", async () => {
      const collection = await newCollection(100)
      const session = await service.createPaymentSession(collection.id, { provider_id: SCRIPTED, currency_code: "usd", amount: 100, data: {} })
      await service.authorizePaymentSession(session.id, {})
      await expect(
        service.updatePaymentSession({ id: session.id, amount: 50, currency_code: "usd", data: {} })
      ).rejects.toMatchObject({ type: "not_allowed" })
      expect(callsTo("updatePayment")).toHaveLength(0)
    })

    it("deletes a session after releasing it at the provider with the provider's own data", async () => {
      const collection = await newCollection()
      const session = await service.createPaymentSession(collection.id, { provider_id: SCRIPTED, currency_code: "usd", amount: 100, data: {} })
      await service.deletePaymentSession(session.id)
      expect(callsTo("deletePayment")[0].input.data).toMatchObject({ ref: `ref_${session.id}` })
      expect((await rowCounts(MikroOrmWrapper)).sessions).toBe(0)
      await expect(service.deletePaymentSession(session.id)).rejects.toMatchObject({ type: "not_found" })
    })
  })

  describe("deleting a session that became a payment", () => {
    it("keeps the payment and its captures, without voiding it at the provider", async () => {
      const collection = await newCollection(100)
      const session = await service.createPaymentSession(collection.id, { provider_id: SCRIPTED, currency_code: "usd", amount: 100, data: {} })
      const payment = await service.authorizePaymentSession(session.id, {})
      await service.capturePayment({ payment_id: payment!.id })
      await service.deletePaymentSession(session.id)
      expect(callsTo("deletePayment")).toHaveLength(0)
      expect(await service.listPaymentSessions({ id: session.id })).toHaveLength(0)
      const kept = await service.retrievePayment(payment!.id, { relations: ["captures"] })
      expect(kept.captures).toHaveLength(1)
      const [row] = await query(MikroOrmWrapper, `SELECT deleted_at FROM payment_session WHERE id = ?`, [session.id])
      expect(row.deleted_at).not.toBeNull()
      expect((await service.retrievePaymentCollection(collection.id)).captured_amount).toBe(100)
    })
  })

  describe("authorizePaymentSession", () => {
    it("creates one Payment, marks the session authorized and the collection authorized", async () => {
      const collection = await newCollection(100)
      const session = await service.createPaymentSession(collection.id, { provider_id: MANUAL, currency_code: "usd", amount: 100, data: {} })
      const payment = await service.authorizePaymentSession(session.id, {})
      expect(payment).toMatchObject({ id: expect.stringMatching(/^pay_/), amount: 100, currency_code: "usd", provider_id: MANUAL })
      const after = await service.retrievePaymentSession(session.id)
      expect(after).toMatchObject({ status: "authorized", authorized_at: expect.any(Date) })
      expect(await service.retrievePaymentCollection(collection.id)).toMatchObject({ status: "authorized", authorized_amount: 100 })
    })

    it("is idempotent: a second call returns the same Payment without asking the provider again", async () => {
      const collection = await newCollection(100)
      const session = await service.createPaymentSession(collection.id, { provider_id: SCRIPTED, currency_code: "usd", amount: 100, data: {} })
      const first = await service.authorizePaymentSession(session.id, {})
      const second = await service.authorizePaymentSession(session.id, {})
      expect(second!.id).toBe(first!.id)
      expect(callsTo("authorizePayment")).toHaveLength(1)
      expect((await rowCounts(MikroOrmWrapper)).payments).toBe(1)
    })

    it("gives concurrent callers the same Payment and never voids the winner's authorization", async () => {
      const collection = await newCollection(100)
      const session = await service.createPaymentSession(collection.id, {
        provider_id: SCRIPTED, currency_code: "usd", amount: 100, data: { script: { authorize: "slow" } },
      })
      const results = await Promise.all(Array.from({ length: 5 }, () => service.authorizePaymentSession(session.id, {})))
      expect(new Set(results.map((p) => p!.id)).size).toBe(1)
      expect((await rowCounts(MikroOrmWrapper)).payments).toBe(1)
      // Medusa 2.21 cancels at the provider when its insert loses the race.
      expect(callsTo("cancelPayment")).toHaveLength(0)
    })

    it("records a capture without a second provider call when the provider captured at authorization", async () => {
      const collection = await newCollection(100)
      const session = await service.createPaymentSession(collection.id, {
        provider_id: SCRIPTED, currency_code: "usd", amount: 100, data: { script: { authorize: "captured" } },
      })
      const payment = await service.authorizePaymentSession(session.id, {})
      const captured = await service.retrievePayment(payment!.id, { relations: ["captures"] })
      expect(captured.captured_at).toBeInstanceOf(Date)
      expect(captured.captures!.map((c) => c.amount)).toEqual([100])
      expect(callsTo("capturePayment")).toHaveLength(0)
      expect(await service.retrievePaymentCollection(collection.id)).toMatchObject({ status: "completed", captured_amount: 100 })
    })

    it("returns null for pending authorization and records the status", async () => {
      const collection = await newCollection(100)
      const session = await service.createPaymentSession(collection.id, {
        provider_id: SCRIPTED, currency_code: "usd", amount: 100, data: { script: { authorize: "pending_authorization" } },
      })
      expect(await service.authorizePaymentSession(session.id, {})).toBeNull()
      expect((await service.retrievePaymentSession(session.id)).status).toBe("pending_authorization")
      expect((await rowCounts(MikroOrmWrapper)).payments).toBe(0)
      expect((await service.retrievePaymentCollection(collection.id)).status).toBe("awaiting")
    })

    it("returns null for requires_more (3-D Secure), keeping the status, so core-flows can ask the customer", async () => {
      const collection = await newCollection(100)
      const session = await service.createPaymentSession(collection.id, {
        provider_id: SCRIPTED, currency_code: "usd", amount: 100, data: { script: { authorize: "requires_more" } },
      })
      expect(await service.authorizePaymentSession(session.id, {})).toBeNull()
      expect((await service.retrievePaymentSession(session.id)).status).toBe("requires_more")
      expect((await rowCounts(MikroOrmWrapper)).payments).toBe(0)
    })

    it("throws NOT_ALLOWED naming the status error and keeps it on the session", async () => {
      const collection = await newCollection(100)
      const session = await service.createPaymentSession(collection.id, {
        provider_id: SCRIPTED, currency_code: "usd", amount: 100, data: { script: { authorize: "error" } },
      })
      const error = await service.authorizePaymentSession(session.id, {}).catch((e) => e)
      expect(error.type).toBe(MedusaError.Types.NOT_ALLOWED)
      expect(error.message).toBe(`Session: ${session.id} was not authorized with the provider.`)
      expect(error.details).toEqual({ provider_status: "error" })
      expect((await service.retrievePaymentSession(session.id)).status).toBe("error")
      expect((await rowCounts(MikroOrmWrapper)).payments).toBe(0)
    })

    it("lets the provider's own error reach the caller as a MedusaError (not a generic failure)", async () => {
      const collection = await newCollection(100)
      const session = await service.createPaymentSession(collection.id, {
        provider_id: SCRIPTED, currency_code: "usd", amount: 100, data: { script: { authorize: "throw" } },
      })
      const error = await service.authorizePaymentSession(session.id, {}).catch((e) => e)
      expect(MedusaError.isMedusaError(error)).toBe(true)
      expect(error.type).toBe(MedusaError.Types.PAYMENT_AUTHORIZATION_ERROR)
      expect(error.message).toContain("card_declined: the scripted provider refused to authorize")
      expect(error.code).toBe("card_declined")
    })

    it("passes the caller's context and the session id as idempotency key", async () => {
      const collection = await newCollection(100)
      const session = await service.createPaymentSession(collection.id, { provider_id: SCRIPTED, currency_code: "usd", amount: 100, data: {} })
      await service.authorizePaymentSession(session.id, { customer: { id: "c" } })
      expect(callsTo("authorizePayment")[0].input.context).toEqual({ idempotency_key: session.id, customer: { id: "c" } })
    })

    it("reports an unknown session as NOT_FOUND", async () => {
      await expect(service.authorizePaymentSession("payses_nope", {})).rejects.toMatchObject({ type: "not_found" })
    })

    it("keeps the session's exact amount on the payment", async () => {
      const collection = await newCollection("12.345", "kwd")
      const session = await service.createPaymentSession(collection.id, { provider_id: MANUAL, currency_code: "kwd", amount: "12.345", data: {} })
      const payment = await service.authorizePaymentSession(session.id, {})
      const [row] = await query(MikroOrmWrapper, `SELECT raw_amount FROM payment WHERE id = ?`, [payment!.id])
      expect(row.raw_amount.value).toBe("12.345")
    })
  })
})
