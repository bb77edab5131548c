/**
 * What the local Medusa Payments holds and how it changes: payments (Stripe
 * PaymentIntent-shaped, amounts in minor units), refunds, account holders,
 * saved payment methods and the events each change emits.
 *
 *   requires_payment_method ─ payment method ─▶ requires_confirmation
 *        │ confirm (customer)                        │ confirm
 *        ▼                                           ▼
 *   requires_action ─ authenticate ─▶ requires_capture ─ capture ─▶ succeeded ─ refunds (≤ received)
 *        (3-D Secure card)            (authorized)                  (automatic capture lands here directly)
 *   any state before succeeded ─ cancel ─▶ canceled
 *
 * Ids and timestamps are sequential, so two runs of the same calls from a
 * reset give the same answers (the differential test relies on it).
 */

export type Data = Record<string, any>

/** A refusal the HTTP layer answers with `status` and `{ type, message, data }`. */
export class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly data?: Data,
    readonly originalType?: string
  ) {
    super(message)
  }
}

export type StoredEvent = { id: string; object: "event"; type: string; created: number; data: { object: Data } }

const EPOCH = 1_767_225_600 // 2026-01-01, the first "created"

/** Test cards: anything else behaves as a card that pays. */
const DECLINED_CARD = "pm_card_chargeDeclined"
const THREE_D_SECURE_CARD = "pm_card_threeDSecure2Required"

const UPDATABLE = ["requires_payment_method", "requires_confirmation", "requires_action"]
const CANCELABLE = ["requires_payment_method", "requires_confirmation", "requires_action", "requires_capture"]

export class LocalPaymentsState {
  payments = new Map<string, Data>()
  refunds = new Map<string, Data>()
  accountHolders = new Map<string, Data>()
  paymentMethods = new Map<string, Data>()
  paymentMethodSessions = new Map<string, Data>()
  events: StoredEvent[] = []
  private sequence = 0

  constructor(private readonly baseUrl: () => string) {}

  reset(): void {
    for (const map of [this.payments, this.refunds, this.accountHolders, this.paymentMethods, this.paymentMethodSessions]) {
      map.clear()
    }
    this.events = []
    this.sequence = 0
  }

  private nextId(prefix: string): string {
    this.sequence += 1
    return `${prefix}_local${String(this.sequence).padStart(6, "0")}`
  }

  private now(): number {
    return EPOCH + this.sequence
  }

  private emit(type: string, object: Data): void {
    this.events.push({ id: this.nextId("evt"), object: "event", type, created: this.now(), data: { object: clone(object) } })
  }

  // ---------------------------------------------------------------- payments

  createPayment(body: Data): Data {
    const amount = wholeNumber(body.amount, "amount")
    if (typeof body.currency !== "string" || body.currency === "") {
      throw invalid("Missing required param: currency.")
    }
    if (body.account_holder_id !== undefined) this.accountHolder(body.account_holder_id)
    const captureMethod = body.capture_method ?? "manual"
    if (captureMethod !== "manual" && captureMethod !== "automatic") {
      throw invalid(`Invalid capture_method: ${JSON.stringify(captureMethod)}.`)
    }
    const id = this.nextId("pi")
    const payment: Data = {
      id,
      object: "payment_intent",
      amount,
      amount_capturable: 0,
      amount_received: 0,
      amount_refunded: 0,
      currency: body.currency.toLowerCase(),
      status: body.payment_method ? "requires_confirmation" : "requires_payment_method",
      capture_method: captureMethod,
      client_secret: `${id}_secret_local`,
      created: this.now(),
      description: body.description ?? null,
      metadata: { ...(body.metadata ?? {}) },
      account_holder_id: body.account_holder_id ?? null,
      payment_method: body.payment_method ?? null,
      payment_method_types: body.payment_method_types ?? ["card"],
      setup_future_usage: body.setup_future_usage ?? null,
      return_url: body.return_url ?? null,
      last_payment_error: null,
      next_action: null,
      canceled_at: null,
      cancellation_reason: null,
      livemode: false,
    }
    this.payments.set(id, payment)
    this.emit("payment_intent.created", payment)
    if (body.confirm === true && payment.payment_method) {
      this.confirm(id, payment.payment_method, { throwOnDecline: true })
    }
    return payment
  }

  payment(id: string): Data {
    const payment = this.payments.get(id)
    if (!payment) throw new ServiceError(404, "MedusaInvalidRequestError", `No such payment: '${id}'`)
    return payment
  }

  updatePayment(id: string, body: Data): Data {
    const payment = this.payment(id)
    const unknown = Object.keys(body).filter((key) => key !== "amount")
    if (unknown.length > 0) throw invalid(`Received unknown parameter: ${unknown[0]}.`)
    const amount = wholeNumber(body.amount, "amount")
    if (!UPDATABLE.includes(payment.status)) {
      throw unexpectedState(payment, `This payment's amount could not be updated because it has a status of ${payment.status}.`)
    }
    payment.amount = amount
    if (payment.status === "requires_action") {
      // The pending authentication was for the old amount.
      payment.status = "requires_confirmation"
      payment.next_action = null
    }
    return payment
  }

  /** The customer's step (the payment element): confirms with a payment method. */
  confirm(id: string, paymentMethod: string, { throwOnDecline = false } = {}): Data {
    const payment = this.payment(id)
    if (!UPDATABLE.includes(payment.status)) {
      throw unexpectedState(payment, `This payment cannot be confirmed because it has a status of ${payment.status}.`)
    }
    payment.payment_method = paymentMethod
    payment.last_payment_error = null
    if (paymentMethod === DECLINED_CARD) {
      payment.status = "requires_payment_method"
      payment.last_payment_error = {
        type: "card_error",
        code: "card_declined",
        decline_code: "generic_decline",
        message: "Your card was declined.",
      }
      this.emit("payment_intent.payment_failed", payment)
      if (throwOnDecline) {
        throw new ServiceError(402, "MedusaCardError", "Your card was declined.", clone(payment), "StripeCardError")
      }
      return payment
    }
    if (paymentMethod === THREE_D_SECURE_CARD && payment.status !== "requires_action") {
      payment.status = "requires_action"
      payment.next_action = {
        type: "redirect_to_url",
        redirect_to_url: { url: `${this.baseUrl()}/_local/payments/${id}/authenticate`, return_url: payment.return_url },
      }
      this.emit("payment_intent.requires_action", payment)
      return payment
    }
    this.authorize(payment)
    return payment
  }

  /** The customer passes (or fails) 3-D Secure. */
  authenticate(id: string, outcome: "approve" | "fail"): Data {
    const payment = this.payment(id)
    if (payment.status !== "requires_action") {
      throw unexpectedState(payment, `This payment has no pending authentication (status ${payment.status}).`)
    }
    payment.next_action = null
    if (outcome === "fail") {
      payment.status = "requires_payment_method"
      payment.last_payment_error = {
        type: "card_error",
        code: "payment_intent_authentication_failure",
        message: "The provided payment method has failed authentication.",
      }
      this.emit("payment_intent.payment_failed", payment)
      return payment
    }
    this.authorize(payment)
    return payment
  }

  private authorize(payment: Data): void {
    payment.next_action = null
    if (payment.capture_method === "automatic") {
      payment.status = "succeeded"
      payment.amount_received = payment.amount
      this.emit("payment_intent.succeeded", payment)
    } else {
      payment.status = "requires_capture"
      payment.amount_capturable = payment.amount
      this.emit("payment_intent.amount_capturable_updated", payment)
    }
  }

  capture(id: string): Data {
    const payment = this.payment(id)
    if (payment.status !== "requires_capture") {
      throw unexpectedState(payment, `This payment could not be captured because it has a status of ${payment.status}.`)
    }
    payment.status = "succeeded"
    payment.amount_received = payment.amount_capturable
    payment.amount_capturable = 0
    this.emit("payment_intent.succeeded", payment)
    return payment
  }

  cancel(id: string): Data {
    const payment = this.payment(id)
    if (!CANCELABLE.includes(payment.status)) {
      throw unexpectedState(payment, `This payment could not be canceled because it has a status of ${payment.status}.`)
    }
    payment.status = "canceled"
    payment.amount_capturable = 0
    payment.next_action = null
    payment.canceled_at = this.now()
    payment.cancellation_reason = "requested_by_customer"
    this.emit("payment_intent.canceled", payment)
    return payment
  }

  refund(id: string, body: Data): Data {
    const payment = this.payment(id)
    if (payment.status !== "succeeded") {
      throw unexpectedState(payment, `This payment cannot be refunded because it has a status of ${payment.status}.`)
    }
    const refundable = payment.amount_received - payment.amount_refunded
    const amount = body.amount === undefined ? refundable : wholeNumber(body.amount, "amount")
    if (amount <= 0) throw invalid("The refund amount must be greater than 0.")
    if (amount > refundable) {
      throw invalid(`Refund amount (${amount}) is greater than the amount left to refund (${refundable}).`)
    }
    payment.amount_refunded += amount
    const refund = {
      id: this.nextId("re"),
      object: "refund",
      amount,
      currency: payment.currency,
      payment_intent: id,
      status: "succeeded",
      created: this.now(),
    }
    this.refunds.set(refund.id, refund)
    this.emit("refund.created", refund)
    return refund
  }

  // --------------------------------------------------------- account holders

  createAccountHolder(body: Data): Data {
    const id = this.nextId("cus")
    const holder = { id, object: "customer", created: this.now(), metadata: {}, ...holderFields(body) }
    this.accountHolders.set(id, holder)
    return holder
  }

  accountHolder(id: unknown): Data {
    const holder = typeof id === "string" ? this.accountHolders.get(id) : undefined
    if (!holder) throw new ServiceError(404, "MedusaInvalidRequestError", `No such account holder: '${String(id)}'`)
    return holder
  }

  updateAccountHolder(id: string, body: Data): Data {
    return Object.assign(this.accountHolder(id), holderFields(body))
  }

  deleteAccountHolder(id: string): Data {
    this.accountHolder(id)
    this.accountHolders.delete(id)
    return { id, object: "customer", deleted: true }
  }

  // --------------------------------------------------------- payment methods

  paymentMethodsOf(holderId: unknown): Data[] {
    this.accountHolder(holderId)
    return [...this.paymentMethods.values()].filter((method) => method.account_holder_id === holderId)
  }

  createPaymentMethodSession(body: Data): Data {
    const holder = this.accountHolder(body.account_holder_id)
    const id = this.nextId("seti")
    const session = {
      id,
      object: "setup_intent",
      account_holder_id: holder.id,
      client_secret: `${id}_secret_local`,
      status: "requires_payment_method",
      usage: body.usage ?? "off_session",
      payment_method: null,
      created: this.now(),
    }
    this.paymentMethodSessions.set(id, session)
    return session
  }

  /** The customer completes saving a card. */
  completePaymentMethodSession(id: string): Data {
    const session = this.paymentMethodSessions.get(id)
    if (!session) throw new ServiceError(404, "MedusaInvalidRequestError", `No such payment method session: '${id}'`)
    const method = {
      id: this.nextId("pm"),
      object: "payment_method",
      type: "card",
      card: { brand: "visa", last4: "4242", exp_month: 12, exp_year: 2034 },
      account_holder_id: session.account_holder_id,
      created: this.now(),
    }
    this.paymentMethods.set(method.id, method)
    Object.assign(session, { status: "succeeded", payment_method: method.id })
    return method
  }

  deletePaymentMethod(id: string): Data {
    const method = this.paymentMethods.get(id)
    if (!method) throw new ServiceError(404, "MedusaInvalidRequestError", `No such payment method: '${id}'`)
    this.paymentMethods.delete(id)
    return { ...method, account_holder_id: null }
  }
}

function holderFields(body: Data): Data {
  const fields: Data = {}
  for (const key of ["email", "name", "phone", "address"]) {
    if (body[key] !== undefined) fields[key] = body[key]
  }
  return fields
}

function invalid(message: string): ServiceError {
  return new ServiceError(400, "MedusaInvalidRequestError", message)
}

function unexpectedState(payment: Data, message: string): ServiceError {
  return new ServiceError(400, "MedusaPaymentUnexpectedStateError", message, clone(payment), "StripeInvalidRequestError")
}

function wholeNumber(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(`Invalid ${field}: ${JSON.stringify(value)} (a whole number of minor units is required).`)
  }
  return value
}

export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}
