import type { PaymentProviderContext } from "@medusajs/framework/types"
import type Stripe from "stripe"
import type { ResolvedStripeOptions } from "./options"

/**
 * Fields of the session `data` a storefront may set to shape the
 * PaymentIntent (the same ones `@medusajs/payment-stripe` honours). Anything
 * else in `data` stays in Medusa and is not sent to Stripe.
 */
const PASSTHROUGH_FIELDS = [
  "capture_method",
  "setup_future_usage",
  "payment_method_types",
  "payment_method_data",
  "payment_method_options",
  "automatic_payment_methods",
  "off_session",
  "confirm",
  "payment_method",
  "return_url",
  "receipt_email",
  "statement_descriptor_suffix",
] as const

type IntentShapingParams = Omit<Stripe.PaymentIntentCreateParams, "amount" | "currency">

/**
 * What a provider variant fixes for its payment method (iDEAL, BLIK, OXXO…):
 * above the store's options, below what a session's data asks for — the
 * precedence of `@medusajs/payment-stripe`.
 */
export type IntentDefaults = Pick<
  Stripe.PaymentIntentCreateParams,
  "capture_method" | "payment_method_types" | "payment_method_options"
>

/** The customer id of the Medusa account holder, if the session has one. */
export function stripeCustomerIdOf(context: PaymentProviderContext | undefined): string | undefined {
  const id = context?.account_holder?.data?.id
  return typeof id === "string" && id !== "" ? id : undefined
}

/**
 * Every PaymentIntent parameter except amount and currency: provider options
 * first, then the variant's defaults, then what the session data asks for,
 * then the fields we own (metadata.session_id, customer) so a storefront
 * cannot spoof them.
 */
export function buildIntentParams(
  options: ResolvedStripeOptions,
  defaults: IntentDefaults,
  data: Record<string, unknown>,
  context: PaymentProviderContext | undefined
): IntentShapingParams & { metadata: Record<string, string> } {
  const params: Record<string, unknown> = { capture_method: options.captureMethod, ...defaults }

  const description = data.payment_description ?? data.description ?? options.paymentDescription
  if (typeof description === "string") {
    params.description = description
  }
  // Stripe refuses automatic payment methods beside an explicit list of
  // types, which every variant has.
  if (options.automaticPaymentMethods && !defaults.payment_method_types) {
    params.automatic_payment_methods = { enabled: true }
  }
  for (const field of PASSTHROUGH_FIELDS) {
    if (data[field] !== undefined) {
      params[field] = data[field]
    }
  }
  // Stripe takes return_url only with confirm=true; otherwise it stays in the
  // session data, and authorizePayment sends it when it confirms.
  if (params.return_url !== undefined && params.confirm !== true) {
    delete params.return_url
  }
  // Stripe refuses a configuration together with an explicit list of types.
  if (options.paymentMethodConfiguration && params.payment_method_types === undefined) {
    params.payment_method_configuration = options.paymentMethodConfiguration
  }

  const customer = stripeCustomerIdOf(context)
  if (customer) {
    params.customer = customer
  }
  params.metadata = {
    ...(isPlainObject(data.metadata) ? data.metadata : {}),
    ...(typeof data.session_id === "string" ? { session_id: data.session_id } : {}),
  }
  return params as IntentShapingParams & { metadata: Record<string, string> }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
}
