import {
  AccountHolderDTO,
  CaptureDTO,
  Context,
  CreateAccountHolderDTO,
  CreateCaptureDTO,
  CreatePaymentCollectionDTO,
  CreatePaymentMethodDTO,
  CreatePaymentSessionDTO,
  CreateRefundDTO,
  DAL,
  DeletePaymentMethodDTO,
  FilterablePaymentCollectionProps,
  FilterablePaymentMethodProps,
  FilterablePaymentProviderProps,
  FindConfig,
  InternalModuleDeclaration,
  IPaymentModuleService,
  IPaymentProvider,
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
  MathBN,
  MedusaContext,
  MedusaService,
  PaymentSessionStatus,
} from "@medusajs/framework/utils"
import {
  AccountHolder,
  Capture,
  Payment,
  PaymentCollection,
  PaymentMovement,
  PaymentSession,
  Refund,
  RefundReason,
} from "../models"
import { joinerConfig } from "../joiner-config"
import {
  bindIdempotencyRecord,
  claimIdempotencyRecord,
  execute,
  findUnsettledOperations,
  ledgerFigures,
  LedgerFigures,
  LockedPayment,
  lockPayment,
  markMovementRefused,
  markMovementUnknown,
  movementStatus,
  STALE_PENDING_MS,
  recomputeCollection,
  releaseIdempotencyRecords,
  UnsettledOperation,
} from "../sql/money"
import {
  authorizeSession,
  findCollectionCurrency,
  findMovementContext,
  findSessionWithPayment,
  insertCollections,
  insertSession,
  Reservation,
  reserveMovement,
  ReserveVerdict,
  Settled,
  settleMovement,
  recordProviderRounding,
} from "../sql/hot-path"
import { newId, rowToDto } from "../sql/rows"
import { authorizedAnswer, existingAuthorizationAnswer, movementAnswer } from "../money/answers"
import type { AmountSent } from "../types"
import { MoneyMovementStatus } from "../types/money-movement-status"
import {
  assertCurrencyPrecision,
  Decimal,
  parseAmount,
  parseNonNegativeAmount,
  roundToCurrency,
  storedAmount,
} from "../utils/amount"
import { currencyExponent, knownCurrencyCodes, normalizeCurrencyCode } from "../utils/currency"
import { findDiscrepancies, LedgerDiscrepancy } from "../utils/ledger"
import {
  conflict,
  invalidData,
  isOutcomeUnknown,
  isUniqueViolation,
  notAllowed,
  notFound,
  requireString,
  unexpectedState,
} from "../utils/errors"
import { ProviderGateway, providerTimeoutOption } from "../providers/gateway"
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

/** Callers may add a retry key to the Medusa DTOs; everything else is Medusa's shape. */
type WithIdempotencyKey = { idempotency_key?: string }

type CaptureInput = CreateCaptureDTO & WithIdempotencyKey & { created_by?: string }
type RefundInput = CreateRefundDTO & WithIdempotencyKey

type MovementKind = "capture" | "refund"

/** A cancel reserved under the payment's lock: the payment as locked and the cancel's movement. */
type ReservedCancel = { payment: LockedPayment; movementId: string }

export type ReconciliationReport = {
  /** movements (or cancels) the provider confirmed */
  settled: string[]
  /** movements the provider refused: removed, totals restored */
  reversed: string[]
  /** still no answer: left for the next run */
  still_unknown: string[]
}

/** What reserving a capture or refund came to: the database's verdict, or the movement a caller's key already named. */
type Reserved = { verdict: ReserveVerdict; replayedId?: string | null }

/** The payment fields a provider call needs. */
type MovingPayment = {
  id: string
  payment_collection_id: string
  provider_id: string
  currency_code: string
  data: Record<string, unknown> | null
}

/** Rolls back a caller's key claimed for a reservation that the database then refused. */
class ReservationRefused extends Error {
  constructor(readonly verdict: ReserveVerdict) {
    super(`reservation refused: ${verdict.verdict}`)
  }
}

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
    requireString(id, "payment session id")
    const found = await findSessionWithPayment(id, sharedContext)
    if (!found) {
      throw notFound(`PaymentSession with id: ${id} was not found`)
    }
    const session = found.session
    if (context?.idempotency_key !== undefined && context?.idempotency_key !== null) {
      await this.claimAuthorizeKey_(context.idempotency_key, session.id, sharedContext)
    }
    if (found.payment) {
      return existingAuthorizationAnswer(found.payment, session, found.collection)
    }

    const result = await this.providerGateway_.authorizePayment(session.provider_id, {
        data: session.data ?? {},
        // The session id, not the caller's key, names this authorization at
        // the provider: every retry of it is the same provider request.
        context: { ...(context ?? {}), idempotency_key: session.id },
      }
    )
    const status = result?.status
    const data = result?.data ?? session.data ?? {}

    // Not refused, not yet authorized: the customer (3-D Secure) or the bank
    // (SEPA) must act first. Returning null lets core-flows answer the
    // storefront with payment_requires_more_error or defer the
    // authorization; Medusa 2.21 throws for requires_more, which turns the
    // storefront's 3-D Secure prompt into a plain 400.
    if (
      status === PaymentSessionStatus.PENDING_AUTHORIZATION ||
      status === PaymentSessionStatus.REQUIRES_MORE
    ) {
      await this.settleUnauthorizedSession_(session.id, status, data, sharedContext)
      return null
    }
    if (status !== PaymentSessionStatus.AUTHORIZED && status !== PaymentSessionStatus.CAPTURED) {
      await this.settleUnauthorizedSession_(session.id, status ?? session.status, data, sharedContext)
      throw notAllowed(`Session: ${session.id} was not authorized with the provider.`, {
        provider_status: status ?? null,
      })
    }

    try {
      // Locks the session; a Payment another caller made meanwhile (for the
      // same provider authorization: same idempotency key) is returned as is.
      const capturedByProvider = status === PaymentSessionStatus.CAPTURED
      const authorized = await authorizeSession(
        {
          sessionId: session.id,
          paymentId: newId(Payment),
          data,
          captureId: capturedByProvider ? newId(Capture) : null,
        },
        sharedContext
      )
      if (authorized.verdict === "session_not_found") {
        throw notFound(`PaymentSession with id: ${session.id} was not found`)
      }
      if (authorized.verdict === "existing") {
        return existingAuthorizationAnswer(authorized.payment!, authorized.payment_session!, authorized.payment_collection)
      }
      const payment = authorizedAnswer(authorized.payment!, authorized.payment_session!)
      {
        const asked = storedAmount(authorized.payment!.raw_amount, authorized.payment!.amount).toFixed()
        await this.recordProviderRounding("authorization", payment.id, authorized.payment as MovingPayment, asked, result, sharedContext)
        this.recordEvents(CommonEvents.CREATED, "payment", [payment], sharedContext)
        this.recordEvents(CommonEvents.UPDATED, "payment_session", [session], sharedContext)
        this.recordEvents(CommonEvents.UPDATED, "payment_collection", [{ id: session.payment_collection_id }], sharedContext)
        if (authorized.capture_id) {
          this.recordEvents(CommonEvents.CREATED, "capture", [{ id: authorized.capture_id }], sharedContext)
        }
      }
      return payment
    } catch (error) {
      await this.providerGateway_.cancelPayment(session.provider_id, {
        data,
        context: { idempotency_key: session.id, ...(context ?? {}) },
      }).catch(() => undefined)
      throw error
    }
  }

  /** A caller's key names one session's authorization; reusing it for another session is a CONFLICT. */
  @InjectTransactionManager()
  protected async claimAuthorizeKey_(
    key: unknown,
    sessionId: string,
    @MedusaContext() sharedContext: Context = {}
  ) {
    const claim = await this.claimIdempotencyKey("authorize", key, sessionId, sharedContext)
    if (!claim.replayed) await claim.bind(sessionId)
  }

  @InjectTransactionManager()
  protected async settleUnauthorizedSession_(
    sessionId: string,
    status: string,
    data: Record<string, unknown>,
    @MedusaContext() sharedContext: Context = {}
  ) {
    await this.paymentSessionService_.update({ id: sessionId, status, data }, sharedContext)
  }

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
    requireString(data?.payment_id, "payment_id")
    return await this.moveMoney(
      {
        kind: "capture",
        paymentId: data.payment_id,
        movementId: newId(Capture),
        amount: this.requestedAmount(data.amount, "capture amount"),
        status: data.is_captured ? MoneyMovementStatus.SUCCEEDED : MoneyMovementStatus.PENDING,
        createdBy: data.captured_by ?? data.created_by ?? null,
        idempotencyKey: this.optionalKey(data.idempotency_key),
        staleAfterMs: STALE_PENDING_MS,
      },
      sharedContext
    )
  }

  @InjectManager()
  @EmitEvents()
  async refundPayment(
    data: RefundInput,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<PaymentDTO> {
    requireString(data?.payment_id, "payment_id")
    return await this.moveMoney(
      {
        kind: "refund",
        paymentId: data.payment_id,
        movementId: newId(Refund),
        amount: this.requestedAmount(data.amount, "refund amount"),
        status: MoneyMovementStatus.PENDING,
        createdBy: data.created_by ?? null,
        note: data.note ?? null,
        refundReasonId: data.refund_reason_id ?? null,
        metadata: data.metadata ?? null,
        idempotencyKey: this.optionalKey(data.idempotency_key),
        staleAfterMs: STALE_PENDING_MS,
      },
      sharedContext
    )
  }

  /** A capture or refund amount as the caller gave it, exact; null means "what is left". */
  private requestedAmount(input: unknown, field: string): string | null {
    if (input === undefined || input === null) return null
    const amount = parseAmount(input, field)
    // Checked before anything is read, so that nonsense is refused whatever the payment's state.
    if (amount.lte(0)) {
      const kind = field.startsWith("capture") ? "Capture" : "Refund"
      throw invalidData(`${kind} amount must be greater than 0.`, { amount: amount.toFixed() })
    }
    return amount.toFixed()
  }

  private optionalKey(key: unknown): string | null {
    if (key === undefined || key === null) return null
    return requireString(key, "idempotency_key")
  }

  /**
   * Reserve under the payment's row lock, call the provider with no
   * transaction open, then settle: the capture row exists (and counts
   * against the bound) before any money moves, so two concurrent captures
   * can never both pass the check. A lost answer leaves the row `unknown`
   * for reconciliation; only a definite refusal removes it.
   *
   * Without a caller's key, reserving and settling are one statement each.
   * The answer holds the payment with only the capture (or refund) this call
   * made — none for a no-op: Medusa's capture and refund workflows add one
   * order transaction per returned movement, so returning all of them let
   * concurrent no-op calls add transactions for captures they did not make.
   */
  private async moveMoney(reservation: Reservation, sharedContext: Context): Promise<PaymentDTO> {
    const { kind, paymentId, movementId } = reservation
    const reserved = await this.reserve(reservation, sharedContext)
    if (reserved.replayedId !== undefined) {
      return movementAnswer(kind, await findMovementContext(paymentId, kind, reserved.replayedId, sharedContext))
    }
    const { verdict } = reserved
    // Medusa's module rewrites the collection's totals on every capture and refund, no-ops included.
    this.recordEvents(CommonEvents.UPDATED, "payment_collection", [{ id: verdict.payment!.payment_collection_id }], sharedContext)
    if (verdict.verdict === "noop") {
      return movementAnswer(kind, await findMovementContext(paymentId, kind, null, sharedContext))
    }
    if (reservation.status === MoneyMovementStatus.SUCCEEDED) {
      // Recorded as the provider already did it: nothing to ask the provider.
      const current = await findMovementContext(paymentId, kind, movementId, sharedContext)
      this.recordEvents(CommonEvents.CREATED, kind, [{ id: movementId }], sharedContext)
      if (verdict.completes) this.recordEvents(CommonEvents.UPDATED, "payment", [current.payment], sharedContext)
      return movementAnswer(kind, current)
    }
    const settled = await this.moveMoneyAtProvider(
      kind,
      verdict.payment as MovingPayment,
      { id: movementId, amount: MathBN.convert(verdict.amount!) },
      sharedContext
    )
    return movementAnswer(kind, settled)
  }

  /**
   * Reserves the movement, reconciling first when an earlier movement on
   * the payment waits for its outcome (once: what reconciliation could not
   * settle makes the request a CONFLICT). Refusals become MedusaErrors here.
   */
  private async reserve(reservation: Reservation, sharedContext: Context): Promise<Reserved> {
    let reconciled = false
    for (;;) {
      const reserved = reservation.idempotencyKey
        ? await this.reserveUnderKey(reservation, sharedContext)
        : { verdict: await reserveMovement(reservation, sharedContext) }
      if (reserved.replayedId !== undefined) return reserved
      const { verdict } = reserved
      if (verdict.verdict === "created" || verdict.verdict === "noop") return reserved
      if (verdict.verdict === "reconcile" && !reconciled) {
        reconciled = true
        await this.reconcilePayments({ payment_id: reservation.paymentId }, sharedContext)
        continue
      }
      if (verdict.verdict === "too_precise" && reservation.requestedAmount === undefined) {
        reservation = this.roundedToCurrency(reservation, verdict)
        continue
      }
      throw this.refusal(reservation, verdict)
    }
  }

  /**
   * Medusa's totals carry more decimals than money can (taxes are not
   * rounded: 9.99 + 8.25 % is 10.814175 USD), and Medusa's module accepts
   * them. Only whole minor units can move, so an amount finer than its
   * currency is rounded half up to it, as Medusa's module compares it; the
   * movement records what moves. Asked only after the database answered
   * `too_precise` (it knows the currency), so exact amounts cost nothing.
   */
  private roundedToCurrency(reservation: Reservation, verdict: ReserveVerdict): Reservation {
    const currencyCode = verdict.currency_code!
    // No amount asks for the payment's whole amount, which the database names in its verdict.
    const requested = reservation.amount ?? verdict.amount!
    const rounded = roundToCurrency(requested, currencyCode)
    if (rounded.lte(0)) {
      throw invalidData(
        `The ${reservation.kind} amount ${requested} is less than the smallest unit of ${currencyCode.toUpperCase()}: nothing can move.`
      )
    }
    return { ...reservation, amount: rounded.toFixed(), requestedAmount: reservation.amount }
  }

  /**
   * With a caller's key, the key's record and the reservation commit
   * together: a retry finds either both or neither. A reservation that is
   * refused rolls the claim back, so the key stays free.
   */
  private async reserveUnderKey(reservation: Reservation, sharedContext: Context): Promise<Reserved> {
    try {
      return await this.reserveUnderKey_(reservation, sharedContext)
    } catch (error) {
      if (error instanceof ReservationRefused) return { verdict: error.verdict }
      throw error
    }
  }

  @InjectTransactionManager()
  protected async reserveUnderKey_(
    reservation: Reservation,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<Reserved> {
    const key = reservation.idempotencyKey!
    // What the payment itself refuses comes before what the key says: a
    // missing payment is NOT_FOUND and a canceled one refuses captures
    // whatever key the request carries (the lock is held to the reservation).
    const payment = await lockPayment(reservation.paymentId, sharedContext)
    if (reservation.kind === "capture" && payment.canceled_at) {
      throw this.refusal(reservation, { verdict: "canceled" } as ReserveVerdict)
    }
    const claim = await this.claimIdempotencyKey(
      reservation.kind,
      key,
      `${reservation.paymentId}:${(reservation.requestedAmount !== undefined ? reservation.requestedAmount : reservation.amount) ?? "rest"}`,
      sharedContext
    )
    if (claim.replayed) {
      await this.refuseUnsettledReplay(reservation.kind, claim.resultId, key, sharedContext)
      return { verdict: { verdict: "noop" } as ReserveVerdict, replayedId: claim.resultId ?? null }
    }
    const verdict = await reserveMovement(reservation, sharedContext)
    if (verdict.verdict === "noop") {
      // Accepted, nothing to move: the key stays claimed for this request, bound to no movement.
      return { verdict }
    }
    if (verdict.verdict !== "created") {
      throw new ReservationRefused(verdict)
    }
    await claim.bind(reservation.movementId)
    return { verdict }
  }

  /** The MedusaError for a reservation the database refused. */
  private refusal(reservation: Reservation, verdict: ReserveVerdict): Error {
    const { kind, paymentId } = reservation
    const field = `${kind} amount`
    const code = verdict.currency_code ?? ""
    const requested = reservation.amount ?? verdict.amount ?? ""
    switch (verdict.verdict) {
      case "payment_not_found":
        return notFound(`Payment with id: ${paymentId} was not found`)
      case "canceled":
        return invalidData(`The payment: ${paymentId} has been canceled.`)
      case "reconcile":
        return conflict(
          `Payment ${paymentId} has a money movement or cancel whose outcome is unknown; ` +
            `it must be reconciled with the provider before another capture or refund.`
        )
      case "nothing_left":
        // Medusa asks for the whole amount when none is given, and refuses it as more than is left.
        return this.exceedsRefusal(reservation, verdict)
      case "unknown_currency":
        currencyExponent(code)
        break
      case "too_precise":
        assertCurrencyPrecision(MathBN.convert(requested), code, field)
        break
      case "exceeds":
        return this.exceedsRefusal(reservation, verdict)
      case "reason_not_found":
        return notFound(`RefundReason with id: ${reservation.refundReasonId} was not found`)
    }
    return unexpectedState(`The ${kind} of payment ${paymentId} was refused by the database (${verdict.verdict}).`)
  }

  /** More than is left: Medusa's message; the figures in `details`. */
  private exceedsRefusal(reservation: Reservation, verdict: ReserveVerdict): Error {
    const details = {
      payment_id: reservation.paymentId,
      requested_amount: reservation.amount ?? null,
      amount_left: verdict.left_to_move == null ? "0" : MathBN.convert(verdict.left_to_move).toFixed(),
      currency_code: verdict.currency_code ?? null,
    }
    return invalidData(
      reservation.kind === "capture"
        ? `You cannot capture more than the authorized amount substracted by what is already captured.`
        : `You cannot refund more than what is captured on the payment.`,
      details
    )
  }

  /**
   * Asks the provider to move the reserved money, with the movement's own id
   * as idempotency key (so any retry, by a caller or by reconciliation, is
   * the same request), and settles the row with its answer.
   */
  private async moveMoneyAtProvider(
    kind: MovementKind,
    payment: MovingPayment,
    movement: { id: string; amount: Decimal },
    sharedContext: Context
  ): Promise<Settled> {
    const input = {
      data: payment.data ?? {},
      amount: movement.amount.toFixed(),
      currency_code: payment.currency_code,
      context: { idempotency_key: movement.id },
    }
    let providerData: Record<string, unknown> | undefined
    let answer: AmountSent | undefined
    try {
      const result =
        kind === "capture"
          ? await this.providerGateway_.capturePayment(payment.provider_id, input as any)
          : await this.providerGateway_.refundPayment(payment.provider_id, input)
      providerData = result?.data
      answer = result as AmountSent | undefined
    } catch (error) {
      if (isOutcomeUnknown(error)) {
        await this.markMovementUnknown_(kind, movement.id, sharedContext)
      } else {
        await this.undoMovement_(kind, movement.id, payment.id, sharedContext)
      }
      throw error
    }
    const settled = await settleMovement({ movementId: movement.id, paymentId: payment.id, providerData }, sharedContext)
    if (settled.movement) {
      this.recordEvents(CommonEvents.CREATED, kind, [settled.movement], sharedContext)
    }
    if (settled.payment_updated) {
      this.recordEvents(CommonEvents.UPDATED, "payment", [settled.payment], sharedContext)
    }
    await this.recordProviderRounding(kind, movement.id, payment, input.amount, answer, sharedContext)
    return settled
  }

  /**
   * The ledger's `provider_rounding` entry when the provider reports
   * (`amount_sent`) that it asked its service for another amount than the
   * module's: what Medusa's figures say and what moved differ by that much.
   */
  private async recordProviderRounding(
    subject: "authorization" | "capture" | "refund",
    subjectId: string,
    payment: { id: string; payment_collection_id: string; provider_id: string; currency_code: string },
    asked: string,
    answer: (AmountSent & { data?: Record<string, unknown> }) | undefined,
    sharedContext: Context
  ): Promise<void> {
    if (!answer?.amount_sent) return
    const reference = answer.data?.id
    await recordProviderRounding(
      {
        subject,
        subjectId,
        payment,
        asked,
        sent: answer.amount_sent,
        providerReference: typeof reference === "string" ? reference : null,
      },
      sharedContext
    )
  }

  @InjectTransactionManager()
  protected async markMovementUnknown_(
    kind: MovementKind | "cancel",
    movementId: string,
    @MedusaContext() sharedContext: Context = {}
  ) {
    await markMovementUnknown(movementId, sharedContext)
  }

  /** The provider refused: the movement is refused, and counts for nothing from now on. */
  @InjectTransactionManager()
  protected async undoMovement_(
    kind: MovementKind,
    id: string,
    paymentId: string,
    @MedusaContext() sharedContext: Context = {}
  ) {
    await lockPayment(paymentId, sharedContext)
    await markMovementRefused(id, sharedContext)
    await releaseIdempotencyRecords(kind, id, sharedContext)
  }

  /**
   * A retry with a caller's key whose movement the provider has not
   * confirmed — still in flight elsewhere, or its answer lost — cannot say
   * it succeeded: CONFLICT, as a provider answers a key still in use.
   */
  private async refuseUnsettledReplay(
    kind: MovementKind,
    movementId: string | undefined,
    key: string,
    sharedContext: Context
  ): Promise<void> {
    const status = movementId ? await movementStatus(movementId, sharedContext) : undefined
    if (status === MoneyMovementStatus.PENDING || status === MoneyMovementStatus.UNKNOWN) {
      throw conflict(
        `The ${kind} requested with idempotency key ${key} (${movementId}) is ${status === MoneyMovementStatus.PENDING ? "still in progress" : "waiting for the provider to confirm its outcome"}; retry later.`
      )
    }
  }

  /**
   * A caller's idempotency key: the first call with it records what it asked
   * for; a retry asking the same gets `replayed`, and the same key with other
   * parameters is a CONFLICT. Runs in the caller's transaction, so the record
   * and the effect it names commit together or not at all.
   */
  private async claimIdempotencyKey(
    operation: string,
    key: unknown,
    fingerprint: string,
    sharedContext: Context
  ): Promise<{ replayed: boolean; resultId?: string; bind: (resultId: string) => Promise<void> }> {
    if (key === undefined || key === null) {
      return { replayed: false, bind: async () => {} }
    }
    requireString(key, "idempotency_key")
    const claimed = await claimIdempotencyRecord(operation, key as string, fingerprint, sharedContext)
    if (claimed.fingerprint !== fingerprint) {
      throw conflict(
        `The idempotency key ${key} was already used for another ${operation} (${claimed.fingerprint}); it cannot be reused for ${fingerprint}.`
      )
    }
    return {
      replayed: !claimed.created,
      resultId: claimed.result_id ?? undefined,
      bind: (resultId: string) => bindIdempotencyRecord(claimed.id, resultId, sharedContext),
    }
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
    const input = typeof paymentIdOrInput === "string" ? { payment_id: paymentIdOrInput } : paymentIdOrInput
    const paymentId = requireString(input?.payment_id, "payment id")
    const reserved = await this.reserveCancel_(paymentId, input.idempotency_key, sharedContext)
    if (reserved) {
      await this.cancelAtProvider(reserved, sharedContext)
    }
    return await this.retrievePayment(paymentId, {}, sharedContext)
  }

  private async cancelAtProvider(cancel: ReservedCancel, sharedContext: Context): Promise<void> {
    const { payment, movementId } = cancel
    let providerData: Record<string, unknown> | undefined
    try {
      const result = await this.providerGateway_.cancelPayment(payment.provider_id, {
        data: payment.data ?? {},
        context: { idempotency_key: payment.id },
      })
      providerData = result?.data
    } catch (error) {
      if (isOutcomeUnknown(error)) {
        // The payment stays canceled (no capture may slip in) with the cancel
        // unknown, for reconciliation to finish.
        await this.markMovementUnknown_("cancel", movementId, sharedContext)
      } else {
        await this.undoCancel_(cancel, sharedContext)
      }
      throw error
    }
    await this.settleCancel_(cancel, providerData, sharedContext)
    this.recordEvents(CommonEvents.UPDATED, "payment", [payment], sharedContext)
  }

  /**
   * Marks the payment canceled under its lock and reserves the cancel (a
   * movement of its own), so no capture can slip in while the provider
   * voids the authorization.
   */
  @InjectTransactionManager()
  protected async reserveCancel_(
    paymentId: string,
    idempotencyKey: string | undefined,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<ReservedCancel | undefined> {
    const payment = await lockPayment(paymentId, sharedContext)
    const claim = await this.claimIdempotencyKey("cancel", idempotencyKey, payment.id, sharedContext)
    // A retry of a cancel whose provider call was left unsettled finishes it
    // (the provider sees the same key); any other retry has nothing to do.
    if (payment.open_cancel_id) return { payment, movementId: payment.open_cancel_id }
    if (claim.replayed) return undefined
    await claim.bind(payment.id)
    if (payment.canceled_at) return undefined
    if (MathBN.gt(payment.captured, 0)) {
      throw notAllowed(
        `Payment ${payment.id} cannot be canceled: ${payment.captured} ${payment.currency_code} is already captured. Refund it instead.`
      )
    }
    const movementId = newId(PaymentMovement)
    await execute(
      sharedContext,
      `INSERT INTO payment_movement (id, kind, payment_id, amount, raw_amount, status)
       VALUES (?, 'cancel', ?, 0, '{"value":"0","precision":20}'::jsonb, 'pending')`,
      [movementId, payment.id]
    )
    await execute(sharedContext, `UPDATE payment SET canceled_at = coalesce(canceled_at, now()), updated_at = now() WHERE id = ?`, [
      payment.id,
    ])
    return { payment, movementId }
  }

  /** The provider refused to cancel: the payment is authorized again and the key is free for a new attempt. */
  @InjectTransactionManager()
  protected async undoCancel_(cancel: ReservedCancel, @MedusaContext() sharedContext: Context = {}) {
    await lockPayment(cancel.payment.id, sharedContext)
    await markMovementRefused(cancel.movementId, sharedContext)
    await execute(sharedContext, `UPDATE payment SET canceled_at = NULL, updated_at = now() WHERE id = ?`, [cancel.payment.id])
    await releaseIdempotencyRecords("cancel", cancel.payment.id, sharedContext)
  }

  @InjectTransactionManager()
  protected async settleCancel_(
    { payment, movementId }: ReservedCancel,
    providerData: Record<string, unknown> | undefined,
    @MedusaContext() sharedContext: Context = {}
  ) {
    await execute(
      sharedContext,
      `UPDATE payment_movement SET status = 'succeeded', settled_at = now(), updated_at = now()
        WHERE id = ? AND status IN ('pending', 'unknown')`,
      [movementId]
    )
    await execute(sharedContext, `UPDATE payment SET data = payment_json_merge(data, ?::jsonb), updated_at = now() WHERE id = ?`, [
      providerData === undefined ? null : JSON.stringify(providerData),
      payment.id,
    ])
    // Not in Medusa: the session is canceled too, so no late authorize or update revives it.
    await this.paymentSessionService_.update(
      { id: payment.payment_session_id, status: PaymentSessionStatus.CANCELED },
      sharedContext
    )
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
  async reconcilePayments(
    filter: { payment_id?: string | string[]; stale_after_ms?: number } = {},
    @MedusaContext() sharedContext: Context = {}
  ): Promise<ReconciliationReport> {
    if (!filter || typeof filter !== "object" || Array.isArray(filter)) {
      throw invalidData(`The reconciliation filter must be an object, got ${JSON.stringify(filter)}.`)
    }
    const staleAfterMs = filter.stale_after_ms ?? STALE_PENDING_MS
    if (typeof staleAfterMs !== "number" || !Number.isFinite(staleAfterMs) || staleAfterMs < 0) {
      throw invalidData(`The stale_after_ms must be a number of milliseconds >= 0, got ${JSON.stringify(filter.stale_after_ms)}.`)
    }
    const paymentIds = filter.payment_id === undefined ? undefined : this.idList(filter.payment_id, "payment_id")
    const work = await this.findUnsettled_(paymentIds, staleAfterMs, sharedContext)
    const report: ReconciliationReport = { settled: [], reversed: [], still_unknown: [] }
    for (const item of work) {
      const outcome = await this.reconcileOne(item, sharedContext)
      report[outcome].push(item.id)
    }
    return report
  }

  @InjectTransactionManager()
  protected async findUnsettled_(
    paymentIds: string[] | undefined,
    staleAfterMs: number,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<UnsettledOperation[]> {
    return await findUnsettledOperations(paymentIds, staleAfterMs, sharedContext)
  }

  private async reconcileOne(
    item: UnsettledOperation,
    sharedContext: Context
  ): Promise<keyof ReconciliationReport> {
    try {
      if (item.kind === "cancel") {
        const payment = await this.lockForReconciliation_(item.payment_id, sharedContext)
        await this.cancelAtProvider({ payment, movementId: item.id }, sharedContext)
        return "settled"
      }
      const payment = await this.paymentService_.retrieve(
        item.payment_id,
        { select: ["id", "data", "provider_id", "currency_code"] },
        sharedContext
      )
      await this.moveMoneyAtProvider(
        item.kind,
        payment as MovingPayment,
        { id: item.id, amount: MathBN.convert(item.amount!) },
        sharedContext
      )
      return "settled"
    } catch (error) {
      return isOutcomeUnknown(error) ? "still_unknown" : "reversed"
    }
  }

  @InjectTransactionManager()
  protected async lockForReconciliation_(
    paymentId: string,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<LockedPayment> {
    return await lockPayment(paymentId, sharedContext)
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
    if (!filter || typeof filter !== "object" || Array.isArray(filter)) {
      throw invalidData(`The ledger check filter must be an object, got ${JSON.stringify(filter)}.`)
    }
    const ids = filter.payment_collection_id === undefined ? undefined : this.idList(filter.payment_collection_id, "payment_collection_id")
    const figures = await this.ledgerFigures_(ids, sharedContext)
    const missing = (ids ?? []).filter((id) => !figures.some((row) => row.id === id))
    if (missing.length) {
      throw notFound(`PaymentCollection with id: ${missing.join(", ")} was not found`)
    }
    return findDiscrepancies(figures)
  }

  @InjectTransactionManager()
  protected async ledgerFigures_(
    collectionIds: string[] | undefined,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<LedgerFigures[]> {
    const exponents = Object.fromEntries(
      knownCurrencyCodes().map((code) => [normalizeCurrencyCode(code), currencyExponent(code)])
    )
    return await ledgerFigures(collectionIds, exponents, sharedContext)
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
    requireString(input?.provider_id, "provider_id")
    if (input.context?.account_holder) {
      return input.context.account_holder as AccountHolderDTO
    }
    const customer = input.context?.customer
    requireString(customer?.id, "context.customer.id")
    const providerHolder = await this.providerGateway_.createAccountHolder(input.provider_id, {
      context: { idempotency_key: customer.id, ...input.context },
    })
    if (!providerHolder?.id) {
      return undefined as unknown as AccountHolderDTO
    }
    const existing = await this.findAccountHolder(input.provider_id, providerHolder.id, sharedContext)
    if (existing) return existing
    try {
      const created = await this.createAccountHolder_(
        {
          provider_id: input.provider_id,
          external_id: providerHolder.id,
          email: customer.email ?? null,
          data: providerHolder.data ?? {},
        },
        sharedContext
      )
      return await this.baseRepository_.serialize<AccountHolderDTO>(created)
    } catch (error) {
      const raced = isUniqueViolation(error)
        ? await this.findAccountHolder(input.provider_id, providerHolder.id, sharedContext)
        : undefined
      if (raced) return raced
      throw error
    }
  }

  private async findAccountHolder(
    providerId: string,
    externalId: string,
    sharedContext: Context
  ): Promise<AccountHolderDTO | undefined> {
    const [holder] = await this.accountHolderService_.list(
      { provider_id: providerId, external_id: externalId },
      {},
      sharedContext
    )
    return holder ? await this.baseRepository_.serialize<AccountHolderDTO>(holder) : undefined
  }

  @InjectTransactionManager()
  protected async createAccountHolder_(
    data: Record<string, unknown>,
    @MedusaContext() sharedContext: Context = {}
  ) {
    return await this.accountHolderService_.create(data, sharedContext)
  }

  @InjectManager()
  @EmitEvents()
  async updateAccountHolder(
    input: UpdateAccountHolderDTO,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<AccountHolderDTO> {
    if (!input?.context?.account_holder) {
      throw invalidData("Missing account holder data while updating account holder.")
    }
    requireString(input.id, "account holder id")
    const result = await this.providerGateway_.updateAccountHolder(input.provider_id, { context: input.context })
    const updated = await this.updateAccountHolder_(
      {
        id: input.id,
        ...(result?.data ? { data: result.data } : {}),
        ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
      },
      sharedContext
    )
    return await this.baseRepository_.serialize<AccountHolderDTO>(updated)
  }

  @InjectTransactionManager()
  protected async updateAccountHolder_(
    data: Record<string, unknown>,
    @MedusaContext() sharedContext: Context = {}
  ) {
    return await this.accountHolderService_.update(data, sharedContext)
  }

  @InjectManager()
  @EmitEvents()
  async deleteAccountHolder(
    id: string,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<void> {
    requireString(id, "account holder id")
    const holder = await this.accountHolderService_.retrieve(id, {}, sharedContext)
    await this.providerGateway_.deleteAccountHolder(holder.provider_id, { context: { account_holder: holder } })
    await this.deleteAccountHolder_(id, sharedContext)
  }

  @InjectTransactionManager()
  protected async deleteAccountHolder_(id: string, @MedusaContext() sharedContext: Context = {}) {
    await this.accountHolderService_.delete(id, sharedContext)
  }

  @InjectManager()
  async listPaymentMethods(
    filters: FilterablePaymentMethodProps,
    config: FindConfig<PaymentMethodDTO> = {},
    @MedusaContext() sharedContext: Context = {}
  ): Promise<PaymentMethodDTO[]> {
    const methods = await this.providerGateway_.listPaymentMethods(filters?.provider_id, { context: filters?.context })
    return methods.map((method) => ({ id: method.id, data: method.data!, provider_id: filters.provider_id }))
  }

  @InjectManager()
  async listAndCountPaymentMethods(
    filters: FilterablePaymentMethodProps,
    config: FindConfig<PaymentMethodDTO> = {},
    @MedusaContext() sharedContext: Context = {}
  ): Promise<[PaymentMethodDTO[], number]> {
    const methods = await this.listPaymentMethods(filters, config, sharedContext)
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
    const input = Array.isArray(data) ? data : [data]
    const saved = await Promise.all(
      input.map(async (item) => {
        // A provider that cannot save methods answers nothing, and so does this call (as in Medusa).
        const result = await this.providerGateway_.savePaymentMethod(item?.provider_id, item)
        return { id: result.id, data: result.data!, provider_id: item.provider_id }
      })
    )
    return Array.isArray(data) ? saved : saved[0]
  }

  deletePaymentMethods(data: DeletePaymentMethodDTO, sharedContext?: Context): Promise<void>
  deletePaymentMethods(data: DeletePaymentMethodDTO[], sharedContext?: Context): Promise<void>

  @InjectManager()
  @EmitEvents()
  async deletePaymentMethods(
    data: DeletePaymentMethodDTO | DeletePaymentMethodDTO[],
    @MedusaContext() sharedContext: Context = {}
  ): Promise<void> {
    const input = Array.isArray(data) ? data : [data]
    await Promise.all(
      input.map((item) => {
        requireString(item?.id, "payment method id")
        return this.providerGateway_.deletePaymentMethod(item?.provider_id, {
          context: item.context,
          data: { ...(item.data ?? {}), id: item.id },
        })
      })
    )
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

  /** One id or a non-empty list of ids, each a non-empty string. */
  private idList(value: unknown, field: string): string[] {
    const list = Array.isArray(value) ? value : [value]
    if (list.length === 0) {
      throw invalidData(`The ${field} list must not be empty.`)
    }
    return list.map((id) => requireString(id, field))
  }

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

