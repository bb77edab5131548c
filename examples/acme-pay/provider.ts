import { createHmac, timingSafeEqual } from "crypto"
import type {
  AuthorizePaymentInput,
  AuthorizePaymentOutput,
  BigNumberInput,
  CancelPaymentInput,
  CancelPaymentOutput,
  CapturePaymentInput,
  CapturePaymentOutput,
  DeletePaymentInput,
  DeletePaymentOutput,
  GetPaymentStatusInput,
  GetPaymentStatusOutput,
  InitiatePaymentInput,
  InitiatePaymentOutput,
  PaymentSessionStatus,
  ProviderWebhookPayload,
  RefundPaymentInput,
  RefundPaymentOutput,
  RetrievePaymentInput,
  RetrievePaymentOutput,
  UpdatePaymentInput,
  UpdatePaymentOutput,
  WebhookActionResult,
} from "@medusajs/framework/types"
import { AbstractPaymentProvider, BigNumber, MathBN, MedusaError } from "@medusajs/framework/utils"
import { parseAmount } from "../../src/utils/amount"
import { currencyExponent } from "../../src/utils/currency"
import { AcmePayClient, type AcmePayment } from "./acme-client"

export type AcmePayOptions = {
  /** Shared secret Acme signs webhooks with. */
  webhookSecret: string
  /** Injected in tests; a real provider would build an HTTP client from an API key. */
  client?: AcmePayClient
}

const STATUS: Record<AcmePayment["status"], PaymentSessionStatus> = {
  created: "pending",
  authorized: "authorized",
  captured: "captured",
  canceled: "canceled",
}

/** The Acme events that move a Medusa payment; every other type is not_supported. */
const ACTIONS: Record<string, "authorized" | "captured" | undefined> = {
  "payment.authorized": "authorized",
  "payment.captured": "captured",
}

/**
 * A complete, small payment provider for the "Acme Pay" PSP, written to pass
 * the conformance kit (src/testing). Read it with docs/write-your-own-provider.md.
 */
export class AcmePayProvider extends AbstractPaymentProvider<AcmePayOptions> {
  static identifier = "acme-pay"

  private readonly client: AcmePayClient

  static validateOptions(options: Record<string, unknown>): void {
    if (typeof options?.webhookSecret !== "string" || options.webhookSecret === "") {
      throw new MedusaError(MedusaError.Types.INVALID_ARGUMENT, "Acme Pay: option `webhookSecret` is required.")
    }
  }

  constructor(cradle: Record<string, unknown>, options: AcmePayOptions) {
    super(cradle, options)
    AcmePayProvider.validateOptions(options)
    this.client = options.client ?? new AcmePayClient()
  }

  async initiatePayment(input: InitiatePaymentInput): Promise<InitiatePaymentOutput> {
    const sessionId = String(input.data?.session_id ?? "")
    const payment = this.client.create(
      { amount: toMinor(input.amount, input.currency_code), currency: input.currency_code, reference: sessionId },
      key(input.context?.idempotency_key ?? sessionId, "initiate")
    )
    return { id: payment.id, status: STATUS[payment.status], data: { ...payment } }
  }

  async updatePayment(input: UpdatePaymentInput): Promise<UpdatePaymentOutput> {
    const current = this.client.get(paymentId(input.data))
    const amount = toMinor(input.amount, input.currency_code)
    const payment = this.client.update(current.id, amount, key(input.context?.idempotency_key ?? current.reference, "update", amount))
    return { status: STATUS[payment.status], data: { ...payment } }
  }

  async authorizePayment(input: AuthorizePaymentInput): Promise<AuthorizePaymentOutput> {
    const id = paymentId(input.data)
    const payment = this.client.authorize(id, key(input.context?.idempotency_key ?? id, "authorize"))
    return { status: STATUS[payment.status], data: { ...payment } }
  }

  /** Our module passes `amount` for partial captures; Medusa 2.21 captures everything. */
  async capturePayment(input: CapturePaymentInput & { amount?: BigNumberInput }): Promise<CapturePaymentOutput> {
    const current = this.client.get(paymentId(input.data))
    const amount = input.amount === undefined ? current.amount - current.captured : toMinor(input.amount, current.currency)
    const payment = this.client.capture(current.id, amount, key(input.context?.idempotency_key, "capture"))
    return { data: { ...payment } }
  }

  async refundPayment(input: RefundPaymentInput): Promise<RefundPaymentOutput> {
    const current = this.client.get(paymentId(input.data))
    const payment = this.client.refund(
      current.id,
      toMinor(input.amount, current.currency),
      key(input.context?.idempotency_key, "refund")
    )
    return { data: { ...payment } }
  }

  async cancelPayment(input: CancelPaymentInput): Promise<CancelPaymentOutput> {
    const id = paymentId(input.data)
    return { data: { ...this.client.cancel(id, key(input.context?.idempotency_key ?? id, "cancel")) } }
  }

  async deletePayment(input: DeletePaymentInput): Promise<DeletePaymentOutput> {
    if (!input.data?.id) return { data: input.data ?? {} }
    const id = paymentId(input.data)
    return { data: { ...this.client.cancel(id, key(input.context?.idempotency_key ?? id, "delete")) } }
  }

  async retrievePayment(input: RetrievePaymentInput): Promise<RetrievePaymentOutput> {
    return { data: { ...this.client.get(paymentId(input.data)) } }
  }

  async getPaymentStatus(input: GetPaymentStatusInput): Promise<GetPaymentStatusOutput> {
    const payment = this.client.get(paymentId(input.data))
    return { status: STATUS[payment.status], data: { ...payment } }
  }

  /**
   * Acme signs `sha256=<hex HMAC of the raw body>` in `x-acme-signature`.
   * Verify over the raw bytes, compare in constant time, and throw on any
   * doubt: a webhook that cannot be trusted must never move an order.
   */
  async getWebhookActionAndData(payload: ProviderWebhookPayload["payload"]): Promise<WebhookActionResult> {
    const raw = Buffer.isBuffer(payload.rawData) ? payload.rawData : Buffer.from(String(payload.rawData ?? ""), "utf8")
    const given = Buffer.from(String(payload.headers?.["x-acme-signature"] ?? ""), "utf8")
    const expected = Buffer.from(signAcmeBody(raw, this.config.webhookSecret), "utf8")
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new MedusaError(MedusaError.Types.INVALID_DATA, "Acme Pay webhook rejected: bad or missing signature.")
    }
    const event = JSON.parse(raw.toString("utf8")) as { type: string; payment: AcmePayment }
    const action = ACTIONS[event.type]
    if (!action || !event.payment?.reference) {
      return { action: "not_supported" }
    }
    const amount = action === "captured" ? event.payment.captured : event.payment.amount
    return {
      action,
      data: { session_id: event.payment.reference, amount: new BigNumber(fromMinor(amount, event.payment.currency)) },
    }
  }
}

/** What Acme's servers put in `x-acme-signature` (exported for tests). */
export function signAcmeBody(raw: Buffer | string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(raw).digest("hex")}`
}

/** Standard units → Acme's integer; refuses rather than rounds. */
function toMinor(amount: BigNumberInput, currency: string): number {
  const minor = MathBN.mult(parseAmount(amount), MathBN.convert(10).pow(currencyExponent(currency)))
  if (!minor.isInteger() || minor.lt(0)) {
    throw new MedusaError(
      MedusaError.Types.INVALID_DATA,
      `Acme Pay cannot take ${MathBN.convert(amount).toFixed()} ${currency.toUpperCase()}: not a whole number of minor units.`
    )
  }
  return minor.toNumber()
}

function fromMinor(minor: number, currency: string): string {
  return MathBN.div(minor, MathBN.convert(10).pow(currencyExponent(currency))).toFixed()
}

function paymentId(data: Record<string, unknown> | undefined): string {
  if (typeof data?.id !== "string") {
    throw new MedusaError(MedusaError.Types.INVALID_DATA, "Acme Pay: the session data has no payment id.")
  }
  return data.id
}

/** Our ids + the operation; without an id of ours, a key that is never reused. */
function key(base: string | undefined, operation: string, ...details: Array<string | number>): string {
  return [base || `random-${crypto.randomUUID()}`, operation, ...details].join(":")
}
