import { MedusaError } from "@medusajs/framework/utils"
import { MANUAL, paymentModuleSuite, query } from "../__fixtures__/module"

/**
 * The books have one home, the triggers (src/sql/triggers.sql): every write
 * to a money table is booked there or refused there. Medusa reads `capture`,
 * `refund` and the collection's totals, which hold settled money only; a
 * movement still waiting for its provider lives in `payment_movement`, where
 * it counts against the bounds.
 */
paymentModuleSuite(({ service, MikroOrmWrapper }) => {
  const sql = (text: string, params: unknown[] = []) => query(MikroOrmWrapper, text, params)

  async function authorized(amount = 100) {
    const collection = await service.createPaymentCollections({ currency_code: "usd", amount })
    const session = await service.createPaymentSession(collection.id, { provider_id: MANUAL, currency_code: "usd", amount, data: {} })
    const payment = (await service.authorizePaymentSession(session.id, {}))!
    return { collection, payment }
  }

  /** A capture reserved (as the module does before calling the provider) and not settled. */
  async function reserve(paymentId: string, movementId: string, amount: number) {
    const [row] = await sql(
      `SELECT verdict FROM payment_reserve_movement('capture', ?, ?, ?, 'pending', null, null, null, null, null, 60000, '5s')`,
      [paymentId, movementId, amount]
    )
    return row.verdict
  }

  const refusal = async (text: string, params: unknown[] = []) => (await sql(text, params).then(() => null, (e) => e)) as Error | null

  it("shows Medusa settled money only: a pending or unknown capture is in no table, total or answer Medusa reads", async () => {
    const { collection, payment } = await authorized()
    expect(await reserve(payment.id, "capt_open", 60)).toBe("created")
    await sql(`UPDATE payment_movement SET status = 'unknown' WHERE id = 'capt_open'`)

    expect(await sql(`SELECT id FROM capture`)).toEqual([])
    expect(await service.listCaptures({ payment_id: payment.id })).toEqual([])
    expect((await service.retrievePayment(payment.id, { relations: ["captures"] })).captures).toEqual([])
    expect(await service.retrievePaymentCollection(collection.id)).toMatchObject({ captured_amount: 0, status: "authorized" })

    // It still counts against the bound: 60 of 100 is spoken for.
    expect(await reserve(payment.id, "capt_more", 41)).toBe("reconcile")
    // Settled by hand (as an operator would): the triggers write the row and move the totals.
    await sql(`UPDATE payment_movement SET status = 'succeeded', settled_at = now() WHERE id = 'capt_open'`)
    expect(await reserve(payment.id, "capt_more", 41)).toBe("exceeds")

    expect((await service.listCaptures({ payment_id: payment.id })).map((c) => [c.id, c.amount])).toEqual([["capt_open", 60]])
    expect(await service.retrievePaymentCollection(collection.id)).toMatchObject({ captured_amount: 60, status: "partially_captured" })
    const entries = await sql(
      `SELECT event, captured_delta::text AS captured FROM payment_ledger_entry WHERE subject_id = 'capt_open' ORDER BY created_at, id`
    )
    expect(entries).toEqual([
      { event: "reserved", captured: null },
      { event: "unknown", captured: null },
      { event: "succeeded", captured: "60" },
    ])
    expect(await (service as any).verifyLedger({ payment_collection_id: collection.id })).toEqual([])
  })

  it("refuses every write that would bypass the books, in PostgreSQL", async () => {
    const { collection, payment } = await authorized()
    const captured = await service.capturePayment({ payment_id: payment.id, amount: 30 })
    const captureId = captured.captures![0].id
    const before = await sql(`SELECT count(*)::int AS n FROM payment_ledger_entry`)

    const refusals = {
      "a capture row without a succeeded movement": await refusal(
        `INSERT INTO capture (id, payment_id, amount, raw_amount) VALUES ('capt_forged', ?, 5, '{"value":"5","precision":20}')`,
        [payment.id]
      ),
      "a capture row whose amount differs from its movement's": await refusal(
        `UPDATE capture SET amount = 31, raw_amount = '{"value":"31","precision":20}' WHERE id = ?`,
        [captureId]
      ),
      "a deleted capture": await refusal(`DELETE FROM capture WHERE id = ?`, [captureId]),
      "a soft-deleted capture": await refusal(`UPDATE capture SET deleted_at = now() WHERE id = ?`, [captureId]),
      "a succeeded movement turned refused": await refusal(`UPDATE payment_movement SET status = 'refused' WHERE id = ?`, [captureId]),
      "a movement whose amount changes": await refusal(`UPDATE payment_movement SET amount = 1 WHERE id = ?`, [captureId]),
      "a movement whose key changes": await refusal(`UPDATE payment_movement SET idempotency_key = 'other' WHERE id = ?`, [captureId]),
      "a movement whose note changes": await refusal(`UPDATE payment_movement SET note = 'rewritten' WHERE id = ?`, [captureId]),
      "a deleted movement": await refusal(`DELETE FROM payment_movement WHERE id = ?`, [captureId]),
      "an over-capture written by hand": await refusal(
        `INSERT INTO payment_movement (id, kind, payment_id, amount, raw_amount, status)
         VALUES ('capt_over', 'capture', ?, 71, '{"value":"71","precision":20}', 'pending')`,
        [payment.id]
      ),
      "a refund beyond what is captured": await refusal(
        `INSERT INTO payment_movement (id, kind, payment_id, amount, raw_amount, status)
         VALUES ('ref_over', 'refund', ?, 31, '{"value":"31","precision":20}', 'pending')`,
        [payment.id]
      ),
    }
    for (const [write, error] of Object.entries(refusals)) {
      expect([write, (error as { code?: string } | null)?.code]).toEqual([write, "23514"])
    }
    expect(refusals["an over-capture written by hand"]!.message).toMatch(/would move more than it may/)

    // The generated CRUD method is refused too, not booked a second way.
    const generated = await (service as any)
      .createCaptures({ payment_id: payment.id, amount: 5 })
      .then(() => null, (e: unknown) => e)
    expect(generated).toBeTruthy()

    expect(await sql(`SELECT count(*)::int AS n FROM payment_ledger_entry`)).toEqual(before)
    expect((await service.listCaptures({ payment_id: payment.id })).map((c) => c.amount)).toEqual([30])
    expect(await (service as any).verifyLedger({ payment_collection_id: collection.id })).toEqual([])
  })

  it("completes a payment only on settled captures: one recorded as done beside a capture still at the provider does not", async () => {
    const { payment } = await authorized(100)
    expect(await reserve(payment.id, "capt_still_open", 60)).toBe("created")
    const recorded = await service.capturePayment({ payment_id: payment.id, amount: 40, is_captured: true } as any)
    expect(recorded.captured_at).toBeNull()
    // the open one is refused: 40 of 100 is captured, and the rest can still be
    await sql(`UPDATE payment_movement SET status = 'refused' WHERE id = 'capt_still_open'`)
    const rest = await service.capturePayment({ payment_id: payment.id, amount: 60 })
    expect(rest.captures!.map((c) => c.amount)).toEqual([60])
    expect(rest.captured_at).toBeInstanceOf(Date)
  })

  it("keeps the books in the triggers only: no function switches them off, no trigger waits for a setting", async () => {
    const switches = await sql(
      `SELECT p.proname FROM pg_proc p
        WHERE p.proname LIKE 'payment\\_%' AND (array_to_string(p.proconfig, ',') LIKE '%payment.books%'
              OR p.prosrc LIKE '%payment.books%')`
    )
    expect(switches).toEqual([])
    const conditional = await sql(
      `SELECT t.tgname FROM pg_trigger t WHERE NOT t.tgisinternal AND pg_get_triggerdef(t.oid) LIKE '%current_setting%'`
    )
    expect(conditional).toEqual([])
  })

  it("refuses a capture that the bound trigger would refuse, with a MedusaError and no write, through the module", async () => {
    const { payment } = await authorized(50)
    await service.capturePayment({ payment_id: payment.id, amount: 50 })
    const before = await sql(`SELECT count(*)::int AS n FROM payment_movement`)
    const error = await service.refundPayment({ payment_id: payment.id, amount: 50.01 }).catch((e) => e)
    expect(error).toBeInstanceOf(MedusaError)
    expect(error.type).toBe(MedusaError.Types.INVALID_DATA)
    expect(await sql(`SELECT count(*)::int AS n FROM payment_movement`)).toEqual(before)
  })
})
