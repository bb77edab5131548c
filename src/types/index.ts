import type {
  BigNumberInput,
  CapturePaymentInput,
  ModuleProviderExports,
  ModuleServiceInitializeOptions,
  RefundPaymentInput,
} from "@medusajs/framework/types"

/** The options a store passes to this module in `medusa-config.ts`. */
export type PaymentModuleOptions = Partial<ModuleServiceInitializeOptions> & {
  providers?: {
    resolve: string | ModuleProviderExports
    id: string
    options?: Record<string, unknown>
    dependencies?: string[]
  }[]
  /**
   * How long (ms) the module waits for any provider call before it records
   * the call's outcome as unknown — a capture or refund then stays counted
   * as `unknown` and `reconcilePayments` settles it with the same
   * idempotency key. Default 120000.
   */
  provider_timeout_ms?: number
  /**
   * Medusa Payments, as `@medusajs/payment` takes it: with `api_key`,
   * `endpoint`, `webhook_secret` and one of the handles set, the provider
   * `pp_medusa-payments_default` is registered (src/providers/medusa-payments).
   */
  cloud?: {
    api_key?: string
    endpoint?: string
    webhook_secret?: string
    environment_handle?: string
    sandbox_handle?: string
  }
}
export * from "./money-movement-status"

/**
 * What a provider may add to the answer of any call that asks its service
 * for money (initiate, update, authorize, capture, refund): the amount it
 * really asked for, in standard units, as an exact decimal string. A store's
 * totals can carry more decimals than money can (Medusa does not round
 * taxes), so a provider rounds them to what its service takes; the module
 * writes the difference into its ledger (`provider_rounding`) instead of
 * letting it vanish. Leave it out when nothing was rounded.
 */
export type AmountSent = { amount_sent?: string }

/**
 * A refund as the provider's own records show it, reported with a webhook
 * (`refunds_at_provider` beside Medusa's `action` and `data`). The module
 * records every succeeded one it did not make — a refund from the
 * provider's dashboard — as a refund of the payment, once. `movement_id` is
 * the module's movement (its idempotency key) for a refund the module made.
 */
export type RefundAtProvider = {
  /** the provider's id of the refund */
  id: string
  /** standard units, an exact decimal string */
  amount: string
  status: "succeeded" | "pending" | "failed" | "canceled"
  movement_id?: string
  reason?: string
}

/**
 * What a provider may add to its `capturePayment` answer: true when, after
 * this capture, it holds nothing more of the authorization — the rest was
 * released (Stripe releases it on a partial capture unless multicapture is
 * on). The module records the released amount as a movement of its own and
 * stops offering it for capture.
 */
export type CaptureFacts = { authorization_released?: boolean }

/**
 * What a provider's `getWebhookActionAndData` may add to Medusa's answer:
 * the refunds its records hold, and — when the authorization no longer
 * exists at the provider (it expired, or was canceled there) — why. The
 * module records such a cancel as it happened: the payment and its session
 * are canceled, as after `cancelPayment`.
 */
/**
 * Why the provider failed an attempt to pay (a decline, a failed 3-D Secure
 * challenge), as its own code and message. A provider adds it as
 * `payment_failure` beside a `getPaymentStatus` or `authorizePayment` answer
 * whose status is `error`; the module keeps it on the session, in
 * `data.payment_failure` (with `at`), where a storefront reads it.
 */
export type PaymentFailure = { code: string | null; message: string | null }
export type FailureFacts = { payment_failure?: PaymentFailure }

export type WebhookFacts = {
  refunds_at_provider?: RefundAtProvider[]
  authorization_canceled?: { reason: string }
  disputes_at_provider?: DisputeAtProvider[]
}

/**
 * A dispute (chargeback) as the provider's records show it, reported with a
 * webhook. The module records each status it reaches on the payment
 * (`metadata.disputes`) and in the ledger, emits `payment.dispute.created` /
 * `payment.dispute.updated`, and books a lost one as money out: a refund of
 * the payment (`ref_<dispute id>`).
 */
export type DisputeAtProvider = {
  id: string
  /** standard units, an exact decimal string */
  amount: string
  /** the provider's status; `won` and `lost` are final */
  status: string
  reason?: string
}

/**
 * An optional provider method: when the authorization in `data`, made at
 * `authorizedAt`, stops being capturable (Stripe: 7 days for online card
 * payments), or undefined if it does not expire. The module reports
 * authorizations nearing it (`checkAuthorizations`).
 */
export type AuthorizationExpiry = {
  authorizationExpiresAt?(data: Record<string, unknown>, authorizedAt: Date): Date | undefined
}

/**
 * What this module sends to a provider's `capturePayment`: Medusa's input
 * plus the amount to capture (standard units, an exact decimal string,
 * already at the currency's precision) and the payment's currency. This
 * module always sends both; `@medusajs/payment` 2.21 sends neither, so a
 * provider meant for both treats a missing amount as "capture the rest".
 */
export type ModuleCapturePaymentInput = CapturePaymentInput & {
  amount?: BigNumberInput
  currency_code?: string
}

/** What this module sends to `refundPayment`: Medusa's input plus the payment's currency. */
export type ModuleRefundPaymentInput = RefundPaymentInput & {
  currency_code?: string
}

/**
 * What the provider's own records say of a payment's money, in standard
 * units as exact decimal strings — read-only, for the audit that compares
 * them with the module's books and the store's orders
 * (`npx medusa-payment-plus audit`). An optional provider method:
 * `getPaymentRecord({ data })`, given the session's or payment's data.
 */
export type PaymentRecordAtProvider = {
  /** the provider's own status word (Stripe: the intent's status) */
  status: string
  currency_code: string
  /** money the provider took from the customer (captured) */
  amount_received: string
  /** of that, what went back to the customer by refunds (an authorization released is not a refund) */
  amount_refunded: string
  /** of that, what the customer took back through disputes lost */
  amount_lost_to_disputes: string
  /** an authorization the provider still holds and could capture */
  amount_capturable: string
}

export type PaymentRecordReader = {
  getPaymentRecord?(input: { data: Record<string, unknown> }): Promise<PaymentRecordAtProvider>
}

/**
 * A provider whose payments never put the customer's money in a service's
 * hands (the manual provider: cash on delivery, a transfer an admin marks as
 * paid) says so with `movesNoMoney: true`. Its `authorized` is the
 * merchant's word, so the check for money held without an order never
 * completes a cart or voids anything for its sessions.
 */
export type MoneyHolding = { movesNoMoney?: boolean }
