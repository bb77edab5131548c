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
  CommonEvents,
  EmitEvents,
  InjectManager,
  InjectTransactionManager,
  isString,
  MedusaContext,
  MedusaService,
  PaymentSessionStatus,
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
import { recomputeCollection } from "../sql/money"
import { findCollectionCurrency, insertCollections, insertSession } from "../sql/hot-path"
import { newId, rowToDto } from "../sql/rows"
import { parseNonNegativeAmount, roundToCurrency, storedAmount } from "../utils/amount"
import { currencyExponent, normalizeCurrencyCode } from "../utils/currency"
import { invalidData, notAllowed, notFound, requireString } from "../utils/errors"
import { ProviderGateway, providerTimeoutOption } from "../providers/gateway"
import { Authorization } from "../money/authorize"
import { Cancellation } from "../money/cancel"
import { LedgerAudit, LedgerDiscrepancy } from "../money/ledger-audit"
import { CaptureInput, MoneyMovements, RefundInput } from "../money/movements"
import { Reconciliation, ReconciliationReport } from "../money/reconcile"
import { ModuleParts } from "../money/use-case"
import { AccountHolders } from "./account-holders"
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

const COLLECTION_FIELDS = ["currency_code", "amount", "status", "metadata"] as const
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
  protected readonly accountHolders_: AccountHolders

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
    this.movements_ = new MoneyMovements(parts, (filter, sharedContext) => this.reconciliation_.run(filter, sharedContext))
    this.authorization_ = new Authorization(parts, this.movements_)
    this.ledgerAudit_ = new LedgerAudit(parts)
    this.accountHolders_ = new AccountHolders(parts)
  }

  __joinerConfig(): ModuleJoinerConfig {
    return joinerConfig
  }

  /**
   * Records `payment.<object>.<action>` for rows written by hand-written SQL,
   * through the same builder the ORM's mutation events use, so subscribers
   * see one event per row whichever path wrote it.
   */
  private recordEvents(action: string, object: string, rows: { id?: unknown }[], sharedContext: Context): void {
    for (const row of rows) {
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
    const input = (Array.isArray(data) ? data : [data]).map((item) => {
      const valid = this.validCollectionInput(item, true)
      return {
        id: newId(PaymentCollection),
        currency_code: valid.currency_code,
        amount: parseNonNegativeAmount(valid.amount, "payment collection amount").toFixed(),
        metadata: valid.metadata ?? null,
      }
    })
    const rows = new Map((await insertCollections(input, sharedContext)).map((row) => [row.id, row]))
    const collections = input.map((item) =>
      rowToDto<PaymentCollectionDTO>(PaymentCollection, rows.get(item.id)!, { fresh: true })
    )
    this.recordEvents(CommonEvents.CREATED, "payment_collection", collections, sharedContext)
    return Array.isArray(data) ? collections : collections[0]
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
    const update = this.validCollectionInput(data, false)
    let ids: string[]
    if (isString(idOrSelector)) {
      ids = [idOrSelector]
    } else {
      const matches = await this.paymentCollectionService_.list(
        idOrSelector,
        { select: ["id"] },
        sharedContext
      )
      ids = matches.map((c) => c.id)
    }
    const updated = await this.updatePaymentCollections_(
      ids.map((id) => ({ id, ...update })),
      sharedContext
    )
    const serialized = await this.baseRepository_.serialize<PaymentCollectionDTO[]>(updated)
    // As Medusa's module: one collection (the first) whatever the selector matched.
    return serialized[0]
  }

  @InjectTransactionManager()
  protected async updatePaymentCollections_(
    data: (PaymentCollectionUpdatableFields & { id: string })[],
    @MedusaContext() sharedContext: Context = {}
  ) {
    if (!data.length) return []
    return await this.paymentCollectionService_.update(data, sharedContext)
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
    const input = Array.isArray(data) ? data : [data]
    const toUpdate = input
      .filter((item) => item.id)
      .map((item) => ({ ...this.validCollectionInput(item, false), id: item.id! }))
    const toCreate = input
      .filter((item) => !item.id)
      .map((item) => this.validCollectionInput(item as CreatePaymentCollectionDTO, true))
    const result = await this.upsertPaymentCollections_(toCreate, toUpdate, sharedContext)
    const serialized = await this.baseRepository_.serialize<PaymentCollectionDTO[]>(result)
    return Array.isArray(data) ? serialized : serialized[0]
  }

  @InjectTransactionManager()
  protected async upsertPaymentCollections_(
    toCreate: CreatePaymentCollectionDTO[],
    toUpdate: (PaymentCollectionUpdatableFields & { id: string })[],
    @MedusaContext() sharedContext: Context = {}
  ) {
    const created = toCreate.length
      ? await this.paymentCollectionService_.create(toCreate, sharedContext)
      : []
    const updated = toUpdate.length
      ? await this.paymentCollectionService_.update(toUpdate, sharedContext)
      : []
    return [...created, ...updated]
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
    const ids = Array.isArray(paymentCollectionId) ? paymentCollectionId : [paymentCollectionId]
    const collections = await this.completePaymentCollections_(ids, sharedContext)
    const serialized = await this.baseRepository_.serialize<PaymentCollectionDTO[]>(collections)
    this.recordEvents(CommonEvents.UPDATED, "payment_collection", serialized, sharedContext)
    return Array.isArray(paymentCollectionId) ? serialized : serialized[0]
  }

  @InjectTransactionManager()
  protected async completePaymentCollections_(
    ids: string[],
    @MedusaContext() sharedContext: Context = {}
  ) {
    for (const id of ids) {
      await recomputeCollection(id, sharedContext)
    }
    const collections = await this.paymentCollectionService_.list(
      { id: ids },
      {},
      sharedContext
    )
    const missing = ids.filter((id) => !collections.some((c) => c.id === id))
    if (missing.length) {
      // Medusa's words: its internal service's update names the first id it misses.
      throw notFound(`PaymentCollection with id "${missing[0]}" not found`)
    }
    for (const collection of collections) {
      const amount = roundToCurrency(storedAmount(collection.raw_amount, collection.amount), collection.currency_code)
      const captured = roundToCurrency(
        storedAmount(collection.raw_captured_amount, collection.captured_amount),
        collection.currency_code
      )
      if (captured.lt(amount)) {
        throw notAllowed(
          `Payment collection ${collection.id} cannot be completed: ${captured.toFixed()} of ${amount.toFixed()} ${collection.currency_code} is captured.`
        )
      }
    }
    return await this.paymentCollectionService_.update(
      collections.map((c) => ({ id: c.id, completed_at: c.completed_at ?? new Date() })),
      sharedContext
    )
  }

  private validCollectionInput<T extends Partial<CreatePaymentCollectionDTO>>(
    input: T,
    creating: boolean
  ): T {
    if (!input || typeof input !== "object") {
      throw invalidData(`A payment collection must be an object, got ${JSON.stringify(input)}.`)
    }
    const result: Record<string, unknown> = { ...input }
    if (creating) {
      // Medusa's words for a missing field (the ORM's check), as an INVALID_DATA.
      for (const field of ["currency_code", "amount"] as const) {
        if (input[field] === undefined || input[field] === null) {
          throw invalidData(`Value for PaymentCollection.${field} is required, '${input[field]}' found`)
        }
      }
    }
    if (creating || input.currency_code !== undefined) {
      requireString(input.currency_code, "currency_code")
      currencyExponent(input.currency_code!)
      result.currency_code = normalizeCurrencyCode(input.currency_code!)
    }
    if (creating || input.amount !== undefined) {
      parseNonNegativeAmount(input.amount, "payment collection amount")
    }
    for (const key of Object.keys(result)) {
      if (!creating && key !== "id" && !(COLLECTION_FIELDS as readonly string[]).includes(key)) {
        throw invalidData(`The field ${key} of a payment collection cannot be updated.`)
      }
    }
    return result as T
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
    requireString(paymentCollectionId, "payment collection id")
    requireString(input?.provider_id, "provider_id")
    const amount = parseNonNegativeAmount(input.amount, "payment session amount")
    const collection = await findCollectionCurrency(paymentCollectionId, sharedContext)
    if (!collection) {
      // Medusa's words (the ORM refusing a session for a collection that does not exist).
      throw notFound(`You tried to set relationship payment_collection_id: ${paymentCollectionId}, but such entity does not exist`)
    }
    const currencyCode = this.sameCurrency(input.currency_code, collection.currency_code, collection.id)
    this.paymentProviderService_.retrieveProvider(input.provider_id)

    const sessionId = newId(PaymentSession)
    const providerSession = await this.providerGateway_.initiatePayment(input.provider_id, {
        amount: amount.toFixed(),
        currency_code: currencyCode,
        context: { idempotency_key: sessionId, ...(input.context ?? {}) },
        data: { ...(input.data ?? {}), session_id: sessionId },
      }
    )

    try {
      const row = await insertSession(
        {
          id: sessionId,
          payment_collection_id: collection.id,
          provider_id: input.provider_id,
          amount: amount.toFixed(),
          currency_code: currencyCode,
          context: input.context ?? null,
          data: { ...(input.data ?? {}), ...(providerSession?.data ?? {}) },
          status: providerSession?.status ?? PaymentSessionStatus.PENDING,
          metadata: input.metadata ?? null,
        },
        sharedContext
      )
      const session = rowToDto<PaymentSessionDTO>(PaymentSession, row, { fresh: true })
      this.recordEvents(CommonEvents.CREATED, "payment_session", [session], sharedContext)
      return session
    } catch (error) {
      // Release what the provider opened, with the data it gave us (Medusa
      // passes the caller's input here, which the provider cannot use).
      await this.providerGateway_.deletePayment(input.provider_id, {
        data: providerSession?.data ?? {},
        context: { idempotency_key: sessionId },
      }).catch(() => undefined)
      throw error
    }
  }

  @InjectManager()
  @EmitEvents()
  async updatePaymentSession(
    data: UpdatePaymentSessionDTO,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<PaymentSessionDTO> {
    requireString(data?.id, "payment session id")
    const session = await this.paymentSessionService_.retrieve(
      data.id,
      { select: ["id", "status", "data", "provider_id", "currency_code", "amount", "raw_amount", "payment_collection_id"], relations: ["payment"] },
      sharedContext
    )
    const amount =
      data.amount === undefined
        ? storedAmount(session.raw_amount, session.amount)
        : parseNonNegativeAmount(data.amount, "payment session amount")
    const currencyCode =
      data.currency_code === undefined
        ? session.currency_code
        : this.sameCurrency(data.currency_code, session.currency_code, session.payment_collection_id)
    if (session.payment && !amount.eq(storedAmount(session.raw_amount, session.amount))) {
      throw notAllowed(
        `Payment session ${session.id} is already authorized; its amount cannot change. Create a new session instead.`
      )
    }
    // Once a session is a Payment, its status follows the Payment (authorized,
    // then canceled) and nothing else: not a caller, and not the provider,
    // whose answer may come from stale session data — Stripe's would say
    // "authorized" for a session canceled since.
    if (session.payment && data.status !== undefined && data.status !== session.status) {
      throw notAllowed(
        `Payment session ${session.id} has a payment; its status (${session.status}) cannot be set to ${data.status}.`
      )
    }

    const providerData = await this.providerGateway_.updatePayment(session.provider_id, {
        data: { ...(session.data ?? {}), ...(data.data ?? {}) },
        amount: amount.toFixed(),
        currency_code: currencyCode,
        context: { idempotency_key: session.id, ...(data.context ?? {}) },
      }
    )

    const updated = await this.updatePaymentSession_(
      {
        id: session.id,
        amount: amount.toFixed(),
        currency_code: currencyCode,
        data: providerData?.data ?? session.data,
        status: session.payment ? session.status : data.status ?? providerData?.status ?? session.status,
        ...(data.metadata !== undefined ? { metadata: data.metadata } : {}),
      },
      sharedContext
    )
    return await this.baseRepository_.serialize<PaymentSessionDTO>(updated)
  }

  @InjectTransactionManager()
  protected async updatePaymentSession_(
    data: Record<string, unknown>,
    @MedusaContext() sharedContext: Context = {}
  ) {
    return await this.paymentSessionService_.update(data, sharedContext)
  }

  @InjectManager()
  @EmitEvents()
  async deletePaymentSession(
    id: string,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<void> {
    requireString(id, "payment session id")
    const session = await this.paymentSessionService_.retrieve(
      id,
      { select: ["id", "data", "provider_id", "payment_collection_id"], relations: ["payment"] },
      sharedContext
    )
    // An authorized session's money is managed through its Payment (capture,
    // refund, cancel); deleting the session must not void it at the provider.
    if (!session.payment) {
      await this.providerGateway_.deletePayment(session.provider_id, {
        data: session.data ?? {},
        context: { idempotency_key: session.id },
      })
    }
    await this.deletePaymentSession_(session.id, session.payment_collection_id, !!session.payment, sharedContext)
  }

  /**
   * A session that became a Payment is soft-deleted: the Payment, its
   * captures and refunds keep pointing at a real row (Medusa hard-deletes
   * it and leaves the Payment dangling).
   */
  @InjectTransactionManager()
  protected async deletePaymentSession_(
    id: string,
    collectionId: string,
    hasPayment: boolean,
    @MedusaContext() sharedContext: Context = {}
  ) {
    if (hasPayment) {
      await this.paymentSessionService_.softDelete(id, sharedContext)
    } else {
      await this.paymentSessionService_.delete(id, sharedContext)
    }
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

  /** A capture or refund amount as the caller gave it, exact; null means "what is left". */

  /** The MedusaError for a reservation the database refused. */

  /** More than is left: Medusa's message; the figures in `details`. */

  /** The provider refused: the movement is refused, and counts for nothing from now on. */

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

  /** The provider refused to cancel: the payment is authorized again and the key is free for a new attempt. */

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
  async reconcilePayments(
    filter: { payment_id?: string | string[]; stale_after_ms?: number } = {},
    @MedusaContext() sharedContext: Context = {}
  ): Promise<ReconciliationReport> {
    return await this.reconciliation_.run(filter, sharedContext)
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

  @InjectManager()
  async getWebhookActionAndData(
    eventData: ProviderWebhookPayload,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<WebhookActionResult> {
    const provider = requireString(eventData?.provider, "webhook provider")
    if (!eventData.payload || typeof eventData.payload !== "object") {
      throw invalidData(`The webhook payload for ${provider} must be an object with data, rawData and headers.`)
    }
    const providerId = provider.startsWith("pp_") ? provider : `pp_${provider}`
    return await this.providerGateway_.getWebhookActionAndData(providerId, eventData.payload)
  }

  // ---------------------------------------------------------------------
  // Helpers
  // ---------------------------------------------------------------------

  private sameCurrency(requested: unknown, expected: string, collectionId: string): string {
    requireString(requested, "currency_code")
    currencyExponent(requested as string)
    const normalized = normalizeCurrencyCode(requested as string)
    if (normalized !== normalizeCurrencyCode(expected)) {
      throw invalidData(
        `Currency ${normalized} does not match the payment collection ${collectionId}, which is in ${expected}.`
      )
    }
    return normalized
  }

}

