import { ModuleProvider, Modules } from "@medusajs/framework/utils"
import { StripeProviderService } from "./service"

/**
 * Register with the payment module as
 * `{ resolve: "medusa-payment-plus/providers/stripe", id: "stripe", options }`,
 * which gives the provider id `pp_stripe_stripe`.
 */
export default ModuleProvider(Modules.PAYMENT, {
  services: [StripeProviderService],
})

export { StripeProviderService }
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
