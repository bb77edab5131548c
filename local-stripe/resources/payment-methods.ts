import { createHash } from "crypto"
import type Stripe from "stripe"
import { ApiContext, ApiHandler, LocalStripeApp } from "../app"
import { invalidRequest, resourceMissing } from "../errors"
import { newId, nowSeconds } from "../ids"
import { newestFirst, paginate } from "../list"
import { Params } from "../params"
import { Router } from "../router"
import { DEFAULT_CARD, profileForCardNumber, profileForToken, TestProfile } from "../test-cards"
import { requireCustomer } from "./customers"

const EXP_YEAR = new Date().getUTCFullYear() + 3

// Stripe derives fingerprints from the card number: same card, same value.
function fingerprint(profile: TestProfile): string {
  return createHash("sha256").update(`${profile.type}:${profile.brand}:${profile.last4}`).digest("base64url").slice(0, 16)
}

function emptyBillingDetails(): Stripe.PaymentMethod.BillingDetails {
  return {
    address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
    email: null,
    name: null,
    phone: null,
    tax_id: null,
  }
}

function cardDetails(profile: TestProfile): Stripe.PaymentMethod.Card {
  return {
    brand: profile.brand,
    checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: "pass" },
    country: profile.country,
    display_brand: profile.brand,
    exp_month: 12,
    exp_year: EXP_YEAR,
    fingerprint: fingerprint(profile),
    funding: profile.funding,
    generated_from: null,
    last4: profile.last4,
    networks: { available: [profile.brand], preferred: null },
    regulated_status: "unregulated",
    three_d_secure_usage: { supported: true },
    wallet: null,
  }
}

function sepaDetails(profile: TestProfile): Stripe.PaymentMethod.SepaDebit {
  return {
    bank_code: "37040044",
    branch_code: "",
    country: profile.country,
    fingerprint: fingerprint(profile),
    generated_from: { charge: null, setup_attempt: null },
    last4: profile.last4,
  }
}

export function createPaymentMethod(
  app: LocalStripeApp,
  profile: TestProfile,
  extra: { billing_details?: Record<string, unknown> | null; metadata?: Record<string, string> } = {}
): Stripe.PaymentMethod {
  const pm: Stripe.PaymentMethod = {
    id: newId("pm"),
    object: "payment_method",
    allow_redisplay: "unspecified",
    billing_details: { ...emptyBillingDetails(), ...(extra.billing_details ?? {}) },
    created: nowSeconds(),
    customer: null,
    livemode: false,
    metadata: extra.metadata ?? {},
    type: profile.type,
  }
  if (profile.type === "card") pm.card = cardDetails(profile)
  else pm.sepa_debit = sepaDetails(profile)
  app.store.paymentMethods.set(pm.id, pm)
  app.store.paymentMethodSecrets.set(pm.id, { profile, savedWithSetup: false })
  return pm
}

/**
 * Accepts a stored id or one of Stripe's magic test ids. Like Stripe, a magic
 * id is never stored as such: each use mints a fresh pm_ object.
 */
export function resolvePaymentMethod(app: LocalStripeApp, ref: string, param = "payment_method"): Stripe.PaymentMethod {
  const existing = app.store.paymentMethods.get(ref)
  if (existing) return existing
  const profile = profileForToken(ref)
  if (profile) return createPaymentMethod(app, profile)
  throw resourceMissing("PaymentMethod", ref, param)
}

export function profileOf(app: LocalStripeApp, pm: Stripe.PaymentMethod): TestProfile {
  return app.store.paymentMethodSecrets.get(pm.id)?.profile ?? DEFAULT_CARD
}

/** `payment_method_data[...]` and POST /v1/payment_methods share this. */
export function paymentMethodFromData(app: LocalStripeApp, data: Params): Stripe.PaymentMethod {
  data.allowOnly(["type", "card", "sepa_debit", "billing_details", "metadata", "allow_redisplay"])
  const type = data.oneOf("type", ["card", "sepa_debit"])
  if (!type) throw invalidRequest("Missing required param: type.", { code: "parameter_missing", param: "type" })
  const profile = type === "card" ? cardProfileFrom(data.object("card")) : profileForToken("pm_sepa_debit")!
  const applyMetadata = data.metadata()
  return createPaymentMethod(app, profile, {
    billing_details: data.passthrough("billing_details") ?? undefined,
    metadata: applyMetadata ? applyMetadata({}) : {},
  })
}

function cardProfileFrom(card: Params | undefined): TestProfile {
  if (!card) return DEFAULT_CARD
  const token = card.string("token")
  if (token) {
    const profile = profileForToken(token)
    if (!profile) throw resourceMissing("token", token, "card[token]")
    return profile
  }
  const number = card.string("number")
  if (number) {
    // Any other well-formed number behaves like a plain Visa, as in test mode.
    return profileForCardNumber(number) ?? DEFAULT_CARD
  }
  return DEFAULT_CARD
}

export function attachPaymentMethod(app: LocalStripeApp, pm: Stripe.PaymentMethod, customerId: string): Stripe.PaymentMethod {
  if (pm.customer === customerId) return pm
  if (pm.customer) {
    throw invalidRequest("The payment method you provided has already been attached to a customer.", {
      code: "payment_method_unexpected_state",
      param: "payment_method",
    })
  }
  pm.customer = customerId
  app.emit("payment_method.attached", pm, { customer: null })
  return pm
}

function detachPaymentMethod(app: LocalStripeApp, pm: Stripe.PaymentMethod): Stripe.PaymentMethod {
  const customerId = typeof pm.customer === "string" ? pm.customer : null
  if (!customerId) {
    throw invalidRequest(
      `The payment method you provided is not attached to a customer so detachment is impossible.`,
      { code: "payment_method_unexpected_state", param: "payment_method" }
    )
  }
  pm.customer = null
  const customer = app.store.customers.get(customerId)
  if (customer && !("deleted" in customer) && customer.invoice_settings.default_payment_method === pm.id) {
    customer.invoice_settings.default_payment_method = null
  }
  app.emit("payment_method.detached", pm, { customer: customerId })
  return pm
}

const create: ApiHandler = ({ app, params }) => paymentMethodFromData(app, params)

const retrieve: ApiHandler = ({ app, params, pathParams }) => {
  params.allowOnly([])
  return resolvePaymentMethod(app, pathParams.id, "payment_method")
}

const update: ApiHandler = ({ app, params, pathParams }) => {
  params.allowOnly(["metadata", "billing_details", "allow_redisplay"])
  const pm = requireStored(app, pathParams.id)
  const applyMetadata = params.metadata()
  const billing = params.passthrough("billing_details")
  const previous: Record<string, unknown> = {}
  if (applyMetadata) {
    previous.metadata = pm.metadata
    pm.metadata = applyMetadata(pm.metadata ?? {})
  }
  if (billing) {
    previous.billing_details = pm.billing_details
    pm.billing_details = { ...pm.billing_details, ...billing }
  }
  app.emit("payment_method.updated", pm, previous)
  return pm
}

const attach: ApiHandler = ({ app, params, pathParams }: ApiContext) => {
  params.allowOnly(["customer"])
  const customer = requireCustomer(app, params.requiredString("customer"), "customer")
  const pm = resolvePaymentMethod(app, pathParams.id)
  return attachPaymentMethod(app, pm, customer.id)
}

const detach: ApiHandler = ({ app, params, pathParams }) => {
  params.allowOnly([])
  return detachPaymentMethod(app, requireStored(app, pathParams.id))
}

const list: ApiHandler = ({ app, params }) => {
  params.allowOnly(["customer", "type", "limit", "starting_after", "ending_before"])
  const customerId = params.string("customer")
  const type = params.string("type")
  const items = newestFirst(app.store.paymentMethods.values()).filter(
    (pm) => (!customerId || pm.customer === customerId) && (!type || pm.type === type)
  )
  return paginate(items, params, "/v1/payment_methods")
}

function requireStored(app: LocalStripeApp, id: string): Stripe.PaymentMethod {
  const pm = app.store.paymentMethods.get(id)
  if (!pm) throw resourceMissing("PaymentMethod", id, "payment_method")
  return pm
}

export function registerPaymentMethodRoutes(router: Router<ApiHandler>): void {
  router
    .post("/v1/payment_methods", create)
    .get("/v1/payment_methods", list)
    .get("/v1/payment_methods/:id", retrieve)
    .post("/v1/payment_methods/:id", update)
    .post("/v1/payment_methods/:id/attach", attach)
    .post("/v1/payment_methods/:id/detach", detach)
}
