import { startEnvironment, type Environment } from "./harness/environment"
import { adminOrder, onlyPayment, orderTransactions, stripeFacts } from "./harness/facts"
import { ADDRESS, completeCart, createPaymentCollection, initiatePaymentSession } from "./harness/storefront"

// Medusa 2.21 computes taxes without rounding: 9.99 USD with 8.25 % sales tax
// is a cart of 10.814175 USD. Stripe charges whole cents, so the provider
// rounds half up (10.81), keeps Medusa's amount beside it, and the ledger
// books the difference. Everything goes through Medusa's store and admin
// API; the assertions read the order, the module's rows and ledger, and the
// local Stripe's own record.

jest.setTimeout(180_000)

let env: Environment

beforeAll(async () => {
  env = await startEnvironment({ name: "tax_checkout" })
})

afterAll(async () => {
  await env?.stop()
})

type TaxedCheckout = {
  orderId: string
  paymentId: string
  intentId: string
  cartTotal: string
}

/** A cart of one e-book (9.99) in a taxed region, paid with a Stripe test card, up to the order. */
async function taxedCheckout(region: "us" | "inclusive"): Promise<TaxedCheckout> {
  const seed = env.seed
  const { region_id, country_code } = seed.tax.regions[region]
  const store = env.store()
  const address = { ...ADDRESS, country_code, city: region === "us" ? "Austin" : "Zürich", postal_code: "73301" }
  const { cart } = await store.post("/store/carts", {
    region_id,
    sales_channel_id: seed.sales_channel_id,
    email: `tax+${Date.now()}@example.com`,
    items: [{ variant_id: seed.tax.variant_id, quantity: 1 }],
    shipping_address: address,
    billing_address: address,
  })
  const collection = await createPaymentCollection(store, cart.id)
  const withSession = await initiatePaymentSession(store, collection.id, "pp_stripe_stripe", {
    payment_method: "pm_card_visa",
  })
  const session = withSession.payment_sessions.find((s) => s.provider_id === "pp_stripe_stripe")!
  const completed = await completeCart(store, cart.id)
  if (completed.type !== "order") throw new Error(`checkout did not end in an order: ${JSON.stringify(completed)}`)
  const order = await adminOrder(env.admin(), completed.order.id)
  // Medusa's exact figures, as the cart module stored them (raw, not float).
  const [totals] = await env.sql(
    `SELECT c.amount::text AS amount, c.raw_amount->>'value' AS raw FROM payment_collection c WHERE c.id = $1`,
    [collection.id]
  )
  return {
    orderId: order.id,
    paymentId: onlyPayment(order).id,
    intentId: session.data.id as string,
    cartTotal: totals.raw ?? totals.amount,
  }
}

/** The payment's exact amounts and its ledger, from the module's own tables. */
async function books(paymentId: string) {
  const [payment] = await env.sql(
    `SELECT p.raw_amount->>'value' AS amount,
            (SELECT coalesce(sum(m.amount), 0)::text FROM payment_movement m WHERE m.payment_id = p.id AND m.kind = 'capture' AND m.status = 'succeeded') AS captured,
            (SELECT coalesce(sum(m.amount), 0)::text FROM payment_movement m WHERE m.payment_id = p.id AND m.kind = 'refund' AND m.status = 'succeeded') AS refunded
       FROM payment p WHERE p.id = $1`,
    [paymentId]
  )
  const captures = await env.sql(
    `SELECT c.raw_amount->>'value' AS amount, m.status FROM capture c JOIN payment_movement m ON m.id = c.id
      WHERE c.payment_id = $1 AND c.deleted_at IS NULL ORDER BY c.created_at`,
    [paymentId]
  )
  const refunds = await env.sql(
    `SELECT r.raw_amount->>'value' AS amount, m.status FROM refund r JOIN payment_movement m ON m.id = r.id
      WHERE r.payment_id = $1 AND r.deleted_at IS NULL ORDER BY r.created_at`,
    [paymentId]
  )
  const rounding = await env.sql(
    `SELECT subject, (raw_amount->>'value') AS amount, provider_reference FROM payment_ledger_entry
      WHERE payment_id = $1 AND event = 'provider_rounding' ORDER BY id`,
    [paymentId]
  )
  return { payment, captures, refunds, rounding }
}

const num = (value: string) => Number(value)

describe("a checkout with sales tax (8.25 % on 9.99 USD)", () => {
  it("charges 10.81 for Medusa's 10.814175, books the 0.004175, captures and refunds on every cent", async () => {
    const placed = await taxedCheckout("us")
    expect(placed.cartTotal).toBe("10.814175")

    // Authorized: the intent asks for 1081 cents and carries Medusa's amount.
    const intent = await env.stripe.paymentIntents.retrieve(placed.intentId)
    expect(intent).toMatchObject({ amount: 1081, currency: "usd", status: "requires_capture" })
    expect(intent.metadata).toMatchObject({ medusa_amount: "10.814175" })
    let ledger = await books(placed.paymentId)
    expect(ledger.payment.amount).toBe("10.814175")
    expect(ledger.rounding).toEqual([{ subject: "authorization", amount: "-0.004175", provider_reference: placed.intentId }])

    let order = await adminOrder(env.admin(), placed.orderId)
    const orderTotal = order.total
    expect(orderTotal).toBeCloseTo(10.814175, 6)
    expect(order.payment_status).toBe("authorized")

    // Captured in full from the admin: 10.81 at Stripe and in the books, order paid.
    const { payment: captured } = await env.admin().post(`/admin/payments/${placed.paymentId}/capture`, {})
    expect(captured.captures.map((c: any) => c.amount)).toEqual([10.81])
    expect(await stripeFacts(env, placed.intentId)).toMatchObject({ status: "succeeded", amount_received: 1081, captureEvents: 1 })
    ledger = await books(placed.paymentId)
    expect(ledger.captures).toEqual([{ amount: "10.81", status: "succeeded" }])
    expect(ledger.payment.captured).toBe("10.81")

    order = await adminOrder(env.admin(), placed.orderId)
    expect(order.payment_status).toBe("captured")
    expect(order.payment_collections[0]).toMatchObject({ status: "completed", captured_amount: 10.81 })
    // Nothing owed to the cent: what is left is the fraction no card can charge.
    expect(order.summary.paid_total).toBe(10.81)
    expect(Math.abs(order.summary.pending_difference)).toBeLessThan(0.005)
    process.stdout.write(`[e2e] tax checkout (us) summary after capture: ${JSON.stringify(order.summary)}\n`)

    // Part refunded from the admin: 5 at Stripe, in the books and on the order.
    await env.admin().post(`/admin/payments/${placed.paymentId}/refund`, { amount: 5 })
    const stripe = await stripeFacts(env, placed.intentId)
    expect(stripe.refunded).toBe(500)
    ledger = await books(placed.paymentId)
    expect(ledger.refunds).toEqual([{ amount: "5", status: "succeeded" }])
    order = await adminOrder(env.admin(), placed.orderId)
    expect(order.payment_status).toBe("partially_refunded")
    expect(order.payment_collections[0]).toMatchObject({ captured_amount: 10.81, refunded_amount: 5 })
    const transactions = await orderTransactions(env, placed.orderId)
    expect(transactions.map((t) => [t.reference, t.amount])).toEqual([
      ["capture", 10.81],
      ["refund", -5],
    ])

    // Side by side, for the record: every figure in cents agrees.
    const cents = (amount: number | string) => Math.round(num(String(amount)) * 100)
    const row = {
      order_total: orderTotal,
      order_total_after_refund: order.total,
      payment_amount: ledger.payment.amount,
      stripe_intent_amount: intent.amount,
      captured_module: ledger.payment.captured,
      captured_stripe: stripe.amount_received,
      refunded_module: ledger.payment.refunded,
      refunded_stripe: stripe.refunded,
      ledger_rounding: ledger.rounding[0].amount,
    }
    process.stdout.write(`[e2e] tax checkout (us): ${JSON.stringify(row)}\n`)
    expect(cents(orderTotal)).toBe(intent.amount)
    // Medusa's refund workflow lowers the order total by a credit line of the refund.
    expect(cents(order.total)).toBe(intent.amount - stripe.refunded)
    expect(cents(ledger.payment.captured)).toBe(stripe.amount_received)
    expect(cents(ledger.payment.refunded)).toBe(stripe.refunded)
    expect(num(ledger.payment.amount) + num(ledger.rounding[0].amount)).toBeCloseTo(intent.amount / 100, 9)
  })
})

describe("a checkout with tax included in the price (9.99 CHF, 8.1 % VAT)", () => {
  it("charges exactly the shelf price, captures it and refunds part of it", async () => {
    const placed = await taxedCheckout("inclusive")
    const intent = await env.stripe.paymentIntents.retrieve(placed.intentId)
    expect(intent).toMatchObject({ currency: "chf", status: "requires_capture" })
    const orderTotal = (await adminOrder(env.admin(), placed.orderId)).total
    expect(orderTotal).toBe(9.99)
    expect(intent.metadata.medusa_amount).toBe(placed.cartTotal)
    expect(intent.amount).toBe(Math.round(num(placed.cartTotal) * 100))
    expect(intent.amount).toBe(999)

    const { payment: captured } = await env.admin().post(`/admin/payments/${placed.paymentId}/capture`, {})
    expect(captured.captures.map((c: any) => c.amount)).toEqual([9.99])
    await env.admin().post(`/admin/payments/${placed.paymentId}/refund`, { amount: 2.5 })

    const stripe = await stripeFacts(env, placed.intentId)
    expect(stripe).toMatchObject({ amount_received: 999, refunded: 250 })
    const ledger = await books(placed.paymentId)
    expect(ledger.payment).toMatchObject({ captured: "9.99", refunded: "2.5" })
    const order = await adminOrder(env.admin(), placed.orderId)
    expect(order.payment_status).toBe("partially_refunded")
    expect(order.payment_collections[0]).toMatchObject({ status: "completed", captured_amount: 9.99, refunded_amount: 2.5 })
    expect((await orderTransactions(env, placed.orderId)).map((t) => [t.reference, t.amount])).toEqual([
      ["capture", 9.99],
      ["refund", -2.5],
    ])
    process.stdout.write(
      `[e2e] tax checkout (inclusive): ${JSON.stringify({
        order_total: orderTotal,
        order_total_after_refund: order.total,
        payment_amount: ledger.payment.amount,
        stripe_intent_amount: intent.amount,
        captured_stripe: stripe.amount_received,
        refunded_stripe: stripe.refunded,
        ledger_rounding: ledger.rounding.map((r: any) => r.amount),
      })}\n`
    )
  })
})
