import { MedusaError } from "@medusajs/framework/utils"

/**
 * Every error the module raises on purpose goes through these helpers, so
 * that each kind of failure has one type and one wording everywhere. Where
 * Medusa's module refuses the same call, the message is Medusa's, word for
 * word; what this module knows beyond it (amounts left, ids, registered
 * providers) goes in `details`, never in the message.
 */
export type ErrorDetails = Record<string, unknown>

function medusaError(type: string, message: string, details?: ErrorDetails): MedusaError {
  const error = new MedusaError(type, message)
  if (details !== undefined) (error as MedusaError & { details?: ErrorDetails }).details = details
  return error
}

export const invalidData = (message: string, details?: ErrorDetails) =>
  medusaError(MedusaError.Types.INVALID_DATA, message, details)

export const notFound = (message: string, details?: ErrorDetails) =>
  medusaError(MedusaError.Types.NOT_FOUND, message, details)

export const notAllowed = (message: string, details?: ErrorDetails) =>
  medusaError(MedusaError.Types.NOT_ALLOWED, message, details)

export const conflict = (message: string, details?: ErrorDetails) =>
  medusaError(MedusaError.Types.CONFLICT, message, details)

export const unexpectedState = (message: string, details?: ErrorDetails) =>
  medusaError(MedusaError.Types.UNEXPECTED_STATE, message, details)

export function requireString(value: unknown, field: string): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw invalidData(`The ${field} must be a non-empty string, got ${JSON.stringify(value) ?? String(value)}.`)
  }
  return value
}

/** One id or a non-empty list of ids, each a non-empty string. */
export function requireIdList(value: unknown, field: string): string[] {
  const list = Array.isArray(value) ? value : [value]
  if (list.length === 0) {
    throw invalidData(`The ${field} list must not be empty.`)
  }
  return list.map((id) => requireString(id, field))
}

/**
 * PostgreSQL's unique_violation, however it reached us: raw from pg, as
 * MikroORM's exception, or as the MedusaError that Medusa's transaction
 * wrapper turns it into ("<Table> with <key>: <value>, already exists.").
 */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; name?: string; type?: string; message?: string; cause?: { code?: string } }
  return (
    e?.code === "23505" ||
    e?.cause?.code === "23505" ||
    e?.name === "UniqueConstraintViolationException" ||
    (e?.type === MedusaError.Types.INVALID_DATA && /, already exists\.$/.test(e?.message ?? ""))
  )
}

/**
 * A provider's error as the caller should see it: its own message and code,
 * tagged with the provider and the operation, instead of a generic failure.
 * MedusaErrors thrown by a provider already speak the module's language.
 */
export function providerError(
  providerId: string,
  operation: string,
  error: unknown
): MedusaError {
  if (isOutcomeUnknown(error) && !(error instanceof PaymentOutcomeUnknownError)) {
    const message = (error as { message?: string })?.message ?? String(error)
    return new PaymentOutcomeUnknownError(
      `Payment provider ${providerId} ${operation}: outcome unknown (${message}); it will be reconciled.`,
      error
    )
  }
  if (MedusaError.isMedusaError(error)) {
    return error as MedusaError
  }
  const e = error as { message?: string; code?: string; type?: string }
  const type =
    operation === "authorizePayment" || operation === "initiatePayment"
      ? MedusaError.Types.PAYMENT_AUTHORIZATION_ERROR
      : MedusaError.Types.UNEXPECTED_STATE
  const wrapped = new MedusaError(
    type,
    `Payment provider ${providerId} failed to ${operation}: ${e?.message ?? String(error)}`,
    e?.code
  )
  ;(wrapped as { cause?: unknown }).cause = error
  return wrapped
}

/** Network failures after which a request may or may not have reached the provider. */
const AMBIGUOUS_NETWORK_CODES = new Set(["ETIMEDOUT", "ECONNRESET", "EPIPE", "ESOCKETTIMEDOUT", "UND_ERR_SOCKET", "ECONNABORTED"])

/**
 * The mark of a provider call whose outcome nobody knows: the answer was
 * lost, timed out, or made no sense. Providers signal it by throwing an
 * error with `outcome_unknown: true` (the Stripe provider does); the module
 * treats ambiguous network errors and its own timeouts the same way. Such a
 * call is recorded as unknown and settled by reconciliation — never recorded
 * as failed, since the money may have moved.
 */
export function isOutcomeUnknown(error: unknown): boolean {
  const e = error as { outcome_unknown?: unknown; code?: unknown; cause?: unknown } | null
  if (!e || typeof e !== "object") return false
  if (e.outcome_unknown === true) return true
  if (typeof e.code === "string" && AMBIGUOUS_NETWORK_CODES.has(e.code)) return true
  return e.cause !== undefined && e.cause !== error && isOutcomeUnknown(e.cause)
}

/** How an unknown outcome's reason begins when the provider could not find the payment. */
export const PROVIDER_CANNOT_FIND = "the provider cannot find this payment"

/** Provider answers about a payment the module created that say nothing about whether money moved. */
const CANNOT_TELL_TYPES = new Set<string>([MedusaError.Types.NOT_FOUND, MedusaError.Types.UNAUTHORIZED, MedusaError.Types.FORBIDDEN])

/**
 * Why a provider's error leaves a money movement's outcome unknown, or
 * undefined when the error proves that nothing moved (a definite refusal:
 * a decline, an invalid request). Besides a lost answer, "not found",
 * "unauthorized" and "forbidden" prove nothing about a payment this module
 * created: a wrong API key, account or test/live mode answers them while
 * the money may well be at the provider.
 */
export function unprovenOutcomeReason(error: unknown): string | undefined {
  const message = (error as { message?: string } | null)?.message ?? String(error)
  if (isOutcomeUnknown(error)) return `no answer from the provider: ${message}`
  // No provider registered under the key: nothing was sent anywhere, which proves nothing moved.
  if ((error as { details?: { registered_providers?: unknown } } | null)?.details?.registered_providers !== undefined) return undefined
  const type = (error as { type?: unknown } | null)?.type
  if (typeof type === "string" && CANNOT_TELL_TYPES.has(type)) {
    return `${PROVIDER_CANNOT_FIND} or refused the credentials (${message}); check its account, API key and test/live mode`
  }
  return undefined
}

/** An unproven outcome that is the provider not finding (or not letting us see) the payment. */
export function isProviderCannotFind(error: unknown): boolean {
  const type = (error as { type?: unknown } | null)?.type
  return !isOutcomeUnknown(error) && typeof type === "string" && CANNOT_TELL_TYPES.has(type)
}

export class PaymentOutcomeUnknownError extends MedusaError {
  readonly outcome_unknown = true as const

  constructor(message: string, cause?: unknown) {
    super(MedusaError.Types.UNEXPECTED_STATE, message, "outcome_unknown")
    this.name = "PaymentOutcomeUnknownError"
    if (cause !== undefined) (this as { cause?: unknown }).cause = cause
  }
}
