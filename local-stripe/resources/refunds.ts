import type Stripe from "stripe"
import { ApiHandler, LocalStripeApp } from "../app"
import { invalidRequest, resourceMissing } from "../errors"
import { newId, nowSeconds } from "../ids"
import { newestFirst, paginate } from "../list"
import { Router } from "../router"
import { createBalanceTransaction, requireCharge } from "./charges"
import { disputeOfCharge } from "./disputes"
import { requirePaymentIntent } from "./payment-intents"

function formatAmount(amount: number, currency: string): string {
  return `${(amount / 100).toFixed(2)} ${currency.toUpperCase()}`
}

/** The captured charge behind a refund request, by charge id or PaymentIntent. */
function chargeToRefund(app: LocalStripeApp, chargeId: string | undefined, intentId: string | undefined): Stripe.Charge {
  if (chargeId) return requireCharge(app, chargeId, "charge")
  const pi = requirePaymentIntent(app, intentId!, "payment_intent")
  // A multicapture intent can give back what it captured before its final capture.
  const captured = pi.status === "succeeded" || (pi.status === "requires_capture" && pi.amount_received > 0)
  if (!captured || !pi.latest_charge) {
    throw invalidRequest(
      `This PaymentIntent (${pi.id}) does not have a successful charge to refund (status: ${pi.status}).`,
      { code: "charge_not_refundable", param: "payment_intent" }
    )
  }
  return requireCharge(app, pi.latest_charge as string, "payment_intent")
}

/**
 * What is left to give back: what was captured less what refunds already took.
 * (amount_refunded also counts the part of the hold a capture released, so it
 * cannot be used directly.)
 */
function refundable(app: LocalStripeApp, charge: Stripe.Charge): number {
  let refunded = 0
  for (const refund of app.store.refunds.values()) {
    if (refund.charge === charge.id) refunded += refund.amount
  }
  return charge.amount_captured - refunded
}

const create: ApiHandler = ({ app, params }) => {
  params.allowOnly(["charge", "payment_intent", "amount", "reason", "metadata", "instructions_email", "refund_application_fee", "reverse_transfer", "origin", "currency", "customer"])
  const chargeId = params.string("charge") ?? undefined
  const intentId = params.string("payment_intent") ?? undefined
  if (!chargeId && !intentId) {
    throw invalidRequest("One of the following params should be provided for this request: payment_intent or charge.", {
      code: "parameter_missing",
    })
  }
  if (chargeId && intentId) {
    throw invalidRequest("You can only pass one of payment_intent or charge.", { param: "payment_intent" })
  }
  const charge = chargeToRefund(app, chargeId, intentId)
  if (!charge.captured || charge.status !== "succeeded") {
    throw invalidRequest(`Charge ${charge.id} has not been captured and cannot be refunded.`, {
      code: "charge_not_refundable",
    })
  }
  const dispute = disputeOfCharge(app, charge.id)
  if (dispute && !dispute.is_charge_refundable && dispute.status !== "won") {
    throw invalidRequest(`Charge ${charge.id} has been charged back; cannot issue a refund.`, {
      code: "charge_disputed",
    })
  }
  const remaining = refundable(app, charge)
  if (remaining <= 0) {
    throw invalidRequest(`Charge ${charge.id} has already been refunded.`, { code: "charge_already_refunded" })
  }
  const amount = params.int("amount", { min: 1 }) ?? remaining
  if (amount > remaining) {
    throw invalidRequest(
      `Refund amount (${formatAmount(amount, charge.currency)}) is greater than unrefunded amount on charge ` +
        `(${formatAmount(remaining, charge.currency)})`,
      { code: "amount_too_large", param: "amount" }
    )
  }
  const reason = params.oneOf("reason", ["duplicate", "fraudulent", "requested_by_customer"]) ?? null
  const applyMetadata = params.metadata()

  const id = newId("re")
  const refund: Stripe.Refund = {
    id,
    object: "refund",
    amount,
    balance_transaction: createBalanceTransaction(app, "refund", id, amount, charge.currency).id,
    charge: charge.id,
    created: nowSeconds(),
    currency: charge.currency,
    destination_details: {
      type: "card",
      card: { reference_status: "pending", reference_type: "acquirer_reference_number", type: "refund" },
    },
    metadata: applyMetadata ? applyMetadata({}) : {},
    payment_intent: charge.payment_intent,
    reason,
    receipt_number: null,
    source_transfer_reversal: null,
    status: "succeeded",
    transfer_reversal: null,
  }
  app.store.refunds.set(refund.id, refund)
  const previous = { amount_refunded: charge.amount_refunded, refunded: charge.refunded }
  charge.amount_refunded += amount
  charge.refunded = charge.amount_refunded >= charge.amount
  app.emit("refund.created", refund)
  app.emit("charge.refunded", charge, previous)
  return refund
}

const retrieve: ApiHandler = ({ app, params, pathParams }) => {
  params.allowOnly([])
  const refund = app.store.refunds.get(pathParams.id)
  if (!refund) throw resourceMissing("refund", pathParams.id)
  return refund
}

const update: ApiHandler = ({ app, params, pathParams }) => {
  params.allowOnly(["metadata"])
  const refund = app.store.refunds.get(pathParams.id)
  if (!refund) throw resourceMissing("refund", pathParams.id)
  const applyMetadata = params.metadata()
  if (applyMetadata) {
    const previous = { metadata: refund.metadata }
    refund.metadata = applyMetadata(refund.metadata ?? {})
    app.emit("refund.updated", refund, previous)
  }
  return refund
}

const list: ApiHandler = ({ app, params }) => {
  params.allowOnly(["charge", "payment_intent", "limit", "starting_after", "ending_before", "created"])
  const charge = params.string("charge")
  const paymentIntent = params.string("payment_intent")
  const items = newestFirst(app.store.refunds.values()).filter(
    (r) => (!charge || r.charge === charge) && (!paymentIntent || r.payment_intent === paymentIntent)
  )
  return paginate(items, params, "/v1/refunds")
}

export function registerRefundRoutes(router: Router<ApiHandler>): void {
  router
    .post("/v1/refunds", create)
    .get("/v1/refunds", list)
    .get("/v1/refunds/:id", retrieve)
    .post("/v1/refunds/:id", update)
}
