import { PaymentSessionStatus } from "@medusajs/framework/utils"
import { invalidData, PaymentOutcomeUnknownError } from "./errors"

/**
 * How long the module waits for a provider before it stops waiting and
 * records the call's outcome as unknown. Generous: a provider SDK retries on
 * its own first (Stripe's waits 80 s per attempt by default), and an unknown
 * outcome costs a reconciliation, not money.
 */
export const DEFAULT_PROVIDER_TIMEOUT_MS = 120_000

/** The `provider_timeout_ms` module option: a positive number of milliseconds. */
export function providerTimeoutOption(value: unknown): number {
  if (value === undefined || value === null) return DEFAULT_PROVIDER_TIMEOUT_MS
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw invalidData(
      `The payment module option provider_timeout_ms must be a positive number of milliseconds, got ${JSON.stringify(value)}.`
    )
  }
  return value
}

/**
 * The provider's answer, or — once `timeoutMs` has passed without one — an
 * outcome-unknown error. The call itself cannot be stopped and may still
 * take effect at the provider; that is exactly why its outcome is unknown
 * (and settled later with the same idempotency key), never "failed".
 */
export async function withProviderTimeout<T>(
  call: Promise<T>,
  timeoutMs: number,
  describeCall: string
): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new PaymentOutcomeUnknownError(
            `${describeCall}: no answer within ${timeoutMs} ms; the outcome is unknown and will be reconciled.`
          )
        ),
      timeoutMs
    )
    timer.unref()
  })
  try {
    return await Promise.race([call, timeout])
  } finally {
    clearTimeout(timer)
  }
}

const SESSION_STATUSES = new Set<string>(Object.values(PaymentSessionStatus))

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * Refuses an answer that is not one the provider contract allows (an
 * object whose `data` is an object and whose `status` is a session status;
 * `authorizePayment` and `initiatePayment` must answer at all). Such an
 * answer says nothing about what the provider did, so it counts as an
 * unknown outcome: recorded as such and reconciled — never stored as the
 * payment's data, where it would break every later call.
 */
export function checkProviderAnswer<T>(answer: T, operation: string, describeCall: string): T {
  const problem = answerProblem(answer, operation)
  if (problem) {
    throw new PaymentOutcomeUnknownError(
      `${describeCall}: the provider's answer makes no sense (${problem}); the outcome is unknown and will be reconciled.`
    )
  }
  return answer
}

function answerProblem(answer: unknown, operation: string): string | undefined {
  const mustAnswer = operation === "authorizePayment" || operation === "initiatePayment"
  if (answer === undefined || answer === null) {
    return mustAnswer ? `no answer at all` : undefined
  }
  if (!isPlainObject(answer)) {
    return `${Array.isArray(answer) ? "an array" : typeof answer} instead of an object`
  }
  if (answer.data !== undefined && answer.data !== null && !isPlainObject(answer.data)) {
    return `data is ${Array.isArray(answer.data) ? "an array" : typeof answer.data}, not an object`
  }
  const status = answer.status
  if (operation === "authorizePayment" && status === undefined) {
    return `no status`
  }
  if (status !== undefined && status !== null && !SESSION_STATUSES.has(status as string)) {
    return `unknown status ${JSON.stringify(status)}`
  }
  const sent = answer.amount_sent
  if (sent !== undefined && sent !== null && !(typeof sent === "string" && AMOUNT_SENT.test(sent))) {
    return `amount_sent ${JSON.stringify(sent)} is not a decimal string`
  }
  return undefined
}

/** `amount_sent` (types/index.ts `AmountSent`): a non-negative exact decimal in standard units. */
const AMOUNT_SENT = /^\d+(\.\d+)?$/
