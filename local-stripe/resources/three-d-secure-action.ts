import type Stripe from "stripe"
import { LocalStripeApp } from "../app"

/**
 * The challenge lives on this server at /3ds/<intent id>. Like Stripe, the type
 * is redirect_to_url when the integration gave a return_url and use_stripe_sdk
 * otherwise; the URL is always under redirect_to_url so server-side code and
 * tests can open it without Stripe.js.
 */
export function threeDSecureAction(
  app: LocalStripeApp,
  intentId: string,
  returnUrl: string | null
): Stripe.PaymentIntent.NextAction & Stripe.SetupIntent.NextAction {
  const url = `${app.baseUrl}/3ds/${intentId}`
  if (returnUrl) {
    return { type: "redirect_to_url", redirect_to_url: { url, return_url: returnUrl } }
  }
  return {
    type: "use_stripe_sdk",
    use_stripe_sdk: { type: "three_d_secure_redirect", stripe_js: url, source: intentId } as Stripe.PaymentIntent.NextAction.UseStripeSdk,
    redirect_to_url: { url, return_url: null },
  }
}
