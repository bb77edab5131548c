import type Stripe from "stripe"
import { ApiContext, ApiHandler, LocalStripeApp } from "../app"
import { cardError, invalidRequest, resourceMissing, unexpectedState } from "../errors"
import { clientSecret, newId, nowSeconds } from "../ids"
import { newestFirst, paginate } from "../list"
import { FormObject } from "../form"
import { Params } from "../params"
import { Router } from "../router"
import {
  assertPaymentIntentTransition,
  AttemptOutcome,
  decidePayment,
  isAllowed,
  PAYMENT_INTENT_RULES,
  PaymentIntentStatus,
  statusAfterAuthorization,
} from "../state-machine"
import { snapshot } from "../store"
import { Decline } from "../test-cards"
import {
  captureCharge,
  captureChargePart,
  createCharge,
  failCharge,
  multicaptureAvailable,
  releaseCharge,
  releaseRemainder,
  requireCharge,
  settleCharge,
} from "./charges"
import { requireCustomer } from "./customers"
import { disputeIfTestCardSaysSo } from "./disputes"
import { attachPaymentMethod, paymentMethodFromData, profileOf, resolvePaymentMethod } from "./payment-methods"
import { threeDSecureAction } from "./three-d-secure-action"

// Stripe's minimum charge amounts for common currencies (smallest unit).
const MINIMUM_AMOUNT: Record<string, number> = { usd: 50, eur: 50, gbp: 30, cad: 50, aud: 50, chf: 50, dkk: 250, sek: 300, nok: 300, jpy: 50 }
const MAXIMUM_AMOUNT = 99_999_999

const CONFIRM_PARAMS = [
  "payment_method",
  "payment_method_data",
  "payment_method_options",
  "payment_method_types",
  "return_url",
  "off_session",
  "setup_future_usage",
  "receipt_email",
  "shipping",
  "mandate_data",
  "error_on_requires_action",
  "use_stripe_sdk",
  "capture_method",
  "radar_options",
  "client_secret",
]

const CREATE_PARAMS = [
  ...CONFIRM_PARAMS.filter((p) => p !== "client_secret"),
  "amount",
  "currency",
  "confirm",
  "confirmation_method",
  "customer",
  "description",
  "metadata",
  "automatic_payment_methods",
  "statement_descriptor",
  "statement_descriptor_suffix",
  "transfer_group",
  "application_fee_amount",
  "on_behalf_of",
  "transfer_data",
  "excluded_payment_method_types",
  "payment_method_configuration",
]

/** Fields that stay editable whatever the status. */
const ALWAYS_UPDATABLE = ["metadata", "description", "receipt_email", "shipping", "statement_descriptor", "statement_descriptor_suffix", "transfer_group"]
const PAYMENT_UPDATABLE = ["amount", "currency", "customer", "payment_method", "payment_method_data", "payment_method_types", "payment_method_options", "setup_future_usage", "capture_method", "application_fee_amount"]

interface ConfirmOptions {
  returnUrl: string | null
  offSession: boolean
}

export function requirePaymentIntent(app: LocalStripeApp, id: string, param = "intent"): Stripe.PaymentIntent {
  const pi = app.store.paymentIntents.get(id)
  if (!pi) throw resourceMissing("payment_intent", id, param)
  return pi
}

function setStatus(pi: Stripe.PaymentIntent, to: PaymentIntentStatus): void {
  assertPaymentIntentTransition(pi.status, to)
  pi.status = to
}

function listStatuses(statuses: readonly string[]): string {
  return statuses.join(", ")
}

function parseCurrency(params: Params, required: boolean): string | undefined {
  const raw = required ? params.requiredString("currency") : params.string("currency") ?? undefined
  if (raw === undefined) return undefined
  const currency = raw.toLowerCase()
  if (!/^[a-z]{3}$/.test(currency)) {
    throw invalidRequest(`Invalid currency: ${raw}. Stripe currently supports these currencies: usd, eur, gbp, ...`, {
      param: "currency",
    })
  }
  return currency
}

function assertAmount(amount: number, currency: string, param = "amount"): void {
  const minimum = MINIMUM_AMOUNT[currency] ?? 1
  if (amount < minimum) {
    throw invalidRequest(`Amount must be at least ${minimum} ${currency} (smallest currency unit).`, {
      code: "amount_too_small",
      param,
    })
  }
  if (amount > MAXIMUM_AMOUNT) {
    throw invalidRequest(`Amount must be no more than ${MAXIMUM_AMOUNT}.`, { code: "amount_too_large", param })
  }
}

/** payment_method or payment_method_data, validated before anything is stored. */
function paymentMethodFromParams(app: LocalStripeApp, params: Params): Stripe.PaymentMethod | null | undefined {
  const data = params.object("payment_method_data")
  const ref = params.string("payment_method")
  if (data && ref) {
    throw invalidRequest("You cannot provide both payment_method and payment_method_data.", { param: "payment_method_data" })
  }
  if (data) return paymentMethodFromData(app, data)
  if (ref === undefined) return undefined
  return ref === null ? null : resolvePaymentMethod(app, ref)
}

function assertCompatible(pi: Stripe.PaymentIntent, pm: Stripe.PaymentMethod): void {
  if (pi.automatic_payment_methods?.enabled) return
  if (!pi.payment_method_types.includes(pm.type)) {
    throw invalidRequest(
      `The PaymentMethod provided (${pm.type}) is not allowed for this PaymentIntent. Please attach a PaymentMethod ` +
        `of one of the following types: ${pi.payment_method_types.join(", ")}. Alternatively, update the allowed ` +
        `payment_method_types for this PaymentIntent to include "${pm.type}".`,
      { code: "payment_intent_incompatible_payment_method", param: "payment_method" }
    )
  }
}

function assertPaymentMethodUsable(pm: Stripe.PaymentMethod, customerId: string | null): void {
  if (pm.customer && pm.customer !== customerId) {
    throw invalidRequest(
      `The provided PaymentMethod belongs to a different Customer${customerId ? "" : "; include the customer"} ` +
        `(${String(pm.customer)}).`,
      { param: "payment_method" }
    )
  }
}

// ---------------------------------------------------------------- transitions

function paymentError(decline: Decline, pm: Stripe.PaymentMethod, chargeId?: string): Stripe.PaymentIntent.LastPaymentError {
  return {
    type: "card_error",
    code: decline.code as Stripe.PaymentIntent.LastPaymentError.Code,
    decline_code: decline.decline_code,
    message: decline.message,
    param: decline.param,
    charge: chargeId,
    doc_url: `https://stripe.com/docs/error-codes/${decline.code.replace(/_/g, "-")}`,
    payment_method: snapshot(pm),
    payment_method_type: pm.type,
  }
}

/**
 * The issuer said no. Stripe keeps the failed charge, drops the payment
 * method from the intent and answers 402 with the intent attached.
 */
function decline(app: LocalStripeApp, pi: Stripe.PaymentIntent, pm: Stripe.PaymentMethod, declined: Decline): never {
  const charge = createCharge(app, pi, pm, { status: "failed", captured: false, decline: declined })
  recordDecline(app, pi, pm, declined, charge.id)
  app.emit("charge.failed", charge)
  app.emit("payment_intent.payment_failed", pi)
  throw cardError({
    message: declined.message,
    code: declined.code,
    decline_code: declined.decline_code,
    param: declined.param,
    charge: charge.id,
    payment_intent: snapshot(pi),
    payment_method: snapshot(pm),
  })
}

function recordDecline(app: LocalStripeApp, pi: Stripe.PaymentIntent, pm: Stripe.PaymentMethod, declined: Decline, chargeId: string): void {
  setStatus(pi, "requires_payment_method")
  pi.latest_charge = chargeId
  pi.last_payment_error = paymentError(declined, pm, chargeId)
  pi.payment_method = null
  pi.next_action = null
  pi.processing = null
  app.store.pendingAuthentications.delete(pi.id)
}

/** Money authorised: hold it (manual capture) or take it right away. */
function authorize(
  app: LocalStripeApp,
  pi: Stripe.PaymentIntent,
  pm: Stripe.PaymentMethod,
  options: { threeDSecure: boolean; pendingCharge?: Stripe.Charge }
): void {
  const target = statusAfterAuthorization(pi.capture_method)
  const captured = target === "succeeded"
  let charge: Stripe.Charge
  if (options.pendingCharge) {
    charge = options.pendingCharge
    settleCharge(app, charge, captured)
  } else {
    charge = createCharge(app, pi, pm, { status: "succeeded", captured, threeDSecure: options.threeDSecure })
  }
  setStatus(pi, target)
  pi.latest_charge = charge.id
  pi.last_payment_error = null
  pi.next_action = null
  pi.processing = null
  if (captured) {
    pi.amount_received = pi.amount
  } else {
    pi.amount_capturable = pi.amount
  }
  savePaymentMethodIfRequested(app, pi, pm)
  app.emit("charge.succeeded", charge)
  app.emit(captured ? "payment_intent.succeeded" : "payment_intent.amount_capturable_updated", pi)
  if (captured) disputeIfTestCardSaysSo(app, charge)
  else scheduleExpiry(app, pi, charge)
}

// ------------------------------------------------------- authorization expiry

function captureBeforeOf(charge: Stripe.Charge): number | undefined {
  return charge.payment_method_details?.card?.capture_before ?? undefined
}

/** At capture_before the hold lapses on its own, as it would at Stripe. */
function scheduleExpiry(app: LocalStripeApp, pi: Stripe.PaymentIntent, charge: Stripe.Charge): void {
  const deadline = captureBeforeOf(charge)
  if (deadline === undefined) return
  app.schedule(`expire:${pi.id}`, Math.max(0, deadline * 1000 - Date.now()), () => {
    if (app.store.paymentIntents.get(pi.id)?.status === "requires_capture") expireAuthorization(app, pi.id)
  })
}

/**
 * What Stripe does once an uncaptured authorization passes capture_before:
 * the hold is released (the charge shows it refunded), charge.expired, and
 * the intent is canceled with cancellation_reason "automatic". A multicapture
 * intent that was already partly captured keeps that money and succeeds.
 */
export function expireAuthorization(app: LocalStripeApp, id: string): Stripe.PaymentIntent {
  const pi = requirePaymentIntent(app, id)
  if (pi.status !== "requires_capture" || !pi.latest_charge) {
    throw unexpectedState(`PaymentIntent ${id} has no authorization to expire (status: ${pi.status}).`)
  }
  app.cancelScheduled(`expire:${pi.id}`)
  const charge = requireCharge(app, pi.latest_charge as string)
  if (pi.amount_received > 0) return completePartlyCaptured(app, pi, charge)
  releaseCharge(charge)
  setStatus(pi, "canceled")
  pi.canceled_at = nowSeconds()
  pi.cancellation_reason = "automatic"
  pi.amount_capturable = 0
  app.emit("charge.expired", charge)
  app.emit("payment_intent.canceled", pi)
  return pi
}

/** Moves an authorization's deadline; a deadline already past expires it now. */
export function setCaptureBefore(app: LocalStripeApp, id: string, captureBefore: number): Stripe.Charge {
  const pi = requirePaymentIntent(app, id)
  if (!Number.isInteger(captureBefore) || captureBefore <= 0) {
    throw invalidRequest(`capture_before must be a unix timestamp in seconds, got ${captureBefore}.`)
  }
  if (pi.status !== "requires_capture" || !pi.latest_charge) {
    throw unexpectedState(`PaymentIntent ${id} has no authorization to move (status: ${pi.status}).`)
  }
  const charge = requireCharge(app, pi.latest_charge as string)
  const card = charge.payment_method_details?.card
  if (!card) throw unexpectedState(`PaymentIntent ${id} is not a card payment.`)
  card.capture_before = captureBefore
  if (captureBefore <= nowSeconds()) expireAuthorization(app, id)
  else scheduleExpiry(app, pi, charge)
  return charge
}

/** Capture and cancel check the clock too, in case a timer could not be kept. */
function expireIfLapsed(app: LocalStripeApp, pi: Stripe.PaymentIntent): void {
  if (pi.status !== "requires_capture" || !pi.latest_charge) return
  const deadline = captureBeforeOf(requireCharge(app, pi.latest_charge as string))
  if (deadline !== undefined && deadline <= nowSeconds()) {
    app.withRequest(null, () => expireAuthorization(app, pi.id))
  }
}

function savePaymentMethodIfRequested(app: LocalStripeApp, pi: Stripe.PaymentIntent, pm: Stripe.PaymentMethod): void {
  if (!pi.setup_future_usage || typeof pi.customer !== "string") return
  if (!pm.customer) attachPaymentMethod(app, pm, pi.customer)
  const secrets = app.store.paymentMethodSecrets.get(pm.id)
  if (secrets && pi.setup_future_usage === "off_session") secrets.savedWithSetup = true
}

function startProcessing(app: LocalStripeApp, pi: Stripe.PaymentIntent, pm: Stripe.PaymentMethod): void {
  const charge = createCharge(app, pi, pm, { status: "pending", captured: false })
  setStatus(pi, "processing")
  pi.latest_charge = charge.id
  pi.last_payment_error = null
  pi.next_action = null
  pi.processing = pm.type === "card" ? { type: "card", card: {} } : null
  app.emit("charge.pending", charge)
  app.emit("payment_intent.processing", pi)
  const delay = app.config.processingDelayMs
  if (delay !== null && delay >= 0) {
    app.schedule(`settle:${pi.id}`, delay, () => {
      if (app.store.paymentIntents.get(pi.id)?.status === "processing") settlePaymentIntent(app, pi.id)
    })
  }
}

function requireAuthentication(app: LocalStripeApp, pi: Stripe.PaymentIntent, options: ConfirmOptions): void {
  setStatus(pi, "requires_action")
  pi.next_action = threeDSecureAction(app, pi.id, options.returnUrl)
  pi.last_payment_error = null
  app.store.pendingAuthentications.set(pi.id, { offSession: options.offSession })
  app.emit("payment_intent.requires_action", pi)
}

function applyOutcome(
  app: LocalStripeApp,
  pi: Stripe.PaymentIntent,
  pm: Stripe.PaymentMethod,
  outcome: AttemptOutcome,
  options: ConfirmOptions & { authenticated: boolean }
): void {
  switch (outcome.kind) {
    case "authenticate":
      return requireAuthentication(app, pi, options)
    case "decline":
      return decline(app, pi, pm, outcome.decline)
    case "process":
      return startProcessing(app, pi, pm)
    case "succeed":
      return authorize(app, pi, pm, { threeDSecure: options.authenticated })
  }
}

function confirmPaymentIntent(app: LocalStripeApp, pi: Stripe.PaymentIntent, options: ConfirmOptions): void {
  const pm = app.store.paymentMethods.get(pi.payment_method as string)!
  app.store.pendingAuthentications.delete(pi.id)
  if (pi.status === "requires_payment_method") setStatus(pi, "requires_confirmation")
  const outcome = decidePayment(profileOf(app, pm), {
    authenticated: false,
    offSession: options.offSession,
    savedWithSetup: app.store.paymentMethodSecrets.get(pm.id)?.savedWithSetup ?? false,
  })
  applyOutcome(app, pi, pm, outcome, { ...options, authenticated: false })
}

/** Called by the 3-D Secure page (or the admin API) when the cardholder answers. */
export function completePaymentAuthentication(app: LocalStripeApp, id: string, approved: boolean): Stripe.PaymentIntent {
  const pi = requirePaymentIntent(app, id)
  if (pi.status !== "requires_action") {
    throw unexpectedState(`This PaymentIntent is not awaiting authentication (status: ${pi.status}).`)
  }
  const pm = app.store.paymentMethods.get(pi.payment_method as string)!
  const pending = app.store.pendingAuthentications.get(pi.id) ?? { offSession: false }
  app.store.pendingAuthentications.delete(pi.id)
  if (!approved) {
    setStatus(pi, "requires_payment_method")
    pi.next_action = null
    pi.payment_method = null
    pi.last_payment_error = {
      type: "invalid_request_error",
      code: "payment_intent_authentication_failure",
      message:
        "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new " +
        "PaymentMethod to attempt to fulfill this PaymentIntent again.",
      doc_url: "https://stripe.com/docs/error-codes/payment-intent-authentication-failure",
      payment_method: snapshot(pm),
      payment_method_type: pm.type,
    }
    app.emit("payment_intent.payment_failed", pi)
    return pi
  }
  const returnUrl = pi.next_action?.redirect_to_url?.return_url ?? null
  const outcome = decidePayment(profileOf(app, pm), {
    authenticated: true,
    offSession: pending.offSession,
    savedWithSetup: app.store.paymentMethodSecrets.get(pm.id)?.savedWithSetup ?? false,
  })
  applyOutcome(app, pi, pm, outcome, { returnUrl, offSession: pending.offSession, authenticated: true })
  return pi
}

/** Resolves a `processing` intent; without an outcome the payment method decides. */
export function settlePaymentIntent(app: LocalStripeApp, id: string, outcome?: "succeed" | "fail"): Stripe.PaymentIntent {
  const pi = requirePaymentIntent(app, id)
  if (pi.status !== "processing") {
    throw unexpectedState(`PaymentIntent ${id} is not processing (status: ${pi.status}).`)
  }
  app.cancelScheduled(`settle:${pi.id}`)
  const pm = app.store.paymentMethods.get(pi.payment_method as string)!
  const charge = requireCharge(app, pi.latest_charge as string)
  const result = outcome ?? profileOf(app, pm).async ?? "succeed"
  if (result === "succeed") {
    authorize(app, pi, pm, { threeDSecure: false, pendingCharge: charge })
    return pi
  }
  const failure: Decline = pm.type === "sepa_debit"
    ? { code: "payment_method_provider_decline", message: "The bank declined the debit.", on: "always" }
    : { code: "card_declined", decline_code: "generic_decline", message: "Your card was declined.", on: "always" }
  failCharge(charge, failure)
  recordDecline(app, pi, pm, failure, charge.id)
  app.emit("charge.failed", charge)
  app.emit("payment_intent.payment_failed", pi)
  return pi
}

// ------------------------------------------------------------------ handlers

interface NewIntent {
  amount: number
  currency: string
  captureMethod: Stripe.PaymentIntent.CaptureMethod
  confirmationMethod: Stripe.PaymentIntent.ConfirmationMethod
  customer: string | null
  types: string[] | undefined
  automatic: Stripe.PaymentIntent.AutomaticPaymentMethods | null
  metadata: Record<string, string>
}

function newPaymentIntent(input: NewIntent, params: Params): Stripe.PaymentIntent {
  const id = newId("pi")
  return {
    id,
    object: "payment_intent",
    amount: input.amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: 0,
    application: null,
    application_fee_amount: params.int("application_fee_amount", { min: 0 }) ?? null,
    automatic_payment_methods: input.automatic,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: input.captureMethod,
    client_secret: clientSecret(id),
    confirmation_method: input.confirmationMethod,
    created: nowSeconds(),
    currency: input.currency,
    customer: input.customer,
    description: params.string("description") ?? null,
    excluded_payment_method_types: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    metadata: input.metadata,
    next_action: null,
    on_behalf_of: null,
    payment_method: null,
    payment_method_configuration_details: null,
    payment_method_options: (paymentMethodOptions(params) ?? {}) as Stripe.PaymentIntent.PaymentMethodOptions,
    payment_method_types: input.types ?? (input.currency === "eur" ? ["card", "sepa_debit"] : ["card"]),
    processing: null,
    receipt_email: params.string("receipt_email") ?? null,
    review: null,
    setup_future_usage: params.oneOf("setup_future_usage", ["on_session", "off_session"]) ?? null,
    shipping: (params.passthrough("shipping") ?? null) as Stripe.PaymentIntent.Shipping | null,
    source: null,
    statement_descriptor: params.string("statement_descriptor") ?? null,
    statement_descriptor_suffix: params.string("statement_descriptor_suffix") ?? null,
    status: "requires_payment_method",
    transfer_data: null,
    transfer_group: params.string("transfer_group") ?? null,
  }
}

/**
 * payment_method_options as sent, after checking the options this server acts
 * on; later updates merge into what the intent already has, per method type.
 */
function paymentMethodOptions(params: Params): FormObject | null | undefined {
  const raw = params.passthrough("payment_method_options")
  if (!raw) return raw
  const card = params.object("payment_method_options")?.object("card")
  card?.oneOf("request_multicapture", ["if_available", "never"])
  card?.oneOf("capture_method", ["manual"])
  return raw
}

function mergeOptions(current: Stripe.PaymentIntent.PaymentMethodOptions | null, changes: FormObject | null): Stripe.PaymentIntent.PaymentMethodOptions {
  if (changes === null) return {}
  const merged: Record<string, unknown> = { ...(current ?? {}) }
  for (const [type, value] of Object.entries(changes)) {
    const existing = merged[type]
    merged[type] =
      value && typeof value === "object" && !Array.isArray(value) && existing && typeof existing === "object"
        ? { ...(existing as object), ...value }
        : value
  }
  return merged as Stripe.PaymentIntent.PaymentMethodOptions
}

/** Confirmation-only parameters make no sense without confirm=true. */
function assertConfirmParams(params: Params, confirm: boolean): void {
  const orphan = ["return_url", "off_session"].find((key) => params.has(key))
  if (!confirm && orphan) {
    throw invalidRequest(`You can only pass ${orphan} when confirm=true.`, { param: orphan })
  }
  if (confirm && !params.has("payment_method") && !params.has("payment_method_data")) {
    throw unexpectedState(
      "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the PaymentIntent, " +
        "provide a payment_method or payment_method_data.",
      "payment_method"
    )
  }
}

function automaticPaymentMethods(params: Params, types: string[] | undefined): Stripe.PaymentIntent.AutomaticPaymentMethods | null {
  const automatic = params.object("automatic_payment_methods")
  // Current API versions turn them on unless explicit types were given.
  const enabled = automatic ? automatic.bool("enabled") ?? false : !types
  if (!enabled) return null
  return { enabled: true, allow_redirects: automatic?.oneOf("allow_redirects", ["always", "never"]) ?? "always" }
}

const create: ApiHandler = ({ app, params }: ApiContext) => {
  params.allowOnly(CREATE_PARAMS)
  const currency = parseCurrency(params, true)!
  const amount = params.requiredInt("amount")
  assertAmount(amount, currency)
  const confirm = params.bool("confirm") ?? false
  assertConfirmParams(params, confirm)
  const customerId = params.string("customer")
  const customer = customerId ? requireCustomer(app, customerId).id : null
  const types = params.strings("payment_method_types")
  const applyMetadata = params.metadata()
  const input: NewIntent = {
    amount,
    currency,
    captureMethod: params.oneOf("capture_method", ["automatic", "automatic_async", "manual"]) ?? "automatic_async",
    confirmationMethod: params.oneOf("confirmation_method", ["automatic", "manual"]) ?? "automatic",
    customer,
    types,
    automatic: automaticPaymentMethods(params, types),
    metadata: applyMetadata ? applyMetadata({}) : {},
  }
  const pi = newPaymentIntent(input, params)
  // Resolved last: a magic test id mints a PaymentMethod, which must not
  // happen for a request that fails validation.
  const pm = paymentMethodFromParams(app, params)
  if (pm) {
    assertPaymentMethodUsable(pm, customer)
    assertCompatible(pi, pm)
    pi.payment_method = pm.id
    setStatus(pi, "requires_confirmation")
  }
  app.store.paymentIntents.set(pi.id, pi)
  app.emit("payment_intent.created", pi)
  if (confirm) {
    confirmPaymentIntent(app, pi, { returnUrl: params.string("return_url") ?? null, offSession: parseOffSession(params) })
  }
  return pi
}

function parseOffSession(params: Params): boolean {
  const raw = params.string("off_session")
  if (raw === undefined || raw === null) return false
  // Stripe also accepts the legacy values "one_off" and "recurring".
  return raw === "true" || raw === "one_off" || raw === "recurring"
}

const retrieve: ApiHandler = ({ app, params, pathParams }) => {
  params.allowOnly(["client_secret"])
  return requirePaymentIntent(app, pathParams.id)
}

const list: ApiHandler = ({ app, params }) => {
  params.allowOnly(["customer", "limit", "starting_after", "ending_before", "created"])
  const customer = params.string("customer")
  const items = newestFirst(app.store.paymentIntents.values()).filter((pi) => !customer || pi.customer === customer)
  return paginate(items, params, "/v1/payment_intents")
}

const update: ApiHandler = ({ app, params, pathParams }) => {
  params.allowOnly([...ALWAYS_UPDATABLE, ...PAYMENT_UPDATABLE])
  const pi = requirePaymentIntent(app, pathParams.id)
  const touchesPayment = PAYMENT_UPDATABLE.filter((key) => params.has(key))
  if (touchesPayment.length > 0 && !isAllowed(pi.status, PAYMENT_INTENT_RULES.updatePayment)) {
    throw unexpectedState(
      `This PaymentIntent's ${touchesPayment[0]} could not be updated because it has a status of ${pi.status}. ` +
        `You may only update the ${touchesPayment[0]} of a PaymentIntent with one of the following statuses: ` +
        `${listStatuses(PAYMENT_INTENT_RULES.updatePayment)}.`,
      touchesPayment[0]
    )
  }
  const currency = parseCurrency(params, false) ?? pi.currency
  const amount = params.int("amount") ?? pi.amount
  assertAmount(amount, currency)
  const captureMethod = params.oneOf("capture_method", ["automatic", "automatic_async", "manual"])
  const setupFutureUsage = params.oneOf("setup_future_usage", ["on_session", "off_session"])
  const customerId = params.string("customer")
  if (customerId) requireCustomer(app, customerId)
  const applyMetadata = params.metadata()
  const pm = paymentMethodFromParams(app, params)
  const types = params.strings("payment_method_types")
  const options = paymentMethodOptions(params)

  const paymentChanged = amount !== pi.amount || currency !== pi.currency || pm !== undefined
  pi.amount = amount
  pi.currency = currency
  if (captureMethod) pi.capture_method = captureMethod
  if (setupFutureUsage !== undefined) pi.setup_future_usage = setupFutureUsage
  if (customerId !== undefined) pi.customer = customerId
  if (types) pi.payment_method_types = types
  if (options !== undefined) pi.payment_method_options = mergeOptions(pi.payment_method_options, options)
  if (applyMetadata) pi.metadata = applyMetadata(pi.metadata)
  for (const key of ["description", "receipt_email", "statement_descriptor", "statement_descriptor_suffix", "transfer_group"] as const) {
    const value = params.string(key)
    if (value !== undefined) pi[key] = value
  }
  const shipping = params.passthrough("shipping")
  if (shipping !== undefined) pi.shipping = shipping as unknown as Stripe.PaymentIntent.Shipping | null
  if (pm) {
    assertCompatible(pi, pm)
    assertPaymentMethodUsable(pm, typeof pi.customer === "string" ? pi.customer : null)
  }
  if (pm !== undefined) pi.payment_method = pm?.id ?? null
  // A pending 3-D Secure challenge was for the old amount or card; it is void now.
  if (paymentChanged && pi.status !== "requires_payment_method") {
    app.store.pendingAuthentications.delete(pi.id)
    pi.next_action = null
    setStatus(pi, pi.payment_method ? "requires_confirmation" : "requires_payment_method")
  } else if (pm && pi.status === "requires_payment_method") {
    setStatus(pi, "requires_confirmation")
  }
  return pi
}

const confirm: ApiHandler = ({ app, params, pathParams }) => {
  params.allowOnly(CONFIRM_PARAMS)
  const pi = requirePaymentIntent(app, pathParams.id)
  if (!isAllowed(pi.status, PAYMENT_INTENT_RULES.confirm)) {
    throw unexpectedState(
      `You cannot confirm this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one ` +
        `of the following statuses may be confirmed: ${listStatuses(PAYMENT_INTENT_RULES.confirm)}.`
    )
  }
  const returnUrl = params.string("return_url") ?? null
  const offSession = parseOffSession(params)
  const setupFutureUsage = params.oneOf("setup_future_usage", ["on_session", "off_session"])
  const captureMethod = params.oneOf("capture_method", ["automatic", "automatic_async", "manual"])
  const options = paymentMethodOptions(params)
  const pm = paymentMethodFromParams(app, params)
  if (pm) {
    assertCompatible(pi, pm)
    assertPaymentMethodUsable(pm, typeof pi.customer === "string" ? pi.customer : null)
  }
  const paymentMethodId = pm ? pm.id : pi.payment_method
  if (!paymentMethodId) {
    throw unexpectedState(
      "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the PaymentIntent " +
        "with a customer, specify a payment method attached to this customer along with the customer ID.",
      "payment_method"
    )
  }
  if (pm) pi.payment_method = pm.id
  if (setupFutureUsage !== undefined) pi.setup_future_usage = setupFutureUsage
  if (captureMethod) pi.capture_method = captureMethod
  if (options !== undefined) pi.payment_method_options = mergeOptions(pi.payment_method_options, options)
  const receiptEmail = params.string("receipt_email")
  if (receiptEmail !== undefined) pi.receipt_email = receiptEmail
  confirmPaymentIntent(app, pi, { returnUrl, offSession })
  return pi
}

const capture: ApiHandler = ({ app, params, pathParams }) => {
  params.allowOnly(["amount_to_capture", "metadata", "application_fee_amount", "statement_descriptor", "statement_descriptor_suffix", "final_capture", "transfer_data"])
  const pi = requirePaymentIntent(app, pathParams.id)
  expireIfLapsed(app, pi)
  if (!isAllowed(pi.status, PAYMENT_INTENT_RULES.capture)) {
    throw unexpectedState(
      `This PaymentIntent could not be captured because it has a status of ${pi.status}. Only a PaymentIntent with ` +
        `one of the following statuses may be captured: ${listStatuses(PAYMENT_INTENT_RULES.capture)}.`
    )
  }
  const finalCapture = params.bool("final_capture") ?? true
  const charge = requireCharge(app, pi.latest_charge as string)
  const multicapture = multicaptureAvailable(charge)
  if (!finalCapture && !multicapture) {
    throw invalidRequest(
      "final_capture can only be set to false when multicapture is available for this PaymentIntent. Request it " +
        "with payment_method_options[card][request_multicapture]=if_available and check " +
        "latest_charge.payment_method_details.card.multicapture.status.",
      { param: "final_capture" }
    )
  }
  const amount = params.int("amount_to_capture", { min: 1 }) ?? pi.amount_capturable
  if (amount > pi.amount_capturable) {
    throw invalidRequest(
      `The amount_to_capture (${amount}) must be less than or equal to the amount_capturable (${pi.amount_capturable}).`,
      { code: "amount_too_large", param: "amount_to_capture" }
    )
  }
  const applyMetadata = params.metadata()
  if (applyMetadata) pi.metadata = applyMetadata(pi.metadata)

  if (!multicapture) {
    // One capture; whatever is left of the hold is released.
    const previousCharge = captureCharge(app, charge, amount)
    setStatus(pi, "succeeded")
    pi.amount_received = amount
    pi.amount_capturable = 0
    app.cancelScheduled(`expire:${pi.id}`)
    app.emit("charge.captured", charge, previousCharge)
    app.emit("payment_intent.succeeded", pi)
    disputeIfTestCardSaysSo(app, charge)
    return pi
  }

  // Multicapture: the charge moves with each capture; the intent stays
  // requires_capture until a final capture (or one that takes the rest).
  const final = finalCapture || amount === pi.amount_capturable
  const previousCharge = captureChargePart(app, charge, amount, final)
  pi.amount_received += amount
  pi.amount_capturable = final ? 0 : pi.amount_capturable - amount
  app.emit("charge.captured", charge, previousCharge)
  app.emit("charge.updated", charge, previousCharge)
  if (final) {
    setStatus(pi, "succeeded")
    app.cancelScheduled(`expire:${pi.id}`)
    app.emit("payment_intent.succeeded", pi)
  } else {
    app.emit("payment_intent.amount_capturable_updated", pi)
  }
  disputeIfTestCardSaysSo(app, charge)
  return pi
}

const cancel: ApiHandler = ({ app, params, pathParams }) => {
  params.allowOnly(["cancellation_reason"])
  const pi = requirePaymentIntent(app, pathParams.id)
  expireIfLapsed(app, pi)
  if (!isAllowed(pi.status, PAYMENT_INTENT_RULES.cancel)) {
    throw unexpectedState(
      `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one ` +
        `of the following statuses may be canceled: ${listStatuses(PAYMENT_INTENT_RULES.cancel)}.`
    )
  }
  const reason = params.oneOf("cancellation_reason", ["duplicate", "fraudulent", "requested_by_customer", "abandoned"]) ?? null
  app.cancelScheduled(`expire:${pi.id}`)
  if (pi.status === "requires_capture" && pi.latest_charge) {
    const charge = requireCharge(app, pi.latest_charge as string)
    if (pi.amount_received > 0) return completePartlyCaptured(app, pi, charge)
    releaseCharge(charge)
  }
  setStatus(pi, "canceled")
  pi.canceled_at = nowSeconds()
  pi.cancellation_reason = reason
  pi.amount_capturable = 0
  pi.next_action = null
  app.store.pendingAuthentications.delete(pi.id)
  app.emit("payment_intent.canceled", pi)
  return pi
}

export function registerPaymentIntentRoutes(router: Router<ApiHandler>): void {
  router
    .post("/v1/payment_intents", create)
    .get("/v1/payment_intents", list)
    .get("/v1/payment_intents/:id", retrieve)
    .post("/v1/payment_intents/:id", update)
    .post("/v1/payment_intents/:id/confirm", confirm)
    .post("/v1/payment_intents/:id/capture", capture)
    .post("/v1/payment_intents/:id/cancel", cancel)
}

/**
 * A partly captured multicapture intent keeps what it captured: canceling it,
 * or its authorization expiring, releases the rest and completes the intent.
 */
function completePartlyCaptured(app: LocalStripeApp, pi: Stripe.PaymentIntent, charge: Stripe.Charge): Stripe.PaymentIntent {
  const previous = releaseRemainder(charge)
  setStatus(pi, "succeeded")
  pi.amount_capturable = 0
  app.emit("charge.updated", charge, previous)
  app.emit("payment_intent.succeeded", pi)
  return pi
}
