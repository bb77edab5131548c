import { MedusaError } from "@medusajs/framework/utils"
import { isOutcomeUnknown, PaymentOutcomeUnknownError } from "../../utils/errors"
import Stripe from "stripe"

/**
 * What Stripe said, kept on every error we raise from a Stripe failure so a
 * log line or an admin screen can show it without parsing the message.
 */
export type StripeErrorDetails = {
  type?: string
  code?: string
  decline_code?: string
  param?: string
  status_code?: number
  request_id?: string
  doc_url?: string
  payment_intent_id?: string
}

/**
 * Thrown when we cannot know whether Stripe carried out a request: the
 * connection broke, it timed out, Stripe answered 5xx (`api_error`), or
 * another request with the same idempotency key was still running (409).
 *
 * The money may or may not have moved. The caller must NOT record the
 * operation as failed (and, e.g., delete its capture or refund row). It
 * should record it as "unknown" and reconcile later by repeating the call
 * with the same `idempotency_key` — Stripe then replays the original
 * outcome — or by reading the intent (`retrievePayment`) or waiting for the
 * webhook.
 *
 * Detect it with `isOutcomeUnknown(error)` from the module (checks the
 * `outcome_unknown` mark, so it also works across package copies).
 */
export class StripeOutcomeUnknownError extends PaymentOutcomeUnknownError {
  readonly operation: string
  readonly idempotency_key?: string
  readonly stripe: StripeErrorDetails

  constructor(input: {
    operation: string
    idempotencyKey?: string
    stripe: StripeErrorDetails
    message: string
    cause?: unknown
  }) {
    super(
      `Stripe ${input.operation}: outcome unknown, reconcile before retrying with a new key (${input.message})`,
      input.cause
    )
    this.name = "StripeOutcomeUnknownError"
    this.operation = input.operation
    this.idempotency_key = input.idempotencyKey
    this.stripe = input.stripe
  }
}

/** The module's one test for "nobody knows whether it happened". */
export const isPaymentOutcomeUnknown = isOutcomeUnknown

/** A MedusaError carrying Stripe's details, for failures whose outcome is known. */
export class StripeProviderError extends MedusaError {
  readonly operation: string
  readonly stripe: StripeErrorDetails

  constructor(input: {
    type: string
    operation: string
    stripe: StripeErrorDetails
    message: string
    cause?: unknown
  }) {
    super(
      input.type,
      `Stripe ${input.operation} failed: ${input.message}`,
      input.stripe.decline_code ?? input.stripe.code
    )
    this.name = "StripeProviderError"
    this.operation = input.operation
    this.stripe = input.stripe
    if (input.cause !== undefined) {
      ;(this as { cause?: unknown }).cause = input.cause
    }
  }
}

export function isStripeError(error: unknown): error is Stripe.errors.StripeError {
  return (
    error instanceof Stripe.errors.StripeError ||
    (typeof error === "object" &&
      error !== null &&
      typeof (error as { type?: unknown }).type === "string" &&
      String((error as { type: string }).type).startsWith("Stripe"))
  )
}

function detailsOf(error: Stripe.errors.StripeError): StripeErrorDetails {
  return {
    type: error.rawType ?? error.type,
    code: error.code,
    decline_code: error.decline_code,
    param: error.param,
    status_code: error.statusCode,
    request_id: error.requestId,
    doc_url: error.doc_url,
    payment_intent_id: error.payment_intent?.id,
  }
}

/**
 * Whether Stripe may or may not have applied the request. A 4xx is a clear
 * "no" (Stripe validates before acting), except 409: a concurrent request
 * with the same idempotency key is in flight and may still succeed.
 */
export function isOutcomeUnknownStripeError(error: Stripe.errors.StripeError): boolean {
  if (error.type === "StripeConnectionError" || error.type === "StripeAPIError") {
    return true
  }
  const status = error.statusCode
  return status === undefined || status === 409 || status >= 500
}

/** Stripe's error category → the Medusa error type the HTTP layer understands. */
function medusaTypeFor(error: Stripe.errors.StripeError): string {
  switch (error.type) {
    case "StripeCardError":
      return MedusaError.Types.PAYMENT_AUTHORIZATION_ERROR
    case "StripeAuthenticationError":
      return MedusaError.Types.UNAUTHORIZED
    case "StripePermissionError":
      return MedusaError.Types.FORBIDDEN
    case "StripeRateLimitError":
      return MedusaError.Types.CONFLICT
    case "StripeInvalidRequestError":
      return error.statusCode === 404
        ? MedusaError.Types.NOT_FOUND
        : MedusaError.Types.INVALID_DATA
    default:
      return MedusaError.Types.UNEXPECTED_STATE
  }
}

/**
 * Turns anything the SDK threw into a MedusaError that keeps Stripe's own
 * message and code. Errors that are already MedusaErrors (our own
 * validation) pass through untouched; anything else that is not from Stripe
 * (a bug, a network library error) is treated as "outcome unknown", because
 * we cannot tell whether the request left the process.
 */
export function toProviderError(
  error: unknown,
  operation: string,
  idempotencyKey?: string
): MedusaError {
  if (MedusaError.isMedusaError(error)) {
    return error
  }
  if (!isStripeError(error)) {
    const message = error instanceof Error ? error.message : String(error)
    return new StripeOutcomeUnknownError({
      operation,
      idempotencyKey,
      stripe: {},
      message,
      cause: error,
    })
  }
  const stripe = detailsOf(error)
  if (isOutcomeUnknownStripeError(error)) {
    return new StripeOutcomeUnknownError({
      operation,
      idempotencyKey,
      stripe,
      message: error.message,
      cause: error,
    })
  }
  return new StripeProviderError({
    type: medusaTypeFor(error),
    operation,
    stripe,
    message: error.message,
    cause: error,
  })
}
