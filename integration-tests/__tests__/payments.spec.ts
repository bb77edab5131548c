import { IPaymentModuleService } from "@medusajs/framework/types"
import { MedusaError } from "@medusajs/framework/utils"
import { paymentModuleSuite, query, rowCounts, MANUAL, SCRIPTED } from "../__fixtures__/module"
import { recordedCalls, resetRecordedCalls, Script } from "../__fixtures__/scripted-provider"

async function authorizedPayment(
  service: IPaymentModuleService,
  { amount = 100, currency_code = "usd", provider_id = SCRIPTED, script = {} as Script } = {}
) {
  const collection = await service.createPaymentCollections({ currency_code, amount })
  const session = await service.createPaymentSession(collection.id, {
    provider_id, currency_code, amount, data: { script },
  })
  const payment = await service.authorizePaymentSession(session.id, {})
  return { collection, session, payment: payment! }
}

paymentModuleSuite(({ service, MikroOrmWrapper }) => {
  beforeEach(() => resetRecordedCalls())
  const callsTo = (method: string) => recordedCalls().filter((c) => c.method === method)

  describe("capturePayment", () => {
    it("captures in parts, each with its capture id as idempotency key, and completes on the last", async () => {
      const { collection, payment } = await authorizedPayment(service)
      const first = await service.capturePayment({ payment_id: payment.id, amount: 30, captured_by: "user_1" })
      expect(first.captures!.map((c) => c.amount)).toEqual([30])
      expect(first.captured_at).toBeNull()
      expect(await service.retrievePaymentCollection(collection.id)).toMatchObject({ status: "partially_captured", captured_amount: 30 })

      const second = await service.capturePayment({ payment_id: payment.id, amount: "70" })
      // Each call answers with the capture it made (what Medusa's workflow turns into an order transaction).
      expect(second.captures!.map((c) => c.amount)).toEqual([70])
      const all = await service.listCaptures({ payment_id: payment.id })
      expect(second.captured_at).toBeInstanceOf(Date)
      expect(await service.retrievePaymentCollection(collection.id)).toMatchObject({ status: "completed", captured_amount: 100, completed_at: expect.any(Date) })

      expect(all.map((c) => c.amount).sort()).toEqual([30, 70])
      const captureIds = all.map((c) => c.id).sort()
      expect(callsTo("capturePayment").map((c) => c.input.context.idempotency_key).sort()).toEqual(captureIds)
      expect(callsTo("capturePayment").map((c) => c.input.amount)).toEqual(["30", "70"])
      // Medusa 2.21 loses `captured_by`: the model's field is created_by.
      const [row] = await query(MikroOrmWrapper, `SELECT created_by FROM capture WHERE amount = 30`)
      expect(row.created_by).toBe("user_1")
    })

    it("asks for the whole amount when none is given (as Medusa): refused after a part is captured, a no-op once fully captured", async () => {
      const { payment } = await authorizedPayment(service)
      await service.capturePayment({ payment_id: payment.id, amount: 40 })
      const refused = await service.capturePayment({ payment_id: payment.id }).catch((e) => e)
      expect(refused).toMatchObject({
        type: MedusaError.Types.INVALID_DATA,
        message: "You cannot capture more than the authorized amount substracted by what is already captured.",
      })
      const full = await service.capturePayment({ payment_id: payment.id, amount: 60 })
      expect(full.captures!.map((c) => c.amount)).toEqual([60])
      const again = await service.capturePayment({ payment_id: payment.id })
      // A no-op made no capture, so it answers with none.
      expect(again.captures).toEqual([])
      expect(again.captured_at).toBeInstanceOf(Date)
      expect((await service.listCaptures({ payment_id: payment.id })).map((c) => c.amount).sort()).toEqual([40, 60])
      expect(callsTo("capturePayment")).toHaveLength(2)
    })

    it("refuses more than is left in Medusa's words, with the figures in details, and writes nothing", async () => {
      const { payment } = await authorizedPayment(service)
      await service.capturePayment({ payment_id: payment.id, amount: 60 })
      const error = await service.capturePayment({ payment_id: payment.id, amount: 41 }).catch((e) => e)
      expect(error.type).toBe(MedusaError.Types.INVALID_DATA)
      expect(error.message).toBe("You cannot capture more than the authorized amount substracted by what is already captured.")
      expect(error.details).toEqual({ payment_id: payment.id, requested_amount: "41", amount_left: "40", currency_code: "usd" })
      expect((await rowCounts(MikroOrmWrapper)).captures).toBe(1)
    })

    it.each([
      ["zero", 0, /greater than 0/],
      ["a negative amount", -5, /greater than 0/],
      ["NaN", NaN, /finite/],
      ["less than a cent", "0.004", /0.004 is less than the smallest unit of USD/],
      ["a word", "all", /decimal string/],
    ])("refuses %s and writes nothing", async (_, amount, message) => {
      const { payment } = await authorizedPayment(service)
      const error = await service.capturePayment({ payment_id: payment.id, amount: amount as any }).catch((e) => e)
      expect(error.type).toBe(MedusaError.Types.INVALID_DATA)
      expect(error.message).toMatch(message)
      expect((await rowCounts(MikroOrmWrapper)).captures).toBe(0)
      expect(callsTo("capturePayment")).toHaveLength(0)
    })

    it("removes the reserved capture when the provider refuses, and reports the provider's error", async () => {
      const { collection, payment } = await authorizedPayment(service, { script: { capture: "throw" } })
      const error = await service.capturePayment({ payment_id: payment.id, amount: 50 }).catch((e) => e)
      expect(error.message).toContain("pp_scripted_test failed to capturePayment: card_declined")
      expect((await rowCounts(MikroOrmWrapper)).captures).toBe(0)
      expect(await service.retrievePaymentCollection(collection.id)).toMatchObject({ status: "authorized", captured_amount: 0 })
    })

    it("refuses a canceled payment and an unknown one", async () => {
      const { payment } = await authorizedPayment(service)
      await service.cancelPayment(payment.id)
      await expect(service.capturePayment({ payment_id: payment.id })).rejects.toMatchObject({
        type: "invalid_data", message: `The payment: ${payment.id} has been canceled.`,
      })
      await expect(service.capturePayment({ payment_id: "pay_missing" })).rejects.toMatchObject({ type: "not_found" })
    })

    it("never captures more than authorized when many captures race", async () => {
      const { collection, payment } = await authorizedPayment(service)
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, () => service.capturePayment({ payment_id: payment.id, amount: 30 }))
      )
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(3)
      const [sum] = await query(MikroOrmWrapper, `SELECT sum(amount)::int AS total FROM capture`)
      expect(sum.total).toBe(90)
      expect((await service.retrievePaymentCollection(collection.id)).captured_amount).toBe(90)
    })

    it("treats a retried capture with the same idempotency key as one capture", async () => {
      const { payment } = await authorizedPayment(service)
      await service.capturePayment({ payment_id: payment.id, amount: 10, idempotency_key: "k1" } as any)
      await service.capturePayment({ payment_id: payment.id, amount: 10, idempotency_key: "k1" } as any)
      expect((await rowCounts(MikroOrmWrapper)).captures).toBe(1)
      expect(callsTo("capturePayment")).toHaveLength(1)
      await expect(
        service.capturePayment({ payment_id: payment.id, amount: 20, idempotency_key: "k1" } as any)
      ).rejects.toMatchObject({ type: "conflict" })
    })
  })

  describe("refundPayment", () => {
    it("refunds up to what was captured, with the refund id as key, and keeps the collection completed", async () => {
      const { collection, payment } = await authorizedPayment(service)
      await service.capturePayment({ payment_id: payment.id })
      const reason = await service.createRefundReasons({ label: "Damaged", code: "damaged" })
      const refunded = await service.refundPayment({
        payment_id: payment.id, amount: 40, refund_reason_id: reason.id, note: "box crushed", created_by: "user_2",
      })
      expect(refunded.refunds!.map((r) => r.amount)).toEqual([40])
      expect(callsTo("refundPayment")[0].input).toMatchObject({ amount: "40", context: { idempotency_key: refunded.refunds![0].id } })
      const [row] = await query(MikroOrmWrapper, `SELECT note, created_by, refund_reason_id FROM refund`)
      expect(row).toEqual({ note: "box crushed", created_by: "user_2", refund_reason_id: reason.id })
      expect(await service.retrievePaymentCollection(collection.id)).toMatchObject({ status: "completed", refunded_amount: 40 })

      // No amount asks for the whole payment (as Medusa): more than is left once 40 is refunded.
      await expect(service.refundPayment({ payment_id: payment.id })).rejects.toMatchObject({
        type: MedusaError.Types.INVALID_DATA,
        message: "You cannot refund more than what is captured on the payment.",
      })
      const rest = await service.refundPayment({ payment_id: payment.id, amount: 60 })
      expect(rest.refunds!.map((r) => r.amount)).toEqual([60])
      expect((await service.listRefunds({ payment_id: payment.id })).map((r) => r.amount).sort()).toEqual([40, 60])
    })

    it("refuses more than captured minus refunded and writes nothing", async () => {
      const { payment } = await authorizedPayment(service)
      await service.capturePayment({ payment_id: payment.id, amount: 50 })
      await service.refundPayment({ payment_id: payment.id, amount: 20 })
      const error = await service.refundPayment({ payment_id: payment.id, amount: 31 }).catch((e) => e)
      expect(error.type).toBe(MedusaError.Types.INVALID_DATA)
      expect(error.message).toBe("You cannot refund more than what is captured on the payment.")
      expect(error.details).toEqual({ payment_id: payment.id, requested_amount: "31", amount_left: "30", currency_code: "usd" })
      expect((await rowCounts(MikroOrmWrapper)).refunds).toBe(1)
    })

    it("refuses a refund of an uncaptured payment", async () => {
      const { payment } = await authorizedPayment(service)
      await expect(service.refundPayment({ payment_id: payment.id, amount: 1 })).rejects.toMatchObject({ type: "invalid_data" })
      await expect(service.refundPayment({ payment_id: payment.id })).rejects.toMatchObject({ type: "invalid_data" })
    })

    it("refuses an unknown refund reason and writes nothing", async () => {
      const { payment } = await authorizedPayment(service)
      await service.capturePayment({ payment_id: payment.id })
      await expect(
        service.refundPayment({ payment_id: payment.id, amount: 1, refund_reason_id: "refr_missing" })
      ).rejects.toMatchObject({ type: "not_found" })
      expect((await rowCounts(MikroOrmWrapper)).refunds).toBe(0)
    })

    it("removes the reserved refund — and only it — when the provider refuses", async () => {
      const { collection, payment } = await authorizedPayment(service, { script: { refund: "throw" } })
      await service.capturePayment({ payment_id: payment.id })
      const error = await service.refundPayment({ payment_id: payment.id, amount: 10 }).catch((e) => e)
      expect(error.message).toContain("failed to refundPayment")
      expect((await rowCounts(MikroOrmWrapper)).refunds).toBe(0)
      expect((await rowCounts(MikroOrmWrapper)).captures).toBe(1)
      expect((await service.retrievePaymentCollection(collection.id)).refunded_amount).toBe(0)
    })

    it("never refunds more than captured when refunds race", async () => {
      const { payment } = await authorizedPayment(service)
      await service.capturePayment({ payment_id: payment.id })
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, () => service.refundPayment({ payment_id: payment.id, amount: 40 }))
      )
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(2)
      const [sum] = await query(MikroOrmWrapper, `SELECT sum(amount)::int AS total FROM refund`)
      expect(sum.total).toBe(80)
    })
  })

  describe("cancelPayment", () => {
    it("voids an uncaptured payment, stores the provider's data and recomputes the collection", async () => {
      const { collection, session, payment } = await authorizedPayment(service)
      const canceled = await service.cancelPayment(payment.id)
      expect(canceled.canceled_at).toBeInstanceOf(Date)
      expect(canceled.data).toMatchObject({ canceled: true })
      expect(callsTo("cancelPayment")[0].input.context.idempotency_key).toBe(payment.id)
      expect((await service.retrievePaymentSession(session.id)).status).toBe("canceled")
      expect(await service.retrievePaymentCollection(collection.id)).toMatchObject({ status: "awaiting", authorized_amount: 0 })
      // Canceling again changes nothing and asks the provider nothing.
      await service.cancelPayment(payment.id)
      expect(callsTo("cancelPayment")).toHaveLength(1)
    })

    it("refuses a payment with captures (Medusa cancels it anyway)", async () => {
      const { payment } = await authorizedPayment(service)
      await service.capturePayment({ payment_id: payment.id, amount: 10 })
      const error = await service.cancelPayment(payment.id).catch((e) => e)
      expect(error.type).toBe(MedusaError.Types.NOT_ALLOWED)
      expect(error.message).toContain("10 usd is already captured")
      expect((await service.retrievePayment(payment.id)).canceled_at).toBeNull()
      expect(callsTo("cancelPayment")).toHaveLength(0)
    })

    it("leaves the payment as it was when the provider refuses to cancel", async () => {
      const { payment } = await authorizedPayment(service, { script: { cancel: "throw" } })
      await expect(service.cancelPayment(payment.id)).rejects.toMatchObject({ message: expect.stringContaining("failed to cancelPayment") })
      expect((await service.retrievePayment(payment.id)).canceled_at).toBeNull()
      await service.capturePayment({ payment_id: payment.id })
    })
  })

  describe("updatePayment", () => {
    it("updates stored fields without calling the provider", async () => {
      const { payment } = await authorizedPayment(service)
      const updated = await service.updatePayment({ id: payment.id, metadata: { tag: "vip" } } as any)
      expect((updated as unknown as { metadata: unknown }).metadata).toEqual({ tag: "vip" })
      await expect(service.updatePayment({ id: "pay_missing" })).rejects.toMatchObject({ type: "not_found" })
    })
  })

  describe("currency precision comes from ISO 4217, not Intl", () => {
    it("JPY has no decimals: 0.4 yen is refused, 0.5 moves a whole yen, whole yen complete the collection", async () => {
      const { collection, payment } = await authorizedPayment(service, { currency_code: "jpy", amount: 5000, provider_id: MANUAL })
      await expect(service.capturePayment({ payment_id: payment.id, amount: "0.4" })).rejects.toMatchObject({
        message: expect.stringContaining("less than the smallest unit of JPY"),
      })
      const first = await service.capturePayment({ payment_id: payment.id, amount: "0.5" })
      expect(first.captures!.map((c) => c.amount)).toEqual([1])
      await service.capturePayment({ payment_id: payment.id, amount: 4999 })
      expect((await service.retrievePaymentCollection(collection.id)).status).toBe("completed")
    })

    it("KWD has three decimals and CLF four", async () => {
      const kwd = await authorizedPayment(service, { currency_code: "kwd", amount: "1.005" as any, provider_id: MANUAL })
      await service.capturePayment({ payment_id: kwd.payment.id, amount: "1.005" })
      expect((await service.retrievePaymentCollection(kwd.collection.id)).status).toBe("completed")

      const clf = await authorizedPayment(service, { currency_code: "clf", amount: "2.0001" as any, provider_id: MANUAL })
      await service.capturePayment({ payment_id: clf.payment.id, amount: "1.0001" })
      expect((await service.retrievePaymentCollection(clf.collection.id)).status).toBe("partially_captured")
      await expect(service.capturePayment({ payment_id: clf.payment.id, amount: "0.00004" })).rejects.toMatchObject({
        message: expect.stringContaining("less than the smallest unit of CLF"),
      })
    })

    it("a total with more decimals than the currency completes once captured to the cent", async () => {
      const { collection, payment } = await authorizedPayment(service, { amount: "200.129" as any, provider_id: MANUAL })
      // Capturing "what is left" takes the total rounded to the cent.
      const captured = await service.capturePayment({ payment_id: payment.id })
      expect(captured.captures!.map((c) => c.amount)).toEqual([200.13])
      expect((await service.retrievePaymentCollection(collection.id)).status).toBe("completed")
    })

    it("Medusa's unrounded amounts are rounded half up to the currency: the movement records what moves", async () => {
      // 9.99 + 8.25 % tax: Medusa's refund of a returned line carries the same decimals.
      const { collection, payment } = await authorizedPayment(service, { amount: "21.62835" as any, provider_id: MANUAL })
      const captured = await service.capturePayment({ payment_id: payment.id, amount: "10.814175" })
      expect(captured.captures!.map((c) => c.amount)).toEqual([10.81])
      const second = await service.capturePayment({ payment_id: payment.id, amount: "10.814175" })
      expect(second.captures!.map((c) => c.amount)).toEqual([10.81])
      // 21.62 of 21.62835 moved: 21.63 at the cent, one cent still to capture.
      expect((await service.retrievePaymentCollection(collection.id)).status).toBe("partially_captured")
      // What is left, asked for exactly as Medusa's totals say it, moves what can move.
      const rest = await service.capturePayment({ payment_id: payment.id, amount: "0.00835" })
      expect(rest.captures!.map((c) => c.amount)).toEqual([0.01])
      expect((await service.retrievePaymentCollection(collection.id)).status).toBe("completed")
      const refunded = await service.refundPayment({ payment_id: payment.id, amount: "10.814175" })
      expect(refunded.refunds!.map((r) => r.amount)).toEqual([10.81])
      const twice = await service.refundPayment({ payment_id: payment.id, amount: "10.8150" })
      expect(twice.refunds!.map((r) => r.amount)).toEqual([10.82]) // half a cent: up (21.63 captured)
      await expect(service.refundPayment({ payment_id: payment.id, amount: "0.001" })).rejects.toMatchObject({
        type: MedusaError.Types.INVALID_DATA,
      })
    })

    it("a rounded amount keeps the caller's key: the same request again is a replay, not a conflict", async () => {
      const { payment } = await authorizedPayment(service, { amount: 50, provider_id: MANUAL })
      const first = await service.capturePayment({ payment_id: payment.id, amount: "10.814175", idempotency_key: "cap-rounded" } as any)
      const again = await service.capturePayment({ payment_id: payment.id, amount: "10.814175", idempotency_key: "cap-rounded" } as any)
      expect(again.captures!.map((c) => c.id)).toEqual(first.captures!.map((c) => c.id))
      await expect(
        service.capturePayment({ payment_id: payment.id, amount: "10.81", idempotency_key: "cap-rounded" } as any)
      ).rejects.toMatchObject({ type: MedusaError.Types.CONFLICT })
    })

    it("an exact total passed back as the capture amount is accepted (Medusa's mark-as-paid does this)", async () => {
      const { payment } = await authorizedPayment(service, { amount: "10.005" as any, provider_id: MANUAL })
      const captured = await service.capturePayment({ payment_id: payment.id, amount: "10.005" })
      expect(captured.captures!.map((c) => c.amount)).toEqual([10.01])
    })
  })
})
