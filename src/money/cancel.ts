import { Context } from "@medusajs/framework/types"
import { CommonEvents, InjectTransactionManager, MathBN, MedusaContext, PaymentSessionStatus } from "@medusajs/framework/utils"
import { PaymentMovement } from "../models"
import { LockedPayment, lockPayment, releaseIdempotencyRecords, settleOpenMovement } from "../sql/money"
import { execute } from "../sql/runner"
import { newId } from "../sql/rows"
import { notAllowed, requireString, unprovenOutcomeReason } from "../utils/errors"
import { claimIdempotencyKey } from "./idempotency"
import { UseCase } from "./use-case"

/** A cancel reserved under the payment's lock: the payment as locked and the cancel's movement. */
export type ReservedCancel = { payment: LockedPayment; movementId: string }

/**
 * Cancel voids an authorization: the payment is marked canceled and the
 * cancel reserved (a movement of its own) under the payment's lock, the
 * provider is asked, and the cancel settles — or is undone when the provider
 * refuses, or left unknown for reconciliation. A payment with captures
 * cannot be canceled (its money must be refunded), which Medusa 2.21 allows.
 */
export class Cancellation extends UseCase {
  /** Cancels the payment; answers its id. Accepts a payment id, or `{ payment_id, idempotency_key }`. */
  async cancel(
    paymentIdOrInput: string | { payment_id: string; idempotency_key?: string },
    sharedContext: Context,
    /** who asked and why, for the ledger's readers (the module's own callers: a return of held money) */
    attribution: { created_by?: string; note?: string } = {}
  ): Promise<string> {
    await this.cancelNow(paymentIdOrInput, sharedContext, attribution)
    return typeof paymentIdOrInput === "string" ? paymentIdOrInput : paymentIdOrInput.payment_id
  }

  /** The same cancel; answers whether this call is the one that canceled the payment (false: nothing to do). */
  async cancelNow(
    paymentIdOrInput: string | { payment_id: string; idempotency_key?: string },
    sharedContext: Context,
    attribution: { created_by?: string; note?: string } = {}
  ): Promise<boolean> {
    const input = typeof paymentIdOrInput === "string" ? { payment_id: paymentIdOrInput } : paymentIdOrInput
    const paymentId = requireString(input?.payment_id, "payment id")
    const reserved = await this.reserveCancel_(paymentId, input.idempotency_key, attribution, sharedContext)
    if (reserved) {
      await this.cancelAtProvider(reserved, sharedContext)
    }
    return !!reserved
  }

  async cancelAtProvider(cancel: ReservedCancel, sharedContext: Context): Promise<void> {
    const { payment, movementId } = cancel
    let providerData: Record<string, unknown> | undefined
    try {
      const result = await this.providerGateway_.cancelPayment(payment.provider_id, {
        data: payment.data ?? {},
        context: { idempotency_key: payment.id },
      })
      providerData = result?.data
    } catch (error) {
      const unproven = unprovenOutcomeReason(error)
      if (unproven) {
        // The payment stays canceled (no capture may slip in) with the cancel
        // unknown, for reconciliation to finish.
        await this.markMovementUnknown_(movementId, unproven, sharedContext)
      } else {
        await this.undoCancel_(cancel, sharedContext)
      }
      throw error
    }
    if (await this.settleCancel_(cancel, providerData, sharedContext)) {
      this.recordEvents(CommonEvents.UPDATED, "payment", [payment], sharedContext)
    }
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
    attribution: { created_by?: string; note?: string },
    @MedusaContext() sharedContext: Context = {}
  ): Promise<ReservedCancel | undefined> {
    const payment = await lockPayment(paymentId, sharedContext)
    const claim = await claimIdempotencyKey("cancel", idempotencyKey, payment.id, sharedContext)
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
      `INSERT INTO payment_movement (id, kind, payment_id, amount, raw_amount, status, created_by, note)
       VALUES (?, 'cancel', ?, 0, '{"value":"0","precision":20}'::jsonb, 'pending', ?, ?)`,
      [movementId, payment.id, attribution.created_by ?? null, attribution.note ?? null]
    )
    await execute(sharedContext, `UPDATE payment SET canceled_at = coalesce(canceled_at, now()), updated_at = now() WHERE id = ?`, [
      payment.id,
    ])
    return { payment, movementId }
  }

  /**
   * The provider says the authorization is gone — it expired uncaptured, or
   * was canceled at the provider — without this module asking: the cancel
   * is recorded as it happened (a succeeded movement, the payment and its
   * session canceled, as after `cancelPayment`). Nothing for a payment
   * already canceled or with money captured. Answers whether it recorded it.
   */
  async recordCanceledAtProvider(paymentId: string, reason: string, sharedContext: Context): Promise<boolean> {
    const recorded = await this.recordCanceledAtProvider_(paymentId, reason, sharedContext)
    if (recorded) this.recordEvents(CommonEvents.UPDATED, "payment", [{ id: paymentId }], sharedContext)
    return recorded
  }

  @InjectTransactionManager()
  protected async recordCanceledAtProvider_(
    paymentId: string,
    reason: string,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<boolean> {
    const payment = await lockPayment(paymentId, sharedContext)
    if (payment.canceled_at || payment.captured_at || payment.open_cancel_id || MathBN.gt(payment.captured, 0)) return false
    await execute(
      sharedContext,
      `INSERT INTO payment_movement (id, kind, payment_id, amount, raw_amount, status, created_by, note, settled_at)
       VALUES (?, 'cancel', ?, 0, '{"value":"0","precision":20}'::jsonb, 'succeeded', 'provider', ?, now())`,
      [newId(PaymentMovement), payment.id, `Authorization ${reason} at the provider`]
    )
    await execute(sharedContext, `UPDATE payment SET canceled_at = now(), updated_at = now() WHERE id = ?`, [payment.id])
    await this.paymentSessionService_.update(
      { id: payment.payment_session_id, status: PaymentSessionStatus.CANCELED },
      sharedContext
    )
    return true
  }

  /**
   * The provider refused to cancel: the payment is authorized again and the
   * key is free for a new attempt — unless the cancel succeeded meanwhile
   * (reconciliation got there first), which then stands.
   */
  @InjectTransactionManager()
  protected async undoCancel_(cancel: ReservedCancel, @MedusaContext() sharedContext: Context = {}) {
    if (!(await settleOpenMovement(cancel.movementId, "refused", sharedContext))) return
    await execute(sharedContext, `UPDATE payment SET canceled_at = NULL, updated_at = now() WHERE id = ?`, [cancel.payment.id])
    await releaseIdempotencyRecords("cancel", cancel.payment.id, sharedContext)
  }

  /** The provider canceled: the cancel succeeds (once: false when another call settled it or it was refused). */
  @InjectTransactionManager()
  protected async settleCancel_(
    { payment, movementId }: ReservedCancel,
    providerData: Record<string, unknown> | undefined,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<boolean> {
    if (!(await settleOpenMovement(movementId, "succeeded", sharedContext))) return false
    await execute(sharedContext, `UPDATE payment SET data = payment_json_merge(data, ?::jsonb), updated_at = now() WHERE id = ?`, [
      providerData === undefined ? null : JSON.stringify(providerData),
      payment.id,
    ])
    // Not in Medusa: the session is canceled too, so no late authorize or update revives it.
    await this.paymentSessionService_.update(
      { id: payment.payment_session_id, status: PaymentSessionStatus.CANCELED },
      sharedContext
    )
    return true
  }
}
