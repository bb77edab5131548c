import { PaymentSessionStatus } from "@medusajs/framework/utils"
import type PaymentProviderService from "../services/payment-provider"
import type { PaymentRecordAtProvider, PaymentRecordReader } from "../types"
import { invalidData, PaymentOutcomeUnknownError } from "../utils/errors"

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

type ProviderService = Pick<
  PaymentProviderService,
  | "retrieveProvider"
  | "createSession"
  | "updateSession"
  | "deleteSession"
  | "authorizePayment"
  | "getStatus"
  | "capturePayment"
  | "cancelPayment"
  | "refundPayment"
  | "retrieveAccountHolder"
  | "createAccountHolder"
  | "updateAccountHolder"
  | "deleteAccountHolder"
  | "listPaymentMethods"
  | "savePaymentMethod"
  | "deletePaymentMethod"
  | "getWebhookActionAndData"
  | "verifyWebhook"
>

/**
 * The one way the module reaches a provider: through Medusa's provider
 * service (so whoever spies on or extends `paymentProviderService_` sees
 * every call), bounded by `provider_timeout_ms`, and — for the calls whose
 * answer the module stores — refusing answers outside the contract. Both a
 * timeout and a nonsense answer are unknown outcomes, never failures.
 */
export class ProviderGateway {
  constructor(
    private readonly providers: ProviderService,
    private readonly timeoutMs: number
  ) {}

  /** After this long a pending movement's call has certainly ended: its outcome is then unknown. */
  staleAfterMs(marginMs: number): number {
    return this.timeoutMs + marginMs
  }

  /** The provider registered under this key; NOT_FOUND, in Medusa's words, otherwise. */
  retrieveProvider(providerId: string) {
    return this.providers.retrieveProvider(providerId)
  }

  initiatePayment(providerId: string, input: Parameters<ProviderService["createSession"]>[1]) {
    return this.checked(providerId, "initiatePayment", this.providers.createSession(providerId, input))
  }

  updatePayment(providerId: string, input: Parameters<ProviderService["updateSession"]>[1]) {
    return this.checked(providerId, "updatePayment", this.providers.updateSession(providerId, input))
  }

  deletePayment(providerId: string, input: Parameters<ProviderService["deleteSession"]>[1]) {
    return this.checked(providerId, "deletePayment", this.providers.deleteSession(providerId, input))
  }

  authorizePayment(providerId: string, input: Parameters<ProviderService["authorizePayment"]>[1]) {
    return this.checked(providerId, "authorizePayment", this.providers.authorizePayment(providerId, input))
  }

  getPaymentStatus(providerId: string, input: Parameters<ProviderService["getStatus"]>[1]) {
    return this.checked(providerId, "getPaymentStatus", this.providers.getStatus(providerId, input))
  }

  capturePayment(providerId: string, input: Parameters<ProviderService["capturePayment"]>[1]) {
    return this.checked(providerId, "capturePayment", this.providers.capturePayment(providerId, input))
  }

  refundPayment(providerId: string, input: Parameters<ProviderService["refundPayment"]>[1]) {
    return this.checked(providerId, "refundPayment", this.providers.refundPayment(providerId, input))
  }

  cancelPayment(providerId: string, input: Parameters<ProviderService["cancelPayment"]>[1]) {
    return this.checked(providerId, "cancelPayment", this.providers.cancelPayment(providerId, input))
  }

  createAccountHolder(providerId: string, input: Parameters<ProviderService["createAccountHolder"]>[1]) {
    return this.bounded(providerId, "createAccountHolder", this.providers.createAccountHolder(providerId, input))
  }

  updateAccountHolder(providerId: string, input: Parameters<ProviderService["updateAccountHolder"]>[1]) {
    return this.bounded(providerId, "updateAccountHolder", this.providers.updateAccountHolder(providerId, input))
  }

  deleteAccountHolder(providerId: string, input: Parameters<ProviderService["deleteAccountHolder"]>[1]) {
    return this.bounded(providerId, "deleteAccountHolder", this.providers.deleteAccountHolder(providerId, input))
  }

  listPaymentMethods(providerId: string, input: Parameters<ProviderService["listPaymentMethods"]>[1]) {
    return this.bounded(providerId, "listPaymentMethods", this.providers.listPaymentMethods(providerId, input))
  }

  savePaymentMethod(providerId: string, input: Parameters<ProviderService["savePaymentMethod"]>[1]) {
    return this.bounded(providerId, "savePaymentMethod", this.providers.savePaymentMethod(providerId, input))
  }

  deletePaymentMethod(providerId: string, input: Parameters<ProviderService["deletePaymentMethod"]>[1]) {
    return this.bounded(providerId, "deletePaymentMethod", this.providers.deletePaymentMethod(providerId, input))
  }

  getWebhookActionAndData(providerId: string, payload: Parameters<ProviderService["getWebhookActionAndData"]>[1]) {
    return this.bounded(
      providerId,
      "getWebhookActionAndData",
      this.providers.getWebhookActionAndData(providerId, payload)
    )
  }

  verifyWebhook(providerId: string, payload: Parameters<ProviderService["verifyWebhook"]>[1]) {
    return this.bounded(providerId, "verifyWebhook", this.providers.verifyWebhook(providerId, payload))
  }

  /** The provider's own record of a payment's money (the optional `getPaymentRecord`); undefined when it has none. */
  async paymentRecord(providerId: string, data: Record<string, unknown>): Promise<PaymentRecordAtProvider | undefined> {
    const provider = this.providers.retrieveProvider(providerId) as PaymentRecordReader
    if (typeof provider?.getPaymentRecord !== "function") return undefined
    return await this.bounded(providerId, "getPaymentRecord", provider.getPaymentRecord({ data }))
  }

  private async bounded<T>(providerId: string, operation: string, call: Promise<T>): Promise<T> {
    return await withProviderTimeout(call, this.timeoutMs, `Payment provider ${providerId} ${operation}`)
  }

  private async checked<T>(providerId: string, operation: string, call: Promise<T>): Promise<T> {
    const describeCall = `Payment provider ${providerId} ${operation}`
    const answer = await withProviderTimeout(call, this.timeoutMs, describeCall)
    return checkProviderAnswer(answer, operation, describeCall)
  }
}
