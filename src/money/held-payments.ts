import { Context, PaymentDTO } from "@medusajs/framework/types"
import { CommonEvents, InjectTransactionManager, MathBN, MedusaContext, MedusaError, PaymentSessionStatus } from "@medusajs/framework/utils"
import { findIdleSessions, IdleSession, LockedPayment, lockPayment } from "../sql/money"
import { execute } from "../sql/runner"
import type { MoneyHolding } from "../types"
import { invalidData, notFound, requireString } from "../utils/errors"
import type { Authorization } from "./authorize"
import type { Cancellation } from "./cancel"
import type { MoneyMovements } from "./movements"
import type { PaymentSessions } from "./sessions"
import { ModuleParts, UseCase } from "./use-case"

/** Who the ledger says returned the money. */
const RETURNED_BY = "reconciliation"

export type SessionAtProvider = {
  payment_session_id: string
  /** the session's status after the provider answered (a failure or a cancel there is recorded) */
  status: string | null
  /** what the provider says now; null when the books answer (the session is a Payment) */
  provider_status: string | null
  /** the provider holds the customer's money for it: authorized, or captured and not all refunded */
  holds_money: boolean
}

export type ReturnedPayment = {
  payment_session_id: string
  payment_id: string | null
  /** how the money went back: the authorization canceled, the captured money refunded, or nothing was held */
  returned: "canceled" | "refunded" | "nothing_held"
  /** what went back, in the currency's units; "0" when nothing was held */
  amount: string
  currency_code: string | null
}

/**
 * Money a provider holds for a payment session that no order will ever
 * record — the cart's completion failed after the customer paid, or the
 * webhook that would have completed it was lost. The store's side (which
 * carts have orders, completing them) is the plugin's
 * (src/plugin/held-without-order.ts); the money's side is here: what the
 * provider holds for a session, and giving it back through the module's
 * own money paths, so the ledger records it like any cancel or refund.
 */
export class HeldPayments extends UseCase {
  constructor(
    parts: ModuleParts,
    private readonly sessions: PaymentSessions,
    private readonly authorization: Authorization,
    private readonly cancellation: Cancellation,
    private readonly movements: MoneyMovements
  ) {
    super(parts)
  }

  /** Sessions due for a check (see findIdleSessions). */
  @InjectTransactionManager()
  async listIdle_(
    filter: { idle_for_ms: number; lookback_ms: number; run_every_ms: number; limit: number },
    @MedusaContext() sharedContext: Context = {}
  ): Promise<IdleSession[]> {
    for (const [name, value] of Object.entries(filter)) {
      if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
        throw invalidData(`The ${name} must be a number >= 0, got ${JSON.stringify(value)}.`)
      }
    }
    return await findIdleSessions(filter.idle_for_ms, filter.lookback_ms, filter.run_every_ms, filter.limit, sharedContext)
  }

  /** Asks the provider what it holds for a session that is no Payment yet; a Payment's books answer for it. */
  async check(sessionId: string, sharedContext: Context): Promise<SessionAtProvider> {
    requireString(sessionId, "payment session id")
    const [session] = await this.paymentSessionService_.list({ id: sessionId }, { select: ["id", "status", "provider_id"] }, sharedContext)
    if (!session) throw notFound(`PaymentSession with id: ${sessionId} was not found`)
    if ((this.providerGateway_.retrieveProvider(session.provider_id) as MoneyHolding).movesNoMoney) {
      return { payment_session_id: sessionId, status: session.status, provider_status: null, holds_money: false }
    }
    const followed = await this.sessions.followProvider(sessionId, false, sharedContext)
    if (followed.has_payment) {
      const [payment] = await this.paymentService_.list({ payment_session_id: sessionId }, { select: ["id"] }, sharedContext)
      const held = !!payment && holdsMoney(await this.lockForReturn_(payment.id, sharedContext))
      return { payment_session_id: sessionId, status: followed.status, provider_status: null, holds_money: held }
    }
    const holds = followed.provider_status === PaymentSessionStatus.AUTHORIZED || followed.provider_status === PaymentSessionStatus.CAPTURED
    return { payment_session_id: sessionId, status: followed.status, provider_status: followed.provider_status, holds_money: holds }
  }

  /**
   * Gives the money back: the session's authorization is recorded (a
   * Payment, as at checkout, so the books hold what the provider holds),
   * then canceled at the provider — or, when the provider already captured
   * it, what is captured and not refunded is refunded — with `reason` on the
   * movement, and the session canceled so no completion can use it. The
   * provider may answer that it holds nothing after all: then nothing moves.
   */
  async returnMoney(sessionId: string, reason: string, sharedContext: Context): Promise<ReturnedPayment> {
    requireString(sessionId, "payment session id")
    requireString(reason, "reason")
    let payment: PaymentDTO | null
    try {
      payment = await this.authorization.authorize(sessionId, {}, sharedContext)
    } catch (error) {
      if ((error as MedusaError).type !== MedusaError.Types.NOT_ALLOWED) throw error
      payment = null // the provider holds nothing for it (any more)
    }
    if (!payment) {
      return { payment_session_id: sessionId, payment_id: null, returned: "nothing_held", amount: "0", currency_code: null }
    }
    const locked = await this.lockForReturn_(payment.id, sharedContext)
    const capturedLeft = MathBN.sub(locked.captured, locked.refunded)
    // Reported as returned only by the call that moved the money, however many runs raced here: a store emails
    // the customer from it. Medusa's own completion may have voided the authorization already: not this return.
    let returned: ReturnedPayment["returned"] = "nothing_held"
    let amount = "0"
    if (MathBN.gt(capturedLeft, 0)) {
      const refunded = await this.movements.refund(
        { payment_id: payment.id, amount: capturedLeft.toFixed(), note: reason, created_by: RETURNED_BY },
        sharedContext
      )
      if (refunded.refunds?.length) {
        returned = "refunded"
        amount = capturedLeft.toFixed()
      }
    } else if (MathBN.eq(locked.captured, 0) && !locked.canceled_at) {
      if (await this.cancellation.cancelNow(payment.id, sharedContext, { created_by: RETURNED_BY, note: reason })) {
        returned = "canceled"
        amount = MathBN.convert(locked.amount).toFixed()
      }
    }
    await this.cancelSession_(sessionId, sharedContext)
    return { payment_session_id: sessionId, payment_id: payment.id, returned, amount, currency_code: locked.currency_code }
  }

  /** The payment's books as of its row lock (its captured and refunded totals, open movements included). */
  @InjectTransactionManager()
  protected async lockForReturn_(paymentId: string, @MedusaContext() sharedContext: Context = {}) {
    return await lockPayment(paymentId, sharedContext)
  }

  /** The session is done: Medusa's completion refuses it, and the shopper pays again with a new one. */
  @InjectTransactionManager()
  protected async cancelSession_(sessionId: string, @MedusaContext() sharedContext: Context = {}): Promise<void> {
    const rows = await execute(
      sharedContext,
      `UPDATE payment_session SET status = 'canceled', updated_at = now() WHERE id = ? AND status <> 'canceled' RETURNING id`,
      [sessionId]
    )
    if (rows.length) this.recordEvents(CommonEvents.UPDATED, "payment_session", [{ id: sessionId }], sharedContext)
  }
}

/**
 * Whether the books say the provider holds the customer's money for a
 * payment: captured and not all refunded, or authorized, nothing captured
 * and not canceled. `returnMoney` gives back exactly this (a refund of the
 * first, a cancel of the second).
 */
function holdsMoney(payment: LockedPayment): boolean {
  if (MathBN.gt(payment.captured, 0)) return MathBN.gt(MathBN.sub(payment.captured, payment.refunded), 0)
  return !payment.canceled_at
}
