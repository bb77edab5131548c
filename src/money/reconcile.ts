import { Context } from "@medusajs/framework/types"
import { InjectTransactionManager, MathBN, MedusaContext } from "@medusajs/framework/utils"
import { findUnsettledOperations, LockedPayment, lockPayment, movementStatus, STALE_PENDING_MS, UnsettledOperation } from "../sql/money"
import { invalidData, isOutcomeUnknown, requireIdList } from "../utils/errors"
import type { Cancellation } from "./cancel"
import type { MoneyMovements, MovingPayment } from "./movements"
import { ModuleParts, UseCase } from "./use-case"

export type ReconciliationReport = {
  /** movements (or cancels) the provider confirmed */
  settled: string[]
  /** movements the provider refused: marked refused, they count for nothing */
  reversed: string[]
  /** still no answer: left for the next run */
  still_unknown: string[]
}

/**
 * Settles every movement whose outcome the module does not know — answers
 * lost to a timeout or a crash — by asking the provider again with the same
 * idempotency key: a provider that already did it answers with what it did,
 * one that did not does it now. Either way the effect happens once. Pending
 * movements count as lost once they are older than `stale_after_ms` (their
 * process is presumed dead). Kill Bill's janitor is the model.
 */
export class Reconciliation extends UseCase {
  constructor(
    parts: ModuleParts,
    private readonly cancellation: Cancellation,
    /** the movements use case (built after this one: it reconciles through it) */
    private readonly movements: () => MoneyMovements
  ) {
    super(parts)
  }

  async run(filter: { payment_id?: string | string[]; stale_after_ms?: number } = {}, sharedContext: Context): Promise<ReconciliationReport> {
    if (!filter || typeof filter !== "object" || Array.isArray(filter)) {
      throw invalidData(`The reconciliation filter must be an object, got ${JSON.stringify(filter)}.`)
    }
    const staleAfterMs = filter.stale_after_ms ?? this.providerGateway_.staleAfterMs(STALE_PENDING_MS)
    if (typeof staleAfterMs !== "number" || !Number.isFinite(staleAfterMs) || staleAfterMs < 0) {
      throw invalidData(`The stale_after_ms must be a number of milliseconds >= 0, got ${JSON.stringify(filter.stale_after_ms)}.`)
    }
    const paymentIds = filter.payment_id === undefined ? undefined : requireIdList(filter.payment_id, "payment_id")
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
        const { payment, status } = await this.lockForReconciliation_(item.payment_id, item.id, sharedContext)
        // Settled or refused by another call since it was found: nothing left to ask.
        if (status === "succeeded") return "settled"
        if (status !== "pending" && status !== "unknown") return "reversed"
        await this.cancellation.cancelAtProvider({ payment, movementId: item.id }, sharedContext)
        return "settled"
      }
      const payment = await this.paymentService_.retrieve(
        item.payment_id,
        { select: ["id", "data", "provider_id", "currency_code", "payment_collection_id"] },
        sharedContext
      )
      await this.movements().moveMoneyAtProvider(
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

  /** The payment as locked, and where the movement stands now (it may have moved since it was found). */
  @InjectTransactionManager()
  protected async lockForReconciliation_(
    paymentId: string,
    movementId: string,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<{ payment: LockedPayment; status: string | undefined }> {
    const payment = await lockPayment(paymentId, sharedContext)
    return { payment, status: await movementStatus(movementId, sharedContext) }
  }
}
