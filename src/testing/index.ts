/**
 * Testing helpers for payment providers: a conformance suite any provider
 * can run in its own tests (see docs/write-your-own-provider.md), and a Stripe-style webhook
 * signer for providers that verify deliveries the same way.
 */
export {
  runProviderConformanceSuite,
  SESSION_STATUSES,
  WEBHOOK_ACTIONS,
  type ConformanceSession,
  type ProviderConformanceOptions,
} from "./conformance"
export { signStripePayload } from "../providers/stripe/webhook-signature"
