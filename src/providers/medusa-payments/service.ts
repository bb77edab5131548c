import type {
  AuthorizePaymentInput,
  AuthorizePaymentOutput,
  CancelPaymentInput,
  CancelPaymentOutput,
  CapturePaymentOutput,
  CreateAccountHolderInput,
  CreateAccountHolderOutput,
  DeleteAccountHolderInput,
  DeleteAccountHolderOutput,
  DeletePaymentInput,
  DeletePaymentMethodInput,
  DeletePaymentMethodOutput,
  DeletePaymentOutput,
  GetPaymentStatusInput,
  GetPaymentStatusOutput,
  InitiatePaymentInput,
  InitiatePaymentOutput,
  ListPaymentMethodsInput,
  ListPaymentMethodsOutput,
  PaymentCustomerDTO,
  PaymentProviderContext,
  ProviderWebhookPayload,
  RefundPaymentOutput,
  RetrieveAccountHolderInput,
  RetrieveAccountHolderOutput,
  RetrievePaymentInput,
  RetrievePaymentOutput,
  SavePaymentMethodInput,
  SavePaymentMethodOutput,
  UpdateAccountHolderInput,
  UpdateAccountHolderOutput,
  UpdatePaymentInput,
  UpdatePaymentOutput,
  WebhookActionResult,
} from "@medusajs/framework/types"
import { AbstractPaymentProvider, MedusaError } from "@medusajs/framework/utils"
import type { AmountSent, ModuleCapturePaymentInput, ModuleRefundPaymentInput } from "../../types"
import { normalizeCurrencyCode } from "../../utils/currency"
import { fromWireAmount, toWireAmount, type WireAmount } from "./amounts"
import {
  CloudRefusal,
  CloudUnreachable,
  DEFAULT_CLIENT_SETTINGS,
  MedusaPaymentsClient,
  type ClientSettings,
  type CloudRequest,
} from "./client"
import { invalidInput, MedusaPaymentsError, MedusaPaymentsOutcomeUnknownError } from "./errors"
import { validateMedusaPaymentsOptions, type MedusaPaymentsOptions } from "./options"
import { sessionStatusOf } from "./status"
import { verifiedEvent, webhookActionOf } from "./webhooks"

type Data = Record<string, any>

/**
 * The `data` fields of a session that shape the payment Medusa Payments
 * creates (`payment_description` is sent as `description`).
 */
const PAYMENT_PARAMETERS = [
  "capture_method",
  "setup_future_usage",
  "payment_method_types",
  "payment_method_data",
  "payment_method_options",
  "automatic_payment_methods",
  "off_session",
  "confirm",
  "payment_method",
  "return_url",
  "shared_payment_token",
] as const

/**
 * Medusa Payments (Medusa Cloud's payments), registered by the module's
 * loader as `pp_medusa-payments_default` when the module options carry
 * `cloud` (see loaders/providers.ts). It speaks the HTTP API of Medusa's own
 * provider: same paths, headers and bodies, same idempotency keys (the
 * module's `context.idempotency_key`, in the body).
 *
 * Session and payment `data` is the service's payment object (a Stripe
 * PaymentIntent) as it last answered, amounts in the wire's minor units;
 * amounts in and out of the provider API are standard units, exact.
 */
export class MedusaPaymentsProvider extends AbstractPaymentProvider<MedusaPaymentsOptions> {
  static identifier = "medusa-payments"

  protected readonly options_: MedusaPaymentsOptions
  protected readonly client_: MedusaPaymentsClient

  static validateOptions(options: Record<string, unknown>): void {
    validateMedusaPaymentsOptions(options)
  }

  constructor(cradle: Record<string, unknown>, options: MedusaPaymentsOptions) {
    super(cradle, options)
    // The loader builds this provider from `cloud` itself, without Medusa's
    // provider loader and its validateOptions call: validate here.
    this.options_ = validateMedusaPaymentsOptions(options as Record<string, unknown>)
    this.client_ = new MedusaPaymentsClient(this.options_, this.clientSettings())
  }

  /** Time limit and retries of each request (tests shorten them). */
  protected clientSettings(): ClientSettings {
    return DEFAULT_CLIENT_SETTINGS
  }

  // ---------------------------------------------------------------- payments

  async initiatePayment(input: InitiatePaymentInput): Promise<InitiatePaymentOutput & AmountSent> {
    const data: Data = input.data ?? {}
    const currency = currencyCodeOf(input.currency_code, "initiatePayment")
    const amount = toWireAmount(input.amount, currency)
    const body = {
      amount: amount.minorUnits,
      currency,
      metadata: { session_id: data.session_id },
      account_holder_id: accountHolderIdOf(input.context),
      idempotency_key: input.context?.idempotency_key,
      description: data.payment_description ?? "",
      ...pick(data, PAYMENT_PARAMETERS),
    }
    const payment = await this.paymentRequest("initiatePayment", { method: "POST", path: "/payments", body })
    return { id: payment.id, status: sessionStatusOf(payment), data: payment, amount_sent: amount.sent }
  }

  /**
   * Changes the payment's amount. Nothing is sent when the stored payment
   * already has it. A payment the customer has confirmed keeps its amount at
   * the service; that refusal is an error here, never the old payment
   * passed off as updated.
   */
  async updatePayment(input: UpdatePaymentInput): Promise<UpdatePaymentOutput & AmountSent> {
    const data: Data = input.data ?? {}
    const currency = currencyCodeOf(input.currency_code, "updatePayment")
    if (typeof data.currency === "string" && normalizeCurrencyCode(data.currency) !== currency) {
      throw invalidInput(
        `Medusa Payments cannot change a payment's currency (${data.currency.toUpperCase()} to ${currency.toUpperCase()}); create a new session.`
      )
    }
    const amount = toWireAmount(input.amount, currency)
    if (data.amount === amount.minorUnits) {
      return { status: sessionStatusOf(data), data, amount_sent: amount.sent }
    }
    const id = paymentIdOf(data, "No payment intent ID provided while updating payment")
    const payment = await this.paymentRequest("updatePayment", {
      method: "POST",
      path: `/payments/${id}`,
      body: { amount: amount.minorUnits, idempotency_key: input.context?.idempotency_key },
    })
    if (payment.amount !== amount.minorUnits) {
      throw new MedusaPaymentsError({
        type: MedusaError.Types.NOT_ALLOWED,
        operation: "updatePayment",
        message: `Payment with id ${id} could not be updated to ${amount.sent} ${currency.toUpperCase()}. Status: ${payment.status}`,
      })
    }
    return { status: sessionStatusOf(payment), data: payment, amount_sent: amount.sent }
  }

  /** The customer confirms at the service (its payment element); authorizing reads what happened. */
  async authorizePayment(input: AuthorizePaymentInput): Promise<AuthorizePaymentOutput & AmountSent> {
    const payment = await this.fetchPayment(
      paymentIdOf(input.data, "No payment intent ID provided while getting payment status"),
      "authorizePayment"
    )
    return { status: sessionStatusOf(payment), data: payment, ...amountAsked(payment) }
  }

  async getPaymentStatus(input: GetPaymentStatusInput): Promise<GetPaymentStatusOutput> {
    const payment = await this.fetchPayment(
      paymentIdOf(input.data, "No payment intent ID provided while getting payment status"),
      "getPaymentStatus"
    )
    return { status: sessionStatusOf(payment), data: payment }
  }

  async retrievePayment(input: RetrievePaymentInput): Promise<RetrievePaymentOutput> {
    const id = paymentIdOf(input.data, "No payment intent ID provided while retrieving payment")
    return { data: await this.fetchPayment(id, "retrievePayment") }
  }

  /**
   * Captures the payment's whole amount: the API has no partial capture. The
   * module says how much it means to capture (`amount`); anything but the
   * whole amount is refused before a request is sent, since the service would
   * capture everything anyway.
   */
  async capturePayment(input: ModuleCapturePaymentInput): Promise<CapturePaymentOutput & AmountSent> {
    const data: Data = input.data ?? {}
    const id = paymentIdOf(data, "No payment intent ID provided while capturing payment")
    let requested: WireAmount | undefined
    if (input.amount !== undefined && input.amount !== null) {
      const currency = paymentCurrencyOf(data, input.currency_code, "capturePayment")
      requested = toWireAmount(input.amount, currency, "capture amount")
      const whole = await this.wholeAmountOf(data, id)
      if (whole !== undefined && whole !== requested.minorUnits) {
        throw new MedusaPaymentsError({
          type: MedusaError.Types.NOT_ALLOWED,
          operation: "capturePayment",
          message:
            `Medusa Payments captures a payment's whole amount (${fromWireAmount(whole, currency)} ${currency.toUpperCase()}); ` +
            `a capture of ${requested.sent} is not possible.`,
        })
      }
    }
    const payment = await this.paymentRequest("capturePayment", {
      method: "POST",
      path: `/payments/${id}/capture`,
      body: { idempotency_key: input.context?.idempotency_key },
    })
    const status = sessionStatusOf(payment)
    if (status !== "captured") {
      throw new MedusaPaymentsError({
        type: MedusaError.Types.NOT_ALLOWED,
        operation: "capturePayment",
        message: `Payment with id ${id} could not be captured. Status: ${status}`,
      })
    }
    return { data: payment, ...(requested ? { amount_sent: requested.sent } : {}) }
  }

  /**
   * Refunds `amount` (standard units) of the payment. The answer's data is
   * the payment's with the refund appended to `refunds`: the payment's id
   * stays where the next refund looks for it.
   */
  async refundPayment(input: ModuleRefundPaymentInput): Promise<RefundPaymentOutput & AmountSent> {
    const data: Data = input.data ?? {}
    const id = paymentIdOf(data, "No payment intent ID provided while refunding payment")
    const currency = paymentCurrencyOf(data, input.currency_code, "refundPayment")
    const amount = toWireAmount(input.amount, currency, "refund amount")
    if (amount.minorUnits === 0) {
      throw invalidInput(
        `The refund amount ${String(input.amount)} ${currency.toUpperCase()} is less than the smallest amount Medusa Payments can move.`
      )
    }
    const answer = await this.request("refundPayment", {
      method: "POST",
      path: `/payments/${id}/refund`,
      body: { amount: amount.minorUnits, idempotency_key: input.context?.idempotency_key },
    })
    const refund = objectField(answer, "refund", "refundPayment")
    return { data: { ...data, refunds: withRefund(data.refunds, refund) }, amount_sent: amount.sent }
  }

  /** Voids the payment; one the service never created (no id) has nothing to void. */
  async cancelPayment(input: CancelPaymentInput): Promise<CancelPaymentOutput> {
    const data: Data = input.data ?? {}
    if (typeof data.id !== "string" || data.id === "") {
      return { data }
    }
    const payment = await this.paymentRequest("cancelPayment", {
      method: "POST",
      path: `/payments/${data.id}/cancel`,
      body: { idempotency_key: input.context?.idempotency_key },
    })
    const status = sessionStatusOf(payment)
    if (status !== "canceled") {
      throw new MedusaPaymentsError({
        type: MedusaError.Types.NOT_ALLOWED,
        operation: "cancelPayment",
        message: `Payment with id ${data.id} could not be canceled. Status: ${status}`,
      })
    }
    return { data: payment }
  }

  async deletePayment(input: DeletePaymentInput): Promise<DeletePaymentOutput> {
    return await this.cancelPayment(input)
  }

  // ---------------------------------------------------------------- webhooks

  /**
   * Verifies `medusa-payments-signature` over the raw body, then maps the
   * event read from those bytes (never the parsed `data` beside them). A
   * missing or wrong signature is an INVALID_DATA error.
   */
  async getWebhookActionAndData(payload: ProviderWebhookPayload["payload"]): Promise<WebhookActionResult> {
    return webhookActionOf(verifiedEvent(payload, this.options_.webhook_secret))
  }

  // --------------------------------------------------------- account holders

  async createAccountHolder(input: CreateAccountHolderInput): Promise<CreateAccountHolderOutput> {
    const existing = accountHolderIdOf(input.context)
    if (existing) {
      return { id: existing }
    }
    const customer = input.context?.customer
    if (!customer) {
      throw invalidInput("No customer provided while creating account holder")
    }
    const answer = await this.request("createAccountHolder", {
      method: "POST",
      path: "/account-holders",
      body: { ...accountHolderFields(customer), idempotency_key: input.context.idempotency_key },
    })
    const holder = objectField(answer, "account_holder", "createAccountHolder")
    return { id: holder.id, data: holder }
  }

  async updateAccountHolder(input: UpdateAccountHolderInput): Promise<UpdateAccountHolderOutput> {
    const id = accountHolderIdOf(input.context)
    if (!id) {
      throw invalidInput("No account holder in context while updating account holder")
    }
    const customer = input.context.customer
    if (!customer) {
      return {}
    }
    const answer = await this.request("updateAccountHolder", {
      method: "POST",
      path: `/account-holders/${id}`,
      body: { ...accountHolderFields(customer), idempotency_key: input.context.idempotency_key },
    })
    return { data: objectField(answer, "account_holder", "updateAccountHolder") }
  }

  async deleteAccountHolder(input: DeleteAccountHolderInput): Promise<DeleteAccountHolderOutput> {
    const id = accountHolderIdOf(input.context as PaymentProviderContext)
    if (!id) {
      throw invalidInput("No account holder in context while deleting account holder")
    }
    await this.request("deleteAccountHolder", { method: "DELETE", path: `/account-holders/${id}` })
    return {}
  }

  async retrieveAccountHolder(input: RetrieveAccountHolderInput): Promise<RetrieveAccountHolderOutput> {
    if (!input.id) {
      throw invalidInput("No account holder ID provided while getting account holder")
    }
    const answer = await this.request("retrieveAccountHolder", {
      method: "GET",
      path: `/account-holders/${input.id}`,
    })
    const holder = objectField(answer, "account_holder", "retrieveAccountHolder")
    return { id: holder.id, data: holder }
  }

  // --------------------------------------------------------- payment methods

  async listPaymentMethods(input: ListPaymentMethodsInput): Promise<ListPaymentMethodsOutput> {
    const holderId = accountHolderIdOf(input.context)
    if (!holderId) {
      return []
    }
    const answer = await this.request("listPaymentMethods", {
      method: "GET",
      path: `/payment-methods?account_holder_id=${encodeURIComponent(holderId)}`,
    })
    const methods = answer.payment_methods
    if (!Array.isArray(methods)) {
      throw garbled("listPaymentMethods", "the answer has no payment_methods list")
    }
    return methods.map((method: Data) => ({ id: method.id, data: method }))
  }

  /**
   * Starts saving a payment method for the account holder (the customer
   * completes it at the service). The holder is the one in the context;
   * `data` cannot name another customer's.
   */
  async savePaymentMethod(input: SavePaymentMethodInput): Promise<SavePaymentMethodOutput> {
    const holderId = accountHolderIdOf(input.context)
    if (!holderId) {
      throw invalidInput("Account holder not set while saving a payment method")
    }
    const answer = await this.request("savePaymentMethod", {
      method: "POST",
      path: "/payment-methods",
      body: { ...(input.data ?? {}), account_holder_id: holderId, idempotency_key: input.context?.idempotency_key },
    })
    const session = objectField(answer, "payment_method_session", "savePaymentMethod")
    return { id: session.id, data: session }
  }

  async deletePaymentMethod(input: DeletePaymentMethodInput): Promise<DeletePaymentMethodOutput> {
    const id = input.data?.id
    if (typeof id !== "string" || id === "") {
      throw invalidInput("Payment method ID not set while deleting a payment method")
    }
    await this.request("deletePaymentMethod", {
      method: "DELETE",
      path: `/payment-methods/${id}`,
      body: { idempotency_key: input.context?.idempotency_key },
    })
    return {}
  }

  // ---------------------------------------------------------------- requests

  /** One request; whatever goes wrong leaves as a MedusaError (outcome_unknown when it may have worked). */
  protected async request(operation: string, request: CloudRequest): Promise<Data> {
    try {
      return await this.client_.send(request)
    } catch (error) {
      throw toMedusaError(error, operation)
    }
  }

  /**
   * A request about a payment. The service refuses a declined card
   * (`MedusaCardError`) or a payment in the wrong state
   * (`MedusaPaymentUnexpectedStateError`) with the payment as it now is:
   * that payment is the answer, and the caller judges its status (a capture
   * of a payment captured before succeeds; a decline leaves the session in
   * `error` with the service's payment id).
   */
  protected async paymentRequest(operation: string, request: CloudRequest): Promise<Data> {
    let answer: Data
    try {
      answer = await this.client_.send(request)
    } catch (error) {
      const payment = paymentCarriedBy(error)
      if (payment) return payment
      throw toMedusaError(error, operation)
    }
    const payment = objectField(answer, "payment", operation)
    if (typeof payment.id !== "string") {
      throw garbled(operation, "the payment in the answer has no id")
    }
    return payment
  }

  protected async fetchPayment(id: string, operation: string): Promise<Data> {
    return await this.paymentRequest(operation, { method: "GET", path: `/payments/${id}` })
  }

  /** What a capture of the whole payment moves, in minor units, from the data or else from the service. */
  protected async wholeAmountOf(data: Data, id: string): Promise<number | undefined> {
    const known = capturableAmountOf(data)
    if (known !== undefined) return known
    const payment = await this.fetchPayment(id, "capturePayment")
    return capturableAmountOf(payment) ?? (Number.isSafeInteger(payment.amount) ? payment.amount : undefined)
  }
}

// ------------------------------------------------------------------ helpers

/** The service's error → the module's: known refusals by kind, everything that may have worked as outcome unknown. */
function toMedusaError(error: unknown, operation: string): MedusaError {
  if (MedusaError.isMedusaError(error)) {
    return error as MedusaError
  }
  if (error instanceof CloudRefusal) {
    const cloud = { type: error.type, originalType: error.originalType, status: error.status, message: error.message }
    if (refusalMayHaveWorked(error)) {
      return new MedusaPaymentsOutcomeUnknownError({ operation, message: error.message, cloud, cause: error })
    }
    return new MedusaPaymentsError({ type: medusaTypeOf(error), operation, message: error.message, cloud, cause: error })
  }
  if (error instanceof CloudUnreachable && !error.sent) {
    return new MedusaPaymentsError({
      type: MedusaError.Types.UNEXPECTED_STATE,
      operation,
      message: `Medusa Payments could not be reached (${error.message}); nothing was sent.`,
      cause: error,
    })
  }
  const message = error instanceof Error ? error.message : String(error)
  return new MedusaPaymentsOutcomeUnknownError({ operation, message, cause: error })
}

/**
 * "Indeterminate" (`MedusaAPIError`), "could not reach the processor" and
 * "rate limited" after every retry, a 5xx, or a 409 (the same idempotency
 * key is still being worked on): the money may have moved.
 */
function refusalMayHaveWorked(error: CloudRefusal): boolean {
  return (
    error.type === "MedusaAPIError" ||
    error.type === "MedusaConnectionError" ||
    error.type === "MedusaRateLimitError" ||
    error.status === 409 ||
    error.status >= 500
  )
}

function medusaTypeOf(error: CloudRefusal): string {
  if (error.type === "MedusaCardError") return MedusaError.Types.PAYMENT_AUTHORIZATION_ERROR
  if (error.type === "MedusaPaymentUnexpectedStateError") return MedusaError.Types.NOT_ALLOWED
  switch (error.status) {
    case 401:
      return MedusaError.Types.UNAUTHORIZED
    case 403:
      return MedusaError.Types.FORBIDDEN
    case 404:
      return MedusaError.Types.NOT_FOUND
    case 429:
      return MedusaError.Types.CONFLICT
    default:
      return MedusaError.Types.INVALID_DATA
  }
}

function paymentCarriedBy(error: unknown): Data | undefined {
  if (!(error instanceof CloudRefusal)) return undefined
  if (error.type !== "MedusaCardError" && error.type !== "MedusaPaymentUnexpectedStateError") return undefined
  const payment = error.data as Data | undefined
  return payment && typeof payment === "object" && typeof payment.id === "string" ? payment : undefined
}

/** A 2xx whose body lacks what the call asks for: it may have worked, and we cannot tell what it did. */
function garbled(operation: string, problem: string): MedusaPaymentsOutcomeUnknownError {
  return new MedusaPaymentsOutcomeUnknownError({ operation, message: problem })
}

function objectField(answer: Data, field: string, operation: string): Data {
  const value = answer[field]
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw garbled(operation, `the answer has no ${field}`)
  }
  return value as Data
}

function currencyCodeOf(code: unknown, operation: string): string {
  if (typeof code !== "string" || code === "") {
    throw invalidInput(`${operation} needs a currency_code.`)
  }
  return normalizeCurrencyCode(code)
}

function paymentIdOf(data: Data | undefined, missing: string): string {
  const id = data?.id
  if (typeof id !== "string" || id === "") {
    throw invalidInput(missing)
  }
  return id
}

/**
 * The payment's currency, which is what the service reads an amount in. When
 * the module also names one, they must agree: 10 EUR must never be sent as
 * 10 JPY.
 */
function paymentCurrencyOf(data: Data, requested: string | undefined, operation: string): string {
  const own = typeof data.currency === "string" && data.currency !== "" ? normalizeCurrencyCode(data.currency) : undefined
  const asked = requested ? normalizeCurrencyCode(requested) : undefined
  if (own && asked && own !== asked) {
    throw invalidInput(`${operation} was asked for an amount in ${asked.toUpperCase()}, but the payment is in ${own.toUpperCase()}.`)
  }
  const currency = own ?? asked
  if (!currency) {
    throw invalidInput(`${operation} needs the payment's currency in data.currency.`)
  }
  return currency
}

function accountHolderIdOf(context: PaymentProviderContext | undefined): string | undefined {
  const id = (context?.account_holder?.data as Data | undefined)?.id
  return typeof id === "string" && id !== "" ? id : undefined
}

/** What the service is asked for on the payment, in standard units (for the ledger's rounding entry). */
function amountAsked(payment: Data): AmountSent {
  return Number.isSafeInteger(payment.amount) && typeof payment.currency === "string"
    ? { amount_sent: fromWireAmount(payment.amount, payment.currency) }
    : {}
}

function capturableAmountOf(payment: Data): number | undefined {
  if (payment.status === "requires_capture" && Number.isSafeInteger(payment.amount_capturable)) {
    return payment.amount_capturable
  }
  if (payment.status === "succeeded" && Number.isSafeInteger(payment.amount_received)) {
    return payment.amount_received
  }
  return undefined
}

/** The customer as the service's account holder (a Stripe customer): name, contact, billing address. */
function accountHolderFields(customer: PaymentCustomerDTO): Data {
  const fullName = `${customer.first_name ?? ""} ${customer.last_name ?? ""}`.trim()
  const address = customer.billing_address
  return {
    email: customer.email,
    name: customer.company_name || fullName || undefined,
    phone: customer.phone,
    ...(address
      ? {
          address: {
            city: address.city,
            country: address.country_code,
            line1: address.address_1,
            line2: address.address_2,
            postal_code: address.postal_code,
            state: address.province,
          },
        }
      : {}),
  }
}

function withRefund(previous: unknown, refund: Data): Data[] {
  const refunds = Array.isArray(previous) ? (previous as Data[]) : []
  // A replayed refund (same idempotency key) is listed once.
  return [...refunds.filter((listed) => listed?.id !== refund.id), refund]
}

function pick(data: Data, fields: readonly string[]): Data {
  const picked: Data = {}
  for (const field of fields) {
    if (data[field] !== undefined) picked[field] = data[field]
  }
  return picked
}
