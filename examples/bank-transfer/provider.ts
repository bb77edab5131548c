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
import { BankClient, type Transfer } from "./bank"

export type BankTransferOptions = {
  /** Shared secret the bank signs its notifications with. */
  webhookSecret: string
  /** Injected in tests; a real provider would build an HTTP client from credentials. */
  client?: BankClient
}

/**
 * What each state means to Medusa. `awaiting_funds` is the one that makes
 * this a deferred payment: the customer is done, the money is not there, so
 * `pending_authorization` — Medusa completes the cart and waits, where
 * `authorized` would let the store capture money that may never come.
 */
const STATUS: Record<Transfer["status"], PaymentSessionStatus> = {
  open: "pending",
  awaiting_funds: "pending_authorization",
  paid: "captured",
  canceled: "canceled",
}

/**
 * A deferred payment provider: pay by bank transfer, confirmed when the
 * money arrives (a signed notification from the bank). It passes the
 * conformance kit in its `deferred` mode; read it with
 * docs/write-your-own-provider.md, section "Deferred payments".
 */
export class BankTransferProvider extends AbstractPaymentProvider<BankTransferOptions> {
  static identifier = "bank-transfer"

  private readonly bank: BankClient

  static validateOptions(options: Record<string, unknown>): void {
    if (typeof options?.webhookSecret !== "string" || options.webhookSecret === "") {
      throw new MedusaError(MedusaError.Types.INVALID_ARGUMENT, "Bank transfer: option `webhookSecret` is required.")
    }
  }

  constructor(cradle: Record<string, unknown>, options: BankTransferOptions) {
    super(cradle, options)
    BankTransferProvider.validateOptions(options)
    this.bank = options.client ?? new BankClient()
  }

  async initiatePayment(input: InitiatePaymentInput): Promise<InitiatePaymentOutput> {
    const sessionId = String(input.data?.session_id ?? "")
    const transfer = this.bank.create(
      { amount: toMinor(input.amount, input.currency_code), currency: input.currency_code, reference: sessionId },
      key(input.context?.idempotency_key ?? sessionId, "initiate")
    )
    return { id: transfer.id, status: STATUS[transfer.status], data: { ...transfer } }
  }

  async updatePayment(input: UpdatePaymentInput): Promise<UpdatePaymentOutput> {
    const current = this.bank.get(transferId(input.data))
    const amount = toMinor(input.amount, input.currency_code)
    const transfer = this.bank.update(current.id, amount, key(input.context?.idempotency_key ?? current.reference, "update", amount))
    return { status: STATUS[transfer.status], data: { ...transfer } }
  }

  /**
   * The customer confirmed the transfer: waiting for the money, never
   * "authorized" before it is there. Asked again later (Medusa retries,
   * or the money arrived), it answers with the transfer as it is now; the
   * confirmation's idempotent reply would be the old state.
   */
  async authorizePayment(input: AuthorizePaymentInput): Promise<AuthorizePaymentOutput> {
    const current = this.bank.get(transferId(input.data))
    const transfer =
      current.status === "open" ? this.bank.confirm(current.id, key(input.context?.idempotency_key ?? current.id, "confirm")) : current
    return { status: STATUS[transfer.status], data: { ...transfer } }
  }

  /** A transfer is paid in full when it arrives: there is nothing left to capture. */
  async capturePayment(input: CapturePaymentInput): Promise<CapturePaymentOutput> {
    const transfer = this.bank.get(transferId(input.data))
    if (transfer.status !== "paid") {
      throw new MedusaError(MedusaError.Types.NOT_ALLOWED, `Bank transfer ${transfer.id} is ${transfer.status}: no money to capture.`)
    }
    return { data: { ...transfer } }
  }

  async refundPayment(input: RefundPaymentInput): Promise<RefundPaymentOutput> {
    const current = this.bank.get(transferId(input.data))
    const transfer = this.bank.refund(current.id, toMinor(input.amount, current.currency), key(input.context?.idempotency_key, "refund"))
    return { data: { ...transfer } }
  }

  async cancelPayment(input: CancelPaymentInput): Promise<CancelPaymentOutput> {
    const id = transferId(input.data)
    return { data: { ...this.bank.cancel(id, key(input.context?.idempotency_key ?? id, "cancel")) } }
  }

  async deletePayment(input: DeletePaymentInput): Promise<DeletePaymentOutput> {
    if (!input.data?.id) return { data: input.data ?? {} }
    const id = transferId(input.data)
    return { data: { ...this.bank.cancel(id, key(input.context?.idempotency_key ?? id, "delete")) } }
  }

  async retrievePayment(input: RetrievePaymentInput): Promise<RetrievePaymentOutput> {
    return { data: { ...this.bank.get(transferId(input.data)) } }
  }

  async getPaymentStatus(input: GetPaymentStatusInput): Promise<GetPaymentStatusOutput> {
    const transfer = this.bank.get(transferId(input.data))
    return { status: STATUS[transfer.status], data: { ...transfer } }
  }

  /**
   * The bank signs `sha256=<hex HMAC of the raw body>` in `x-bank-signature`.
   * `transfer.received` is the one event that moves money: the session is
   * then captured, for the amount received.
   */
  async getWebhookActionAndData(payload: ProviderWebhookPayload["payload"]): Promise<WebhookActionResult> {
    const raw = Buffer.isBuffer(payload.rawData) ? payload.rawData : Buffer.from(String(payload.rawData ?? ""), "utf8")
    const given = Buffer.from(String(payload.headers?.["x-bank-signature"] ?? ""), "utf8")
    const expected = Buffer.from(signBankBody(raw, this.config.webhookSecret), "utf8")
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new MedusaError(MedusaError.Types.INVALID_DATA, "Bank transfer notification rejected: bad or missing signature.")
    }
    const event = JSON.parse(raw.toString("utf8")) as { type: string; transfer: Transfer }
    if (event.type !== "transfer.received" || !event.transfer?.reference) {
      return { action: "not_supported" }
    }
    return {
      action: "captured",
      data: {
        session_id: event.transfer.reference,
        amount: new BigNumber(fromMinor(event.transfer.received, event.transfer.currency)),
      },
    }
  }
}

/** What the bank puts in `x-bank-signature` (exported for tests). */
export function signBankBody(raw: Buffer | string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(raw).digest("hex")}`
}

/** The bank's signed notification that a transfer arrived (what its servers POST; exported for tests). */
export function transferReceivedDelivery(transfer: Transfer, secret: string): ProviderWebhookPayload["payload"] {
  const body = JSON.stringify({ type: "transfer.received", transfer })
  return { data: JSON.parse(body), rawData: body, headers: { "x-bank-signature": signBankBody(body, secret) } }
}

/** Standard units → the bank's integer; refuses rather than rounds. */
function toMinor(amount: BigNumberInput, currency: string): number {
  const minor = MathBN.mult(parseAmount(amount), MathBN.convert(10).pow(currencyExponent(currency)))
  if (!minor.isInteger() || minor.lt(0)) {
    throw new MedusaError(
      MedusaError.Types.INVALID_DATA,
      `Bank transfer cannot take ${MathBN.convert(amount).toFixed()} ${currency.toUpperCase()}: not a whole number of minor units.`
    )
  }
  return minor.toNumber()
}

function fromMinor(minor: number, currency: string): string {
  return MathBN.div(minor, MathBN.convert(10).pow(currencyExponent(currency))).toFixed()
}

function transferId(data: Record<string, unknown> | undefined): string {
  if (typeof data?.id !== "string") {
    throw new MedusaError(MedusaError.Types.INVALID_DATA, "Bank transfer: the session data has no transfer id.")
  }
  return data.id
}

function key(base: string | undefined, operation: string, ...details: Array<string | number>): string {
  return [base || `random-${crypto.randomUUID()}`, operation, ...details].join(":")
}
