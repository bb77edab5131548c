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
  PaymentSessionStatus,
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
import { AbstractPaymentProvider, BigNumber, MedusaError } from "@medusajs/framework/utils"
import Stripe from "stripe"
import { parseAmount } from "../../utils/amount"
import { normalizeCurrencyCode } from "../../utils/currency"
import type {
  AmountSent,
  CaptureFacts,
  DisputeAtProvider,
  FailureFacts,
  ModuleCapturePaymentInput,
  ModuleRefundPaymentInput,
  PaymentRecordAtProvider,
  RefundAtProvider,
  WebhookFacts,
} from "../../types"
import { fromStripeAmount, stripeAmount, type StripeAmount } from "./amounts"
import { isStripeError, toProviderError } from "./errors"
import { buildIdempotencyKey, fingerprint } from "./idempotency"
import { buildIntentParams, stripeCustomerIdOf, type IntentDefaults } from "./intent-params"
import {
  resolveStripeOptions,
  type ResolvedStripeOptions,
  type StripeProviderOptions,
} from "./options"
import { knownPaymentMethodType, sessionStatusFromIntent } from "./status"
import {
  parseVerifiedEvent,
  rawBodyBytes,
  signatureHeaderOf,
  webhookActionForEvent,
} from "./webhook-events"
import { verifyStripeSignature } from "./webhook-signature"

type Data = Record<string, unknown>

/** Expanding the payment method tells us its type (async or not) without a second call. */
const INTENT_EXPAND = ["payment_method"]

/** Medusa 2.21 sends no capture amount; this module does (types/index.ts). */
type CaptureInput = ModuleCapturePaymentInput
type RefundInput = ModuleRefundPaymentInput

/** Fields of `savePaymentMethod` data sent on to the SetupIntent. */
const SETUP_INTENT_FIELDS = [
  "payment_method",
  "payment_method_types",
  "payment_method_options",
  "automatic_payment_methods",
  "usage",
  "confirm",
  "return_url",
  "metadata",
] as const

/**
 * Stripe payments for Medusa: a PaymentIntent per payment session.
 *
 * Session `data` is the PaymentIntent as Stripe last returned it (so the
 * storefront finds `client_secret` where it always did). Amounts in it are in
 * Stripe's units; amounts in and out of the provider API are standard units.
 */
export class StripeProviderService extends AbstractPaymentProvider<StripeProviderOptions> {
  static identifier = "stripe"

  protected readonly options_: ResolvedStripeOptions
  protected readonly stripe_: Stripe

  static validateOptions(options: Record<string, unknown>): void {
    resolveStripeOptions(options)
  }

  constructor(cradle: Record<string, unknown>, options: StripeProviderOptions) {
    super(cradle, options)
    this.options_ = resolveStripeOptions(options)
    this.stripe_ = createStripeClient(this.options_)
    warnWhenWebhooksCannotBeVerified(cradle, options, this.options_)
  }

  /** The options after validation, with defaults filled in. */
  get resolvedOptions(): ResolvedStripeOptions {
    return this.options_
  }

  /** The SDK client, for stores that need a call this provider does not make. */
  get stripe(): Stripe {
    return this.stripe_
  }

  // ---------------------------------------------------------------- payments

  async initiatePayment(input: InitiatePaymentInput): Promise<InitiatePaymentOutput & AmountSent> {
    const data = input.data ?? {}
    const currency = normalizeCurrencyCode(input.currency_code)
    const amount = stripeAmount(input.amount, currency)
    const shaping = buildIntentParams(this.options_, this.intentDefaults(), data, input.context)
    const params: Stripe.PaymentIntentCreateParams = {
      ...shaping,
      amount: amount.minorUnits,
      currency,
      metadata: { ...shaping.metadata, ...medusaAmountMetadata(amount) },
      expand: INTENT_EXPAND,
    }
    const key = buildIdempotencyKey(baseKey(input.context, sessionIdOf(data)), "initiate")

    const intent = await this.callKeepingDeclinedIntent("initiatePayment", key, () =>
      this.stripe_.paymentIntents.create(params, { idempotencyKey: key })
    )
    return { id: intent.id, status: this.statusOf(intent), data: asData(intent), amount_sent: amount.sent }
  }

  /**
   * Changes the amount (or currency) of the SAME PaymentIntent; a new intent
   * per cart change is what made Medusa's provider leave 7 intents per order.
   *
   * The key carries a revision number kept in the intent's metadata, so that
   * going 10 → 20 → 10 → 20 makes four distinct requests, while a retry of
   * one update (same stored data, same amount) reuses its key.
   */
  async updatePayment(input: UpdatePaymentInput): Promise<UpdatePaymentOutput & AmountSent> {
    const data = input.data ?? {}
    const id = intentIdOf(data, "updatePayment")
    const currency = normalizeCurrencyCode(input.currency_code)
    const rounded = stripeAmount(input.amount, currency)
    const amount = rounded.minorUnits

    if (data.amount === amount && data.currency === currency && medusaAmountOf(data) === rounded.requested) {
      return { status: this.statusOf(data), data, amount_sent: rounded.sent }
    }
    const revision = amountRevisionOf(data) + 1
    const key = buildIdempotencyKey(
      baseKey(input.context, sessionIdOf(data) ?? id),
      "update",
      `r${revision}`,
      `${amount}${currency}`
    )
    const intent = await this.call("updatePayment", key, () =>
      this.stripe_.paymentIntents.update(
        id,
        {
          amount,
          currency,
          metadata: { medusa_amount_revision: String(revision), ...medusaAmountMetadata(rounded) },
          expand: INTENT_EXPAND,
        },
        { idempotencyKey: key }
      )
    )
    return { status: this.statusOf(intent), data: asData(intent), amount_sent: rounded.sent }
  }

  /**
   * Reads the intent's state. An intent with a payment method but no
   * confirmation is confirmed here (unless `confirmOnAuthorize: false`); the
   * key names the payment method, so retrying with another card after a
   * decline is a new request rather than a replay of the decline.
   */
  async authorizePayment(input: AuthorizePaymentInput): Promise<AuthorizePaymentOutput & AmountSent & FailureFacts> {
    const data = input.data ?? {}
    const id = intentIdOf(data, "authorizePayment")
    let intent = await this.retrieveIntent(id, "authorizePayment")

    if (intent.status === "requires_confirmation" && this.options_.confirmOnAuthorize) {
      const key = buildIdempotencyKey(
        baseKey(input.context, sessionIdOf(data) ?? id),
        "authorize",
        paymentMethodIdOf(intent) ?? "no-method"
      )
      const confirmParams: Stripe.PaymentIntentConfirmParams = { expand: INTENT_EXPAND }
      if (typeof data.return_url === "string") {
        confirmParams.return_url = data.return_url
      }
      intent = await this.callKeepingDeclinedIntent("authorizePayment", key, () =>
        this.stripe_.paymentIntents.confirm(id, confirmParams, { idempotencyKey: key })
      )
    }
    return { status: this.statusOf(intent), data: asData(intent), ...intentAmountSent(intent), ...failureOf(intent) }
  }

  /**
   * Captures the whole amount, or `input.amount` (standard units) when given.
   * A partial capture on an intent that requested multicapture is sent with
   * `final_capture: false`, so the rest stays capturable; otherwise Stripe
   * releases the remainder, as it does for any partial capture.
   *
   * An intent that already received its whole amount (captured
   * automatically, or by a capture whose response we lost) counts as
   * captured: the money is there, and failing would make Medusa undo a good
   * order (medusa#13301). An intent that succeeded with LESS than its amount
   * (a partial capture released the rest) is not: a further capture is an
   * error, never a silent success.
   */
  async capturePayment(input: CaptureInput): Promise<CapturePaymentOutput & AmountSent & CaptureFacts> {
    const data = input.data ?? {}
    const id = intentIdOf(data, "capturePayment")
    // Only the module's capture id identifies one capture; without it a
    // random key is safer than one shared by two partial captures.
    const key = buildIdempotencyKey(input.context?.idempotency_key, "capture")
    const params: Stripe.PaymentIntentCaptureParams = { expand: INTENT_EXPAND }
    let amount: StripeAmount | undefined

    if (input.amount !== undefined && input.amount !== null) {
      const currency = currencyOf(data, input.currency_code, "capturePayment")
      amount = movementAmount(input.amount, currency, "capture amount")
      params.amount_to_capture = amount.minorUnits
      if (requestsMulticapture(data) && params.amount_to_capture < capturableOf(data)) {
        params.final_capture = false
      }
    }

    try {
      const intent = await this.stripe_.paymentIntents.capture(id, params, { idempotencyKey: key })
      return { data: asData(intent), ...(amount ? { amount_sent: amount.sent } : {}), ...releaseFacts(intent) }
    } catch (error) {
      const current = await this.intentInUnexpectedState(error, id)
      if (current && isFullyCaptured(current)) {
        return { data: asData(current) }
      }
      throw toProviderError(error, "capturePayment", key)
    }
  }

  /**
   * Refunds `input.amount` (standard units) of the intent. The Stripe refund
   * is appended to `data.refunds` so the payment keeps a record of each one
   * (Medusa's provider threw it away). Errors, including
   * `charge_already_refunded`, are raised: swallowing them would let the
   * module record a refund that never happened.
   */
  async refundPayment(input: RefundInput): Promise<RefundPaymentOutput & AmountSent> {
    const data = input.data ?? {}
    const id = intentIdOf(data, "refundPayment")
    const currency = currencyOf(data, input.currency_code, "refundPayment")
    const amount = movementAmount(input.amount, currency, "refund amount")
    // As for captures: two refunds must never share a key, so no fallback id.
    const key = buildIdempotencyKey(input.context?.idempotency_key, "refund")
    const sessionId = sessionIdOf(data)

    const refund = await this.call("refundPayment", key, () =>
      this.stripe_.refunds.create(
        {
          payment_intent: id,
          amount: amount.minorUnits,
          // The movement id tells this refund's webhook from a dashboard refund.
          metadata: refundMetadata(sessionId, input.context?.idempotency_key),
        },
        { idempotencyKey: key }
      )
    )
    return { data: { ...data, refunds: withRefund(data.refunds, refund) }, amount_sent: amount.sent }
  }

  async cancelPayment(input: CancelPaymentInput): Promise<CancelPaymentOutput> {
    return this.cancelIntent(input, "cancel")
  }

  /** Deleting a session releases its intent; one that already moved money is refused by Stripe. */
  async deletePayment(input: DeletePaymentInput): Promise<DeletePaymentOutput> {
    return this.cancelIntent(input, "delete")
  }

  async retrievePayment(input: RetrievePaymentInput): Promise<RetrievePaymentOutput> {
    const id = intentIdOf(input.data ?? {}, "retrievePayment")
    return { data: asData(await this.retrieveIntent(id, "retrievePayment")) }
  }

  async getPaymentStatus(input: GetPaymentStatusInput): Promise<GetPaymentStatusOutput & FailureFacts> {
    const id = intentIdOf(input.data ?? {}, "getPaymentStatus")
    const intent = await this.retrieveIntent(id, "getPaymentStatus")
    return { status: this.statusOf(intent), data: asData(intent), ...failureOf(intent) }
  }

  /**
   * The intent's money as Stripe's records hold it, for the audit. Stripe
   * counts a released authorization (the rest after a partial capture, a
   * canceled or expired hold) in the charge's `amount_refunded`; that money
   * never left the customer, so it is taken out again here.
   */
  async getPaymentRecord(input: { data: Record<string, unknown> }): Promise<PaymentRecordAtProvider> {
    const id = intentIdOf(input.data ?? {}, "getPaymentRecord")
    const intent = await this.call("getPaymentRecord", undefined, () =>
      this.stripe_.paymentIntents.retrieve(id, { expand: ["latest_charge"] })
    )
    const charge = typeof intent.latest_charge === "object" ? intent.latest_charge : null
    const final = intent.status !== "requires_capture"
    const released = charge?.captured && final ? charge.amount - charge.amount_captured : 0
    const refunded = charge?.captured ? Math.max(0, charge.amount_refunded - released) : 0
    let lost = 0
    if (charge?.disputed) {
      const disputes = await this.call("getPaymentRecord", undefined, () =>
        this.stripe_.disputes.list({ payment_intent: intent.id, limit: 100 })
      )
      lost = disputes.data.filter((d) => d.status === "lost").reduce((sum, d) => sum + d.amount, 0)
    }
    const money = (minor: number) => fromStripeAmount(minor, intent.currency)
    return {
      status: intent.status,
      currency_code: intent.currency,
      amount_received: money(intent.amount_received),
      amount_refunded: money(refunded),
      amount_lost_to_disputes: money(lost),
      amount_capturable: money(intent.amount_capturable),
    }
  }

  // ---------------------------------------------------------------- webhooks

  /**
   * Verifies the Stripe-Signature over the raw body (webhook-signature.ts),
   * then maps the event parsed FROM THOSE BYTES — never the `data` Medusa
   * parsed alongside, which nothing vouches for. A missing or bad signature
   * throws a MedusaError INVALID_DATA; it never returns "not_supported".
   */
  async getWebhookActionAndData(
    payload: ProviderWebhookPayload["payload"]
  ): Promise<WebhookActionResult & WebhookFacts> {
    const event = parseVerifiedEvent(this.authenticWebhookBody(payload))
    if (REFUND_EVENTS.has(event.type)) {
      return await this.factsOfIntent((event.data.object as { payment_intent?: unknown }).payment_intent, "refunds")
    }
    if (event.type.startsWith("charge.dispute.")) {
      return await this.factsOfIntent((event.data.object as { payment_intent?: unknown }).payment_intent, "disputes")
    }
    const answer: WebhookActionResult & WebhookFacts = await webhookActionForEvent(event, (intent) =>
      this.isAsyncPaymentMethod(intent)
    )
    if (event.type === "payment_intent.canceled" && answer.data?.session_id) {
      // "automatic": the authorization expired uncaptured; otherwise canceled at Stripe.
      const reason = (event.data.object as Stripe.PaymentIntent).cancellation_reason
      answer.authorization_canceled = { reason: reason === "automatic" ? "expired" : (reason ?? "canceled") }
    }
    return answer
  }

  /**
   * What Stripe holds now for the intent an event is about — its refunds or
   * its disputes — read afresh rather than taken from the event: events
   * arrive late, twice or out of order, the list is what is true now. Medusa
   * has no action for these (`not_supported`); the module records them
   * (`refunds_at_provider`: the ones it did not make; `disputes_at_provider`).
   */
  protected async factsOfIntent(intentRef: unknown, kind: "refunds" | "disputes"): Promise<WebhookActionResult & WebhookFacts> {
    const intentId = typeof intentRef === "string" ? intentRef : (intentRef as { id?: string } | null)?.id
    if (!intentId) return { action: "not_supported" }
    const intent = await this.retrieveIntent(intentId, "getWebhookActionAndData")
    // Not an intent this store created (another app on the same account).
    if (!intent.metadata?.session_id) return { action: "not_supported" }
    const answer = {
      action: "not_supported" as const,
      data: { session_id: intent.metadata.session_id, amount: new BigNumber(fromStripeAmount(intent.amount_received, intent.currency)) },
    }
    const list = { payment_intent: intent.id, limit: 100 }
    if (kind === "refunds") {
      const refunds = await this.call("getWebhookActionAndData", undefined, () => this.stripe_.refunds.list(list))
      return { ...answer, refunds_at_provider: refunds.data.map(refundAtProvider) }
    }
    const disputes = await this.call("getWebhookActionAndData", undefined, () => this.stripe_.disputes.list(list))
    return { ...answer, disputes_at_provider: disputes.data.map(disputeAtProvider) }
  }

  /**
   * A card authorization can be captured for 7 days (Stripe's rule for
   * online card payments; the charge's `capture_before` says so too).
   * Intents captured automatically hold no authorization to expire.
   */
  authorizationExpiresAt(data: Record<string, unknown>, authorizedAt: Date): Date | undefined {
    if (data.capture_method === "automatic" || data.capture_method === "automatic_async") return undefined
    return new Date(authorizedAt.getTime() + AUTHORIZATION_VALIDITY_MS)
  }


  /**
   * The check alone, without reading the event or calling Stripe: the
   * plugin's webhook door (src/plugin/api/verify-webhook.ts) answers 400 to a
   * delivery that fails it, so Stripe retries it instead of Medusa queueing
   * a forgery.
   */
  async verifyWebhook(payload: ProviderWebhookPayload["payload"]): Promise<void> {
    this.authenticWebhookBody(payload)
  }

  private authenticWebhookBody(payload: ProviderWebhookPayload["payload"]): Buffer {
    const body = rawBodyBytes(payload.rawData)
    verifyStripeSignature({
      rawBody: body,
      header: signatureHeaderOf(payload.headers),
      secrets: this.options_.webhookSecrets,
      toleranceSeconds: this.options_.webhookToleranceSeconds,
    })
    return body
  }

  // ---------------------------------------------------------------- customers

  async createAccountHolder(input: CreateAccountHolderInput): Promise<CreateAccountHolderOutput> {
    const existing = stripeCustomerIdOf(input.context)
    if (existing) {
      return { id: existing, data: input.context.account_holder?.data }
    }
    const customer = input.context.customer
    if (!customer?.id) {
      throw invalidInput("createAccountHolder needs context.customer.")
    }
    const params: Stripe.CustomerCreateParams = {
      ...customerParams(customer),
      metadata: { medusa_customer_id: customer.id },
    }
    // Same Medusa customer, same details → same key → Stripe returns the
    // customer it already created instead of a duplicate.
    const key = buildIdempotencyKey(
      input.context.idempotency_key ?? customer.id,
      "create-customer",
      fingerprint(params)
    )
    const created = await this.call("createAccountHolder", key, () =>
      this.stripe_.customers.create(params, { idempotencyKey: key })
    )
    return { id: created.id, data: asData(created) }
  }

  async updateAccountHolder(input: UpdateAccountHolderInput): Promise<UpdateAccountHolderOutput> {
    const id = stripeCustomerIdOf(input.context)
    if (!id) {
      throw invalidInput("updateAccountHolder needs context.account_holder.data.id (the Stripe customer id).")
    }
    const customer = input.context.customer
    if (!customer) {
      return {}
    }
    const params = customerParams(customer)
    const key = buildIdempotencyKey(
      input.context.idempotency_key ?? id,
      "update-customer",
      fingerprint(params)
    )
    const updated = await this.call("updateAccountHolder", key, () =>
      this.stripe_.customers.update(id, params, { idempotencyKey: key })
    )
    return { data: asData(updated) }
  }

  /** Deleting a customer Stripe no longer has is a success: the goal is reached. */
  async deleteAccountHolder(input: DeleteAccountHolderInput): Promise<DeleteAccountHolderOutput> {
    const holder = input.context.account_holder
    const id = (holder?.data as Data | undefined)?.id ?? holder?.external_id
    if (typeof id !== "string" || id === "") {
      throw invalidInput("deleteAccountHolder needs context.account_holder with the Stripe customer id.")
    }
    const key = buildIdempotencyKey(id, "delete-customer")
    try {
      const deleted = await this.stripe_.customers.del(id, {}, { idempotencyKey: key })
      return { data: asData(deleted) }
    } catch (error) {
      if (isStripeError(error) && error.code === "resource_missing") {
        return { data: { id, object: "customer", deleted: true } }
      }
      throw toProviderError(error, "deleteAccountHolder", key)
    }
  }

  async retrieveAccountHolder(input: RetrieveAccountHolderInput): Promise<RetrieveAccountHolderOutput> {
    const customer = await this.call("retrieveAccountHolder", undefined, () =>
      this.stripe_.customers.retrieve(input.id)
    )
    if ((customer as Stripe.DeletedCustomer).deleted) {
      throw new MedusaError(
        MedusaError.Types.NOT_FOUND,
        `Stripe customer ${input.id} was deleted.`
      )
    }
    return { id: customer.id, data: asData(customer) }
  }

  // ---------------------------------------------------------- payment methods

  async listPaymentMethods(input: ListPaymentMethodsInput): Promise<ListPaymentMethodsOutput> {
    const customer = stripeCustomerIdOf(input.context)
    if (!customer) {
      return []
    }
    const methods: Stripe.PaymentMethod[] = []
    let startingAfter: string | undefined
    // Follow pages ourselves: a customer with more than one page of cards
    // would otherwise silently miss some.
    for (;;) {
      const page = await this.call("listPaymentMethods", undefined, () =>
        this.stripe_.customers.listPaymentMethods(customer, {
          limit: 100,
          ...(startingAfter ? { starting_after: startingAfter } : {}),
        })
      )
      methods.push(...page.data)
      if (!page.has_more || page.data.length === 0) break
      startingAfter = page.data[page.data.length - 1].id
    }
    return methods.map((method) => ({ id: method.id, data: asData(method) }))
  }

  /** Starts a SetupIntent for the customer; the storefront completes it with Stripe.js. */
  async savePaymentMethod(input: SavePaymentMethodInput): Promise<SavePaymentMethodOutput> {
    const customer = stripeCustomerIdOf(input.context)
    if (!customer) {
      throw invalidInput("savePaymentMethod needs context.account_holder.data.id (the Stripe customer id).")
    }
    const params = { customer, ...pick(input.data ?? {}, SETUP_INTENT_FIELDS) } as Stripe.SetupIntentCreateParams
    const key = buildIdempotencyKey(
      input.context?.idempotency_key ?? customer,
      "save-payment-method",
      fingerprint(params)
    )
    const setupIntent = await this.call("savePaymentMethod", key, () =>
      this.stripe_.setupIntents.create(params, { idempotencyKey: key })
    )
    return { id: setupIntent.id, data: asData(setupIntent) }
  }

  async deletePaymentMethod(input: DeletePaymentMethodInput): Promise<DeletePaymentMethodOutput> {
    const id = input.data?.id
    if (typeof id !== "string" || id === "") {
      throw invalidInput("deletePaymentMethod needs data.id (the Stripe payment method id).")
    }
    const key = buildIdempotencyKey(id, "detach")
    const detached = await this.call("deletePaymentMethod", key, () =>
      this.stripe_.paymentMethods.detach(id, {}, { idempotencyKey: key })
    )
    return { data: asData(detached) }
  }

  // ---------------------------------------------------------------- helpers

  /** What a variant fixes on every intent it creates (variants.ts); the card provider fixes nothing. */
  protected intentDefaults(): IntentDefaults {
    return {}
  }

  protected statusOf(intent: Data | Stripe.PaymentIntent): PaymentSessionStatus {
    return sessionStatusFromIntent(intent as Data, this.options_.asyncPaymentMethodTypes)
  }

  protected async retrieveIntent(id: string, operation: string): Promise<Stripe.PaymentIntent> {
    return this.call(operation, undefined, () =>
      this.stripe_.paymentIntents.retrieve(id, { expand: INTENT_EXPAND })
    )
  }

  /** Runs one SDK call; whatever it throws leaves as a MedusaError (see errors.ts). */
  protected async call<T>(
    operation: string,
    idempotencyKey: string | undefined,
    request: () => Promise<T>
  ): Promise<T> {
    try {
      return await request()
    } catch (error) {
      throw toProviderError(error, operation, idempotencyKey)
    }
  }

  /**
   * Like `call`, but a card decline that comes with the failed intent returns
   * that intent: the session then records status `error` and Stripe's
   * `last_payment_error`, instead of losing the intent id.
   */
  protected async callKeepingDeclinedIntent(
    operation: string,
    idempotencyKey: string,
    request: () => Promise<Stripe.PaymentIntent>
  ): Promise<Stripe.PaymentIntent> {
    try {
      return await request()
    } catch (error) {
      if (isStripeError(error) && error.type === "StripeCardError" && error.payment_intent?.id) {
        return error.payment_intent
      }
      throw toProviderError(error, operation, idempotencyKey)
    }
  }

  protected async cancelIntent(
    input: CancelPaymentInput,
    operation: "cancel" | "delete"
  ): Promise<CancelPaymentOutput> {
    const data = input.data ?? {}
    if (typeof data.id !== "string" || data.id === "") {
      // Nothing was created at Stripe (e.g. initiate failed): nothing to release.
      return { data }
    }
    const id = data.id
    const key = buildIdempotencyKey(baseKey(input.context, id), operation)
    try {
      const intent = await this.stripe_.paymentIntents.cancel(id, {}, { idempotencyKey: key })
      return { data: asData(intent) }
    } catch (error) {
      const current = await this.intentInUnexpectedState(error, id)
      if (current?.status === "canceled") {
        return { data: asData(current) }
      }
      throw toProviderError(error, `${operation}Payment`, key)
    }
  }

  /**
   * After a `payment_intent_unexpected_state` error, the intent as it is now:
   * the one Stripe attached to the error, else read afresh. Undefined for
   * any other error.
   */
  protected async intentInUnexpectedState(
    error: unknown,
    id: string
  ): Promise<Stripe.PaymentIntent | undefined> {
    if (!isStripeError(error) || error.code !== "payment_intent_unexpected_state") {
      return undefined
    }
    return error.payment_intent ?? (await this.retrieveIntent(id, "retrievePayment"))
  }

  /** Whether the intent's payment method is one of `asyncPaymentMethodTypes`. */
  protected async isAsyncPaymentMethod(intent: Stripe.PaymentIntent): Promise<boolean> {
    const asyncTypes = this.options_.asyncPaymentMethodTypes
    if (asyncTypes.length === 0) {
      return false
    }
    const known = knownPaymentMethodType(intent)
    if (known) {
      return asyncTypes.includes(known)
    }
    const methodId = paymentMethodIdOf(intent)
    if (!methodId) {
      return false
    }
    const method = await this.call("getWebhookActionAndData", undefined, () =>
      this.stripe_.paymentMethods.retrieve(methodId)
    )
    return asyncTypes.includes(method.type)
  }
}

// ------------------------------------------------------------------ plumbing

function createStripeClient(options: ResolvedStripeOptions): Stripe {
  const config: Stripe.StripeConfig = {
    maxNetworkRetries: options.maxNetworkRetries,
    timeout: options.timeoutMs,
    appInfo: { name: "medusa-payment-plus" },
  }
  if (options.apiVersion) {
    config.apiVersion = options.apiVersion as Stripe.LatestApiVersion
  }
  if (options.api) {
    config.host = options.api.host
    config.port = options.api.port
    config.protocol = options.api.protocol
  }
  return new Stripe(options.apiKey, config)
}

/** The variants share one options object: one warning for all of them, as Medusa's. */
const warnedOptions = new WeakSet<object>()

function warnWhenWebhooksCannotBeVerified(
  cradle: Record<string, unknown>,
  rawOptions: object,
  options: ResolvedStripeOptions
): void {
  if (options.webhookSecrets.length > 0 || warnedOptions.has(rawOptions)) {
    return
  }
  warnedOptions.add(rawOptions)
  let logger: { warn(message: string): void } | undefined
  try {
    logger = cradle.logger as typeof logger
  } catch {
    // The container throws for an unregistered name; no logger, no warning.
  }
  logger?.warn?.(
    "Stripe payment provider: no `webhookSecret` is configured. Every webhook will be rejected, " +
      "so payments that complete asynchronously (3-D Secure, bank debits) will not update orders."
  )
}

/** Stripe objects as plain data (drops the SDK's non-enumerable `lastResponse`). */
function asData(object: object): Data {
  return { ...(object as Data) }
}

function invalidInput(message: string): MedusaError {
  return new MedusaError(MedusaError.Types.INVALID_DATA, `Stripe payment provider: ${message}`)
}

function intentIdOf(data: Data, operation: string): string {
  const id = data.id
  if (typeof id !== "string" || id === "") {
    throw invalidInput(`${operation} needs the PaymentIntent id in data.id; the session data has none.`)
  }
  return id
}

/**
 * The intent's currency, which is what Stripe reads an amount in. If the
 * module also says which currency it means, the two must agree: otherwise
 * 10 "EUR" could be sent as 10 JPY.
 */
function currencyOf(data: Data, requested: string | undefined, operation: string): string {
  const currency = data.currency
  if (typeof currency !== "string" || currency === "") {
    throw invalidInput(`${operation} needs the intent's currency in data.currency.`)
  }
  if (requested && normalizeCurrencyCode(requested) !== normalizeCurrencyCode(currency)) {
    throw invalidInput(
      `${operation} was asked for an amount in ${requested.toUpperCase()} but the PaymentIntent is in ${currency.toUpperCase()}.`
    )
  }
  return currency
}

/**
 * Medusa's own amount beside the one Stripe was sent: in the intent's
 * metadata, so the session data, Stripe's dashboard and its webhooks all
 * carry both (`amount` 1081 and `medusa_amount` "10.814175").
 */
function medusaAmountMetadata(amount: StripeAmount): Record<string, string> {
  return { medusa_amount: amount.requested }
}

function medusaAmountOf(data: Data): string | undefined {
  const value = (data.metadata as Data | undefined)?.medusa_amount
  return typeof value === "string" ? value : undefined
}

/** What the intent asks the customer for, in standard units. */
/** Why the last attempt failed, while the intent waits for another payment method after it. */
function failureOf(intent: Stripe.PaymentIntent): FailureFacts {
  const error = intent.last_payment_error
  if (intent.status !== "requires_payment_method" || !error) return {}
  return { payment_failure: { code: error.decline_code ?? error.code ?? null, message: error.message ?? null } }
}

function intentAmountSent(intent: Stripe.PaymentIntent): AmountSent {
  return typeof intent.amount === "number" && typeof intent.currency === "string"
    ? { amount_sent: fromStripeAmount(intent.amount, intent.currency) }
    : {}
}

/**
 * A capture or refund: more than zero, rounded to what Stripe takes. One so
 * small that it rounds to nothing would move no money, and is refused.
 */
function movementAmount(input: unknown, currency: string, field: string): StripeAmount {
  const requested = parseAmount(input, field)
  if (requested.lte(0)) {
    throw invalidInput(`The ${field} must be greater than 0, got ${requested.toFixed()}.`)
  }
  const amount = stripeAmount(requested.toFixed(), currency)
  if (amount.minorUnits === 0) {
    throw invalidInput(
      `The ${field} ${amount.requested} ${currency.toUpperCase()} is less than the smallest amount Stripe can move.`
    )
  }
  return amount
}

function sessionIdOf(data: Data): string | undefined {
  const metadata = data.metadata as Data | undefined
  const id = data.session_id ?? metadata?.session_id
  return typeof id === "string" && id !== "" ? id : undefined
}

/** The module's key for this operation, else the best id of ours we can find. */
function baseKey(context: PaymentProviderContext | undefined, fallback: string | undefined): string | undefined {
  return context?.idempotency_key ?? fallback
}

function amountRevisionOf(data: Data): number {
  const metadata = data.metadata as Data | undefined
  const revision = Number(metadata?.medusa_amount_revision ?? 0)
  return Number.isSafeInteger(revision) && revision > 0 ? revision : 0
}

function paymentMethodIdOf(intent: { payment_method?: unknown }): string | undefined {
  const method = intent.payment_method
  if (typeof method === "string") return method
  if (method && typeof method === "object" && typeof (method as Data).id === "string") {
    return (method as Data).id as string
  }
  return undefined
}

function requestsMulticapture(data: Data): boolean {
  const card = (data.payment_method_options as Data | undefined)?.card as Data | undefined
  return card?.request_multicapture === "if_available"
}

function capturableOf(data: Data): number {
  return typeof data.amount_capturable === "number" ? data.amount_capturable : Number.POSITIVE_INFINITY
}

function isFullyCaptured(intent: Stripe.PaymentIntent): boolean {
  return intent.status === "succeeded" && intent.amount_received >= intent.amount
}

/** A succeeded intent that received less than its amount: Stripe released the rest. */
function releaseFacts(intent: Stripe.PaymentIntent): CaptureFacts {
  return intent.status === "succeeded" && intent.amount_received < intent.amount ? { authorization_released: true } : {}
}


const AUTHORIZATION_VALIDITY_MS = 7 * 24 * 60 * 60 * 1000

/** Stripe's events that change an intent's refunds. */
const REFUND_EVENTS = new Set(["charge.refunded", "charge.refund.updated", "refund.created", "refund.updated"])

function refundAtProvider(refund: Stripe.Refund): RefundAtProvider {
  const status = refund.status
  return {
    id: refund.id,
    amount: fromStripeAmount(refund.amount, refund.currency),
    status: status === "succeeded" || status === "failed" || status === "canceled" ? status : "pending",
    ...(refund.metadata?.medusa_movement_id ? { movement_id: refund.metadata.medusa_movement_id } : {}),
    ...(refund.reason ? { reason: refund.reason } : {}),
  }
}

function disputeAtProvider(dispute: Stripe.Dispute): DisputeAtProvider {
  return {
    id: dispute.id,
    amount: fromStripeAmount(dispute.amount, dispute.currency),
    status: dispute.status,
    ...(dispute.reason ? { reason: dispute.reason } : {}),
  }
}

function refundMetadata(sessionId: string | undefined, movementId: string | undefined): Record<string, string> | undefined {
  const metadata: Record<string, string> = {}
  if (sessionId) metadata.session_id = sessionId
  if (movementId) metadata.medusa_movement_id = movementId
  return Object.keys(metadata).length ? metadata : undefined
}

function withRefund(existing: unknown, refund: Stripe.Refund): Data[] {
  const previous = Array.isArray(existing) ? (existing as Data[]) : []
  // A replayed refund (same idempotency key) must not be listed twice.
  return [...previous.filter((r) => r?.id !== refund.id), asData(refund)]
}

function customerParams(customer: PaymentCustomerDTO): Stripe.CustomerCreateParams {
  const name =
    customer.company_name ||
    [customer.first_name, customer.last_name].filter(Boolean).join(" ") ||
    undefined
  const address = customer.billing_address
  const params: Stripe.CustomerCreateParams = {
    email: customer.email,
    name,
    phone: customer.phone ?? undefined,
  }
  if (address) {
    params.address = {
      line1: address.address_1 ?? undefined,
      line2: address.address_2 ?? undefined,
      city: address.city ?? undefined,
      state: address.province ?? undefined,
      postal_code: address.postal_code ?? undefined,
      country: address.country_code ?? undefined,
    }
  }
  return params
}

function pick(data: Data, fields: readonly string[]): Data {
  const picked: Data = {}
  for (const field of fields) {
    if (data[field] !== undefined) picked[field] = data[field]
  }
  return picked
}
