import type { PaymentSessionStatus } from "@medusajs/framework/types"

/**
 * A Medusa Payments payment's status (a Stripe PaymentIntent's) → the
 * session status Medusa keeps, as Medusa's provider maps it.
 */
export function sessionStatusOf(payment: { status?: unknown; last_payment_error?: unknown }): PaymentSessionStatus {
  switch (payment.status) {
    case "requires_payment_method":
      // Back here after a declined attempt: that attempt is the session's error.
      return payment.last_payment_error ? "error" : "pending"
    case "requires_action":
      return "requires_more"
    case "requires_capture":
      return "authorized"
    case "succeeded":
      return "captured"
    case "canceled":
      return "canceled"
    default:
      // requires_confirmation, processing, and anything the service adds later.
      return "pending"
  }
}
