import { MedusaError } from "@medusajs/framework/utils"

/**
 * What a store writes in `medusa-config.ts` for this provider:
 *
 * ```ts
 * { resolve: "medusa-payment-plus/providers/stripe", id: "stripe",
 *   options: { apiKey: process.env.STRIPE_API_KEY, webhookSecret: process.env.STRIPE_WEBHOOK_SECRET } }
 * ```
 *
 * The option names are the ones of `@medusajs/payment-stripe`, so a store can
 * switch without touching its config; the extra ones are optional.
 */
export type StripeProviderOptions = {
  /** Secret (`sk_…`) or restricted (`rk_…`) key. */
  apiKey: string
  /**
   * The endpoint's signing secret (`whsec_…`). During a rotation pass both
   * secrets, newest first: a delivery is accepted if any of them signed it.
   */
  webhookSecret?: string | string[]
  /** How far (seconds) a webhook timestamp may be from our clock. Default 300. */
  webhookToleranceSeconds?: number
  /**
   * `true`/`"automatic"` captures at authorization; `false`/`"manual"` (the
   * default) only places a hold that `capturePayment` captures later.
   */
  capture?: boolean | "automatic" | "manual"
  /** Lets Stripe pick the payment methods enabled in the Dashboard. */
  automaticPaymentMethods?: boolean
  /** A Dashboard payment method configuration (`pmc_…`). */
  paymentMethodConfiguration?: string
  /** Default `description` of every PaymentIntent. */
  paymentDescription?: string
  /**
   * Payment method types whose `processing` state means "the customer has
   * paid, the bank has not confirmed yet" (SEPA debit, bank transfers…).
   * Such intents map to `pending_authorization` instead of `pending`.
   */
  asyncPaymentMethodTypes?: string[]
  /** Days an OXXO voucher stays payable (the `stripe-oxxo` variant). Default 3, as Medusa's. */
  oxxoExpiresDays?: number
  /**
   * Where the Stripe API lives, e.g. `http://127.0.0.1:12111` for a local
   * Stripe in tests. Defaults to the `STRIPE_API_BASE_URL` environment
   * variable, then to the real `https://api.stripe.com`: a store whose
   * config is Medusa's documented one can be pointed at a local Stripe or
   * stripe-mock without editing it.
   */
  apiBaseUrl?: string
  /** Pins the Stripe API version; defaults to the SDK's own. */
  apiVersion?: string
  /** Retries the SDK makes on network errors and 409/5xx (same idempotency key). Default 2. */
  maxNetworkRetries?: number
  /** Per-request timeout in milliseconds. Default 80000 (the SDK's). */
  timeoutMs?: number
  /**
   * When `authorizePayment` finds an intent in `requires_confirmation` (a
   * payment method is attached but nobody confirmed), confirm it on the
   * server. Default true; set false to leave confirmation to the storefront.
   */
  confirmOnAuthorize?: boolean
}

/** The options after validation, with defaults filled in. */
export type ResolvedStripeOptions = {
  apiKey: string
  webhookSecrets: string[]
  webhookToleranceSeconds: number
  captureMethod: "automatic" | "manual"
  automaticPaymentMethods: boolean
  paymentMethodConfiguration?: string
  paymentDescription?: string
  asyncPaymentMethodTypes: string[]
  oxxoExpiresDays: number
  api: { host: string; port: number; protocol: "http" | "https" } | undefined
  apiVersion?: string
  maxNetworkRetries: number
  timeoutMs: number
  confirmOnAuthorize: boolean
}

export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300
export const DEFAULT_OXXO_EXPIRES_DAYS = 3

const KNOWN_OPTIONS: ReadonlyArray<keyof StripeProviderOptions> = [
  "apiKey",
  "webhookSecret",
  "webhookToleranceSeconds",
  "capture",
  "automaticPaymentMethods",
  "paymentMethodConfiguration",
  "paymentDescription",
  "asyncPaymentMethodTypes",
  "oxxoExpiresDays",
  "apiBaseUrl",
  "apiVersion",
  "maxNetworkRetries",
  "timeoutMs",
  "confirmOnAuthorize",
]

/**
 * Medusa's Stripe page documents these two in snake case, while its provider
 * reads the camel-case names (and silently ignores the documented ones). A
 * config copied from the docs gets the meaning the docs give it here.
 */
const DOCUMENTED_ALIASES: Record<string, keyof StripeProviderOptions> = {
  automatic_payment_methods: "automaticPaymentMethods",
  payment_description: "paymentDescription",
}

function optionError(message: string): MedusaError {
  return new MedusaError(
    MedusaError.Types.INVALID_ARGUMENT,
    `Stripe payment provider: ${message}`
  )
}

/**
 * Checks the provider options and fills in defaults. Throws a MedusaError
 * (INVALID_ARGUMENT) naming the faulty option, so a misconfigured store fails
 * at boot rather than at its first checkout.
 */
export function resolveStripeOptions(options: unknown): ResolvedStripeOptions {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw optionError("options must be an object with at least `apiKey`.")
  }
  const raw = withDocumentedAliases(options as Record<string, unknown>)
  rejectUnknownOptions(raw)

  return {
    apiKey: readApiKey(raw.apiKey),
    webhookSecrets: readWebhookSecrets(raw.webhookSecret),
    webhookToleranceSeconds: readPositiveNumber(
      raw.webhookToleranceSeconds,
      "webhookToleranceSeconds",
      DEFAULT_WEBHOOK_TOLERANCE_SECONDS
    ),
    captureMethod: readCaptureMethod(raw.capture),
    automaticPaymentMethods: readBoolean(raw.automaticPaymentMethods, "automaticPaymentMethods", false),
    paymentMethodConfiguration: readOptionalString(raw.paymentMethodConfiguration, "paymentMethodConfiguration"),
    paymentDescription: readOptionalString(raw.paymentDescription, "paymentDescription"),
    asyncPaymentMethodTypes: readStringList(raw.asyncPaymentMethodTypes, "asyncPaymentMethodTypes"),
    oxxoExpiresDays: readPositiveInteger(raw.oxxoExpiresDays, "oxxoExpiresDays", DEFAULT_OXXO_EXPIRES_DAYS),
    api: readApiBaseUrl(raw.apiBaseUrl ?? (process.env.STRIPE_API_BASE_URL || undefined)),
    apiVersion: readOptionalString(raw.apiVersion, "apiVersion"),
    maxNetworkRetries: readNonNegativeInteger(raw.maxNetworkRetries, "maxNetworkRetries", 2),
    timeoutMs: readPositiveNumber(raw.timeoutMs, "timeoutMs", 80_000),
    confirmOnAuthorize: readBoolean(raw.confirmOnAuthorize, "confirmOnAuthorize", true),
  }
}

function withDocumentedAliases(options: Record<string, unknown>): Record<string, unknown> {
  const raw = { ...options }
  for (const [alias, name] of Object.entries(DOCUMENTED_ALIASES)) {
    if (!(alias in raw)) continue
    if (raw[name] !== undefined && raw[name] !== raw[alias]) {
      throw optionError(`options \`${alias}\` and \`${name}\` are the same option with two values; keep \`${name}\`.`)
    }
    raw[name] = raw[alias]
    delete raw[alias]
  }
  return raw
}

/**
 * A misspelt option (`webhook_secret` for `webhookSecret`) would otherwise be
 * ignored silently, and webhooks would then fail in production only.
 */
function rejectUnknownOptions(raw: Record<string, unknown>): void {
  const unknown = Object.keys(raw).filter(
    (key) => !(KNOWN_OPTIONS as string[]).includes(key)
  )
  if (unknown.length) {
    throw optionError(
      `unknown option(s) ${unknown.map((k) => `\`${k}\``).join(", ")}. ` +
        `Supported options: ${KNOWN_OPTIONS.join(", ")}.`
    )
  }
}

function readApiKey(value: unknown): string {
  if (value === undefined || value === null || value === "") {
    throw optionError("required option `apiKey` is missing (your Stripe secret key, sk_…).")
  }
  if (typeof value !== "string") {
    throw optionError(`option \`apiKey\` must be a string, got ${typeof value}.`)
  }
  if (value.startsWith("pk_")) {
    throw optionError(
      "option `apiKey` is a publishable key (pk_…); the server needs the secret key (sk_…) or a restricted key (rk_…)."
    )
  }
  return value
}

function readWebhookSecrets(value: unknown): string[] {
  if (value === undefined || value === null) {
    return []
  }
  const list = Array.isArray(value) ? value : [value]
  if (list.length === 0 && Array.isArray(value)) {
    throw optionError("option `webhookSecret` is an empty list; give at least one secret or leave it out.")
  }
  for (const secret of list) {
    if (typeof secret !== "string" || secret.trim() === "") {
      throw optionError(
        "option `webhookSecret` must be a non-empty string, or a list of them while rotating secrets."
      )
    }
  }
  return list as string[]
}

function readCaptureMethod(value: unknown): "automatic" | "manual" {
  if (value === undefined || value === null || value === false || value === "manual") {
    return "manual"
  }
  if (value === true || value === "automatic") {
    return "automatic"
  }
  throw optionError(
    `option \`capture\` must be true/"automatic" or false/"manual", got ${JSON.stringify(value)}.`
  )
}

function readBoolean(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback
  if (typeof value !== "boolean") {
    throw optionError(`option \`${name}\` must be a boolean, got ${JSON.stringify(value)}.`)
  }
  return value
}

function readOptionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== "string" || value === "") {
    throw optionError(`option \`${name}\` must be a non-empty string, got ${JSON.stringify(value)}.`)
  }
  return value
}

function readStringList(value: unknown, name: string): string[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v === "")) {
    throw optionError(`option \`${name}\` must be a list of payment method types, e.g. ["sepa_debit"].`)
  }
  return value as string[]
}

function readPositiveNumber(value: unknown, name: string, fallback: number): number {
  if (value === undefined || value === null) return fallback
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw optionError(`option \`${name}\` must be a positive number, got ${JSON.stringify(value)}.`)
  }
  return value
}

function readPositiveInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined || value === null) return fallback
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw optionError(`option \`${name}\` must be a whole number ≥ 1, got ${JSON.stringify(value)}.`)
  }
  return value
}

function readNonNegativeInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined || value === null) return fallback
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw optionError(`option \`${name}\` must be a whole number ≥ 0, got ${JSON.stringify(value)}.`)
  }
  return value
}

/** The SDK takes host, port and protocol separately and cannot add a path. */
function readApiBaseUrl(value: unknown): ResolvedStripeOptions["api"] {
  if (value === undefined || value === null) return undefined
  if (typeof value !== "string") {
    throw optionError(`option \`apiBaseUrl\` must be a URL string, got ${typeof value}.`)
  }
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw optionError(`option \`apiBaseUrl\` is not a URL: ${JSON.stringify(value)}.`)
  }
  const protocol = url.protocol.replace(/:$/, "")
  if (protocol !== "http" && protocol !== "https") {
    throw optionError(`option \`apiBaseUrl\` must use http or https, got ${JSON.stringify(value)}.`)
  }
  if (url.pathname !== "/" || url.search || url.hash) {
    throw optionError(
      `option \`apiBaseUrl\` must be an origin without a path (the SDK adds /v1/…), got ${JSON.stringify(value)}.`
    )
  }
  const port = url.port ? Number(url.port) : protocol === "https" ? 443 : 80
  // URL keeps IPv6 literals bracketed ("[::1]"); the SDK wants the bare address.
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1")
  return { host, port, protocol }
}
