// Stripe-shaped API errors. The SDK picks its exception class from `type` and the
// HTTP status, so both must match what api.stripe.com would send.

export type StripeErrorType =
  | "api_error"
  | "card_error"
  | "idempotency_error"
  | "invalid_request_error"
  | "authentication_error"
  | "rate_limit_error"

export interface StripeErrorBody {
  type: StripeErrorType
  message: string
  code?: string
  param?: string
  decline_code?: string
  doc_url?: string
  charge?: string
  payment_intent?: unknown
  payment_method?: unknown
  setup_intent?: unknown
}

export interface ApiErrorOptions {
  /**
   * Stripe saves an idempotent result only once the endpoint began executing.
   * Validation failures are not saved (a retry may succeed); a card decline
   * already changed state, so it is saved and replayed.
   */
  afterEffect?: boolean
  headers?: Record<string, string>
}

export class ApiError extends Error {
  readonly afterEffect: boolean
  readonly headers: Record<string, string>

  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
    options: ApiErrorOptions = {}
  ) {
    super(body.message)
    this.afterEffect = options.afterEffect ?? false
    this.headers = options.headers ?? {}
  }

  toJSON(): { error: StripeErrorBody } {
    return { error: this.body }
  }
}

function docUrl(code: string | undefined): string | undefined {
  return code ? `https://stripe.com/docs/error-codes/${code.replace(/_/g, "-")}` : undefined
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== undefined)
  ) as T
}

export function invalidRequest(
  message: string,
  extra: { code?: string; param?: string; status?: number; afterEffect?: boolean } = {}
): ApiError {
  return new ApiError(
    extra.status ?? 400,
    withoutUndefined({
      type: "invalid_request_error" as const,
      message,
      code: extra.code,
      param: extra.param,
      doc_url: docUrl(extra.code),
    }),
    { afterEffect: extra.afterEffect }
  )
}

export function resourceMissing(kind: string, id: string, param = "id"): ApiError {
  return invalidRequest(`No such ${kind}: '${id}'`, {
    code: "resource_missing",
    param,
    status: 404,
  })
}

export function unknownParameter(param: string): ApiError {
  return invalidRequest(`Received unknown parameter: ${param}`, {
    code: "parameter_unknown",
    param,
  })
}

export function missingParameter(param: string): ApiError {
  return invalidRequest(`Missing required param: ${param}.`, {
    code: "parameter_missing",
    param,
  })
}

export function unexpectedState(message: string, param?: string): ApiError {
  return invalidRequest(message, { code: "payment_intent_unexpected_state", param })
}

export interface CardErrorDetails {
  message: string
  code: string
  decline_code?: string
  param?: string
  charge?: string
  payment_intent?: unknown
  payment_method?: unknown
  setup_intent?: unknown
}

export function cardError(details: CardErrorDetails): ApiError {
  return new ApiError(
    402,
    withoutUndefined({ type: "card_error" as const, ...details, doc_url: docUrl(details.code) }),
    { afterEffect: true }
  )
}

export function idempotencyMismatch(message: string): ApiError {
  return new ApiError(400, { type: "idempotency_error", message })
}

export function idempotencyKeyInUse(key: string): ApiError {
  return new ApiError(409, {
    type: "invalid_request_error",
    code: "idempotency_key_in_use",
    message:
      "There is currently another in-progress request using this Idempotent Key " +
      "(that probably means you submitted twice, and the other request is still going through): " +
      `${key}. Please try again later.`,
    doc_url: docUrl("idempotency_key_in_use"),
  })
}

export function internalError(message = "An unknown error occurred"): ApiError {
  return new ApiError(500, { type: "api_error", message })
}

export function authenticationError(message: string): ApiError {
  return new ApiError(401, { type: "authentication_error", message })
}
