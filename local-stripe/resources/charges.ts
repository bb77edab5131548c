import type Stripe from "stripe"
import { ApiHandler, LocalStripeApp } from "../app"
import { resourceMissing } from "../errors"
import { newId, nowSeconds, randomToken } from "../ids"
import { newestFirst, paginate } from "../list"
import { Router } from "../router"
import { Decline } from "../test-cards"
import { profileOf } from "./payment-methods"

/** Online card authorizations can be captured for 7 days (Stripe's default). */
export const AUTHORIZATION_VALIDITY_SECONDS = 7 * 24 * 60 * 60
/** Networks that support multicapture for online card payments. */
const MULTICAPTURE_BRANDS = ["visa", "mastercard", "amex", "discover"]

export interface NewCharge {
  status: Stripe.Charge.Status
  captured: boolean
  decline?: Decline
  threeDSecure?: boolean
}

function approvedOutcome(): Stripe.Charge.Outcome {
  return {
    advice_code: null,
    network_advice_code: null,
    network_decline_code: null,
    network_status: "approved_by_network",
    reason: null,
    risk_level: "normal",
    risk_score: 20,
    seller_message: "Payment complete.",
    type: "authorized",
  }
}

function declinedOutcome(decline: Decline): Stripe.Charge.Outcome {
  return {
    advice_code: null,
    network_advice_code: null,
    network_decline_code: null,
    network_status: "declined_by_network",
    reason: decline.decline_code ?? decline.code,
    risk_level: "normal",
    risk_score: 20,
    seller_message: "The bank did not return any further details with this decline.",
    type: "issuer_declined",
  }
}

function paymentMethodDetails(
  app: LocalStripeApp,
  pm: Stripe.PaymentMethod,
  amount: number,
  created: number,
  options: NewCharge & { manual: boolean; multicapture: boolean }
): Stripe.Charge.PaymentMethodDetails {
  if (pm.type === "sepa_debit" && pm.sepa_debit) {
    return {
      type: "sepa_debit",
      sepa_debit: {
        bank_code: pm.sepa_debit.bank_code,
        branch_code: pm.sepa_debit.branch_code,
        country: pm.sepa_debit.country,
        fingerprint: pm.sepa_debit.fingerprint,
        last4: pm.sepa_debit.last4,
        mandate: newId("mandate"),
      },
    }
  }
  const card = pm.card!
  const profile = profileOf(app, pm)
  return {
    type: "card",
    card: {
      amount_authorized: options.status === "failed" ? null : amount,
      authorization_code: options.status === "failed" ? null : randomToken(6).toUpperCase(),
      brand: card.brand,
      capture_before: options.manual && options.status === "succeeded" ? created + AUTHORIZATION_VALIDITY_SECONDS : undefined,
      checks: card.checks,
      country: card.country,
      exp_month: card.exp_month,
      exp_year: card.exp_year,
      fingerprint: card.fingerprint,
      funding: card.funding,
      installments: null,
      last4: profile.last4,
      mandate: null,
      ...(options.multicapture
        ? {
            multicapture: {
              status: options.manual && options.status !== "failed" && MULTICAPTURE_BRANDS.includes(card.brand)
                ? ("available" as const)
                : ("unavailable" as const),
            },
          }
        : {}),
      network: card.brand,
      network_token: { used: false },
      network_transaction_id: randomToken(15),
      regulated_status: "unregulated",
      three_d_secure: options.threeDSecure
        ? {
            authentication_flow: "challenge",
            electronic_commerce_indicator: "05",
            result: "authenticated",
            exemption_indicator: null,
            result_reason: null,
            transaction_id: randomToken(32),
            version: "2.2.0",
          }
        : null,
      wallet: null,
    },
  }
}

export function createCharge(
  app: LocalStripeApp,
  pi: Stripe.PaymentIntent,
  pm: Stripe.PaymentMethod,
  options: NewCharge
): Stripe.Charge {
  const created = nowSeconds()
  const charge: Stripe.Charge = {
    id: newId("ch"),
    object: "charge",
    amount: pi.amount,
    amount_captured: options.captured ? pi.amount : 0,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: pi.application_fee_amount,
    balance_transaction: null,
    billing_details: pm.billing_details,
    calculated_statement_descriptor: "LOCAL STRIPE",
    captured: options.captured,
    created,
    currency: pi.currency,
    customer: pi.customer,
    description: pi.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: options.decline?.code ?? null,
    failure_message: options.decline?.message ?? null,
    fraud_details: {},
    livemode: false,
    metadata: { ...pi.metadata },
    on_behalf_of: null,
    outcome: options.status === "pending" ? null : options.decline ? declinedOutcome(options.decline) : approvedOutcome(),
    paid: options.status === "succeeded",
    payment_intent: pi.id,
    payment_method: pm.id,
    payment_method_details: paymentMethodDetails(app, pm, pi.amount, created, {
      ...options,
      manual: pi.capture_method === "manual",
      multicapture: multicaptureRequested(pi),
    }),
    receipt_email: pi.receipt_email,
    receipt_number: null,
    receipt_url: null,
    refunded: false,
    review: null,
    shipping: pi.shipping,
    source: null,
    source_transfer: null,
    statement_descriptor: pi.statement_descriptor,
    statement_descriptor_suffix: pi.statement_descriptor_suffix,
    status: options.status,
    transfer_data: null,
    transfer_group: pi.transfer_group,
  }
  if (options.captured && options.status === "succeeded") {
    charge.balance_transaction = createBalanceTransaction(app, "charge", charge.id, pi.amount, pi.currency).id
  }
  app.store.charges.set(charge.id, charge)
  return charge
}

/** `payment_method_options[card][request_multicapture]=if_available` on the intent. */
export function multicaptureRequested(pi: Stripe.PaymentIntent): boolean {
  const card = pi.payment_method_options?.card as { request_multicapture?: string } | undefined
  return card?.request_multicapture === "if_available"
}

export function multicaptureAvailable(charge: Stripe.Charge): boolean {
  return charge.payment_method_details?.card?.multicapture?.status === "available"
}

/** A pending (async) charge clears: money authorised, captured if automatic. */
export function settleCharge(app: LocalStripeApp, charge: Stripe.Charge, captured: boolean): void {
  charge.status = "succeeded"
  charge.paid = true
  charge.outcome = approvedOutcome()
  const card = charge.payment_method_details?.card
  if (card && !captured) card.capture_before = nowSeconds() + AUTHORIZATION_VALIDITY_SECONDS
  if (captured) {
    charge.captured = true
    charge.amount_captured = charge.amount
    charge.balance_transaction = createBalanceTransaction(app, "charge", charge.id, charge.amount, charge.currency).id
  }
}

export function failCharge(charge: Stripe.Charge, decline: Decline): void {
  charge.status = "failed"
  charge.paid = false
  charge.failure_code = decline.code
  charge.failure_message = decline.message
  charge.outcome = declinedOutcome(decline)
}

/**
 * Capturing less than authorised releases the rest of the hold; Stripe shows
 * the released part as already refunded, so it can never be refunded again.
 */
export function captureCharge(app: LocalStripeApp, charge: Stripe.Charge, amount: number): Record<string, unknown> {
  const previous = { captured: charge.captured, amount_captured: charge.amount_captured, amount_refunded: charge.amount_refunded }
  charge.captured = true
  charge.amount_captured = amount
  charge.amount_refunded = charge.amount - amount
  charge.balance_transaction = createBalanceTransaction(app, "charge", charge.id, amount, charge.currency).id
  return previous
}

/**
 * One capture of a multicapture charge. Non-final captures keep the rest of
 * the hold; the final one releases whatever was not captured.
 */
export function captureChargePart(
  app: LocalStripeApp,
  charge: Stripe.Charge,
  amount: number,
  final: boolean
): Record<string, unknown> {
  const previous: Record<string, unknown> = {
    amount_captured: charge.amount_captured,
    balance_transaction: charge.balance_transaction,
    captured: charge.captured,
  }
  charge.captured = true
  charge.amount_captured += amount
  charge.balance_transaction = createBalanceTransaction(app, "charge", charge.id, amount, charge.currency).id
  if (final) releaseRemainder(charge, previous)
  return previous
}

/** Whatever was authorised but not captured goes back to the cardholder (shown as refunded). */
export function releaseRemainder(charge: Stripe.Charge, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const released = charge.amount - charge.amount_captured
  if (released <= 0) return previous
  previous.amount_refunded ??= charge.amount_refunded
  previous.refunded ??= charge.refunded
  charge.amount_refunded += released
  charge.refunded = charge.amount_refunded >= charge.amount
  return previous
}

/** Canceling an uncaptured payment gives the whole authorisation back. */
export function releaseCharge(charge: Stripe.Charge): void {
  charge.amount_refunded = charge.amount
  charge.refunded = true
}

export function requireCharge(app: LocalStripeApp, id: string, param = "charge"): Stripe.Charge {
  const charge = app.store.charges.get(id)
  if (!charge) throw resourceMissing("charge", id, param)
  return charge
}

// Roughly Stripe's US card pricing, so fee and net look plausible.
function processingFee(amount: number): number {
  return Math.round(amount * 0.029) + 30
}

export function createBalanceTransaction(
  app: LocalStripeApp,
  type: "charge" | "refund",
  source: string,
  amount: number,
  currency: string
): Stripe.BalanceTransaction {
  const created = nowSeconds()
  const signed = type === "refund" ? -amount : amount
  const fee = type === "charge" ? processingFee(amount) : 0
  const txn: Stripe.BalanceTransaction = {
    id: newId("txn"),
    object: "balance_transaction",
    amount: signed,
    available_on: created + 2 * 24 * 60 * 60,
    balance_type: "payments",
    created,
    currency,
    description: null,
    exchange_rate: null,
    fee,
    fee_details: fee
      ? [{ amount: fee, application: null, currency, description: "Stripe processing fees", type: "stripe_fee" }]
      : [],
    net: signed - fee,
    reporting_category: type,
    source,
    status: "pending",
    type,
  }
  app.store.balanceTransactions.set(txn.id, txn)
  return txn
}

const retrieve: ApiHandler = ({ app, params, pathParams }) => {
  params.allowOnly([])
  return requireCharge(app, pathParams.id, "id")
}

const list: ApiHandler = ({ app, params }) => {
  params.allowOnly(["payment_intent", "customer", "limit", "starting_after", "ending_before"])
  const paymentIntent = params.string("payment_intent")
  const customer = params.string("customer")
  const items = newestFirst(app.store.charges.values()).filter(
    (c) => (!paymentIntent || c.payment_intent === paymentIntent) && (!customer || c.customer === customer)
  )
  return paginate(items, params, "/v1/charges")
}

const retrieveBalanceTransaction: ApiHandler = ({ app, params, pathParams }) => {
  params.allowOnly([])
  const txn = app.store.balanceTransactions.get(pathParams.id)
  if (!txn) throw resourceMissing("balance transaction", pathParams.id)
  return txn
}

export function registerChargeRoutes(router: Router<ApiHandler>): void {
  router
    .get("/v1/charges", list)
    .get("/v1/charges/:id", retrieve)
    .get("/v1/balance_transactions/:id", retrieveBalanceTransaction)
}
