import { Context } from "@medusajs/framework/types"
import { CommonEvents, InjectTransactionManager, MathBN, MedusaContext } from "@medusajs/framework/utils"
import { lockPayment, recordDisputeStatus, recordRefundMadeAtProvider } from "../sql/money"
import type { DisputeAtProvider } from "../types"
import { UseCase } from "./use-case"

type DisputeEvent = { id: string; event_data: { id: string; payment_id: string; status: string; amount: string; reason: string | null } }
type Recorded = { created: DisputeEvent[]; updated: DisputeEvent[]; lostRefunds: string[] }

/**
 * Disputes (chargebacks) reported with a provider's webhooks. Each status a
 * dispute reaches is recorded once — on the payment (`metadata.disputes`),
 * in the ledger, and as an event a store can subscribe to:
 * `payment.dispute.created` (a new dispute: the money is held by the
 * provider) and `payment.dispute.updated` (won: given back; lost: gone),
 * with `{ id, payment_id, status, amount, reason }`. A
 * lost dispute is money out, booked as a refund of the payment
 * (`ref_<dispute id>`), so the payment's and the order's refunded totals
 * say where the money went.
 */
export class ProviderDisputes extends UseCase {
  async record(
    payment: { id: string; payment_collection_id: string },
    disputes: DisputeAtProvider[],
    sharedContext: Context
  ): Promise<void> {
    const recorded = await this.record_(payment.id, disputes, sharedContext)
    this.recordEvents(CommonEvents.CREATED, "dispute", recorded.created, sharedContext)
    this.recordEvents(CommonEvents.UPDATED, "dispute", recorded.updated, sharedContext)
    if (recorded.created.length || recorded.updated.length) {
      this.recordEvents(CommonEvents.UPDATED, "payment", [{ id: payment.id }], sharedContext)
    }
    if (recorded.lostRefunds.length) {
      this.recordEvents(CommonEvents.CREATED, "refund", recorded.lostRefunds.map((id) => ({ id })), sharedContext)
      this.recordEvents(CommonEvents.UPDATED, "payment_collection", [{ id: payment.payment_collection_id }], sharedContext)
    }
  }

  @InjectTransactionManager()
  protected async record_(
    paymentId: string,
    disputes: DisputeAtProvider[],
    @MedusaContext() sharedContext: Context = {}
  ): Promise<Recorded> {
    const payment = await lockPayment(paymentId, sharedContext)
    const recorded: Recorded = { created: [], updated: [], lostRefunds: [] }
    for (const dispute of disputes) {
      const change = await recordDisputeStatus(payment, dispute, sharedContext)
      if (!change) continue
      const event_data = {
        id: dispute.id,
        payment_id: paymentId,
        status: dispute.status,
        amount: MathBN.convert(dispute.amount).toFixed(),
        reason: dispute.reason ?? null,
      }
      ;(change.previous === null ? recorded.created : recorded.updated).push({ id: dispute.id, event_data })
      if (dispute.status !== "lost") continue
      // Never more than the payment still holds, so the bounds cannot refuse it and take
      // the dispute's status down with it (the provider's own figure is in the ledger).
      const refundable = MathBN.sub(payment.captured, payment.refunded)
      const lostAmount = MathBN.min(MathBN.convert(dispute.amount), refundable)
      if (!MathBN.gt(lostAmount, 0)) continue
      const refundId = `ref_${dispute.id}`
      const written = await recordRefundMadeAtProvider(
        {
          id: refundId,
          payment_id: paymentId,
          amount: lostAmount.toFixed(),
          note: `Dispute lost (${dispute.id}${dispute.reason ? `, ${dispute.reason}` : ""})`,
          metadata: { provider_dispute_id: dispute.id, source: "provider" },
        },
        sharedContext
      )
      if (written) recorded.lostRefunds.push(refundId)
    }
    return recorded
  }
}
