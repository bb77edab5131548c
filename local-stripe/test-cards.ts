// Stripe's magic test payment methods, plus two local ones for async flows
// (`pm_card_processing`, `pm_sepa_debit`). A profile describes how the
// "issuer" answers; state-machine.ts turns that into PaymentIntent states.

export interface Decline {
  code: string
  decline_code?: string
  message: string
  param?: string
  /** "payment": charges fail but saving the card works (Stripe's chargeCustomerFail). */
  on: "always" | "payment"
}

export interface TestProfile {
  type: "card" | "sepa_debit"
  brand: string
  last4: string
  funding: "credit" | "debit" | "prepaid"
  country: string
  decline?: Decline
  /** "always": every on-session payment and setup; "setup": only when saving. */
  authentication?: "always" | "setup"
  /** Issuer outcome once the cardholder passed 3-D Secure. */
  declineAfterAuthentication?: Decline
  /** Payment sits in `processing` and settles later with this outcome. */
  async?: "succeed" | "fail"
  /** Once captured, the cardholder disputes the charge with this reason. */
  dispute?: string
}

const GENERIC_DECLINE: Decline = {
  code: "card_declined",
  decline_code: "generic_decline",
  message: "Your card was declined.",
  on: "always",
}
const INSUFFICIENT_FUNDS: Decline = {
  code: "card_declined",
  decline_code: "insufficient_funds",
  message: "Your card has insufficient funds.",
  on: "always",
}

function visa(last4: string, extra: Partial<TestProfile> = {}): TestProfile {
  return { type: "card", brand: "visa", last4, funding: "credit", country: "US", ...extra }
}

const PROFILES: Record<string, TestProfile> = {
  visa: visa("4242"),
  visa_debit: visa("5556", { funding: "debit" }),
  mastercard: { type: "card", brand: "mastercard", last4: "4444", funding: "credit", country: "US" },
  amex: { type: "card", brand: "amex", last4: "8431", funding: "credit", country: "US" },
  chargeDeclined: visa("0002", { decline: GENERIC_DECLINE }),
  visa_chargeDeclined: visa("0002", { decline: GENERIC_DECLINE }),
  chargeDeclinedInsufficientFunds: visa("9995", { decline: INSUFFICIENT_FUNDS }),
  visa_chargeDeclinedInsufficientFunds: visa("9995", { decline: INSUFFICIENT_FUNDS }),
  chargeDeclinedLostCard: visa("9987", {
    decline: { ...GENERIC_DECLINE, decline_code: "lost_card" },
  }),
  chargeDeclinedStolenCard: visa("9979", {
    decline: { ...GENERIC_DECLINE, decline_code: "stolen_card" },
  }),
  chargeDeclinedFraudulent: visa("0019", {
    decline: { ...GENERIC_DECLINE, decline_code: "fraudulent" },
  }),
  chargeDeclinedExpiredCard: visa("0069", {
    decline: { code: "expired_card", message: "Your card has expired.", param: "exp_month", on: "always" },
  }),
  chargeDeclinedIncorrectCvc: visa("0127", {
    decline: { code: "incorrect_cvc", message: "Your card's security code is incorrect.", param: "cvc", on: "always" },
  }),
  chargeDeclinedProcessingError: visa("0119", {
    decline: {
      code: "processing_error",
      message: "An error occurred while processing your card. Try again in a little bit.",
      on: "always",
    },
  }),
  chargeCustomerFail: visa("0341", { decline: { ...GENERIC_DECLINE, on: "payment" } }),
  threeDSecure2Required: visa("3220", { authentication: "always" }),
  threeDSecureRequired: visa("3063", { authentication: "always" }),
  authenticationRequired: visa("3184", { authentication: "always" }),
  authenticationRequiredOnSetup: visa("3155", { authentication: "setup" }),
  authenticationRequiredChargeDeclinedInsufficientFunds: visa("3178", {
    authentication: "always",
    declineAfterAuthentication: INSUFFICIENT_FUNDS,
  }),
  processing: visa("0077", { async: "succeed" }),
  createDispute: visa("0259", { dispute: "fraudulent" }),
  createDisputeProductNotReceived: visa("2685", { dispute: "product_not_received" }),
}

const SEPA_SUCCEEDS: TestProfile = {
  type: "sepa_debit",
  brand: "sepa_debit",
  last4: "3000",
  funding: "debit",
  country: "DE",
  async: "succeed",
}

const CARD_NUMBERS: Record<string, string> = {
  "4242424242424242": "visa",
  "4000056655665556": "visa_debit",
  "5555555555554444": "mastercard",
  "378282246310005": "amex",
  "4000000000000002": "chargeDeclined",
  "4000000000009995": "chargeDeclinedInsufficientFunds",
  "4000000000009987": "chargeDeclinedLostCard",
  "4000000000009979": "chargeDeclinedStolenCard",
  "4100000000000019": "chargeDeclinedFraudulent",
  "4000000000000069": "chargeDeclinedExpiredCard",
  "4000000000000127": "chargeDeclinedIncorrectCvc",
  "4000000000000119": "chargeDeclinedProcessingError",
  "4000000000000341": "chargeCustomerFail",
  "4000000000003220": "threeDSecure2Required",
  "4000000000003063": "threeDSecureRequired",
  "4000002760003184": "authenticationRequired",
  "4000002500003155": "authenticationRequiredOnSetup",
  "4000008260003178": "authenticationRequiredChargeDeclinedInsufficientFunds",
  "4000000000000259": "createDispute",
  "4000000000002685": "createDisputeProductNotReceived",
}

/** Resolves `pm_card_<name>`, `tok_<name>`, `pm_sepa_debit[_fail]`. */
export function profileForToken(token: string): TestProfile | undefined {
  if (token === "pm_sepa_debit") return SEPA_SUCCEEDS
  if (token === "pm_sepa_debit_fail") return { ...SEPA_SUCCEEDS, last4: "3202", async: "fail" }
  const name = token.startsWith("pm_card_")
    ? token.slice("pm_card_".length)
    : token.startsWith("tok_")
      ? token.slice("tok_".length)
      : undefined
  return name !== undefined ? PROFILES[name] : undefined
}

export function profileForCardNumber(number: string): TestProfile | undefined {
  const name = CARD_NUMBERS[number.replace(/\s+/g, "")]
  return name ? PROFILES[name] : undefined
}

export function isTestToken(id: string): boolean {
  return profileForToken(id) !== undefined
}

export const DEFAULT_CARD: TestProfile = PROFILES.visa

export function testTokenNames(): string[] {
  return [...Object.keys(PROFILES).map((n) => `pm_card_${n}`), "pm_sepa_debit", "pm_sepa_debit_fail"]
}
