import { Context } from "@medusajs/framework/types"
import { InjectTransactionManager, MedusaContext } from "@medusajs/framework/utils"
import { capturableAmounts, paymentTimelineRows, STALE_PENDING_MS, TimelineRow } from "../sql/money"
import { inCurrencyPrecision } from "../utils/amount"
import { PROVIDER_CANNOT_FIND } from "../utils/errors"
import type { CausedBy, OpenMovement, PaymentTimeline, TimelineEntry } from "../types/payment-timeline"
import { PRESUMED_GONE, RECONCILIATION_EVERY_MS } from "./reconcile"
import { UseCase } from "./use-case"

export type { CausedBy, OpenMovement, PaymentTimeline, TimelineEntry }


/**
 * What happened to each payment's money, from the ledger, for a merchant to
 * read: one entry per ledger entry about money, oldest first, with who or
 * what caused it, and the movements still waiting for their provider with
 * what reconciliation will do about them and when.
 */
export class PaymentTimelines extends UseCase {
  async list(payments: { id: string; payment_collection_id: string }[], sharedContext: Context): Promise<PaymentTimeline[]> {
    const { rows, capturable } = await this.read_(payments, sharedContext)
    return payments.map((payment) => {
      const own = rows.filter((r) => r.payment_id === payment.id)
      const left = capturable.find((c) => c.payment_id === payment.id)
      return {
        payment_id: payment.id,
        entries: own.map(entry),
        open: openMovements(own, this.providerGateway_.staleAfterMs(STALE_PENDING_MS)),
        capturable_amount: left ? inCurrencyPrecision(left.amount, left.currency_code) : null,
      }
    })
  }

  /** The ledger and the bounds in one transaction, so they agree. */
  @InjectTransactionManager()
  protected async read_(payments: { id: string; payment_collection_id: string }[], @MedusaContext() sharedContext: Context = {}) {
    const rows = await paymentTimelineRows(payments, sharedContext)
    const capturable = await capturableAmounts(payments.map((p) => p.id), sharedContext)
    return { rows, capturable }
  }
}

function entry(row: TimelineRow): TimelineEntry {
  return {
    at: new Date(row.created_at).toISOString(),
    subject: row.subject,
    subject_id: row.subject_id,
    event: row.event,
    amount: row.amount === null ? null : inCurrencyPrecision(row.amount, row.currency_code),
    currency_code: row.currency_code,
    status: row.to_status,
    caused_by: causedBy(row),
    note: row.note,
  }
}

function causedBy(row: TimelineRow): CausedBy {
  if (row.subject === "authorization" && row.event === "authorized") return { type: "customer" }
  if (row.subject === "dispute") return { type: "provider" }
  // An outcome found after the answer was lost is reconciliation's doing.
  if (row.from_status === "unknown") return { type: "reconciliation" }
  // Marked unknown by reconciliation, which found its process gone.
  if (row.event === "unknown" && row.unknown_reason?.startsWith(PRESUMED_GONE)) return { type: "reconciliation" }
  if (row.created_by?.startsWith("user_")) return { type: "admin", user_id: row.created_by }
  if (row.created_by === "provider") return { type: "provider" }
  if (row.created_by === "reconciliation") return { type: "reconciliation" }
  return { type: "store" }
}

function openMovements(rows: TimelineRow[], staleAfterMs: number): OpenMovement[] {
  const seen = new Set<string>()
  const open: OpenMovement[] = []
  const nextRun = new Date(Math.ceil(Date.now() / RECONCILIATION_EVERY_MS) * RECONCILIATION_EVERY_MS)
  for (const row of [...rows].reverse()) {
    if (seen.has(row.subject_id) || (row.movement_status !== "pending" && row.movement_status !== "unknown")) continue
    seen.add(row.subject_id)
    const facts = {
      id: row.subject_id,
      subject: row.subject,
      amount: row.subject === "cancellation" || row.movement_amount === null ? null : inCurrencyPrecision(row.movement_amount, row.currency_code),
      currency_code: row.currency_code,
      since: new Date(row.movement_created_at!).toISOString(),
      reason: row.unknown_reason,
    }
    if (row.movement_status === "unknown") {
      open.push({
        ...facts,
        status: "unknown",
        presumed_lost_at: null,
        next_step: row.unknown_reason?.startsWith(PROVIDER_CANNOT_FIND)
          ? "The provider cannot find this payment: an operator must check the provider's account, API key and test/live mode. Until then reconciliation keeps asking and never marks it refused."
          : "The provider's answer was lost: reconciliation asks it again with the same idempotency key, so it happens once, and records the outcome.",
        not_before: nextRun.toISOString(),
      })
    } else {
      const stale = new Date(new Date(row.movement_updated_at!).getTime() + staleAfterMs)
      open.push({
        ...facts,
        status: "pending",
        presumed_lost_at: stale.toISOString(),
        next_step: "Still with the provider. Without an answer by then, reconciliation treats it as unknown and asks the provider again.",
        not_before: (stale > nextRun ? stale : nextRun).toISOString(),
      })
    }
  }
  return open.reverse()
}
