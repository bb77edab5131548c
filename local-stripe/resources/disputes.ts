import type Stripe from "stripe"
import { ApiHandler, LocalStripeApp } from "../app"
import { invalidRequest, resourceMissing } from "../errors"
import { newId, nowSeconds } from "../ids"
import { newestFirst, paginate } from "../list"
import { Params } from "../params"
import { Router } from "../router"
import { profileOf } from "./payment-methods"

// Disputes (chargebacks) on card charges. Stripe opens one on its own for the
// createDispute test cards once their charge is captured; tests can open one
// on any captured charge through the control API. Evidence follows Stripe's
// test-mode rule: uncategorized_text "winning_evidence" wins, "losing_evidence"
// loses, anything else waits in under_review.

/** Stripe's dispute fee in the US, debited with the disputed amount. */
const DISPUTE_FEE = 1500
/** Test-mode disputes are due about a week after they open. */
const EVIDENCE_WINDOW_SECONDS = 7 * 24 * 60 * 60

const NETWORK_REASON_CODES: Record<string, string> = {
  fraudulent: "10.4",
  product_not_received: "13.1",
  product_unacceptable: "13.3",
  duplicate: "12.6.1",
  credit_not_processed: "13.6",
  subscription_canceled: "13.2",
  general: "13.7",
  unrecognized: "10.4",
}

const EVIDENCE_TEXT_FIELDS = [
  "access_activity_log",
  "billing_address",
  "cancellation_policy_disclosure",
  "cancellation_rebuttal",
  "customer_email_address",
  "customer_name",
  "customer_purchase_ip",
  "duplicate_charge_explanation",
  "duplicate_charge_id",
  "product_description",
  "refund_policy_disclosure",
  "refund_refusal_explanation",
  "service_date",
  "shipping_address",
  "shipping_carrier",
  "shipping_date",
  "shipping_tracking_number",
  "uncategorized_text",
] as const

/** File-upload ids; any string is taken (there is no Files API here). */
const EVIDENCE_FILE_FIELDS = [
  "cancellation_policy",
  "customer_communication",
  "customer_signature",
  "duplicate_charge_documentation",
  "receipt",
  "refund_policy",
  "service_documentation",
  "shipping_documentation",
  "uncategorized_file",
] as const

const OPEN_STATUSES: readonly Stripe.Dispute.Status[] = ["needs_response", "warning_needs_response"]
const CLOSED_STATUSES: readonly Stripe.Dispute.Status[] = ["won", "lost", "warning_closed", "prevented"]

export interface OpenDisputeOptions {
  reason?: string
  /** Defaults to the charge's captured amount (less what was refunded). */
  amount?: number
}

function emptyEvidence(): Stripe.Dispute.Evidence {
  const evidence: Record<string, unknown> = {}
  for (const field of [...EVIDENCE_TEXT_FIELDS, ...EVIDENCE_FILE_FIELDS].sort()) evidence[field] = null
  evidence.enhanced_evidence = {}
  return evidence as unknown as Stripe.Dispute.Evidence
}

function disputeBalanceTransaction(
  app: LocalStripeApp,
  dispute: Stripe.Dispute,
  chargeId: string,
  kind: "withdrawal" | "reversal"
): Stripe.BalanceTransaction {
  const created = nowSeconds()
  const amount = kind === "withdrawal" ? -dispute.amount : dispute.amount
  const fee = kind === "withdrawal" ? DISPUTE_FEE : -DISPUTE_FEE
  const txn: Stripe.BalanceTransaction = {
    id: newId("txn"),
    object: "balance_transaction",
    amount,
    available_on: created,
    balance_type: "payments",
    created,
    currency: dispute.currency,
    description: `${kind === "withdrawal" ? "Chargeback withdrawal" : "Chargeback reversal"} for ${chargeId}`,
    exchange_rate: null,
    fee,
    fee_details: [{ amount: fee, application: null, currency: dispute.currency, description: "Dispute fee", type: "stripe_fee" }],
    net: amount - fee,
    reporting_category: kind === "withdrawal" ? "dispute" : "dispute_reversal",
    source: dispute.id,
    status: "available",
    type: "adjustment",
  }
  app.store.balanceTransactions.set(txn.id, txn)
  return txn
}

export function disputeOfCharge(app: LocalStripeApp, chargeId: string): Stripe.Dispute | undefined {
  for (const dispute of app.store.disputes.values()) {
    if (dispute.charge === chargeId) return dispute
  }
  return undefined
}

/**
 * The cardholder disputes a captured charge: the disputed amount and the fee
 * leave the balance at once (charge.dispute.created, then
 * charge.dispute.funds_withdrawn).
 */
export function openDispute(app: LocalStripeApp, charge: Stripe.Charge, options: OpenDisputeOptions = {}): Stripe.Dispute {
  if (!charge.captured || charge.status !== "succeeded" || charge.amount_captured <= 0) {
    throw invalidRequest(`Charge ${charge.id} has not been captured and cannot be disputed.`)
  }
  if (disputeOfCharge(app, charge.id)) {
    throw invalidRequest(`Charge ${charge.id} already has a dispute.`)
  }
  const disputable = charge.amount_captured - Math.max(0, charge.amount_refunded - (charge.amount - charge.amount_captured))
  const amount = options.amount ?? disputable
  if (!Number.isInteger(amount) || amount < 1 || amount > charge.amount_captured) {
    throw invalidRequest(`A dispute amount must be between 1 and ${charge.amount_captured}.`)
  }
  const reason = options.reason ?? "fraudulent"
  const pm = charge.payment_method ? app.store.paymentMethods.get(charge.payment_method) : undefined
  const created = nowSeconds()
  const dispute: Stripe.Dispute = {
    id: newId("dp"),
    object: "dispute",
    amount,
    balance_transactions: [],
    charge: charge.id,
    created,
    currency: charge.currency,
    enhanced_eligibility_types: [],
    evidence: emptyEvidence(),
    evidence_details: {
      due_by: created + EVIDENCE_WINDOW_SECONDS,
      enhanced_eligibility: {},
      has_evidence: false,
      past_due: false,
      submission_count: 0,
    },
    is_charge_refundable: false,
    livemode: false,
    metadata: {},
    network_reason_code: NETWORK_REASON_CODES[reason] ?? null,
    payment_intent: charge.payment_intent,
    payment_method_details: {
      type: "card",
      card: {
        brand: pm ? profileOf(app, pm).brand : charge.payment_method_details?.card?.brand ?? "visa",
        case_type: "chargeback",
        network_reason_code: NETWORK_REASON_CODES[reason] ?? null,
      },
    },
    reason,
    status: "needs_response",
  }
  dispute.balance_transactions.push(disputeBalanceTransaction(app, dispute, charge.id, "withdrawal"))
  app.store.disputes.set(dispute.id, dispute)
  charge.disputed = true
  app.emit("charge.dispute.created", dispute)
  app.emit("charge.dispute.funds_withdrawn", dispute)
  return dispute
}

/** openDispute by PaymentIntent (its latest charge) or charge id, for the control API. */
export function openDisputeOn(app: LocalStripeApp, id: string, options: OpenDisputeOptions = {}): Stripe.Dispute {
  let charge: Stripe.Charge | undefined
  if (id.startsWith("ch_")) {
    charge = app.store.charges.get(id)
    if (!charge) throw resourceMissing("charge", id)
  } else {
    const pi = app.store.paymentIntents.get(id)
    if (!pi) throw resourceMissing("payment_intent", id)
    charge = pi.latest_charge ? app.store.charges.get(pi.latest_charge as string) : undefined
    if (!charge) throw invalidRequest(`PaymentIntent ${id} has no charge to dispute (status: ${pi.status}).`)
  }
  return openDispute(app, charge, options)
}

/** Stripe's test cards that get disputed do so right after their charge is captured. */
export function disputeIfTestCardSaysSo(app: LocalStripeApp, charge: Stripe.Charge): void {
  const pm = charge.payment_method ? app.store.paymentMethods.get(charge.payment_method) : undefined
  const reason = pm ? profileOf(app, pm).dispute : undefined
  if (!reason || disputeOfCharge(app, charge.id)) return
  app.defer(() => {
    if (!disputeOfCharge(app, charge.id)) openDispute(app, charge, { reason })
  })
}

export function requireDispute(app: LocalStripeApp, id: string): Stripe.Dispute {
  const dispute = app.store.disputes.get(id)
  if (!dispute) throw resourceMissing("dispute", id)
  return dispute
}

function close(app: LocalStripeApp, dispute: Stripe.Dispute, outcome: "won" | "lost"): void {
  dispute.status = outcome
  app.emit("charge.dispute.closed", dispute)
  if (outcome === "won") {
    dispute.balance_transactions.push(disputeBalanceTransaction(app, dispute, dispute.charge as string, "reversal"))
    app.emit("charge.dispute.funds_reinstated", dispute)
  }
}

function parseEvidence(params: Params): Record<string, string | null> | undefined {
  const evidence = params.object("evidence")
  if (!evidence) return undefined
  evidence.allowOnly([...EVIDENCE_TEXT_FIELDS, ...EVIDENCE_FILE_FIELDS, "enhanced_evidence"])
  const changes: Record<string, string | null> = {}
  for (const field of [...EVIDENCE_TEXT_FIELDS, ...EVIDENCE_FILE_FIELDS]) {
    const value = evidence.string(field)
    if (value === undefined) continue
    if (value !== null && value.length > 20_000) {
      throw invalidRequest("Evidence fields can have a maximum length of 20000 characters.", {
        param: `evidence[${field}]`,
      })
    }
    changes[field] = value
  }
  return changes
}

const retrieve: ApiHandler = ({ app, params, pathParams }) => {
  params.allowOnly([])
  return requireDispute(app, pathParams.id)
}

const list: ApiHandler = ({ app, params }) => {
  params.allowOnly(["charge", "payment_intent", "created", "limit", "starting_after", "ending_before"])
  const charge = params.string("charge")
  const paymentIntent = params.string("payment_intent")
  const items = newestFirst(app.store.disputes.values()).filter(
    (d) => (!charge || d.charge === charge) && (!paymentIntent || d.payment_intent === paymentIntent)
  )
  return paginate(items, params, "/v1/disputes")
}

const update: ApiHandler = ({ app, params, pathParams }) => {
  params.allowOnly(["evidence", "metadata", "submit"])
  const dispute = requireDispute(app, pathParams.id)
  const evidence = parseEvidence(params)
  const submitParam = params.bool("submit")
  const applyMetadata = params.metadata()
  // submit defaults to true, but a metadata-only update submits nothing.
  const submits = submitParam ?? evidence !== undefined
  if ((evidence !== undefined || submits) && !OPEN_STATUSES.includes(dispute.status)) {
    throw invalidRequest(
      CLOSED_STATUSES.includes(dispute.status)
        ? `This dispute is already closed (status: ${dispute.status}).`
        : `This dispute's evidence has already been submitted (status: ${dispute.status}); it can no longer be updated.`,
      { param: evidence !== undefined ? "evidence" : "submit" }
    )
  }
  const previous: Record<string, unknown> = {}
  if (applyMetadata) {
    previous.metadata = dispute.metadata
    dispute.metadata = applyMetadata(dispute.metadata)
  }
  if (evidence) {
    previous.evidence = { ...dispute.evidence }
    previous.evidence_details = { ...dispute.evidence_details }
    Object.assign(dispute.evidence, evidence)
    dispute.evidence_details.has_evidence = true
  }
  if (!submits) {
    if (Object.keys(previous).length > 0) app.emit("charge.dispute.updated", dispute, previous)
    return dispute
  }
  previous.evidence_details ??= { ...dispute.evidence_details }
  dispute.evidence_details.submission_count += 1
  const text = dispute.evidence.uncategorized_text
  if (text === "winning_evidence") {
    close(app, dispute, "won")
  } else if (text === "losing_evidence") {
    close(app, dispute, "lost")
  } else {
    previous.status = dispute.status
    dispute.status = dispute.status === "warning_needs_response" ? "warning_under_review" : "under_review"
    app.emit("charge.dispute.updated", dispute, previous)
  }
  return dispute
}

const closeDispute: ApiHandler = ({ app, params, pathParams }) => {
  params.allowOnly([])
  const dispute = requireDispute(app, pathParams.id)
  if (!OPEN_STATUSES.includes(dispute.status)) {
    throw invalidRequest(
      CLOSED_STATUSES.includes(dispute.status)
        ? `This dispute is already closed (status: ${dispute.status}).`
        : `This dispute cannot be closed because its evidence was already submitted (status: ${dispute.status}).`
    )
  }
  close(app, dispute, "lost")
  return dispute
}

export function registerDisputeRoutes(router: Router<ApiHandler>): void {
  router
    .get("/v1/disputes", list)
    .get("/v1/disputes/:id", retrieve)
    .post("/v1/disputes/:id", update)
    .post("/v1/disputes/:id/close", closeDispute)
}
