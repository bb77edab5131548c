/**
 * Medusa Payments: the provider the module registers as
 * `pp_medusa-payments_default` when its options carry `cloud`
 * (`{ api_key, endpoint, webhook_secret, environment_handle | sandbox_handle }`),
 * as `@medusajs/payment` does.
 */
export { MedusaPaymentsProvider } from "./service"
export {
  medusaPaymentsOptionsFromCloud,
  validateMedusaPaymentsOptions,
  type MedusaPaymentsOptions,
} from "./options"
export { toWireAmount, fromWireAmount, wireUnitOf, type WireAmount } from "./amounts"
export { sessionStatusOf } from "./status"
export { MedusaPaymentsError, MedusaPaymentsOutcomeUnknownError, type CloudErrorDetails } from "./errors"
export { DEFAULT_CLIENT_SETTINGS, type ClientSettings } from "./client"
export {
  SIGNATURE_HEADER,
  SIGNATURE_TOLERANCE_SECONDS,
  webhookSignatureHeader,
  verifiedEvent,
  webhookActionOf,
} from "./webhooks"
