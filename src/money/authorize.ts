import { Context, PaymentDTO } from "@medusajs/framework/types"
import { CommonEvents, InjectTransactionManager, MedusaContext, PaymentSessionStatus } from "@medusajs/framework/utils"
import { Capture, Payment } from "../models"
import { authorizeSession, findSessionWithPayment } from "../sql/hot-path"
import { newId } from "../sql/rows"
import { storedAmount } from "../utils/amount"
import { notAllowed, notFound, requireString } from "../utils/errors"
import { authorizedAnswer, existingAuthorizationAnswer } from "./answers"
import { claimIdempotencyKey } from "./idempotency"
import type { MoneyMovements, MovingPayment } from "./movements"
import type { FailureFacts } from "../types"
import { withFailure } from "./sessions"
import { ModuleParts, UseCase } from "./use-case"

/**
 * At most one Payment per session, whoever asks and however often:
 * concurrent callers serialize on the session's row lock and the later
 * ones get the first one's Payment (the unique index on
 * payment.payment_session_id is the backstop). Medusa 2.21 instead lets
 * the losing insert fail and cancels at the provider — voiding the
 * winner's hold.
 */
export class Authorization extends UseCase {
  constructor(parts: ModuleParts, private readonly movements: MoneyMovements) {
    super(parts)
  }

  async authorize(id: string, context: Record<string, unknown>, sharedContext: Context): Promise<PaymentDTO | null> {
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
      const failure = (result as FailureFacts | undefined)?.payment_failure
      const failed = status === PaymentSessionStatus.ERROR ? withFailure(data, failure) : data
      await this.settleUnauthorizedSession_(session.id, status ?? session.status, failed, sharedContext)
      // Medusa's words; the provider's reason beside them, and on the session for the storefront.
      throw notAllowed(`Session: ${session.id} was not authorized with the provider.`, {
        provider_status: status ?? null,
        ...(failure ? { payment_failure: failure } : {}),
      })
    }

    // Locks the session; a Payment another caller made meanwhile (for the
    // same provider authorization: same idempotency key) is returned as is.
    // Only a failure to record the authorization voids it at the provider:
    // once recorded, the Payment stands whatever happens next.
    const capturedByProvider = status === PaymentSessionStatus.CAPTURED
    let authorized: Awaited<ReturnType<typeof authorizeSession>>
    try {
      authorized = await authorizeSession(
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
    } catch (error) {
      await this.providerGateway_
        .cancelPayment(session.provider_id, {
          data,
          context: { ...(context ?? {}), idempotency_key: session.id },
        })
        .catch(() => undefined)
      throw error
    }
    if (authorized.verdict === "existing") {
      return existingAuthorizationAnswer(authorized.payment!, authorized.payment_session!, authorized.payment_collection)
    }
    const payment = authorizedAnswer(authorized.payment!, authorized.payment_session!)
    this.recordEvents(CommonEvents.CREATED, "payment", [payment], sharedContext)
    this.recordEvents(CommonEvents.UPDATED, "payment_session", [session], sharedContext)
    this.recordEvents(CommonEvents.UPDATED, "payment_collection", [{ id: session.payment_collection_id }], sharedContext)
    if (authorized.capture_id) {
      this.recordEvents(CommonEvents.CREATED, "capture", [{ id: authorized.capture_id }], sharedContext)
    }
    const asked = storedAmount(authorized.payment!.raw_amount, authorized.payment!.amount).toFixed()
    await this.movements.recordProviderRounding("authorization", payment.id, authorized.payment as MovingPayment, asked, result, sharedContext)
    return payment
  }

  @InjectTransactionManager()
  protected async claimAuthorizeKey_(
    key: unknown,
    sessionId: string,
    @MedusaContext() sharedContext: Context = {}
  ) {
    const claim = await claimIdempotencyKey("authorize", key, sessionId, sharedContext)
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
}
