import { MedusaError, PaymentActions } from "@medusajs/framework/utils"
import { MANUAL, paymentModuleSuite, query, SCRIPTED } from "../__fixtures__/module"
import { recordedCalls, type Script } from "../__fixtures__/scripted-provider"

/**
 * The module's side of "no money held without an order" (the plugin's side,
 * carts and orders, is e2e/held-without-order.e2e.spec.ts): what a provider
 * holds for a session, giving it back through the money paths, provider
 * events reaching sessions, and outcomes a provider cannot prove.
 */
paymentModuleSuite(({ service, MikroOrmWrapper }) => {
  const sql = (text: string, params: unknown[] = []) => query(MikroOrmWrapper, text, params)
  const module = service as any

  async function session(script: Script = {}, amount = 100) {
    const collection = await service.createPaymentCollections({ currency_code: "usd", amount })
    return await service.createPaymentSession(collection.id, { provider_id: SCRIPTED, currency_code: "usd", amount, data: { script } })
  }

  async function webhook(sessionId: string, action: string) {
    return await service.getWebhookActionAndData({
      provider: "scripted_test",
      payload: { data: { session_id: sessionId, action }, rawData: "", headers: {} },
    })
  }

  describe("a not-found is not a refusal", () => {
    it("a capture the provider cannot find stays unknown with its reason; reconciliation reports it and never refuses it", async () => {
      const held = await session({ capture: "not_found" })
      const payment = (await service.authorizePaymentSession(held.id, {}))!
      const error = await service.capturePayment({ payment_id: payment.id, amount: 40 }).catch((e) => e)
      expect(error.type).toBe(MedusaError.Types.NOT_FOUND)
      const [movement] = await sql(`SELECT id, status, unknown_reason FROM payment_movement WHERE payment_id = ?`, [payment.id])
      expect(movement).toMatchObject({ status: "unknown", unknown_reason: expect.stringMatching(/^the provider cannot find this payment .*No such payment/) })

      const report = await module.reconcilePayments({ payment_id: payment.id })
      expect(report).toEqual({
        settled: [],
        reversed: [],
        still_unknown: [movement.id],
        provider_cannot_find: [{ id: movement.id, payment_id: payment.id, kind: "capture", reason: expect.stringMatching(/No such payment/) }],
      })
      // Still counted and blocking: another capture is a CONFLICT, not a second charge.
      const again = await service.capturePayment({ payment_id: payment.id, amount: 10 }).catch((e) => e)
      expect(again.type).toBe(MedusaError.Types.CONFLICT)
      const [timeline] = await module.listPaymentTimelines({ payment_id: payment.id })
      expect(timeline.open).toEqual([
        expect.objectContaining({ id: movement.id, status: "unknown", amount: "40.00", currency_code: "usd", next_step: expect.stringMatching(/operator must check/) }),
      ])
    })

    it("a pending movement whose process died is settled by reconciliation, and the timeline says so", async () => {
      const held = await session()
      const payment = (await service.authorizePaymentSession(held.id, {}))!
      await sql(
        `SELECT verdict FROM payment_reserve_movement('capture', ?, 'capt_orphan', 30, 'pending', 'user_admin', null, null, null, null, 60000, '5s')`,
        [payment.id]
      )
      const report = await module.reconcilePayments({ payment_id: payment.id, stale_after_ms: 0 })
      expect(report.settled).toEqual(["capt_orphan"])
      const [timeline] = await module.listPaymentTimelines({ payment_id: payment.id })
      const capture = timeline.entries.filter((e: any) => e.subject_id === "capt_orphan").map((e: any) => [e.event, e.caused_by.type])
      expect(capture).toEqual([
        ["reserved", "admin"],
        ["unknown", "reconciliation"],
        ["succeeded", "reconciliation"],
      ])
      const [movement] = await sql(`SELECT unknown_reason FROM payment_movement WHERE id = 'capt_orphan'`)
      expect(movement.unknown_reason).toMatch(/^the process that asked is presumed gone: no answer from the provider since \d{4}-/)
    })
  })

  describe("provider events reach a session that is no Payment yet", () => {
    it("failed: status error with the provider's reason in data.payment_failure; paid later: pending again", async () => {
      const failing = await session({ status: "error" })
      await webhook(failing.id, PaymentActions.FAILED)
      const [failed] = await service.listPaymentSessions({ id: failing.id })
      expect(failed.status).toBe("error")
      expect(failed.data).toMatchObject({ payment_failure: { code: "insufficient_funds", message: "Your card has insufficient funds.", at: expect.any(String) } })

      // The shopper pays again on the provider's side: the provider now says authorized.
      await sql(`UPDATE payment_session SET data = jsonb_set(data, '{script,status}', '"authorized"') WHERE id = ?`, [failing.id])
      await webhook(failing.id, PaymentActions.AUTHORIZED)
      const [lifted] = await service.listPaymentSessions({ id: failing.id })
      expect(lifted.status).toBe("pending")
      expect(lifted.data).not.toHaveProperty("payment_failure")
      expect((await service.authorizePaymentSession(failing.id, {}))!.id).toMatch(/^pay_/)
    })

    it("a failed session is read again before a cart completes: paid since, it is pending; still failed, it stays", async () => {
      const failing = await session({ status: "error" })
      await webhook(failing.id, PaymentActions.FAILED)
      expect(await module.refreshFailedPaymentSession(failing.id)).toBe("error")
      await sql(`UPDATE payment_session SET data = jsonb_set(data, '{script,status}', '"authorized"') WHERE id = ?`, [failing.id])
      expect(await module.refreshFailedPaymentSession(failing.id)).toBe("pending")
      // A session not in error is not asked about.
      const calls = recordedCalls().length
      expect(await module.refreshFailedPaymentSession(failing.id)).toBe("pending")
      expect(recordedCalls().length).toBe(calls)
    })

    it("canceled: the session is canceled; an event for a session with a Payment leaves the session to the Payment", async () => {
      const canceled = await session({ status: "canceled" })
      await webhook(canceled.id, PaymentActions.CANCELED)
      expect((await service.listPaymentSessions({ id: canceled.id }))[0].status).toBe("canceled")

      const paid = await session({ status: "error" })
      await service.authorizePaymentSession(paid.id, {})
      await webhook(paid.id, PaymentActions.FAILED)
      expect((await service.listPaymentSessions({ id: paid.id }))[0].status).toBe("authorized")
    })
  })

  describe("money held without an order, given back", () => {
    it("an authorization the provider holds: recorded as a Payment, canceled with the reason, the session canceled", async () => {
      const held = await session()
      expect(await module.checkPaymentSessionAtProvider(held.id)).toEqual({
        payment_session_id: held.id,
        status: "pending",
        provider_status: "authorized",
        holds_money: true,
      })
      const returned = await module.returnHeldPayment({ payment_session_id: held.id, reason: "held without an order: out of stock" })
      expect(returned).toEqual({
        payment_session_id: held.id,
        payment_id: expect.stringMatching(/^pay_/),
        returned: "canceled",
        amount: "100",
        currency_code: "usd",
      })
      const movements = await sql(`SELECT kind, status, created_by, note FROM payment_movement WHERE payment_id = ?`, [returned.payment_id])
      expect(movements).toEqual([{ kind: "cancel", status: "succeeded", created_by: "reconciliation", note: "held without an order: out of stock" }])
      expect((await service.listPaymentSessions({ id: held.id }))[0].status).toBe("canceled")
      expect(await module.checkPaymentSessionAtProvider(held.id)).toMatchObject({ holds_money: false })
      // A second run that raced past the check reports nothing: the store hears of the return once.
      expect(await module.returnHeldPayment({ payment_session_id: held.id, reason: "again" })).toMatchObject({ returned: "nothing_held", amount: "0" })
      expect(await module.verifyLedger()).toEqual([])
    })

    it("money the provider captured at authorization: refunded in full, with the reason", async () => {
      const held = await session({ authorize: "captured" }, 55.5)
      const returned = await module.returnHeldPayment({ payment_session_id: held.id, reason: "held without an order: the cart's completion failed" })
      expect(returned).toMatchObject({ returned: "refunded", amount: "55.5", currency_code: "usd" })
      const movements = await sql(`SELECT kind, status, amount::text, note FROM payment_movement WHERE payment_id = ? ORDER BY created_at`, [returned.payment_id])
      expect(movements).toEqual([
        { kind: "capture", status: "succeeded", amount: "55.5", note: null },
        { kind: "refund", status: "succeeded", amount: "55.5", note: "held without an order: the cart's completion failed" },
      ])
      expect((await service.listPaymentSessions({ id: held.id }))[0].status).toBe("canceled")
      expect(await module.verifyLedger()).toEqual([])
    })

    it("a manual payment (cash on delivery) holds no customer's money: an abandoned cart with one is left alone", async () => {
      const collection = await service.createPaymentCollections({ currency_code: "usd", amount: 20 })
      const manual = await service.createPaymentSession(collection.id, { provider_id: MANUAL, currency_code: "usd", amount: 20, data: {} })
      expect(await module.checkPaymentSessionAtProvider(manual.id)).toEqual({
        payment_session_id: manual.id,
        status: "pending",
        provider_status: null,
        holds_money: false,
      })
    })

    it("a session that is a Payment: its books say whether money is held (authorized, or captured and not all refunded)", async () => {
      const held = await session()
      const payment = (await service.authorizePaymentSession(held.id, {}))!
      expect(await module.checkPaymentSessionAtProvider(held.id)).toMatchObject({ provider_status: null, holds_money: true })
      await service.capturePayment({ payment_id: payment.id, amount: 100 })
      await service.refundPayment({ payment_id: payment.id, amount: 40 })
      expect(await module.checkPaymentSessionAtProvider(held.id)).toMatchObject({ holds_money: true })
      await service.refundPayment({ payment_id: payment.id, amount: 60 })
      expect(await module.checkPaymentSessionAtProvider(held.id)).toMatchObject({ holds_money: false })
    })

    it("nothing held at the provider: nothing moves", async () => {
      const notPaid = await session({ authorize: "error", status: "pending" })
      expect(await module.checkPaymentSessionAtProvider(notPaid.id)).toMatchObject({ holds_money: false, provider_status: "pending" })
      expect(await module.returnHeldPayment({ payment_session_id: notPaid.id, reason: "x" })).toMatchObject({ returned: "nothing_held", payment_id: null })
      expect(await sql(`SELECT id FROM payment WHERE payment_session_id = ?`, [notPaid.id])).toEqual([])
    })

    it("sessions due for a check: idle long enough, not canceled, not a finished payment", async () => {
      const young = await session()
      const idle = await session()
      const done = await session()
      await module.returnHeldPayment({ payment_session_id: done.id, reason: "x" })
      await sql(`UPDATE payment_session SET updated_at = now() - interval '10 minutes' WHERE id IN (?, ?)`, [idle.id, done.id])
      const due = await module.listIdlePaymentSessions({ idle_for_ms: 5 * 60_000, lookback_ms: 8 * 86_400_000, run_every_ms: 300_000, limit: 100 })
      const ids = due.map((s: { id: string }) => s.id)
      expect(ids).toContain(idle.id)
      expect(ids).not.toContain(young.id)
      expect(ids).not.toContain(done.id)
      const invalid = await module.listIdlePaymentSessions({ idle_for_ms: -1, lookback_ms: 1, run_every_ms: 1, limit: 1 }).catch((e: any) => e)
      expect(invalid.type).toBe(MedusaError.Types.INVALID_DATA)
    })
  })
})
