import { Context } from "@medusajs/framework/types"
import { InjectTransactionManager, MathBN, MedusaContext } from "@medusajs/framework/utils"
import { findUnsettledOperations, LockedPayment, lockPayment, movementStatus, settledOutsideWorkflows, STALE_PENDING_MS, UnsettledOperation } from "../sql/money"
import { invalidData, isProviderCannotFind, requireIdList, unprovenOutcomeReason } from "../utils/errors"
import type { Cancellation } from "./cancel"
import type { MoneyMovements, MovingPayment } from "./movements"
import { ModuleParts, UseCase } from "./use-case"

/** How often the reconciliation job (src/jobs/reconcile-payments.ts, `config.schedule`) runs. */
export const RECONCILIATION_EVERY_MS = 5 * 60 * 1000

/** How the reason of a movement reconciliation took over from a process presumed gone begins. */
export const PRESUMED_GONE = "the process that asked is presumed gone: no answer from the provider"

export type ReconciliationReport = {
  /** movements (or cancels) the provider confirmed */
  settled: string[]
  /** movements the provider refused: marked refused, they count for nothing */
  reversed: string[]
  /** still no answer: left for the next run */
  still_unknown: string[]
  /**
   * Among them, the movements whose provider says it cannot find the payment
   * (or refuses the credentials): no proof that nothing moved, so they stay
   * unknown — and need an operator, since asking again will not help until
   * the provider's account, API key or test/live mode is put right.
   */
  provider_cannot_find: { id: string; payment_id: string; kind: string; reason: string }[]
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
    const report: ReconciliationReport = { settled: [], reversed: [], still_unknown: [], provider_cannot_find: [] }
    for (const item of work) {
      const { outcome, cannotFind } = await this.reconcileOne(item, sharedContext)
      report[outcome].push(item.id)
      if (cannotFind) report.provider_cannot_find.push({ id: item.id, payment_id: item.payment_id, kind: item.kind, reason: cannotFind })
    }
    return report
  }

  /** Captures and refunds settled since then outside any workflow (src/sql/money.ts, settledOutsideWorkflows). */
  @InjectTransactionManager()
  async settledOutsideWorkflows_(since: Date, @MedusaContext() sharedContext: Context = {}): Promise<string[]> {
    if (!(since instanceof Date) || isNaN(since.getTime())) throw invalidData(`since must be a date, got ${JSON.stringify(since)}.`)
    return await settledOutsideWorkflows(since, sharedContext)
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
  ): Promise<{ outcome: "settled" | "reversed" | "still_unknown"; cannotFind?: string }> {
    try {
      if (item.status === "pending") {
        // Its process is presumed gone: from here on the outcome is unknown, and whatever
        // reconciliation finds is reconciliation's doing (the timeline says so).
        await this.markMovementUnknown_(item.id, `${PRESUMED_GONE} since ${item.updated_at.toISOString()}`, sharedContext)
      }
      if (item.kind === "cancel") {
        const { payment, status } = await this.lockForReconciliation_(item.payment_id, item.id, sharedContext)
        // Settled or refused by another call since it was found: nothing left to ask.
        if (status === "succeeded") return { outcome: "settled" }
        if (status !== "pending" && status !== "unknown") return { outcome: "reversed" }
        await this.cancellation.cancelAtProvider({ payment, movementId: item.id }, sharedContext)
        return { outcome: "settled" }
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
      return { outcome: "settled" }
    } catch (error) {
      if (!unprovenOutcomeReason(error)) return { outcome: "reversed" }
      return isProviderCannotFind(error)
        ? { outcome: "still_unknown", cannotFind: (error as Error).message ?? String(error) }
        : { outcome: "still_unknown" }
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
