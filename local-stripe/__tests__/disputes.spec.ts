import Stripe from "stripe"
import { rawRequest, rejectionOf, harnessWithReceiver, eventsOfIntent } from "./helpers"

const SECRET = "whsec_local_stripe_disputes"
const context = harnessWithReceiver(SECRET)
const related = (piId: string) => eventsOfIntent(context.h, piId)
const typesFor = (piId: string) => related(piId).map((e) => e.type)

/** Webhooks as an integration sees them, verified with the SDK. */
async function deliveredFor(piId: string): Promise<Stripe.Event[]> {
  await context.h.server.waitForWebhooks()
  return context.receiver.received
    .map((d) => context.h.stripe.webhooks.constructEvent(d.body, d.signature, SECRET))
    .filter((e) => {
      const object = e.data.object as { id?: string; payment_intent?: string }
      return object.id === piId || object.payment_intent === piId
    })
}

async function disputedPayment(amount = 5000) {
  const pi = await context.h.stripe.paymentIntents.create({ amount, currency: "usd", confirm: true, payment_method: "pm_card_createDispute" })
  const disputes = await context.h.stripe.disputes.list({ payment_intent: pi.id })
  expect(disputes.data).toHaveLength(1)
  return { pi, dispute: disputes.data[0] }
}

describe("Disputes: the createDispute test card", () => {
  it("is disputed as fraudulent once captured: object shape, charge.disputed, events and webhooks in order", async () => {
    const pi = await context.h.stripe.paymentIntents.create({
      amount: 4200,
      currency: "usd",
      confirm: true,
      payment_method: "pm_card_createDispute",
      expand: ["latest_charge"],
    })
    expect(pi.status).toBe("succeeded")
    // The response shows the charge as the capture left it; the dispute comes right after.
    expect((pi.latest_charge as Stripe.Charge).disputed).toBe(false)
    const chargeId = (pi.latest_charge as Stripe.Charge).id
    expect((pi.latest_charge as Stripe.Charge).payment_method_details?.card?.last4).toBe("0259")

    const charge = await context.h.stripe.charges.retrieve(chargeId)
    expect(charge.disputed).toBe(true)

    const { data } = await context.h.stripe.disputes.list({ charge: chargeId })
    expect(data).toHaveLength(1)
    const dispute = data[0]
    expect(dispute.id).toMatch(/^dp_/)
    expect(dispute).toMatchObject({
      object: "dispute",
      amount: 4200,
      currency: "usd",
      charge: chargeId,
      payment_intent: pi.id,
      reason: "fraudulent",
      status: "needs_response",
      is_charge_refundable: false,
      livemode: false,
      metadata: {},
      evidence_details: { has_evidence: false, past_due: false, submission_count: 0 },
      payment_method_details: { type: "card", card: { brand: "visa", case_type: "chargeback" } },
    })
    expect(dispute.created).toEqual(expect.any(Number))
    expect(dispute.evidence_details.due_by).toBeGreaterThan(dispute.created)
    expect(dispute.evidence.uncategorized_text).toBeNull()
    expect(dispute.evidence.customer_email_address).toBeNull()
    expect(dispute.balance_transactions).toHaveLength(1)
    expect(dispute.balance_transactions[0]).toMatchObject({
      object: "balance_transaction",
      type: "adjustment",
      reporting_category: "dispute",
      amount: -4200,
      fee: 1500,
      net: -5700,
      source: dispute.id,
    })
    expect(await context.h.stripe.disputes.retrieve(dispute.id)).toEqual(dispute)
    const expanded = await context.h.stripe.disputes.retrieve(dispute.id, { expand: ["charge", "payment_intent"] })
    expect((expanded.charge as Stripe.Charge).disputed).toBe(true)
    expect((expanded.payment_intent as Stripe.PaymentIntent).id).toBe(pi.id)

    expect(typesFor(pi.id)).toEqual([
      "payment_intent.created",
      "charge.succeeded",
      "payment_intent.succeeded",
      "charge.dispute.created",
      "charge.dispute.funds_withdrawn",
    ])
    const disputeEvents = related(pi.id).filter((e) => e.type.startsWith("charge.dispute."))
    // Stripe opens the dispute on its own: no API request caused these events.
    for (const event of disputeEvents) expect(event.request).toEqual({ id: null, idempotency_key: null })

    const delivered = await deliveredFor(pi.id)
    expect(delivered.map((e) => e.type)).toEqual(typesFor(pi.id))
    expect((delivered[3].data.object as Stripe.Dispute).id).toBe(dispute.id)
    expect((delivered[4].data.object as Stripe.Dispute).balance_transactions).toHaveLength(1)
  })

  it("by card number, with manual capture: nothing until the capture, then the captured amount", async () => {
    const pi = await context.h.stripe.paymentIntents.create({
      amount: 5000,
      currency: "eur",
      capture_method: "manual",
      confirm: true,
      payment_method_data: { type: "card", card: { number: "4000000000000259", exp_month: 12, exp_year: 2034, cvc: "123" } } as unknown as Stripe.PaymentIntentCreateParams.PaymentMethodData,
    })
    expect(pi.status).toBe("requires_capture")
    expect((await context.h.stripe.disputes.list({ payment_intent: pi.id })).data).toEqual([])

    await context.h.stripe.paymentIntents.capture(pi.id, { amount_to_capture: 3000 })
    const [dispute] = (await context.h.stripe.disputes.list({ payment_intent: pi.id })).data
    expect(dispute).toMatchObject({ amount: 3000, currency: "eur", status: "needs_response" })
    expect(typesFor(pi.id)).toEqual([
      "payment_intent.created",
      "charge.succeeded",
      "payment_intent.amount_capturable_updated",
      "charge.captured",
      "payment_intent.succeeded",
      "charge.dispute.created",
      "charge.dispute.funds_withdrawn",
    ])
  })

  it("a disputed charge cannot be refunded (charge_disputed)", async () => {
    const { pi } = await disputedPayment()
    const byIntent = await rejectionOf(context.h.stripe.refunds.create({ payment_intent: pi.id }))
    expect(byIntent).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError)
    expect(byIntent).toMatchObject({ statusCode: 400, code: "charge_disputed" })
    expect(byIntent.message).toContain("charged back")
    const byCharge = await rejectionOf(context.h.stripe.refunds.create({ charge: pi.latest_charge as string, amount: 100 }))
    expect(byCharge.code).toBe("charge_disputed")
    expect((await context.h.stripe.refunds.list({ payment_intent: pi.id })).data).toEqual([])
  })
})

describe("Disputes: responding", () => {
  it("winning_evidence wins: closed, then funds_reinstated, with the reversal balance transaction", async () => {
    const { pi, dispute } = await disputedPayment(2500)
    const updated = await context.h.stripe.disputes.update(dispute.id, {
      evidence: { uncategorized_text: "winning_evidence", customer_email_address: "ada@example.com" },
      metadata: { order: "o_1" },
    })
    expect(updated).toMatchObject({
      status: "won",
      metadata: { order: "o_1" },
      evidence: { uncategorized_text: "winning_evidence", customer_email_address: "ada@example.com" },
      evidence_details: { has_evidence: true, submission_count: 1 },
    })
    expect(updated.balance_transactions.map((t) => [t.amount, t.fee, t.reporting_category])).toEqual([
      [-2500, 1500, "dispute"],
      [2500, -1500, "dispute_reversal"],
    ])
    expect(typesFor(pi.id).slice(-4)).toEqual([
      "charge.dispute.created",
      "charge.dispute.funds_withdrawn",
      "charge.dispute.closed",
      "charge.dispute.funds_reinstated",
    ])
    const closed = related(pi.id).find((e) => e.type === "charge.dispute.closed")!
    expect((closed.data.object as unknown as Stripe.Dispute).status).toBe("won")
    expect(closed.request.id).toMatch(/^req_/)
    const delivered = await deliveredFor(pi.id)
    expect(delivered.map((e) => e.type).slice(-2)).toEqual(["charge.dispute.closed", "charge.dispute.funds_reinstated"])

    // Closed disputes take no more evidence and cannot be closed again; metadata stays editable.
    const again = await rejectionOf(context.h.stripe.disputes.update(dispute.id, { evidence: { uncategorized_text: "more" } }))
    expect(again).toMatchObject({ type: "StripeInvalidRequestError", statusCode: 400, param: "evidence" })
    expect((await rejectionOf(context.h.stripe.disputes.close(dispute.id))).message).toContain("already closed")
    expect((await context.h.stripe.disputes.update(dispute.id, { metadata: { note: "x" } })).metadata).toEqual({ order: "o_1", note: "x" })
  })

  it("losing_evidence loses: charge.dispute.closed only", async () => {
    const { pi, dispute } = await disputedPayment()
    const lost = await context.h.stripe.disputes.update(dispute.id, { evidence: { uncategorized_text: "losing_evidence" } })
    expect(lost.status).toBe("lost")
    expect(lost.balance_transactions).toHaveLength(1)
    expect(typesFor(pi.id).slice(-3)).toEqual(["charge.dispute.created", "charge.dispute.funds_withdrawn", "charge.dispute.closed"])
  })

  it("other evidence goes under_review; submit=false only stages it", async () => {
    const { pi, dispute } = await disputedPayment()
    const staged = await context.h.stripe.disputes.update(dispute.id, {
      evidence: { product_description: "A blue fish", uncategorized_text: "staged" },
      submit: false,
    })
    expect(staged).toMatchObject({
      status: "needs_response",
      evidence: { product_description: "A blue fish" },
      evidence_details: { has_evidence: true, submission_count: 0 },
    })
    const staging = related(pi.id).at(-1)!
    expect(staging.type).toBe("charge.dispute.updated")
    expect(staging.data.previous_attributes).toMatchObject({ evidence: { product_description: null } })

    const submitted = await context.h.stripe.disputes.update(dispute.id, { submit: true })
    expect(submitted).toMatchObject({ status: "under_review", evidence_details: { submission_count: 1 } })
    const submission = related(pi.id).at(-1)!
    expect(submission.type).toBe("charge.dispute.updated")
    expect(submission.data.previous_attributes).toMatchObject({ status: "needs_response" })

    const late = await rejectionOf(context.h.stripe.disputes.update(dispute.id, { evidence: { uncategorized_text: "winning_evidence" } }))
    expect(late.message).toContain("already been submitted")
    expect(await rejectionOf(context.h.stripe.disputes.close(dispute.id))).toMatchObject({ statusCode: 400 })
    expect(typesFor(pi.id).slice(-2)).toEqual(["charge.dispute.updated", "charge.dispute.updated"])
  })

  it("close accepts the dispute: lost, charge.dispute.closed", async () => {
    const { pi, dispute } = await disputedPayment()
    const closed = await context.h.stripe.disputes.close(dispute.id)
    expect(closed).toMatchObject({ id: dispute.id, status: "lost" })
    expect(typesFor(pi.id).slice(-1)).toEqual(["charge.dispute.closed"])
    expect((await context.h.stripe.disputes.retrieve(dispute.id)).status).toBe("lost")
  })

  it("validates like Stripe: 404, unknown params, bad evidence fields", async () => {
    expect(await rejectionOf(context.h.stripe.disputes.retrieve("dp_missing"))).toMatchObject({ statusCode: 404, code: "resource_missing" })
    const { dispute } = await disputedPayment()
    expect(
      await rejectionOf(context.h.stripe.disputes.update(dispute.id, { evidence: { bogus: "x" } } as Stripe.DisputeUpdateParams))
    ).toMatchObject({ code: "parameter_unknown", param: "evidence[bogus]" })
    expect(
      await rejectionOf(context.h.stripe.disputes.update(dispute.id, { reason: "x" } as Stripe.DisputeUpdateParams))
    ).toMatchObject({ code: "parameter_unknown", param: "reason" })
  })
})

describe("Disputes: control API and listing", () => {
  it("openDispute opens one on any captured charge; refuses uncaptured and already disputed ones", async () => {
    const pi = await context.h.stripe.paymentIntents.create({ amount: 3000, currency: "usd", confirm: true, payment_method: "pm_card_mastercard" })
    await context.h.stripe.refunds.create({ payment_intent: pi.id, amount: 500 })
    const dispute = context.h.server.openDispute(pi.id, { reason: "product_not_received" })
    expect(dispute).toMatchObject({ amount: 2500, reason: "product_not_received", status: "needs_response", payment_intent: pi.id })
    expect(dispute.payment_method_details?.card?.brand).toBe("mastercard")
    expect((await context.h.stripe.charges.retrieve(pi.latest_charge as string)).disputed).toBe(true)
    expect(typesFor(pi.id).slice(-2)).toEqual(["charge.dispute.created", "charge.dispute.funds_withdrawn"])
    expect(() => context.h.server.openDispute(pi.id)).toThrow("already has a dispute")

    const other = await context.h.stripe.paymentIntents.create({ amount: 3000, currency: "usd", confirm: true, payment_method: "pm_card_visa" })
    expect(context.h.server.openDispute(other.latest_charge as string, { amount: 1000 }).amount).toBe(1000)

    const held = await context.h.stripe.paymentIntents.create({ amount: 3000, currency: "usd", capture_method: "manual", confirm: true, payment_method: "pm_card_visa" })
    expect(() => context.h.server.openDispute(held.id)).toThrow("not been captured")

    // The same over the admin HTTP API.
    const third = await context.h.stripe.paymentIntents.create({ amount: 900, currency: "usd", confirm: true, payment_method: "pm_card_visa" })
    const response = await fetch(`${context.h.server.url}/_admin/payment_intents/${third.id}/dispute`, {
      method: "POST",
      body: JSON.stringify({ reason: "duplicate" }),
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ object: "dispute", reason: "duplicate", amount: 900 })
  })

  it("lists newest first with filters and cursors", async () => {
    const ids: string[] = []
    for (let i = 0; i < 3; i++) ids.push((await disputedPayment(1000 + i)).dispute.id)
    const page1 = await context.h.stripe.disputes.list({ limit: 2 })
    expect(page1.data.map((d) => d.id)).toEqual([ids[2], ids[1]])
    expect(page1.has_more).toBe(true)
    const page2 = await context.h.stripe.disputes.list({ limit: 2, starting_after: ids[1] })
    expect(page2.data[0].id).toBe(ids[0])
    const raw = await rawRequest(context.h.server, "GET", "/v1/disputes?limit=1")
    expect(JSON.parse(raw.body)).toMatchObject({ object: "list", url: "/v1/disputes", has_more: true })
  })
})
