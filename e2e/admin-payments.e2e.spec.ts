import { HttpError } from "./harness/http"
import { startEnvironment, type Environment } from "./harness/environment"
import { adminOrder, moneyFacts, onlyPayment, orderTransactions, stripeFacts } from "./harness/facts"
import { placeOrder } from "./harness/orders"

// The admin side, through Medusa's admin API (capture / refund / cancel
// routes and the core-flows workflows behind them): what happens to the
// payment, to the order's payment totals, and at Stripe.

jest.setTimeout(180_000)

let env: Environment

beforeAll(async () => {
  env = await startEnvironment({ name: "admin_payments" })
})

afterAll(async () => {
  await env?.stop()
})

/** The status and message of a refused admin call (it must be refused). */
async function refused(call: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await call
  } catch (error) {
    if (error instanceof HttpError) return { status: error.status, message: error.body?.message ?? String(error.body) }
    throw error
  }
  throw new Error("expected the admin API to refuse the call")
}

describe("admin: capture", () => {
  it("captures a Stripe payment in full: one capture at Stripe, the order paid", async () => {
    const placed = await placeOrder(env, "pp_stripe_stripe")
    const { payment } = await env.admin().post(`/admin/payments/${placed.paymentId}/capture`, {})
    expect(payment.captures).toHaveLength(1)
    expect(payment.captures[0].amount).toBe(35)

    const facts = await moneyFacts(env, placed.sessionId)
    expect(facts.captured).toBe(35)
    expect(facts.payments[0].captured_at).not.toBeNull()
    expect(await stripeFacts(env, placed.intentId!)).toMatchObject({
      status: "succeeded",
      amount_received: 3500,
      captureEvents: 1,
    })

    const order = await adminOrder(env.admin(), placed.orderId)
    expect(order.payment_status).toBe("captured")
    expect(order.payment_collections[0]).toMatchObject({ status: "completed", captured_amount: 35, refunded_amount: 0 })
    expect(order.summary).toMatchObject({ paid_total: 35, refunded_total: 0, pending_difference: 0 })
    expect(await orderTransactions(env, placed.orderId)).toEqual([
      { reference: "capture", reference_id: payment.captures[0].id, amount: 35 },
    ])

    // Capturing a fully captured payment again is a no-op, as in Medusa 2.21
    // (that is what makes a late `payment_intent.succeeded` webhook harmless):
    // no capture row, no order transaction, no call to Stripe.
    await env.admin().post(`/admin/payments/${placed.paymentId}/capture`, { amount: 1 })
    expect((await moneyFacts(env, placed.sessionId)).captures).toHaveLength(1)
    expect(await orderTransactions(env, placed.orderId)).toHaveLength(1)
    expect((await stripeFacts(env, placed.intentId!)).captureEvents).toBe(1)
    expect((await adminOrder(env.admin(), placed.orderId)).summary.paid_total).toBe(35)
  })

  it("partial captures with the manual provider add up to the authorized amount, and no further", async () => {
    const placed = await placeOrder(env, "pp_system_default")
    await env.admin().post(`/admin/payments/${placed.paymentId}/capture`, { amount: 10 })

    let order = await adminOrder(env.admin(), placed.orderId)
    expect(order.payment_status).toBe("partially_captured")
    expect(order.payment_collections[0]).toMatchObject({ status: "partially_captured", captured_amount: 10 })
    expect(order.summary).toMatchObject({ paid_total: 10, pending_difference: 25 })
    expect(onlyPayment(order).captured_at).toBeNull()

    // More than the 25 still authorized: refused, nothing recorded.
    const over = await refused(env.admin().post(`/admin/payments/${placed.paymentId}/capture`, { amount: 25.01 }))
    expect(over.status).toBe(400)
    expect(over.message).toMatch(/cannot capture more/i)
    expect((await moneyFacts(env, placed.sessionId)).captures.map((c) => c.amount)).toEqual([10])

    await env.admin().post(`/admin/payments/${placed.paymentId}/capture`, { amount: 25 })
    order = await adminOrder(env.admin(), placed.orderId)
    expect(order.payment_status).toBe("captured")
    expect(order.payment_collections[0]).toMatchObject({ status: "completed", captured_amount: 35 })
    expect(order.summary).toMatchObject({ paid_total: 35, pending_difference: 0 })
    expect(onlyPayment(order).captured_at).not.toBeNull()

    // Fully captured: a further capture is a no-op (as in Medusa 2.21).
    await env.admin().post(`/admin/payments/${placed.paymentId}/capture`, { amount: 0.01 })
    const facts = await moneyFacts(env, placed.sessionId)
    expect(facts.captures.map((c) => c.amount)).toEqual([10, 25])
    expect((await orderTransactions(env, placed.orderId)).map((t) => t.amount)).toEqual([10, 25])
  })

  it("a partial Stripe capture takes that much and releases the rest, as Stripe does", async () => {
    const placed = await placeOrder(env, "pp_stripe_stripe")
    await env.admin().post(`/admin/payments/${placed.paymentId}/capture`, { amount: 20 })

    expect(await stripeFacts(env, placed.intentId!)).toMatchObject({
      status: "succeeded",
      amount_received: 2000,
      amount_capturable: 0,
      captureEvents: 1,
    })
    const order = await adminOrder(env.admin(), placed.orderId)
    expect(order.payment_status).toBe("partially_captured")
    expect(order.payment_collections[0]).toMatchObject({ status: "partially_captured", captured_amount: 20 })
    expect(order.summary).toMatchObject({ paid_total: 20 })
    // The 15 Stripe released is a movement of the module's own books, and
    // the payment is captured as far as it will go: nothing more is offered.
    const payment = onlyPayment(order)
    expect(payment.captured_at).not.toBeNull()
    expect(
      await env.sql(`SELECT kind, status, amount::float8 AS amount FROM payment_movement WHERE payment_id = $1 ORDER BY created_at`, [placed.paymentId])
    ).toEqual([
      { kind: "capture", status: "succeeded", amount: 20 },
      { kind: "release", status: "succeeded", amount: 15 },
    ])
    process.stdout.write(
      `[e2e] admin API after a partial Stripe capture: ${JSON.stringify({
        payment_status: order.payment_status,
        collection: { status: order.payment_collections[0].status, amount: order.payment_collections[0].amount, captured_amount: order.payment_collections[0].captured_amount },
        payment: { amount: payment.amount, captured_at: payment.captured_at, captures: payment.captures.map((c: any) => c.amount) },
        summary: { paid_total: order.summary.paid_total, pending_difference: order.summary.pending_difference },
      })}\n`
    )

    // A second capture (the admin's, or the one Medusa's workflow sends for
    // the payment_intent.succeeded webhook) has nothing to do: as for a fully
    // captured payment, it answers 200 and leaves no trace.
    await env.admin().post(`/admin/payments/${placed.paymentId}/capture`, { amount: 15 })
    const facts = await moneyFacts(env, placed.sessionId)
    expect(facts.captures.map((c) => c.amount)).toEqual([20])
    expect((await orderTransactions(env, placed.orderId)).map((t) => t.amount)).toEqual([20])
    expect(await stripeFacts(env, placed.intentId!)).toMatchObject({ amount_received: 2000, captureEvents: 1 })
  })
  // capture-payment-workflow adds one order transaction per capture the
  // module returns, deduplicated by a read-then-insert that is not atomic.
  // The module returns only the capture a call made (none for a no-op), so
  // concurrent captures (a double click, two admins, admin + webhook) cannot
  // write a transaction twice.
  it("6 concurrent captures of one payment write one order transaction", async () => {
    const placed = await placeOrder(env, "pp_system_default")
    await Promise.all(
      Array.from({ length: 6 }, () => env.admin().post(`/admin/payments/${placed.paymentId}/capture`, {}).catch(() => undefined))
    )
    expect((await moneyFacts(env, placed.sessionId)).captures).toHaveLength(1)
    const transactions = await orderTransactions(env, placed.orderId)
    const order = await adminOrder(env.admin(), placed.orderId)
    expect({ transactions: transactions.length, paid_total: order.summary.paid_total }).toEqual({ transactions: 1, paid_total: 35 })
  })
})

describe("admin: refund", () => {
  it("refunds part, then the rest, of a captured Stripe payment with a refund reason", async () => {
    const { refund_reason: reason } = await env.admin().post("/admin/refund-reasons", {
      label: "Damaged in transit",
      code: `damaged_in_transit_${Date.now()}`,
      description: "The parcel arrived damaged",
    })
    const placed = await placeOrder(env, "pp_stripe_stripe")
    await env.admin().post(`/admin/payments/${placed.paymentId}/capture`, {})

    const { payment } = await env.admin().post(`/admin/payments/${placed.paymentId}/refund`, {
      amount: 10,
      refund_reason_id: reason.id,
      note: "Customer sent a photo",
    })
    expect(payment.refunds).toHaveLength(1)

    let facts = await moneyFacts(env, placed.sessionId)
    expect(facts.refunds).toEqual([
      expect.objectContaining({ amount: 10, refund_reason_id: reason.id, note: "Customer sent a photo" }),
    ])
    let stripe = await stripeFacts(env, placed.intentId!)
    expect(stripe.refunded).toBe(1000)
    expect(stripe.refunds).toHaveLength(1)

    let order = await adminOrder(env.admin(), placed.orderId)
    expect(order.payment_status).toBe("partially_refunded")
    expect(order.payment_collections[0]).toMatchObject({ captured_amount: 35, refunded_amount: 10 })
    expect(order.summary).toMatchObject({ paid_total: 35, refunded_total: 10 })
    expect(onlyPayment(order).refunds[0].refund_reason).toMatchObject({ id: reason.id, label: "Damaged in transit" })

    // More than is left: refused, nothing moves.
    const over = await refused(env.admin().post(`/admin/payments/${placed.paymentId}/refund`, { amount: 25.01 }))
    expect(over.status).toBe(400)
    expect((await moneyFacts(env, placed.sessionId)).refunded).toBe(10)
    expect((await stripeFacts(env, placed.intentId!)).refunded).toBe(1000)

    await env.admin().post(`/admin/payments/${placed.paymentId}/refund`, { amount: 25, refund_reason_id: reason.id })
    facts = await moneyFacts(env, placed.sessionId)
    expect(facts.refunds.map((r) => r.amount)).toEqual([10, 25])
    stripe = await stripeFacts(env, placed.intentId!)
    expect(stripe.refunded).toBe(3500)
    order = await adminOrder(env.admin(), placed.orderId)
    expect(order.payment_status).toBe("refunded")
    expect(order.payment_collections[0]).toMatchObject({ captured_amount: 35, refunded_amount: 35 })
    expect(order.summary).toMatchObject({ paid_total: 35, refunded_total: 35 })
    const transactions = await orderTransactions(env, placed.orderId)
    expect(transactions.map((t) => [t.reference, t.amount])).toEqual([
      ["capture", 35],
      ["refund", -10],
      ["refund", -25],
    ])
  })

  it("refuses to refund an uncaptured payment", async () => {
    const placed = await placeOrder(env, "pp_stripe_stripe")
    const answer = await refused(env.admin().post(`/admin/payments/${placed.paymentId}/refund`, { amount: 5 }))
    expect(answer.status).toBe(400)
    expect((await moneyFacts(env, placed.sessionId)).refunds).toHaveLength(0)
    expect((await stripeFacts(env, placed.intentId!)).refunds).toHaveLength(0)
  })
})

describe("admin: cancel", () => {
  it("canceling an order with an authorized Stripe payment voids the PaymentIntent", async () => {
    const placed = await placeOrder(env, "pp_stripe_stripe")
    await env.admin().post(`/admin/orders/${placed.orderId}/cancel`, {})

    const facts = await moneyFacts(env, placed.sessionId)
    expect(facts.payments[0].canceled_at).not.toBeNull()
    expect(facts.captures).toHaveLength(0)
    expect(await stripeFacts(env, placed.intentId!)).toMatchObject({ status: "canceled", amount_received: 0 })

    const order = await adminOrder(env.admin(), placed.orderId)
    expect(order.status).toBe("canceled")
    expect(order.payment_status).toBe("canceled")
    expect(order.payment_collections[0]).toMatchObject({ status: "canceled", captured_amount: 0, refunded_amount: 0 })
    expect(order.summary).toMatchObject({ paid_total: 0, refunded_total: 0 })

    // A canceled payment cannot be captured afterwards.
    const capture = await refused(env.admin().post(`/admin/payments/${placed.paymentId}/capture`, {}))
    expect(capture.status).toBe(400)
    expect((await stripeFacts(env, placed.intentId!)).status).toBe("canceled")
  })

  it("canceling an order whose Stripe payment was captured refunds it in full", async () => {
    const placed = await placeOrder(env, "pp_stripe_stripe")
    await env.admin().post(`/admin/payments/${placed.paymentId}/capture`, {})
    await env.admin().post(`/admin/orders/${placed.orderId}/cancel`, {})

    const facts = await moneyFacts(env, placed.sessionId)
    expect(facts.captured).toBe(35)
    expect(facts.refunded).toBe(35)
    expect(await stripeFacts(env, placed.intentId!)).toMatchObject({ amount_received: 3500, refunded: 3500 })
    const order = await adminOrder(env.admin(), placed.orderId)
    expect(order.status).toBe("canceled")
    expect(order.payment_collections[0]).toMatchObject({ captured_amount: 35, refunded_amount: 35 })
    expect(order.summary).toMatchObject({ paid_total: 35, refunded_total: 35 })
  })

  it("canceling an order after a partial capture refunds what was captured (#14214)", async () => {
    const placed = await placeOrder(env, "pp_system_default")
    await env.admin().post(`/admin/payments/${placed.paymentId}/capture`, { amount: 10 })
    await env.admin().post(`/admin/orders/${placed.orderId}/cancel`, {})

    const facts = await moneyFacts(env, placed.sessionId)
    expect(facts.captured).toBe(10)
    expect(facts.refunded).toBe(10)
    const order = await adminOrder(env.admin(), placed.orderId)
    expect(order.status).toBe("canceled")
    expect(order.payment_collections[0]).toMatchObject({ captured_amount: 10, refunded_amount: 10 })
    expect(order.summary).toMatchObject({ paid_total: 10, refunded_total: 10 })
  })

  it("canceling an order with the manual provider's authorized payment", async () => {
    const placed = await placeOrder(env, "pp_system_default")
    await env.admin().post(`/admin/orders/${placed.orderId}/cancel`, {})
    const facts = await moneyFacts(env, placed.sessionId)
    expect(facts.payments[0].canceled_at).not.toBeNull()
    const order = await adminOrder(env.admin(), placed.orderId)
    expect(order).toMatchObject({ status: "canceled", payment_status: "canceled" })
    expect(order.payment_collections[0].status).toBe("canceled")
  })
})
