import { ModuleProvider, Modules } from "@medusajs/framework/utils"
import { StripeProviderService } from "./service"
import { STRIPE_VARIANTS } from "./variants"

/**
 * Register with the payment module as
 * `{ resolve: "medusa-payment-plus/providers/stripe", id: "stripe", options }`,
 * which gives `pp_stripe_stripe` and, as `@medusajs/payment-stripe` does, one
 * provider per payment method variant: `pp_stripe-ideal_stripe`,
 * `pp_stripe-oxxo_stripe`, … (see variants.ts).
 */
export default ModuleProvider(Modules.PAYMENT, {
  services: [StripeProviderService, ...STRIPE_VARIANTS],
})

export { StripeProviderService }
export * from "./variants"
export { resolveStripeOptions } from "./options"
export type { StripeProviderOptions, ResolvedStripeOptions } from "./options"
export { toStripeAmount, fromStripeAmount, stripeCurrencyProfile } from "./amounts"
export { sessionStatusFromIntent } from "./status"
export {
  StripeOutcomeUnknownError,
  StripeProviderError,
  isPaymentOutcomeUnknown,
} from "./errors"
export {
  verifyStripeSignature,
  signStripePayload,
  parseSignatureHeader,
} from "./webhook-signature"
