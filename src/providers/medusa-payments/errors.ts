import { MedusaError } from "@medusajs/framework/utils"
import { PaymentOutcomeUnknownError } from "../../utils/errors"

/** What Medusa Payments said about a refused request (its error body and HTTP status). */
export type CloudErrorDetails = {
  /** `MedusaCardError`, `MedusaAPIError`, … */
  type?: string
  /** The processor's own error type, when the service passed one on. */
  originalType?: string
  status?: number
  message?: string
}

/** A refusal whose outcome is known: nothing happened at Medusa Payments. */
export class MedusaPaymentsError extends MedusaError {
  readonly operation: string
  readonly cloud: CloudErrorDetails

  constructor(input: { type: string; operation: string; message: string; cloud?: CloudErrorDetails; cause?: unknown }) {
    super(input.type, input.message, input.cloud?.type)
    this.name = "MedusaPaymentsError"
    this.operation = input.operation
    this.cloud = input.cloud ?? {}
    if (input.cause !== undefined) (this as { cause?: unknown }).cause = input.cause
  }
}

/**
 * The request may or may not have taken effect: the connection failed after
 * it was sent, no answer came in time, the service answered 5xx or said the
 * result is indeterminate. Carries `outcome_unknown: true`, so the module
 * records the capture or refund as unknown and settles it later with the
 * same idempotency key, instead of undoing it.
 */
export class MedusaPaymentsOutcomeUnknownError extends PaymentOutcomeUnknownError {
  readonly operation: string
  readonly cloud: CloudErrorDetails

  constructor(input: { operation: string; message: string; cloud?: CloudErrorDetails; cause?: unknown }) {
    super(`Medusa Payments ${input.operation}: outcome unknown (${input.message})`, input.cause)
    this.name = "MedusaPaymentsOutcomeUnknownError"
    this.operation = input.operation
    this.cloud = input.cloud ?? {}
  }
}

export function invalidInput(message: string): MedusaError {
  return new MedusaError(MedusaError.Types.INVALID_DATA, message)
}
