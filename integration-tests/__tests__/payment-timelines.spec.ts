import { MANUAL, paymentModuleSuite, query } from "../__fixtures__/module"

/**
 * listPaymentTimelines: the merchant's view of a payment (the admin route and
 * the dashboard widget read it). Here: what it says is left to capture — the
 * widget offers a capture only up to it — against the books' own bound
 * (captures with Stripe, rounded or released: stripe-flow.spec.ts).
 */
paymentModuleSuite(({ service, MikroOrmWrapper }) => {
  const sql = (text: string, params: unknown[] = []) => query(MikroOrmWrapper, text, params)

  async function authorized(amount: number | string, currency_code = "usd") {
    const collection = await service.createPaymentCollections({ currency_code, amount })
    const session = await service.createPaymentSession(collection.id, { provider_id: MANUAL, currency_code, amount, data: {} })
    return (await service.authorizePaymentSession(session.id, {}))!
  }

  async function timeline(paymentId: string) {
    const [one] = await (service as any).listPaymentTimelines({ payment_id: paymentId })
    return one
  }

  it("what is left to capture: the authorization less captures, open ones included, and nothing once fully captured", async () => {
    const payment = await authorized(100)
    expect((await timeline(payment.id)).capturable_amount).toBe("100.00")

    await service.capturePayment({ payment_id: payment.id, amount: 30 })
    expect((await timeline(payment.id)).capturable_amount).toBe("70.00")

    // A capture reserved and not settled (its answer lost) may have moved money: it counts.
    const [reserved] = await sql(
      `SELECT verdict FROM payment_reserve_movement('capture', ?, 'capt_open', 20, 'pending', null, null, null, null, null, 60000, '5s')`,
      [payment.id]
    )
    expect(reserved.verdict).toBe("created")
    await sql(`UPDATE payment_movement SET status = 'unknown' WHERE id = 'capt_open'`)
    const open = await timeline(payment.id)
    expect(open.capturable_amount).toBe("50.00")
    expect(open.open).toEqual([expect.objectContaining({ id: "capt_open", status: "unknown" })])

    // Refused by the provider after all: the money is capturable again.
    await sql(`UPDATE payment_movement SET status = 'refused' WHERE id = 'capt_open'`)
    expect((await timeline(payment.id)).capturable_amount).toBe("70.00")

    // The offer is the bound: one cent more is refused, exactly it is captured.
    const over = await service.capturePayment({ payment_id: payment.id, amount: 70.01 }).catch((e) => e)
    expect(over).toBeInstanceOf(Error)
    expect(over.message).toMatch(/more than/)
    await service.capturePayment({ payment_id: payment.id, amount: 70 })
    const full = await timeline(payment.id)
    expect(full.capturable_amount).toBe("0.00")
    expect(full.entries.map((e: any) => [e.subject, e.event, e.amount])).toContainEqual(["authorization", "fully_captured", null])
  })

  it("a taxed total is capturable at the currency's precision, and a canceled payment has nothing left", async () => {
    const taxed = await authorized("10.814175")
    expect((await timeline(taxed.id)).capturable_amount).toBe("10.81")
    const halfUp = await authorized("10.815")
    expect((await timeline(halfUp.id)).capturable_amount).toBe("10.82")

    const yen = await authorized(1500, "jpy")
    expect((await timeline(yen.id)).capturable_amount).toBe("1500")

    const canceled = await authorized(40)
    await service.cancelPayment(canceled.id)
    expect((await timeline(canceled.id)).capturable_amount).toBe("0.00")
  })
})
