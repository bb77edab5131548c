import { Context, CreateCaptureDTO, CreateRefundDTO, PaymentDTO } from "@medusajs/framework/types"
import { CommonEvents, InjectTransactionManager, MathBN, MedusaContext } from "@medusajs/framework/utils"
import { Capture, PaymentMovement, Refund } from "../models"
import {
  findMovementContext,
  recordProviderRounding,
  Reservation,
  reserveMovement,
  ReserveVerdict,
  Settled,
  settleMovement,
} from "../sql/hot-path"
import { lockPayment, recordReleasedRemainder, releaseIdempotencyRecords, settleOpenMovement, STALE_PENDING_MS } from "../sql/money"
import { newId } from "../sql/rows"
import type { AmountSent, CaptureFacts } from "../types"
import { MoneyMovementStatus } from "../types/money-movement-status"
import { assertCurrencyPrecision, Decimal, parseAmount, roundToCurrency } from "../utils/amount"
import { currencyExponent } from "../utils/currency"
import { conflict, invalidData, notFound, requireString, unexpectedState, unprovenOutcomeReason } from "../utils/errors"
import { movementAnswer } from "./answers"
import { claimIdempotencyKey, refuseUnsettledReplay } from "./idempotency"
import { ModuleParts, UseCase } from "./use-case"

/** Callers may add a retry key to the Medusa DTOs; everything else is Medusa's shape. */
type WithIdempotencyKey = { idempotency_key?: string }
export type CaptureInput = CreateCaptureDTO & WithIdempotencyKey & { created_by?: string }
export type RefundInput = CreateRefundDTO & WithIdempotencyKey

type MovementKind = "capture" | "refund"

/** What reserving a capture or refund came to: the database's verdict, or the movement a caller's key already named. */
type Reserved = { verdict: ReserveVerdict; replayedId?: string | null }

/** The payment fields a provider call needs. */
export type MovingPayment = {
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

/**
 * Captures and refunds: reserve the movement under the payment's lock (the
 * bounds are checked there), ask the provider with no transaction open, then
 * settle — or mark the movement unknown or refused. The one home of "how
 * money moves" (src/sql/functions/payment_reserve_movement.sql and
 * payment_settle_movement.sql are its two statements).
 */
export class MoneyMovements extends UseCase {
  constructor(
    parts: ModuleParts,
    /** reconciliation, run for a payment whose earlier movement waits for its outcome */
    private readonly reconcile: (filter: { payment_id: string }, sharedContext: Context) => Promise<unknown>
  ) {
    super(parts)
  }

  async capture(data: CaptureInput, sharedContext: Context): Promise<PaymentDTO> {
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
        staleAfterMs: this.providerGateway_.staleAfterMs(STALE_PENDING_MS),
      },
      sharedContext
    )
  }

  async refund(data: RefundInput, sharedContext: Context): Promise<PaymentDTO> {
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
        staleAfterMs: this.providerGateway_.staleAfterMs(STALE_PENDING_MS),
      },
      sharedContext
    )
  }

  /** A capture or refund amount as the caller gave it, exact; null means "the payment's whole amount" (as Medusa). */
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
   * transaction open, then settle: the movement exists (and counts against
   * the bound) before any money moves, so two concurrent captures can never
   * both pass the check, while the capture row Medusa reads is written only
   * when the provider confirms. A lost answer leaves the movement `unknown`
   * for reconciliation; a definite refusal marks it `refused`.
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
        // What reconciliation settles is not this call's movement: its events leave the
        // caller's workflow event group, so they are not dropped if that workflow fails,
        // and the plugin records them on the order like any settled outside a workflow.
        await this.reconcile({ payment_id: reservation.paymentId }, { ...sharedContext, eventGroupId: undefined })
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
    const claim = await claimIdempotencyKey(
      reservation.kind,
      key,
      `${reservation.paymentId}:${(reservation.requestedAmount !== undefined ? reservation.requestedAmount : reservation.amount) ?? "rest"}`,
      sharedContext
    )
    if (claim.replayed) {
      await refuseUnsettledReplay(reservation.kind, claim.resultId, key, sharedContext)
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
   * the same request), and settles the movement with its answer.
   */
  async moveMoneyAtProvider(
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
      // Only an answer that proves no money moved refuses the movement.
      const unproven = unprovenOutcomeReason(error)
      if (unproven) {
        await this.markMovementUnknown_(movement.id, unproven, sharedContext)
      } else {
        await this.undoMovement_(kind, movement.id, payment.id, sharedContext)
      }
      throw error
    }
    const settled = await settleMovement({ movementId: movement.id, paymentId: payment.id, providerData }, sharedContext)
    if (settled.movement_status === MoneyMovementStatus.REFUSED) {
      // Refused is final: another call was told no for this key and recorded it, yet the provider
      // now says it moved the money. Nobody can guess which is true; an operator must look.
      throw unexpectedState(
        `Payment provider ${payment.provider_id} confirmed the ${kind} ${movement.id} of payment ${payment.id}, which this module had recorded as refused; check it at the provider and record it by hand.`,
        { payment_id: payment.id, movement_id: movement.id, amount: input.amount }
      )
    }
    if (settled.settled_now) {
      this.recordEvents(CommonEvents.CREATED, kind, [settled.movement!], sharedContext)
      await this.recordProviderRounding(kind, movement.id, payment, input.amount, answer, sharedContext)
    }
    const released =
      kind === "capture" && (answer as CaptureFacts | undefined)?.authorization_released
        ? await this.recordRelease_(payment.id, sharedContext).catch(() => {
            // The capture is settled and must be answered as such. Without the release
            // the remainder stays offered, and a capture of it is refused by the provider:
            // nothing moves, as before releases were recorded.
            return undefined
          })
        : undefined
    if (settled.payment_updated || released) {
      this.recordEvents(CommonEvents.UPDATED, "payment", [settled.payment ?? { id: payment.id }], sharedContext)
    }
    return settled
  }

  /**
   * The provider let go of the rest of the authorization with this capture
   * (Stripe does on a partial capture without multicapture): the rest is
   * recorded as released and no longer offered for capture. A webhook's
   * later capture request for the same money is then a no-op.
   */
  @InjectTransactionManager()
  protected async recordRelease_(paymentId: string, @MedusaContext() sharedContext: Context = {}) {
    return await recordReleasedRemainder(paymentId, newId(PaymentMovement), sharedContext)
  }

  /**
   * The ledger's `provider_rounding` entry when the provider reports
   * (`amount_sent`) that it asked its service for another amount than the
   * module's: what Medusa's figures say and what moved differ by that much.
   */
  async recordProviderRounding(
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

  /** The provider refused: the movement is refused, and counts for nothing from now on. */
  @InjectTransactionManager()
  protected async undoMovement_(
    kind: MovementKind,
    id: string,
    paymentId: string,
    @MedusaContext() sharedContext: Context = {}
  ) {
    // A movement that succeeded meanwhile (reconciliation got there first) stands, with its key.
    if (await settleOpenMovement(id, "refused", sharedContext)) {
      await releaseIdempotencyRecords(kind, id, sharedContext)
    }
  }
}
