import {
  AccountHolderDTO,
  CaptureDTO,
  Context,
  CreateAccountHolderDTO,
  CreatePaymentCollectionDTO,
  CreatePaymentMethodDTO,
  CreatePaymentSessionDTO,
  DAL,
  DeletePaymentMethodDTO,
  FilterablePaymentCollectionProps,
  FilterablePaymentMethodProps,
  FilterablePaymentProviderProps,
  FindConfig,
  InternalModuleDeclaration,
  IPaymentModuleService,
  ModuleJoinerConfig,
  ModulesSdkTypes,
  PaymentCollectionDTO,
  PaymentCollectionUpdatableFields,
  PaymentDTO,
  PaymentMethodDTO,
  PaymentProviderDTO,
  PaymentSessionDTO,
  ProviderWebhookPayload,
  RefundDTO,
  RefundReasonDTO,
  UpdateAccountHolderDTO,
  UpdatePaymentDTO,
  UpdatePaymentSessionDTO,
  UpsertPaymentCollectionDTO,
  WebhookActionResult,
} from "@medusajs/framework/types"
import {
  EmitEvents,
  InjectManager,
  InjectTransactionManager,
  MedusaContext,
  MedusaService,
} from "@medusajs/framework/utils"
import {
  AccountHolder,
  Capture,
  Payment,
  PaymentCollection,
  PaymentSession,
  Refund,
  RefundReason,
} from "../models"
import { joinerConfig } from "../joiner-config"
import { invalidData, requireIdList, requireString } from "../utils/errors"
import { ProviderGateway, providerTimeoutOption } from "../providers/gateway"
import { Authorization } from "../money/authorize"
import { Cancellation } from "../money/cancel"
import { LedgerAudit, LedgerDiscrepancy } from "../money/ledger-audit"
import { CaptureInput, MoneyMovements, RefundInput } from "../money/movements"
import { AuthorizationCheck, AuthorizationExpiryCheck, DEFAULT_EXPIRY_WARNING_MS } from "../money/authorization-expiry"
import { ProviderDisputes } from "../money/provider-disputes"
import { PaymentTimeline, PaymentTimelines } from "../money/timeline"
import { ProviderRefunds } from "../money/provider-refunds"
import { Reconciliation, ReconciliationReport } from "../money/reconcile"
import type { AuthorizationExpiry, WebhookFacts } from "../types"
import { HeldPayments, ReturnedPayment, SessionAtProvider } from "../money/held-payments"
import { ProviderAudit, ProviderAuditRow } from "../money/provider-audit"
import type { IdleSession } from "../sql/money"
import { EventRow, ModuleParts } from "../money/use-case"
import { AccountHolders } from "./account-holders"
import { PaymentSessions } from "../money/sessions"
import { PaymentCollections } from "./payment-collections"
import PaymentProviderService from "./payment-provider"

type InjectedDependencies = {
  baseRepository: DAL.RepositoryService
  paymentService: ModulesSdkTypes.IMedusaInternalService<any>
  captureService: ModulesSdkTypes.IMedusaInternalService<any>
  refundService: ModulesSdkTypes.IMedusaInternalService<any>
  paymentSessionService: ModulesSdkTypes.IMedusaInternalService<any>
  paymentCollectionService: ModulesSdkTypes.IMedusaInternalService<any>
  accountHolderService: ModulesSdkTypes.IMedusaInternalService<any>
  refundReasonService: ModulesSdkTypes.IMedusaInternalService<any>
  paymentProviderService: PaymentProviderService
}

export type { ReconciliationReport } from "../money/reconcile"

const PAYMENT_FIELDS = ["id", "data", "metadata"] as const

export default class PaymentModuleService
  extends MedusaService<{
    PaymentCollection: { dto: PaymentCollectionDTO }
    PaymentSession: { dto: PaymentSessionDTO }
    Payment: { dto: PaymentDTO }
    Capture: { dto: CaptureDTO }
    Refund: { dto: RefundDTO }
    RefundReason: { dto: RefundReasonDTO }
    AccountHolder: { dto: AccountHolderDTO }
  }>({
    PaymentCollection,
    PaymentSession,
    Payment,
    Capture,
    Refund,
    RefundReason,
    AccountHolder,
  })
  implements IPaymentModuleService
{
  protected baseRepository_: DAL.RepositoryService
  protected paymentService_: ModulesSdkTypes.IMedusaInternalService<typeof Payment>
  protected captureService_: ModulesSdkTypes.IMedusaInternalService<typeof Capture>
  protected refundService_: ModulesSdkTypes.IMedusaInternalService<typeof Refund>
  protected paymentSessionService_: ModulesSdkTypes.IMedusaInternalService<typeof PaymentSession>
  protected paymentCollectionService_: ModulesSdkTypes.IMedusaInternalService<typeof PaymentCollection>
  protected accountHolderService_: ModulesSdkTypes.IMedusaInternalService<typeof AccountHolder>
  protected refundReasonService_: ModulesSdkTypes.IMedusaInternalService<typeof RefundReason>
  protected paymentProviderService_: PaymentProviderService
  /** Every provider call of the module (timeouts per `provider_timeout_ms`, answer checks). */
  protected readonly providerGateway_: ProviderGateway
  // The use cases this facade delegates to (src/money/, services/account-holders.ts).
  protected readonly movements_: MoneyMovements
  protected readonly cancellation_: Cancellation
  protected readonly reconciliation_: Reconciliation
  protected readonly authorization_: Authorization
  protected readonly ledgerAudit_: LedgerAudit
  protected readonly providerRefunds_: ProviderRefunds
  protected readonly providerDisputes_: ProviderDisputes
  protected readonly timelines_: PaymentTimelines
  protected readonly authorizationExpiry_: AuthorizationExpiryCheck
  protected readonly accountHolders_: AccountHolders
  protected readonly sessions_: PaymentSessions
  protected readonly collections_: PaymentCollections
  protected readonly heldPayments_: HeldPayments
  protected readonly providerAudit_: ProviderAudit

  constructor(
    {
      baseRepository,
      paymentService,
      captureService,
      refundService,
      paymentSessionService,
      paymentCollectionService,
      accountHolderService,
      refundReasonService,
      paymentProviderService,
    }: InjectedDependencies,
    protected readonly moduleDeclaration: InternalModuleDeclaration
  ) {
    // @ts-ignore the factory's constructor takes the cradle
    super(...arguments)
    this.baseRepository_ = baseRepository
    this.paymentService_ = paymentService
    this.captureService_ = captureService
    this.refundService_ = refundService
    this.paymentSessionService_ = paymentSessionService
    this.paymentCollectionService_ = paymentCollectionService
    this.accountHolderService_ = accountHolderService
    this.refundReasonService_ = refundReasonService
    this.paymentProviderService_ = paymentProviderService
    // Medusa passes the module's options as the second argument.
    this.providerGateway_ = new ProviderGateway(
      paymentProviderService,
      providerTimeoutOption((moduleDeclaration as { provider_timeout_ms?: unknown } | undefined)?.provider_timeout_ms)
    )
    const parts: ModuleParts = {
      baseRepository,
      paymentService,
      paymentSessionService,
      accountHolderService,
      providerGateway: this.providerGateway_,
      recordEvents: (action, object, rows, sharedContext) => this.recordEvents(action, object, rows, sharedContext),
    }
    this.cancellation_ = new Cancellation(parts)
    this.reconciliation_ = new Reconciliation(parts, this.cancellation_, () => this.movements_)
    this.providerRefunds_ = new ProviderRefunds(parts)
    this.providerDisputes_ = new ProviderDisputes(parts)
    this.timelines_ = new PaymentTimelines(parts)
    this.authorizationExpiry_ = new AuthorizationExpiryCheck(parts, this.cancellation_, (providerId) => {
      try {
        return this.paymentProviderService_.retrieveProvider(providerId) as AuthorizationExpiry
      } catch {
        return undefined // a provider no longer registered: its authorizations are not checked
      }
    })
    this.movements_ = new MoneyMovements(parts, (filter, sharedContext) => this.reconciliation_.run(filter, sharedContext))
    this.authorization_ = new Authorization(parts, this.movements_)
    this.ledgerAudit_ = new LedgerAudit(parts)
    this.accountHolders_ = new AccountHolders(parts)
    this.sessions_ = new PaymentSessions(parts)
    this.collections_ = new PaymentCollections(parts, paymentCollectionService)
    this.providerAudit_ = new ProviderAudit(parts)
    this.heldPayments_ = new HeldPayments(parts, this.sessions_, this.authorization_, this.cancellation_, this.movements_)
  }

  __joinerConfig(): ModuleJoinerConfig {
    return joinerConfig
  }

  /**
   * Records `payment.<object>.<action>` for rows written by hand-written SQL,
   * through the same builder the ORM's mutation events use, so subscribers
   * see one event per row whichever path wrote it.
   */
  private recordEvents(action: string, object: string, rows: EventRow[], sharedContext: Context): void {
    for (const row of rows) {
      if (row.event_data) {
        // Medusa's event builder keeps the id only; an event of this module's own that
        // defines more goes into the same aggregator, under the name the builder would give.
        sharedContext.messageAggregator?.saveRawMessageData([
          {
            source: joinerConfig.serviceName,
            action,
            object,
            context: sharedContext,
            data: row.event_data,
            eventName: `${joinerConfig.serviceName}.${object}.${action}`,
          } as any,
        ])
        continue
      }
      ;(this as unknown as { aggregatedEvents(e: object): void }).aggregatedEvents({
        action,
        object,
        data: { id: row.id },
        context: sharedContext,
      })
    }
  }

  // ---------------------------------------------------------------------
  // Payment collections
  // ---------------------------------------------------------------------

  // @ts-ignore overrides the generated CRUD method with Medusa's wider signature
  createPaymentCollections(
    data: CreatePaymentCollectionDTO,
    sharedContext?: Context
  ): Promise<PaymentCollectionDTO>
  // @ts-ignore overrides the generated CRUD method with Medusa's wider signature
  createPaymentCollections(
    data: CreatePaymentCollectionDTO[],
    sharedContext?: Context
  ): Promise<PaymentCollectionDTO[]>

  /** One INSERT for any number of collections; their DTOs come from the rows it returns. */
  @InjectManager()
  @EmitEvents()
  // @ts-ignore overrides the generated CRUD method with Medusa's wider signature
  async createPaymentCollections(
    data: CreatePaymentCollectionDTO | CreatePaymentCollectionDTO[],
    @MedusaContext() sharedContext: Context = {}
  ): Promise<PaymentCollectionDTO | PaymentCollectionDTO[]> {
    return await this.collections_.create(data, sharedContext)
  }

  // @ts-ignore overrides the generated CRUD method with Medusa's wider signature
  updatePaymentCollections(
    paymentCollectionId: string,
    data: PaymentCollectionUpdatableFields,
    sharedContext?: Context
  ): Promise<PaymentCollectionDTO>
  // @ts-ignore overrides the generated CRUD method with Medusa's wider signature
  updatePaymentCollections(
    selector: FilterablePaymentCollectionProps,
    data: PaymentCollectionUpdatableFields,
    sharedContext?: Context
  ): Promise<PaymentCollectionDTO[]>

  @InjectManager()
  @EmitEvents()
  // @ts-ignore overrides the generated CRUD method with Medusa's wider signature
  async updatePaymentCollections(
    idOrSelector: string | FilterablePaymentCollectionProps,
    data: PaymentCollectionUpdatableFields,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<PaymentCollectionDTO | PaymentCollectionDTO[]> {
    return await this.collections_.update(idOrSelector, data, sharedContext)
  }

  upsertPaymentCollections(
    data: UpsertPaymentCollectionDTO[],
    sharedContext?: Context
  ): Promise<PaymentCollectionDTO[]>
  upsertPaymentCollections(
    data: UpsertPaymentCollectionDTO,
    sharedContext?: Context
  ): Promise<PaymentCollectionDTO>

  @InjectManager()
  @EmitEvents()
  async upsertPaymentCollections(
    data: UpsertPaymentCollectionDTO | UpsertPaymentCollectionDTO[],
    @MedusaContext() sharedContext: Context = {}
  ): Promise<PaymentCollectionDTO | PaymentCollectionDTO[]> {
    return await this.collections_.upsert(data, sharedContext)
  }

  /**
   * A collection can only be completed once what it asks for is captured;
   * Medusa 2.21 completes anything, which lets an unpaid order look paid.
   */
  completePaymentCollections(
    paymentCollectionId: string,
    sharedContext?: Context
  ): Promise<PaymentCollectionDTO>
  completePaymentCollections(
    paymentCollectionId: string[],
    sharedContext?: Context
  ): Promise<PaymentCollectionDTO[]>

  @InjectManager()
  @EmitEvents()
  async completePaymentCollections(
    paymentCollectionId: string | string[],
    @MedusaContext() sharedContext: Context = {}
  ): Promise<PaymentCollectionDTO | PaymentCollectionDTO[]> {
    return await this.collections_.complete(paymentCollectionId, sharedContext)
  }

  // ---------------------------------------------------------------------
  // Payment sessions
  // ---------------------------------------------------------------------

  /**
   * The provider is called before the row exists, with the session id chosen
   * up front as its idempotency key: one insert instead of Medusa's insert,
   * update and — when the provider fails — delete.
   */
  @InjectManager()
  @EmitEvents()
  async createPaymentSession(
    paymentCollectionId: string,
    input: CreatePaymentSessionDTO,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<PaymentSessionDTO> {
    return await this.sessions_.create(paymentCollectionId, input, sharedContext)
  }

  @InjectManager()
  @EmitEvents()
  async updatePaymentSession(
    data: UpdatePaymentSessionDTO,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<PaymentSessionDTO> {
    return await this.sessions_.update(data, sharedContext)
  }

  @InjectManager()
  @EmitEvents()
  async deletePaymentSession(
    id: string,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<void> {
    await this.sessions_.delete(id, sharedContext)
  }

  // ---------------------------------------------------------------------
  // Authorization
  // ---------------------------------------------------------------------

  /**
   * At most one Payment per session, whoever asks and however often:
   * concurrent callers serialize on the session's row lock and the later
   * ones get the first one's Payment (the unique index on
   * payment.payment_session_id is the backstop). Medusa 2.21 instead lets
   * the losing insert fail and cancels at the provider — voiding the
   * winner's hold.
   */
  @InjectManager()
  @EmitEvents()
  async authorizePaymentSession(
    id: string,
    context: Record<string, unknown>,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<PaymentDTO | null> {
    return await this.authorization_.authorize(id, context, sharedContext)
  }

  /** A caller's key names one session's authorization; reusing it for another session is a CONFLICT. */

  // ---------------------------------------------------------------------
  // Payments: capture, refund, cancel
  // ---------------------------------------------------------------------

  @InjectManager()
  @EmitEvents()
  async updatePayment(
    data: UpdatePaymentDTO & { metadata?: Record<string, unknown> | null },
    @MedusaContext() sharedContext: Context = {}
  ): Promise<PaymentDTO> {
    requireString(data?.id, "payment id")
    this.refuseFixedPaymentFields(data)
    const updated = await this.updatePayment_(data, sharedContext)
    return await this.baseRepository_.serialize<PaymentDTO>(updated)
  }

  /** The generated CRUD update, with the same limits as `updatePayment`. */
  // @ts-ignore overrides the generated CRUD method, keeping its signature
  async updatePayments(...args: any[]): Promise<any> {
    const [input] = args as unknown[]
    const items = Array.isArray(input)
      ? input
      : (input as { selector?: unknown; data?: unknown })?.selector !== undefined
        ? [(input as { data?: unknown }).data]
        : [input]
    items.forEach((item) => this.refuseFixedPaymentFields(item))
    // @ts-ignore the generated method is on the base class
    return await super.updatePayments(...args)
  }

  /**
   * Amounts, dates and links of a payment change only through capture,
   * refund and cancel (Medusa 2.21 writes whatever it is given, authorized
   * amount included — which would raise the bound captures are checked
   * against).
   */
  private refuseFixedPaymentFields(data: unknown): void {
    if (!data || typeof data !== "object") {
      throw invalidData(`A payment update must be an object, got ${JSON.stringify(data)}.`)
    }
    for (const key of Object.keys(data)) {
      if (!(PAYMENT_FIELDS as readonly string[]).includes(key)) {
        throw invalidData(`The field ${key} of a payment cannot be updated; only data and metadata can.`)
      }
    }
  }

  @InjectTransactionManager()
  protected async updatePayment_(
    data: UpdatePaymentDTO,
    @MedusaContext() sharedContext: Context = {}
  ) {
    return await this.paymentService_.update(data, sharedContext)
  }

  @InjectManager()
  @EmitEvents()
  async capturePayment(
    data: CaptureInput,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<PaymentDTO> {
    return await this.movements_.capture(data, sharedContext)
  }

  @InjectManager()
  @EmitEvents()
  async refundPayment(
    data: RefundInput,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<PaymentDTO> {
    return await this.movements_.refund(data, sharedContext)
  }

  /**
   * Cancel voids an authorization. A payment with captures cannot be
   * canceled (its money must be refunded), and the collection's totals are
   * recomputed — neither of which Medusa 2.21 does. Accepts a payment id, or
   * `{ payment_id, idempotency_key }`.
   */
  @InjectManager()
  @EmitEvents()
  async cancelPayment(
    paymentIdOrInput: string | { payment_id: string; idempotency_key?: string },
    @MedusaContext() sharedContext: Context = {}
  ): Promise<PaymentDTO> {
    const paymentId = await this.cancellation_.cancel(paymentIdOrInput, sharedContext)
    return await this.retrievePayment(paymentId, {}, sharedContext)
  }

  // ---------------------------------------------------------------------
  // Reconciliation
  // ---------------------------------------------------------------------

  /**
   * Settles every money movement whose outcome the module does not know —
   * answers lost to a timeout or a crash — by asking the provider again with
   * the same idempotency key: a provider that already did it answers with
   * what it did, one that did not does it now. Either way the effect happens
   * once. Pending movements count as lost once they are older than
   * `stale_after_ms` (their process is presumed dead).
   *
   * Run it from a scheduled job (see `jobs/reconcile-payments`) or call it
   * for one payment; captures and refunds call it themselves before moving
   * money on a payment that has such a movement.
   */
  @InjectManager()
  @EmitEvents()
  async reconcilePayments(
    filter: { payment_id?: string | string[]; stale_after_ms?: number } = {},
    @MedusaContext() sharedContext: Context = {}
  ): Promise<ReconciliationReport> {
    return await this.reconciliation_.run(filter, sharedContext)
  }

  /**
   * Not in Medusa's interface: the ids of captures and refunds settled since
   * `since` outside any workflow — by reconciliation, or recorded from the
   * provider. The plugin makes sure each is on its order.
   */
  @InjectManager()
  async listSettledOutsideWorkflows(
    filter: { since: Date },
    @MedusaContext() sharedContext: Context = {}
  ): Promise<string[]> {
    return await this.reconciliation_.settledOutsideWorkflows_(filter?.since, sharedContext)
  }

  /**
   * Not in Medusa's interface: what happened to each payment's money, from
   * the ledger (src/money/timeline.ts) — for the merchant's view of an order.
   */
  @InjectManager()
  async listPaymentTimelines(
    filter: { payment_id: string | string[] },
    @MedusaContext() sharedContext: Context = {}
  ): Promise<PaymentTimeline[]> {
    const ids = requireIdList(filter?.payment_id, "payment_id")
    const payments = await this.paymentService_.list({ id: ids }, { select: ["id", "payment_collection_id"] }, sharedContext)
    return await this.timelines_.list(payments, sharedContext)
  }

  // ---------------------------------------------------------------------
  // Ledger check
  // ---------------------------------------------------------------------

  /**
   * Rebuilds each payment's and collection's captured, refunded and
   * authorized totals from the append-only ledger and from the capture,
   * refund and session rows, and compares them with the stored totals (and
   * a collection's status with the one its totals call for). Returns every
   * disagreement; an empty list means the books balance.
   *
   * Nothing in the module should ever produce a discrepancy: the triggers
   * write the totals and the ledger in the same statement as the rows. A
   * discrepancy means someone wrote around them (a disabled trigger, a
   * manual UPDATE) — run it from a monitoring job.
   */
  @InjectManager()
  async verifyLedger(
    filter: { payment_collection_id?: string | string[] } = {},
    @MedusaContext() sharedContext: Context = {}
  ): Promise<LedgerDiscrepancy[]> {
    return await this.ledgerAudit_.verify(filter, sharedContext)
  }

  // ---------------------------------------------------------------------
  // Providers
  // ---------------------------------------------------------------------

  @InjectManager()
  async listPaymentProviders(
    filters: FilterablePaymentProviderProps = {},
    config: FindConfig<PaymentProviderDTO> = {},
    @MedusaContext() sharedContext: Context = {}
  ): Promise<PaymentProviderDTO[]> {
    const providers = await this.paymentProviderService_.list(filters, config, sharedContext)
    return await this.baseRepository_.serialize<PaymentProviderDTO[]>(providers)
  }

  @InjectManager()
  async listAndCountPaymentProviders(
    filters: FilterablePaymentProviderProps = {},
    config: FindConfig<PaymentProviderDTO> = {},
    @MedusaContext() sharedContext: Context = {}
  ): Promise<[PaymentProviderDTO[], number]> {
    const [providers, count] = await this.paymentProviderService_.listAndCount(
      filters,
      config,
      sharedContext
    )
    return [await this.baseRepository_.serialize<PaymentProviderDTO[]>(providers), count]
  }

  // ---------------------------------------------------------------------
  // Account holders and payment methods
  // ---------------------------------------------------------------------

  /**
   * Idempotent per (provider, customer): a holder the module already has is
   * returned instead of failing on the unique index (Medusa issue #15593).
   */
  @InjectManager()
  @EmitEvents()
  async createAccountHolder(
    input: CreateAccountHolderDTO,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<AccountHolderDTO> {
    return await this.accountHolders_.create(input, sharedContext)
  }

  @InjectManager()
  @EmitEvents()
  async updateAccountHolder(
    input: UpdateAccountHolderDTO,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<AccountHolderDTO> {
    return await this.accountHolders_.update(input, sharedContext)
  }

  @InjectManager()
  @EmitEvents()
  async deleteAccountHolder(
    id: string,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<void> {
    return await this.accountHolders_.delete(id, sharedContext)
  }

  @InjectManager()
  async listPaymentMethods(
    filters: FilterablePaymentMethodProps,
    config: FindConfig<PaymentMethodDTO> = {},
    @MedusaContext() sharedContext: Context = {}
  ): Promise<PaymentMethodDTO[]> {
    return await this.accountHolders_.listPaymentMethods(filters, sharedContext)
  }

  @InjectManager()
  async listAndCountPaymentMethods(
    filters: FilterablePaymentMethodProps,
    config: FindConfig<PaymentMethodDTO> = {},
    @MedusaContext() sharedContext: Context = {}
  ): Promise<[PaymentMethodDTO[], number]> {
    const methods = await this.accountHolders_.listPaymentMethods(filters, sharedContext)
    return [methods, methods.length]
  }

  createPaymentMethods(data: CreatePaymentMethodDTO, sharedContext?: Context): Promise<PaymentMethodDTO>
  createPaymentMethods(data: CreatePaymentMethodDTO[], sharedContext?: Context): Promise<PaymentMethodDTO[]>

  @InjectManager()
  @EmitEvents()
  async createPaymentMethods(
    data: CreatePaymentMethodDTO | CreatePaymentMethodDTO[],
    @MedusaContext() sharedContext: Context = {}
  ): Promise<PaymentMethodDTO | PaymentMethodDTO[]> {
    return await this.accountHolders_.createPaymentMethods(data, sharedContext)
  }

  deletePaymentMethods(data: DeletePaymentMethodDTO, sharedContext?: Context): Promise<void>
  deletePaymentMethods(data: DeletePaymentMethodDTO[], sharedContext?: Context): Promise<void>

  @InjectManager()
  @EmitEvents()
  async deletePaymentMethods(
    data: DeletePaymentMethodDTO | DeletePaymentMethodDTO[],
    @MedusaContext() sharedContext: Context = {}
  ): Promise<void> {
    return await this.accountHolders_.deletePaymentMethods(data, sharedContext)
  }

  // ---------------------------------------------------------------------
  // Webhooks
  // ---------------------------------------------------------------------

  /**
   * Medusa's answer (`action`, `data`). Facts the provider reports beside it
   * are recorded first: refunds made at the provider without this module
   * (src/money/provider-refunds.ts), disputes (src/money/provider-disputes.ts),
   * and an authorization that expired or was canceled there (the payment is
   * canceled as by `cancelPayment`). If
   * recording fails the call throws, and Medusa's webhook subscriber retries
   * the event.
   */
  @InjectManager()
  @EmitEvents()
  async getWebhookActionAndData(
    eventData: ProviderWebhookPayload,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<WebhookActionResult> {
    const providerId = webhookProviderId(eventData)
    const { refunds_at_provider, authorization_canceled, disputes_at_provider, ...answer } = (await this.providerGateway_.getWebhookActionAndData(
      providerId,
      eventData.payload
    )) as WebhookActionResult & WebhookFacts
    const hasFacts = !!(refunds_at_provider?.length || disputes_at_provider?.length || authorization_canceled)
    const sessionId = answer.data?.session_id
    // The facts are about the payment of the event's session, if it has one yet.
    const [payment] =
      hasFacts && sessionId
        ? await this.paymentService_.list({ payment_session_id: sessionId }, { select: ["id", "payment_collection_id"] }, sharedContext)
        : []
    if (payment && refunds_at_provider?.length) {
      await this.providerRefunds_.record(payment, refunds_at_provider, sharedContext)
    }
    if (payment && disputes_at_provider?.length) {
      await this.providerDisputes_.record(payment, disputes_at_provider, sharedContext)
    }
    if (payment && authorization_canceled) {
      await this.cancellation_.recordCanceledAtProvider(payment.id, authorization_canceled.reason, sharedContext)
    }
    if (sessionId && !payment) {
      // A session that is no Payment yet follows what the provider says of it: failed, canceled
      // or expired — and, after a failure, paid or challenged again (src/money/sessions.ts).
      const ended = answer.action === "failed" || answer.action === "canceled" || !!authorization_canceled
      await this.sessions_.followProvider(sessionId as string, !ended, sharedContext)
    }
    return answer
  }

  /**
   * Not in Medusa's interface: the authorized, uncaptured payments whose
   * authorization expires at the provider within `warn_within_ms` (default
   * a day), and those past it that the provider confirms gone — which are
   * canceled here as Medusa cancels a payment. The reconciliation job runs it.
   */
  @InjectManager()
  @EmitEvents()
  async checkAuthorizations(
    options: { warn_within_ms?: number } = {},
    @MedusaContext() sharedContext: Context = {}
  ): Promise<AuthorizationCheck> {
    const warnWithinMs = options?.warn_within_ms ?? DEFAULT_EXPIRY_WARNING_MS
    if (typeof warnWithinMs !== "number" || !Number.isFinite(warnWithinMs) || warnWithinMs < 0) {
      throw invalidData(`The warn_within_ms must be a number of milliseconds >= 0, got ${JSON.stringify(options?.warn_within_ms)}.`)
    }
    const providers = await this.paymentProviderService_.list({}, { select: ["id"] }, sharedContext)
    return await this.authorizationExpiry_.run(
      providers.map((p: { id: string }) => p.id),
      warnWithinMs,
      sharedContext
    )
  }

  /**
   * Not in Medusa's interface: payment sessions due for a check of the money
   * their provider may hold (not canceled, untouched for `idle_for_ms`, at
   * most `lookback_ms` old; each every run in its first hour, then hourly).
   * The plugin asks which of them have no order (src/plugin/held-without-order.ts).
   */
  @InjectManager()
  async listIdlePaymentSessions(
    filter: { idle_for_ms: number; lookback_ms: number; run_every_ms: number; limit: number },
    @MedusaContext() sharedContext: Context = {}
  ): Promise<IdleSession[]> {
    return await this.heldPayments_.listIdle_(filter, sharedContext)
  }

  /**
   * Not in Medusa's interface: whether the provider holds the customer's
   * money for a session (asked afresh; a Payment's books answer for it). A
   * failure or a cancel the provider reports is recorded on the session.
   */
  @InjectManager()
  @EmitEvents()
  async checkPaymentSessionAtProvider(
    id: string,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<SessionAtProvider> {
    return await this.heldPayments_.check(id, sharedContext)
  }

  /**
   * Not in Medusa's interface: a session in `error` (its last attempt failed)
   * takes the status its provider gives now — `pending` again when the
   * shopper has paid since on the same payment. Answers the session's status.
   * The plugin calls it before Medusa completes a cart, whose validation
   * skips sessions in `error`.
   */
  @InjectManager()
  @EmitEvents()
  async refreshFailedPaymentSession(id: string, @MedusaContext() sharedContext: Context = {}): Promise<string | null> {
    return (await this.sessions_.followProvider(requireString(id, "payment session id"), true, sharedContext)).status
  }

  /**
   * Not in Medusa's interface: gives back the money a provider holds for a
   * session no order will record — the authorization canceled, or captured
   * money refunded — with `reason` in the ledger, and cancels the session.
   */
  @InjectManager()
  @EmitEvents()
  async returnHeldPayment(
    input: { payment_session_id: string; reason: string },
    @MedusaContext() sharedContext: Context = {}
  ): Promise<ReturnedPayment> {
    return await this.heldPayments_.returnMoney(input?.payment_session_id, input?.reason, sharedContext)
  }

  /**
   * Not in Medusa's interface: each payment session created in the period,
   * its payment's settled books, and the provider's own record of the money
   * (src/money/provider-audit.ts). Read-only; the plugin's audit compares
   * them and the orders (src/plugin/audit.ts).
   */
  @InjectManager()
  async listProviderRecords(
    filter: { from: Date; to: Date },
    @MedusaContext() sharedContext: Context = {}
  ): Promise<{ rows: ProviderAuditRow[]; truncated: boolean }> {
    return await this.providerAudit_.run(filter, sharedContext)
  }

  /**
   * Not in Medusa's interface: checks that a webhook delivery really comes
   * from its provider, before Medusa queues it. Answers `verified: false`
   * when the provider has no such check; throws a MedusaError (INVALID_DATA)
   * when the delivery is forged, tampered with or stale.
   */
  async verifyWebhook(eventData: ProviderWebhookPayload): Promise<{ verified: boolean }> {
    const providerId = webhookProviderId(eventData)
    return { verified: await this.providerGateway_.verifyWebhook(providerId, eventData.payload) }
  }

  // ---------------------------------------------------------------------
  // Helpers
  // ---------------------------------------------------------------------

}

/** Medusa's webhook route names the provider without its `pp_` prefix (`/hooks/payment/stripe_stripe`). */
function webhookProviderId(eventData: ProviderWebhookPayload): string {
  const provider = requireString(eventData?.provider, "webhook provider")
  if (!eventData.payload || typeof eventData.payload !== "object") {
    throw invalidData(`The webhook payload for ${provider} must be an object with data, rawData and headers.`)
  }
  return provider.startsWith("pp_") ? provider : `pp_${provider}`
}
