import type { IntentDefaults } from "./intent-params"
import { StripeProviderService } from "./service"

/**
 * One provider per Stripe payment method that `@medusajs/payment-stripe`
 * registers on its own, with the same identifiers (so `pp_stripe-ideal_<id>`
 * keeps working after the swap) and the same behaviour: the intent is
 * limited to that method and captured automatically, because these methods
 * (bank redirects, vouchers, wallets) cannot hold funds for a later capture.
 * Everything else — amounts, idempotency, webhooks — is the card provider's.
 */
function singleMethodVariant(
  name: string,
  identifier: string,
  paymentMethodType: string,
  extra: (provider: StripeProviderService) => IntentDefaults = () => ({})
): typeof StripeProviderService {
  const Variant = class extends StripeProviderService {
    static identifier = identifier
    protected intentDefaults(): IntentDefaults {
      return { payment_method_types: [paymentMethodType], capture_method: "automatic", ...extra(this) }
    }
  }
  // A readable name in stack traces and logs, not `Variant`.
  Object.defineProperty(Variant, "name", { value: name })
  return Variant
}

export const StripeBancontactService = singleMethodVariant("StripeBancontactService", "stripe-bancontact", "bancontact")
export const StripeBlikService = singleMethodVariant("StripeBlikService", "stripe-blik", "blik")
export const StripeGiropayService = singleMethodVariant("StripeGiropayService", "stripe-giropay", "giropay")
export const StripeIdealService = singleMethodVariant("StripeIdealService", "stripe-ideal", "ideal")
export const StripePrzelewy24Service = singleMethodVariant("StripePrzelewy24Service", "stripe-przelewy24", "p24")
export const StripePromptpayService = singleMethodVariant("StripePromptpayService", "stripe-promptpay", "promptpay")
/** OXXO vouchers stay payable for `oxxoExpiresDays` (default 3). */
export const StripeOxxoService = singleMethodVariant("StripeOxxoService", "stripe-oxxo", "oxxo", (provider) => ({
  payment_method_options: { oxxo: { expires_after_days: provider.resolvedOptions.oxxoExpiresDays } },
}))

/** Every variant, in the order Medusa's package registers them. */
export const STRIPE_VARIANTS = [
  StripeBancontactService,
  StripeBlikService,
  StripeGiropayService,
  StripeIdealService,
  StripePrzelewy24Service,
  StripePromptpayService,
  StripeOxxoService,
]
