import type Stripe from "stripe"
import { ApiHandler, LocalStripeApp } from "../app"
import { cardError, invalidRequest, resourceMissing } from "../errors"
import { clientSecret, newId, nowSeconds } from "../ids"
import { newestFirst, paginate } from "../list"
import { Params } from "../params"
import { Router } from "../router"
import {
  assertSetupIntentTransition,
  AttemptOutcome,
  decideSetup,
  isAllowed,
  SETUP_INTENT_RULES,
  SetupIntentStatus,
} from "../state-machine"
import { snapshot } from "../store"
import { Decline } from "../test-cards"
import { requireCustomer } from "./customers"
import { attachPaymentMethod, paymentMethodFromData, profileOf, resolvePaymentMethod } from "./payment-methods"
import { threeDSecureAction } from "./three-d-secure-action"

const CONFIRM_PARAMS = ["payment_method", "payment_method_data", "payment_method_options", "return_url", "mandate_data", "use_stripe_sdk", "client_secret"]
const CREATE_PARAMS = [
  ...CONFIRM_PARAMS.filter((p) => p !== "client_secret"),
  "customer",
  "confirm",
  "usage",
  "description",
  "metadata",
  "payment_method_types",
  "automatic_payment_methods",
  "single_use",
  "on_behalf_of",
  "flow_directions",
  "attach_to_self",
  "payment_method_configuration",
]

export function requireSetupIntent(app: LocalStripeApp, id: string): Stripe.SetupIntent {
  const si = app.store.setupIntents.get(id)
  if (!si) throw resourceMissing("setup_intent", id, "intent")
  return si
}

function setStatus(si: Stripe.SetupIntent, to: SetupIntentStatus): void {
  assertSetupIntentTransition(si.status, to)
  si.status = to
}

function paymentMethodFromParams(app: LocalStripeApp, params: Params): Stripe.PaymentMethod | null | undefined {
  const data = params.object("payment_method_data")
  if (data) return paymentMethodFromData(app, data)
  const ref = params.string("payment_method")
  if (ref === undefined) return undefined
  return ref === null ? null : resolvePaymentMethod(app, ref)
}

/** Saving worked: the card is attached and trusted for later off-session use. */
function succeed(app: LocalStripeApp, si: Stripe.SetupIntent, pm: Stripe.PaymentMethod): void {
  setStatus(si, "succeeded")
  si.next_action = null
  si.last_setup_error = null
  si.latest_attempt = newId("setatt")
  if (typeof si.customer === "string") attachPaymentMethod(app, pm, si.customer)
  const secrets = app.store.paymentMethodSecrets.get(pm.id)
  if (secrets && si.usage === "off_session") secrets.savedWithSetup = true
  app.emit("setup_intent.succeeded", si)
}

function fail(app: LocalStripeApp, si: Stripe.SetupIntent, pm: Stripe.PaymentMethod, declined: Decline): never {
  setStatus(si, "requires_payment_method")
  si.next_action = null
  si.payment_method = null
  si.latest_attempt = newId("setatt")
  si.last_setup_error = {
    type: "card_error",
    code: declined.code as Stripe.SetupIntent.LastSetupError.Code,
    decline_code: declined.decline_code,
    message: declined.message,
    param: declined.param,
    doc_url: `https://stripe.com/docs/error-codes/${declined.code.replace(/_/g, "-")}`,
    payment_method: snapshot(pm),
    payment_method_type: pm.type,
  }
  app.emit("setup_intent.setup_failed", si)
  throw cardError({
    message: declined.message,
    code: declined.code,
    decline_code: declined.decline_code,
    param: declined.param,
    setup_intent: snapshot(si),
    payment_method: snapshot(pm),
  })
}

function applyOutcome(app: LocalStripeApp, si: Stripe.SetupIntent, pm: Stripe.PaymentMethod, outcome: AttemptOutcome, returnUrl: string | null): void {
  switch (outcome.kind) {
    case "authenticate":
      setStatus(si, "requires_action")
      si.next_action = threeDSecureAction(app, si.id, returnUrl)
      app.emit("setup_intent.requires_action", si)
      return
    case "decline":
      return fail(app, si, pm, outcome.decline)
    case "process":
    case "succeed":
      return succeed(app, si, pm)
  }
}

function confirmSetupIntent(app: LocalStripeApp, si: Stripe.SetupIntent, returnUrl: string | null): void {
  const pm = app.store.paymentMethods.get(si.payment_method as string)!
  if (si.status === "requires_payment_method") setStatus(si, "requires_confirmation")
  applyOutcome(app, si, pm, decideSetup(profileOf(app, pm), { authenticated: false }), returnUrl)
}

/** Called by the 3-D Secure page (or the admin API) when the cardholder answers. */
export function completeSetupAuthentication(app: LocalStripeApp, id: string, approved: boolean): Stripe.SetupIntent {
  const si = requireSetupIntent(app, id)
  if (si.status !== "requires_action") {
    throw invalidRequest(`This SetupIntent is not awaiting authentication (status: ${si.status}).`, {
      code: "setup_intent_unexpected_state",
    })
  }
  const pm = app.store.paymentMethods.get(si.payment_method as string)!
  if (!approved) {
    setStatus(si, "requires_payment_method")
    si.next_action = null
    si.payment_method = null
    si.last_setup_error = {
      type: "invalid_request_error",
      code: "setup_intent_authentication_failure",
      message:
        "The latest attempt to set up the payment method has failed because authentication failed. " +
        "Provide a new payment method to attempt to set it up again.",
      payment_method: snapshot(pm),
      payment_method_type: pm.type,
    }
    app.emit("setup_intent.setup_failed", si)
    return si
  }
  applyOutcome(app, si, pm, decideSetup(profileOf(app, pm), { authenticated: true }), null)
  return si
}

const create: ApiHandler = ({ app, params }) => {
  params.allowOnly(CREATE_PARAMS)
  const customerId = params.string("customer")
  const customer = customerId ? requireCustomer(app, customerId) : null
  const confirm = params.bool("confirm") ?? false
  const returnUrl = params.string("return_url") ?? null
  const usage = params.oneOf("usage", ["off_session", "on_session"]) ?? "off_session"
  const types = params.strings("payment_method_types")
  const automatic = params.object("automatic_payment_methods")
  const applyMetadata = params.metadata()
  if (confirm && !params.has("payment_method") && !params.has("payment_method_data")) {
    throw invalidRequest("You cannot confirm this SetupIntent because it's missing a payment method.", {
      code: "setup_intent_unexpected_state",
      param: "payment_method",
    })
  }
  const pm = paymentMethodFromParams(app, params) ?? null
  const id = newId("seti")
  const si: Stripe.SetupIntent = {
    id,
    object: "setup_intent",
    application: null,
    automatic_payment_methods: automatic || !types ? { enabled: automatic?.bool("enabled") ?? true, allow_redirects: "always" } : null,
    cancellation_reason: null,
    client_secret: clientSecret(id),
    created: nowSeconds(),
    customer: customer?.id ?? null,
    description: params.string("description") ?? null,
    flow_directions: null,
    last_setup_error: null,
    latest_attempt: null,
    livemode: false,
    mandate: null,
    metadata: applyMetadata ? applyMetadata({}) : {},
    next_action: null,
    on_behalf_of: null,
    payment_method: pm?.id ?? null,
    payment_method_configuration_details: null,
    payment_method_options: (params.passthrough("payment_method_options") ?? {}) as Stripe.SetupIntent.PaymentMethodOptions,
    payment_method_types: types ?? ["card"],
    single_use_mandate: null,
    status: pm ? "requires_confirmation" : "requires_payment_method",
    usage,
  }
  app.store.setupIntents.set(si.id, si)
  app.emit("setup_intent.created", si)
  if (confirm) confirmSetupIntent(app, si, returnUrl)
  return si
}

const retrieve: ApiHandler = ({ app, params, pathParams }) => {
  params.allowOnly(["client_secret"])
  return requireSetupIntent(app, pathParams.id)
}

const list: ApiHandler = ({ app, params }) => {
  params.allowOnly(["customer", "payment_method", "limit", "starting_after", "ending_before"])
  const customer = params.string("customer")
  const items = newestFirst(app.store.setupIntents.values()).filter((si) => !customer || si.customer === customer)
  return paginate(items, params, "/v1/setup_intents")
}

const update: ApiHandler = ({ app, params, pathParams }) => {
  params.allowOnly(["metadata", "description", "customer", "payment_method", "payment_method_types"])
  const si = requireSetupIntent(app, pathParams.id)
  const applyMetadata = params.metadata()
  if (applyMetadata) si.metadata = applyMetadata(si.metadata ?? {})
  const description = params.string("description")
  if (description !== undefined) si.description = description
  const customerId = params.string("customer")
  if (customerId) si.customer = requireCustomer(app, customerId).id
  const pm = paymentMethodFromParams(app, params)
  if (pm !== undefined) {
    if (!isAllowed(si.status, SETUP_INTENT_RULES.confirm)) {
      throw invalidRequest(`You cannot update the payment method of a SetupIntent with status ${si.status}.`, {
        code: "setup_intent_unexpected_state",
      })
    }
    si.payment_method = pm?.id ?? null
    si.next_action = null
    setStatus(si, pm ? "requires_confirmation" : "requires_payment_method")
  }
  const types = params.strings("payment_method_types")
  if (types) si.payment_method_types = types
  return si
}

const confirm: ApiHandler = ({ app, params, pathParams }) => {
  params.allowOnly(CONFIRM_PARAMS)
  const si = requireSetupIntent(app, pathParams.id)
  if (!isAllowed(si.status, SETUP_INTENT_RULES.confirm)) {
    throw invalidRequest(
      `You cannot confirm this SetupIntent because it has a status of ${si.status}.`,
      { code: "setup_intent_unexpected_state" }
    )
  }
  const pm = paymentMethodFromParams(app, params)
  if (pm) si.payment_method = pm.id
  if (!si.payment_method) {
    throw invalidRequest("You cannot confirm this SetupIntent because it's missing a payment method.", {
      code: "setup_intent_unexpected_state",
      param: "payment_method",
    })
  }
  confirmSetupIntent(app, si, params.string("return_url") ?? null)
  return si
}

const cancel: ApiHandler = ({ app, params, pathParams }) => {
  params.allowOnly(["cancellation_reason"])
  const si = requireSetupIntent(app, pathParams.id)
  if (!isAllowed(si.status, SETUP_INTENT_RULES.cancel)) {
    throw invalidRequest(
      `You cannot cancel this SetupIntent because it has a status of ${si.status}. Only a SetupIntent with one of ` +
        `the following statuses may be canceled: ${SETUP_INTENT_RULES.cancel.join(", ")}.`,
      { code: "setup_intent_unexpected_state" }
    )
  }
  setStatus(si, "canceled")
  si.cancellation_reason = params.oneOf("cancellation_reason", ["abandoned", "duplicate", "requested_by_customer"]) ?? null
  si.next_action = null
  app.emit("setup_intent.canceled", si)
  return si
}

export function registerSetupIntentRoutes(router: Router<ApiHandler>): void {
  router
    .post("/v1/setup_intents", create)
    .get("/v1/setup_intents", list)
    .get("/v1/setup_intents/:id", retrieve)
    .post("/v1/setup_intents/:id", update)
    .post("/v1/setup_intents/:id/confirm", confirm)
    .post("/v1/setup_intents/:id/cancel", cancel)
}
