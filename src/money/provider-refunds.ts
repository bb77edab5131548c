import { Context } from "@medusajs/framework/types"
import { CommonEvents, InjectTransactionManager, MathBN, MedusaContext } from "@medusajs/framework/utils"
import { lockPayment, recordRefundMadeAtProvider } from "../sql/money"
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
 * by versions that sent no movement id).
 */
export class ProviderRefunds extends UseCase {
  /** Answers the ids of the refunds recorded now. */
  async record(sessionId: string, refunds: RefundAtProvider[], sharedContext: Context): Promise<string[]> {
    const outside = refunds.filter((r) => r.status === "succeeded" && !r.movement_id)
    if (!outside.length) return []
    const [payment] = await this.paymentService_.list(
      { payment_session_id: sessionId },
      { select: ["id", "payment_collection_id"] },
      sharedContext
    )
    if (!payment) return []
    const recorded = await this.record_(payment.id, outside, sharedContext)
    if (recorded.length) {
      this.recordEvents(CommonEvents.CREATED, "refund", recorded.map((id) => ({ id })), sharedContext)
      this.recordEvents(CommonEvents.UPDATED, "payment_collection", [{ id: payment.payment_collection_id }], sharedContext)
    }
    return recorded
  }

  @InjectTransactionManager()
  protected async record_(
    paymentId: string,
    outside: RefundAtProvider[],
    @MedusaContext() sharedContext: Context = {}
  ): Promise<string[]> {
    const payment = await lockPayment(paymentId, sharedContext)
    const madeByModule = new Set(
      (Array.isArray(payment.data?.refunds) ? (payment.data!.refunds as { id?: unknown }[]) : []).map((r) => r?.id)
    )
    const recorded: string[] = []
    for (const refund of outside) {
      if (madeByModule.has(refund.id)) continue
      const id = `ref_${refund.id}`
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
      if (written) recorded.push(id)
    }
    return recorded
  }
}
