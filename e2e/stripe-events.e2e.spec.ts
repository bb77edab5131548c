import { eventually, MEDUSA_WEBHOOK_DELAY_MS, sleep, startEnvironment, type Environment } from "./harness/environment"
import { expectStoreAgrees } from "./harness/concurrent"
import { adminOrder, deliveriesFor, moneyFacts, orderTransactions, stripeFacts } from "./harness/facts"
import { HttpError } from "./harness/http"
import { placeOrder } from "./harness/orders"

// What happens at Stripe without Medusa asking — a refund from the Stripe
// dashboard — reaches the store's books through the webhook: the module
// records it (src/money/provider-refunds.ts), the plugin records it on the
// order, and Medusa's next refund sees what is really left.

jest.setTimeout(240_000)

let env: Environment

beforeAll(async () => {
  env = await startEnvironment({ name: "stripe_events" })
})

afterAll(async () => {
  await env?.stop()
})

describe("refunds made in the Stripe dashboard", () => {
  it("become a refund of the payment once, on the order too; a later refund from Medusa is bounded by what is left", async () => {
    const placed = await placeOrder(env, "pp_stripe_stripe")
    await env.admin().post(`/admin/payments/${placed.paymentId}/capture`, {})

    // The merchant refunds 5 in Stripe's dashboard; its webhooks arrive twice.
    env.local.setWebhookFaults({ duplicate: 2, types: ["charge.refunded", "refund.created"] })
    let dashboardRefund
    try {
      dashboardRefund = await env.stripe.refunds.create({ payment_intent: placed.intentId!, amount: 500, reason: "requested_by_customer" })
      await env.local.waitForWebhooks()
    } finally {
      env.local.clearWebhookFaults()
    }
    const refundId = `ref_${dashboardRefund.id}`
    await eventually(
      async () => {
        expect(await moneyFacts(env, placed.sessionId)).toMatchObject({ refunds: [expect.objectContaining({ id: refundId, amount: 5 })] })
        expect(await orderTransactions(env, placed.orderId)).toContainEqual({ reference: "refund", reference_id: refundId, amount: -5 })
      },
      { timeoutMs: MEDUSA_WEBHOOK_DELAY_MS + 30_000 }
    )
    await sleep(MEDUSA_WEBHOOK_DELAY_MS + 2000) // every copy of every delivery processed
    await expectStoreAgrees(env, placed, { captures: [35], refunds: [5] })
    const ledger = await env.sql(
      `SELECT subject, event, refunded_delta::float8 AS refunded FROM payment_ledger_entry WHERE subject_id = $1 ORDER BY created_at`,
      [refundId]
    )
    expect(ledger).toEqual([{ subject: "refund", event: "recorded", refunded: 5 }])

    const before = await adminOrder(env.admin(), placed.orderId)
    process.stdout.write(
      `[e2e] admin API after a dashboard refund: ${JSON.stringify({
        payment_status: before.payment_status,
        summary: { paid_total: before.summary.paid_total, refunded_total: before.summary.refunded_total },
        refunds: before.payment_collections[0].payments[0].refunds.map((r: any) => ({ id: r.id, amount: r.amount, note: r.note })),
      })}\n`
    )
    expect(before.payment_status).toBe("partially_refunded")
    expect(before.summary).toMatchObject({ paid_total: 35, refunded_total: 5 })

    // Medusa's own refunds: 30 is what is left, 1 more is refused before Stripe is asked.
    await env.admin().post(`/admin/payments/${placed.paymentId}/refund`, { amount: 30 })
    const over = await env.admin().post(`/admin/payments/${placed.paymentId}/refund`, { amount: 1 }).catch((e) => e)
    expect(over).toBeInstanceOf(HttpError)
    expect(over.status).toBe(400)

    // The webhooks of Medusa's refund list both refunds; neither is recorded again.
    await eventually(() => expect(deliveriesFor(env, placed.intentId!, "charge.refunded").length).toBeGreaterThanOrEqual(3))
    await sleep(MEDUSA_WEBHOOK_DELAY_MS + 2000)
    await expectStoreAgrees(env, placed, { captures: [35], refunds: [5, 30] })
    expect(await stripeFacts(env, placed.intentId!)).toMatchObject({ amount_received: 3500, refunded: 3500 })
    const after = await adminOrder(env.admin(), placed.orderId)
    expect(after.payment_status).toBe("refunded")
    expect(after.summary).toMatchObject({ refunded_total: 35 })
  })
})

describe("disputes, expired authorizations and multicapture, through Medusa's admin API", () => {
  it("a dispute lost at Stripe: recorded on the payment, money out on the order (a refund), events a store can subscribe to", async () => {
    const placed = await placeOrder(env, "pp_stripe_stripe", 0, { payment_method: "pm_card_createDispute" })
    await env.admin().post(`/admin/payments/${placed.paymentId}/capture`, {})
    const [dispute] = (await env.stripe.disputes.list({ payment_intent: placed.intentId! })).data
    expect(dispute).toMatchObject({ status: "needs_response", amount: 3500 })
    await eventually(
      async () => {
        const order = await adminOrder(env.admin(), placed.orderId)
        expect(order.payment_collections[0].payments[0].metadata).toMatchObject({ disputes: { [dispute.id]: { status: "needs_response" } } })
      },
      { timeoutMs: MEDUSA_WEBHOOK_DELAY_MS + 30_000 }
    )
    await env.stripe.disputes.close(dispute.id)
    await eventually(
      async () => {
        expect(await orderTransactions(env, placed.orderId)).toContainEqual({ reference: "refund", reference_id: `ref_${dispute.id}`, amount: -35 })
      },
      { timeoutMs: MEDUSA_WEBHOOK_DELAY_MS + 30_000 }
    )
    await sleep(MEDUSA_WEBHOOK_DELAY_MS + 2000)
    await expectStoreAgrees(env, placed, { captures: [35], refunds: [35] })
    const order = await adminOrder(env.admin(), placed.orderId)
    expect(order.payment_status).toBe("refunded")
    expect(order.payment_collections[0].payments[0].metadata.disputes[dispute.id]).toMatchObject({ status: "lost", reason: "fraudulent" })
    // The plugin's subscriber of the dispute events (a store can subscribe to them the same way).
    expect(env.serverLogs()).toContain(`Dispute ${dispute.id} on payment ${placed.paymentId}: needs_response (35, fraudulent) — payment.dispute.created`)
    expect(env.serverLogs()).toContain(`Dispute ${dispute.id} on payment ${placed.paymentId}: lost (35, fraudulent) — payment.dispute.updated`)
  })

  it("an authorization that expires at Stripe: the payment and its session are canceled, the order shows it, a capture moves nothing", async () => {
    const placed = await placeOrder(env, "pp_stripe_stripe")
    env.local.expireAuthorization(placed.intentId!)
    await eventually(
      async () => {
        const order = await adminOrder(env.admin(), placed.orderId)
        expect(order.payment_collections[0].payments[0].canceled_at).not.toBeNull()
      },
      { timeoutMs: MEDUSA_WEBHOOK_DELAY_MS + 30_000 }
    )
    const [session] = await env.sql(`SELECT status FROM payment_session WHERE id = $1`, [placed.sessionId])
    expect(session.status).toBe("canceled")
    const order = await adminOrder(env.admin(), placed.orderId)
    process.stdout.write(`[e2e] admin API after an expired authorization: ${JSON.stringify({ payment_status: order.payment_status, collection: order.payment_collections[0].status })}\n`)
    const capture = await env.admin().post(`/admin/payments/${placed.paymentId}/capture`, {}).catch((e) => e)
    expect(capture).toBeInstanceOf(HttpError)
    expect((await moneyFacts(env, placed.sessionId)).captures).toEqual([])
  })

  it("an authorization near its expiry is reported by the reconcile route", async () => {
    const placed = await placeOrder(env, "pp_stripe_stripe")
    await env.sql(`UPDATE payment SET created_at = now() - interval '6 days 12 hours' WHERE id = $1`, [placed.paymentId])
    const { authorizations } = await env.admin().post(`/admin/payment-plus/reconcile`, {})
    expect(authorizations.expiring).toContainEqual(expect.objectContaining({ payment_id: placed.paymentId, provider_id: "pp_stripe_stripe" }))
  })

  it("multicapture: two partial admin captures and a final one, the order paid in full, nothing released", async () => {
    const placed = await placeOrder(env, "pp_stripe_stripe", 0, {
      payment_method: "pm_card_visa",
      payment_method_options: { card: { request_multicapture: "if_available" } },
    })
    await env.admin().post(`/admin/payments/${placed.paymentId}/capture`, { amount: 10 })
    await env.admin().post(`/admin/payments/${placed.paymentId}/capture`, { amount: 10 })
    expect(await stripeFacts(env, placed.intentId!)).toMatchObject({ status: "requires_capture", amount_received: 2000, amount_capturable: 1500 })
    await env.admin().post(`/admin/payments/${placed.paymentId}/capture`, { amount: 15 })
    await sleep(MEDUSA_WEBHOOK_DELAY_MS + 2000) // the webhooks' own captures: no-ops
    await expectStoreAgrees(env, placed, { captures: [10, 10, 15], refunds: [] })
    expect(await stripeFacts(env, placed.intentId!)).toMatchObject({ status: "succeeded", amount_received: 3500 })
    const order = await adminOrder(env.admin(), placed.orderId)
    expect(order.payment_status).toBe("captured")
    const kinds = await env.sql(`SELECT kind FROM payment_movement WHERE payment_id = $1`, [placed.paymentId])
    expect(kinds.map((k) => k.kind)).not.toContain("release")
  })
})

