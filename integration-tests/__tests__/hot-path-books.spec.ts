import { MANUAL, paymentModuleSuite, query } from "../__fixtures__/module"

/**
 * The checkout path's functions keep their own books (totals, statuses,
 * ledger entries) and switch the bookkeeping triggers off for their own rows
 * (Migration20261121190000). These tests hold them to exactly what the
 * triggers write for the same changes, show that the switch never outlives
 * a call, and that the uncommon branches, left to the triggers, are booked
 * once.
 */

const raw = (value: string) => JSON.stringify({ value, precision: 20 })

paymentModuleSuite(({ service, MikroOrmWrapper }) => {
  const sql = (text: string, params: unknown[] = []) => query(MikroOrmWrapper, text, params)

  /** What a collection's books say, with ids replaced by roles so that two histories compare. */
  async function books(collectionId: string) {
    const [collection] = await sql(
      `SELECT status, authorized_amount::text, captured_amount::text, refunded_amount::text,
              raw_authorized_amount, raw_captured_amount, raw_refunded_amount,
              completed_at IS NOT NULL AS completed, currency_exponent
         FROM payment_collection WHERE id = ?`,
      [collectionId]
    )
    const payments = await sql(
      `SELECT captured_total::text, refunded_total::text, pending_movements, unknown_movements,
              captured_at IS NOT NULL AS captured, currency_exponent, data
         FROM payment WHERE payment_collection_id = ?`,
      [collectionId]
    )
    const sessions = await sql(
      `SELECT status, authorized_at IS NOT NULL AS authorized FROM payment_session WHERE payment_collection_id = ?`,
      [collectionId]
    )
    const ledger = await sql(
      `SELECT subject, event, amount::text, raw_amount, authorized_delta::text, captured_delta::text,
              refunded_delta::text, raw_captured_delta, raw_refunded_delta, from_status, to_status,
              idempotency_key, provider_id, currency_code, payment_id IS NOT NULL AS has_payment,
              provider_reference IS NOT NULL AS has_reference
         FROM payment_ledger_entry WHERE payment_collection_id = ?
        ORDER BY subject, event, amount NULLS FIRST, from_status NULLS FIRST, to_status`,
      [collectionId]
    )
    return { collection, payments, sessions, ledger }
  }

  it("writes the same totals, statuses and ledger entries as the triggers do for the same changes", async () => {
    // Through the module: every step on the hot path.
    const collection = await service.createPaymentCollections({ currency_code: "eur", amount: "120.50" })
    const session = await service.createPaymentSession(collection.id, {
      provider_id: MANUAL, currency_code: "eur", amount: "120.50", data: {},
    })
    const payment = (await service.authorizePaymentSession(session.id, {}))!
    await service.capturePayment({ payment_id: payment.id, amount: "20.50" })
    await service.capturePayment({ payment_id: payment.id })
    await service.refundPayment({ payment_id: payment.id, amount: 10, note: "damaged" })
    await service.refundPayment({ payment_id: payment.id, amount: 5, idempotency_key: "refund-key-1" } as any)

    // The same changes as plain statements: the triggers keep the books.
    const [c, s, p] = ["pay_col_trg", "payses_trg", "pay_trg"]
    const data = JSON.stringify((await service.retrievePayment(payment.id)).data)
    await sql(`INSERT INTO payment_collection (id, currency_code, amount, raw_amount) VALUES (?, 'eur', 120.5, ?)`, [c, raw("120.5")])
    await sql(
      `INSERT INTO payment_session (id, payment_collection_id, provider_id, amount, raw_amount, currency_code, data, status)
       VALUES (?, ?, ?, 120.5, ?, 'eur', ?, 'pending')`,
      [s, c, MANUAL, raw("120.5"), JSON.stringify(session.data)]
    )
    await sql(`UPDATE payment_session SET status = 'authorized', authorized_at = now(), updated_at = now() WHERE id = ?`, [s])
    await sql(
      `INSERT INTO payment (id, amount, raw_amount, currency_code, provider_id, data, payment_collection_id, payment_session_id)
       VALUES (?, 120.5, ?, 'eur', ?, ?, ?, ?)`,
      [p, raw("120.5"), MANUAL, JSON.stringify(payment.data), c, s]
    )
    const movements: [string, string, string, string | null, boolean][] = [
      ["capture", "capt_trg_1", "20.5", null, false],
      ["capture", "capt_trg_2", "100", null, true],
      ["refund", "ref_trg_1", "10", null, false],
      ["refund", "ref_trg_2", "5", "refund-key-1", false],
    ]
    for (const [kind, id, amount, key, completes] of movements) {
      await sql(
        `INSERT INTO ${kind} (id, payment_id, amount, raw_amount, idempotency_key, status) VALUES (?, ?, ?, ?, ?, 'pending')`,
        [id, p, amount, raw(amount), key]
      )
      await sql(`UPDATE ${kind} SET status = 'succeeded', updated_at = now() WHERE id = ?`, [id])
      await sql(
        `UPDATE payment SET data = ?, captured_at = CASE WHEN ? THEN now() ELSE captured_at END, updated_at = now() WHERE id = ?`,
        [data, completes, p]
      )
    }

    const hot = await books(collection.id)
    const byTriggers = await books(c)
    expect(hot).toEqual(byTriggers)
    // and they are the books of a completed collection, not two equal mistakes
    expect(hot.collection).toMatchObject({ status: "completed", captured_amount: "120.5", refunded_amount: "15", completed: true })
    expect(hot.payments).toEqual([expect.objectContaining({ captured_total: "120.5", refunded_total: "15", pending_movements: 0, captured: true })])
    // collection: not_paid, authorized, partially_captured, completed; session: pending, authorized;
    // authorized, fully_captured; two captures and two refunds, reserved and succeeded each
    expect(hot.ledger).toHaveLength(16)
    for (const id of [collection.id, c]) {
      expect(await (service as any).verifyLedger({ payment_collection_id: id })).toEqual([])
    }
  })

  it("lets the triggers book a caller's own writes in the same transaction after a hot-path call", async () => {
    const collection = await service.createPaymentCollections({ currency_code: "usd", amount: 50 })
    const session = await service.createPaymentSession(collection.id, { provider_id: MANUAL, currency_code: "usd", amount: 50, data: {} })
    const payment = (await service.authorizePaymentSession(session.id, {}))!
    await service.capturePayment({ payment_id: payment.id })

    const seen = await MikroOrmWrapper.forkManager().transactional(async (em: any) => {
      await em.execute(
        `SELECT verdict FROM payment_reserve_movement('refund', ?, 'ref_scope_1', 1, 'pending', null, null, null, null, null, 60000, '5s')`,
        [payment.id]
      )
      const [{ books }] = await em.execute(`SELECT current_setting('payment.books', true) AS books`)
      // a write of the caller's own, in the same transaction: the triggers must book it
      await em.execute(
        `INSERT INTO refund (id, payment_id, amount, raw_amount, status) VALUES ('ref_scope_2', ?, 2, ?, 'pending')`,
        [payment.id, raw("2")]
      )
      return books
    })
    expect(seen).not.toBe("kept")

    const [money] = await sql(`SELECT refunded_total::text AS refunded, pending_movements FROM payment WHERE id = ?`, [payment.id])
    expect(money).toEqual({ refunded: "3", pending_movements: 2 })
    const entries = await sql(
      `SELECT subject_id, event FROM payment_ledger_entry WHERE subject = 'refund' AND payment_id = ? ORDER BY subject_id`,
      [payment.id]
    )
    expect(entries).toEqual([
      { subject_id: "ref_scope_1", event: "reserved" },
      { subject_id: "ref_scope_2", event: "reserved" },
    ])
    expect((await service.retrievePaymentCollection(collection.id)).refunded_amount).toBe(3)
    expect(await (service as any).verifyLedger({ payment_collection_id: collection.id })).toEqual([])
  })

  it("books the uncommon branches once, through the triggers", async () => {
    // A session a provider reports authorized at creation: its amount counts toward the collection.
    const collection = await service.createPaymentCollections({ currency_code: "usd", amount: 30 })
    await sql(`SELECT id FROM payment_create_session('payses_born_authorized', ?, ?, '30', 'usd', null, '{}', 'authorized', null)`, [
      collection.id,
      MANUAL,
    ])
    expect(await service.retrievePaymentCollection(collection.id)).toMatchObject({ status: "authorized", authorized_amount: 30 })
    // Authorizing it makes the Payment without counting the amount a second time.
    const payment = (await service.authorizePaymentSession("payses_born_authorized", {}))!
    expect((await service.retrievePaymentCollection(collection.id)).authorized_amount).toBe(30)

    // A provider that captured at authorization: the capture is recorded with the Payment.
    const other = await service.createPaymentCollections({ currency_code: "usd", amount: 12 })
    const session = await service.createPaymentSession(other.id, { provider_id: MANUAL, currency_code: "usd", amount: 12, data: {} })
    const [authorized] = await sql(
      `SELECT verdict, capture_id FROM payment_authorize_session(?, 'pay_captured_at_auth', '{}', true, 'capt_at_auth', '5s')`,
      [session.id]
    )
    expect(authorized).toEqual({ verdict: "created", capture_id: "capt_at_auth" })
    expect(await service.retrievePaymentCollection(other.id)).toMatchObject({ status: "completed", captured_amount: 12 })

    // Settling a movement twice: the second call changes no books.
    const { captures } = await service.capturePayment({ payment_id: payment.id, amount: 10 })
    const count = async () => (await sql(`SELECT count(*)::int AS n FROM payment_ledger_entry WHERE subject_id = ?`, [captures![0].id]))[0].n
    const before = await count()
    await sql(`SELECT payment_updated FROM payment_settle_movement('capture', ?, ?, null, false, false)`, [captures![0].id, payment.id])
    expect(await count()).toBe(before)

    const ledger = await sql(
      `SELECT subject, event, to_status FROM payment_ledger_entry WHERE subject_id = 'payses_born_authorized' ORDER BY id`
    )
    expect(ledger).toEqual([{ subject: "payment_session", event: "status_changed", to_status: "authorized" }])
    for (const id of [collection.id, other.id]) {
      expect(await (service as any).verifyLedger({ payment_collection_id: id })).toEqual([])
    }
  })
})
