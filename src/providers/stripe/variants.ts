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
function singleMethod(type: string): IntentDefaults {
  return { payment_method_types: [type], capture_method: "automatic" }
}

export class StripeBancontactService extends StripeProviderService {
  static identifier = "stripe-bancontact"
  protected intentDefaults(): IntentDefaults {
    return singleMethod("bancontact")
  }
}

export class StripeBlikService extends StripeProviderService {
  static identifier = "stripe-blik"
  protected intentDefaults(): IntentDefaults {
    return singleMethod("blik")
  }
}

export class StripeGiropayService extends StripeProviderService {
  static identifier = "stripe-giropay"
  protected intentDefaults(): IntentDefaults {
    return singleMethod("giropay")
  }
}

export class StripeIdealService extends StripeProviderService {
  static identifier = "stripe-ideal"
  protected intentDefaults(): IntentDefaults {
    return singleMethod("ideal")
  }
}

export class StripePrzelewy24Service extends StripeProviderService {
  static identifier = "stripe-przelewy24"
  protected intentDefaults(): IntentDefaults {
    return singleMethod("p24")
  }
}

export class StripePromptpayService extends StripeProviderService {
  static identifier = "stripe-promptpay"
  protected intentDefaults(): IntentDefaults {
    return singleMethod("promptpay")
  }
}

/** OXXO vouchers expire after `oxxoExpiresDays` (default 3). */
export class StripeOxxoService extends StripeProviderService {
  static identifier = "stripe-oxxo"
  protected intentDefaults(): IntentDefaults {
    return {
      ...singleMethod("oxxo"),
      payment_method_options: { oxxo: { expires_after_days: this.options_.oxxoExpiresDays } },
    }
  }
}

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
