import type { PaymentSessionStatus } from "@medusajs/framework/types"
import type Stripe from "stripe"

/**
 * The fields of a PaymentIntent the status map reads. Session data is the
 * stored intent, so it can be a plain object rather than a typed SDK result.
 */
export type IntentStatusFields = {
  status?: string
  last_payment_error?: unknown
  payment_method?: string | { type?: string } | null
  payment_method_types?: string[]
}

/**
 * The payment method type of an intent when it can be told without asking
 * Stripe: from the expanded payment method, or the only allowed type.
 */
export function knownPaymentMethodType(intent: IntentStatusFields): string | undefined {
  const method = intent.payment_method
  if (method && typeof method === "object" && typeof method.type === "string") {
    return method.type
  }
  const types = intent.payment_method_types
  return Array.isArray(types) && types.length === 1 ? types[0] : undefined
}

/**
 * Stripe PaymentIntent status → Medusa session status.
 *
 * `processing` is the one ambiguous state: for cards it lasts seconds (keep
 * the session pending), for bank debits it lasts days while the customer has
 * done everything (pending_authorization lets the order be placed).
 */
export function sessionStatusFromIntent(
  intent: IntentStatusFields,
  asyncPaymentMethodTypes: readonly string[],
  paymentMethodType: string | undefined = knownPaymentMethodType(intent)
): PaymentSessionStatus {
  switch (intent.status as Stripe.PaymentIntent.Status | undefined) {
    case "requires_payment_method":
      // Back to this state after a decline: the attempt failed.
      return intent.last_payment_error ? "error" : "pending"
    case "requires_confirmation":
      return "pending"
    case "requires_action":
      return "requires_more"
    case "processing":
      return paymentMethodType && asyncPaymentMethodTypes.includes(paymentMethodType)
        ? "pending_authorization"
        : "pending"
    case "requires_capture":
      return "authorized"
    case "succeeded":
      return "captured"
    case "canceled":
      return "canceled"
    default:
      return "pending"
  }
}
