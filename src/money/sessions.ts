import { Context, CreatePaymentSessionDTO, PaymentSessionDTO, UpdatePaymentSessionDTO } from "@medusajs/framework/types"
import { CommonEvents, InjectTransactionManager, MedusaContext, PaymentSessionStatus } from "@medusajs/framework/utils"
import { PaymentSession } from "../models"
import { findCollectionCurrency, insertSession } from "../sql/hot-path"
import { newId, rowToDto } from "../sql/rows"
import { parseNonNegativeAmount, storedAmount } from "../utils/amount"
import { currencyExponent, normalizeCurrencyCode } from "../utils/currency"
import { invalidData, notAllowed, notFound, requireString } from "../utils/errors"
import { execute } from "../sql/runner"
import type { FailureFacts, PaymentFailure } from "../types"
import { UseCase } from "./use-case"

/**
 * Payment sessions: the provider is asked first (initiate, update, delete),
 * and the row follows its answer. A session that became a Payment keeps its
 * amount and status whatever a caller or the provider's stale data says.
 */
export class PaymentSessions extends UseCase {
  /**
   * The provider is called before the row exists, with the session id chosen
   * up front as its idempotency key: one insert instead of Medusa's insert,
   * update and — when the provider fails — delete.
   */
  async create(paymentCollectionId: string, input: CreatePaymentSessionDTO, sharedContext: Context): Promise<PaymentSessionDTO> {
    requireString(paymentCollectionId, "payment collection id")
    requireString(input?.provider_id, "provider_id")
    const amount = parseNonNegativeAmount(input.amount, "payment session amount")
    const collection = await findCollectionCurrency(paymentCollectionId, sharedContext)
    if (!collection) {
      // Medusa's words (the ORM refusing a session for a collection that does not exist).
      throw notFound(`You tried to set relationship payment_collection_id: ${paymentCollectionId}, but such entity does not exist`)
    }
    const currencyCode = this.sameCurrency(input.currency_code, collection.currency_code, collection.id)
    this.providerGateway_.retrieveProvider(input.provider_id)

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

  async update(data: UpdatePaymentSessionDTO, sharedContext: Context): Promise<PaymentSessionDTO> {
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

  async delete(id: string, sharedContext: Context): Promise<void> {
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
   * The provider reported something about a session that is not a Payment
   * yet (a webhook: the attempt failed, the authorization was canceled or
   * expired, or it was paid after a failure): the session takes the status
   * the provider gives now — read again rather than taken from the event,
   * which may come late, twice or out of order. A failure keeps the
   * provider's reason in `data.payment_failure`; canceled is final; a session
   * the provider holds money for again leaves `error` for `pending`, so
   * Medusa's completion accepts it. With `onlyAfterFailure`, a session not in
 * `error` is left alone without asking. Answers what the provider said and
 * the session's status after it.
   */
  async followProvider(
    sessionId: string,
    onlyAfterFailure: boolean,
    sharedContext: Context
  ): Promise<{ provider_status: string | null; status: string | null; has_payment: boolean }> {
    const [session] = await this.paymentSessionService_.list(
      { id: sessionId },
      { select: ["id", "status", "data", "provider_id", "payment_collection_id"], relations: ["payment"] },
      sharedContext
    )
    const unchanged = { provider_status: null, status: session?.status ?? null, has_payment: !!session?.payment }
    if (!session || session.payment || session.status === PaymentSessionStatus.CANCELED) return unchanged
    // Money held or a challenge started: only a session that failed before has anything to learn.
    if (onlyAfterFailure && session.status !== PaymentSessionStatus.ERROR) return unchanged
    const answer = (await this.providerGateway_.getPaymentStatus(session.provider_id, { data: session.data ?? {} })) as {
      status?: string
      data?: Record<string, unknown>
    } & FailureFacts
    const providerStatus = answer.status ?? null
    const next = statusAfterProvider(session.status, answer.status)
    if (next === undefined) return { ...unchanged, provider_status: providerStatus }
    const data = next === PaymentSessionStatus.ERROR
      ? withFailure(answer.data ?? session.data ?? {}, answer.payment_failure)
      : withoutFailure(answer.data ?? session.data ?? {})
    if (!(await this.followProvider_(session.id, next, data, sharedContext))) return { ...unchanged, provider_status: providerStatus }
    this.recordEvents(CommonEvents.UPDATED, "payment_session", [{ id: session.id }], sharedContext)
    return { provider_status: providerStatus, status: next, has_payment: false }
  }

  /** Written only while the session is still without a Payment (checked under its row lock). */
  @InjectTransactionManager()
  protected async followProvider_(
    sessionId: string,
    status: string,
    data: Record<string, unknown>,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<boolean> {
    const rows = await execute(
      sharedContext,
      `UPDATE payment_session SET status = ?, data = ?::jsonb, updated_at = now()
        WHERE id = ? AND authorized_at IS NULL AND deleted_at IS NULL AND status <> 'canceled'
        RETURNING id`,
      [status, JSON.stringify(data), sessionId]
    )
    return rows.length > 0
  }

  @InjectTransactionManager()
  protected async updatePaymentSession_(
    data: Record<string, unknown>,
    @MedusaContext() sharedContext: Context = {}
  ) {
    return await this.paymentSessionService_.update(data, sharedContext)
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

/**
 * The status a session without a Payment takes after the provider answered
 * `provider` (undefined: leave it). Failed, canceled and waiting states are
 * the provider's; money held (authorized, captured) is recorded by Medusa's
 * completion through `authorizePaymentSession`, so here it only lifts an
 * earlier failure.
 */
function statusAfterProvider(current: string, provider: string | undefined): string | undefined {
  switch (provider) {
    case PaymentSessionStatus.ERROR:
    case PaymentSessionStatus.CANCELED:
    case PaymentSessionStatus.REQUIRES_MORE:
    case PaymentSessionStatus.PENDING_AUTHORIZATION:
      return provider === current ? undefined : provider
    case PaymentSessionStatus.PENDING:
    case PaymentSessionStatus.AUTHORIZED:
    case PaymentSessionStatus.CAPTURED:
      return current === PaymentSessionStatus.ERROR ? PaymentSessionStatus.PENDING : undefined
    default:
      return undefined
  }
}

/** The provider's data with its reason for the failure, where a storefront reads it. */
export function withFailure(data: Record<string, unknown>, failure: PaymentFailure | undefined): Record<string, unknown> {
  return { ...data, payment_failure: { code: failure?.code ?? null, message: failure?.message ?? null, at: new Date().toISOString() } }
}

function withoutFailure(data: Record<string, unknown>): Record<string, unknown> {
  const { payment_failure: _gone, ...rest } = data
  return rest
}
