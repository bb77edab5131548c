import { Context } from "@medusajs/framework/types"
import { CommonEvents, InjectTransactionManager, MathBN, MedusaContext } from "@medusajs/framework/utils"
import { lockPayment, recordRefundMadeAtProvider, refundMovements } from "../sql/money"
import type { RefundAtProvider } from "../types"
import { UseCase } from "./use-case"

/**
 * Refunds made at the provider without this module — from Stripe's
 * dashboard, say — reported with a webhook (`refunds_at_provider`). Each
 * succeeded one the module did not make becomes a refund of the payment,
 * once, whatever the order of webhooks: Medusa's refund row, the
 * collection's refunded total and a ledger entry, so a later refund from
 * Medusa is bounded by what is really left.
 *
 * A refund is the module's own when it carries a movement id (the module's
 * refunds are created with it) or when its provider id is in the payment's
 * data (where the module keeps every refund it made, including those made
 * by versions that sent no movement id). A store that switched from
 * `@medusajs/payment` has refunds with neither; only what the provider
 * refunded beyond the books' refunds is recorded, so those are not counted
 * twice.
 */
export class ProviderRefunds extends UseCase {
  /** Answers the ids of the refunds recorded now. */
  async record(
    payment: { id: string; payment_collection_id: string },
    refunds: RefundAtProvider[],
    sharedContext: Context
  ): Promise<string[]> {
    if (!refunds.some((r) => r.status === "succeeded" && !r.movement_id)) return []
    const recorded = await this.record_(payment.id, refunds, sharedContext)
    if (recorded.length) {
      this.recordEvents(CommonEvents.CREATED, "refund", recorded.map((id) => ({ id })), sharedContext)
      this.recordEvents(CommonEvents.UPDATED, "payment_collection", [{ id: payment.payment_collection_id }], sharedContext)
    }
    return recorded
  }

  @InjectTransactionManager()
  protected async record_(
    paymentId: string,
    refunds: RefundAtProvider[],
    @MedusaContext() sharedContext: Context = {}
  ): Promise<string[]> {
    const payment = await lockPayment(paymentId, sharedContext)
    const madeByModule = new Set(
      (Array.isArray(payment.data?.refunds) ? (payment.data!.refunds as { id?: unknown }[]) : []).map((r) => r?.id)
    )
    const succeeded = refunds.filter((r) => r.status === "succeeded")
    // What the provider refunded that the books do not hold yet. The books' open refunds
    // count only once the provider lists them (a refund still on its way is not there yet).
    const listed = new Set(succeeded.map((r) => r.movement_id).filter(Boolean))
    const booked = (await refundMovements(paymentId, sharedContext)).filter((m) => m.status === "succeeded" || listed.has(m.id))
    let unbooked = MathBN.sub(sum(succeeded.map((r) => r.amount)), sum(booked.map((m) => m.amount)))
    const bookedIds = new Set(booked.map((m) => m.id))
    const recorded: string[] = []
    // Newest first, as the provider lists them: a refund older than the switch to this
    // module (made by @medusajs/payment, with no movement id) is already in the books
    // under another id, and the unbooked total leaves no room for it.
    for (const refund of succeeded) {
      const id = `ref_${refund.id}`
      if (refund.movement_id || madeByModule.has(refund.id) || bookedIds.has(id)) continue
      if (MathBN.gt(refund.amount, unbooked)) continue
      const written = await recordRefundMadeAtProvider(
        {
          id,
          payment_id: paymentId,
          amount: MathBN.convert(refund.amount).toFixed(),
          note: `Refunded at the provider (${refund.id}${refund.reason ? `, ${refund.reason}` : ""})`,
          metadata: { provider_refund_id: refund.id, source: "provider" },
        },
        sharedContext
      )
      if (written) {
        recorded.push(id)
        unbooked = MathBN.sub(unbooked, refund.amount)
      }
    }
    return recorded
  }
}

function sum(amounts: string[]) {
  return amounts.reduce((total, amount) => MathBN.add(total, amount), MathBN.convert(0))
}
