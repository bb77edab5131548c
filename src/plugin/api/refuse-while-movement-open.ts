import type { MedusaNextFunction, MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, MedusaError, Modules } from "@medusajs/framework/utils"
import type PaymentModuleService from "../../services/payment-module"
import type { OpenMovement } from "../../types/payment-timeline"

/**
 * A capture, refund or cancel asked while an earlier movement of the same
 * payment is still waiting for its provider's answer (a server died in the
 * middle of a capture, say) is answered 409 `conflict`, naming what is open,
 * its amount and since when (and `open_movement` with its figures). Medusa's module — and this one, for workflows such
 * as the payment webhook's — treats a capture of money already being
 * captured as done: the admin got 200 with no capture and was told nothing.
 *
 * Only movements that may still be in flight count: one whose outcome is
 * unknown, or that is pending past the point where its process is presumed
 * gone, is reconciled by the module before the new request goes ahead. Runs
 * after the per-order lock, so the answer still holds when Medusa's route runs.
 */
export function refuseWhileMovementOpen(paymentIdsOf: (scope: MedusaContainer, id: string) => Promise<string[]>) {
  return async (req: MedusaRequest, res: MedusaResponse, next: MedusaNextFunction): Promise<void> => {
    try {
      const paymentIds = await paymentIdsOf(req.scope, req.params.id)
      const open = await inFlightMovements(req.scope, paymentIds)
      if (!open.length) return next()
      // Answered here in Medusa's error shape: its error handler replaces every CONFLICT's
      // message with a generic one about idempotency keys, and this one must name what is open.
      res.status(409).json({ type: MedusaError.Types.CONFLICT, message: conflictMessage(open[0]), open_movement: open[0] })
    } catch (error) {
      next(error)
    }
  }
}

async function inFlightMovements(scope: MedusaContainer, paymentIds: string[]): Promise<(OpenMovement & { payment_id: string })[]> {
  if (!paymentIds.length) return []
  const payments = scope.resolve<PaymentModuleService>(Modules.PAYMENT)
  if (typeof payments.listPaymentTimelines !== "function") return [] // another payment module: nothing to ask
  const now = Date.now()
  const timelines = await payments.listPaymentTimelines({ payment_id: paymentIds })
  return timelines.flatMap((timeline) =>
    timeline.open
      .filter((m) => m.status === "pending" && m.presumed_lost_at !== null && new Date(m.presumed_lost_at).getTime() > now)
      .map((m) => ({ ...m, payment_id: timeline.payment_id }))
  )
}

function conflictMessage(open: OpenMovement & { payment_id: string }): string {
  const what = open.subject === "cancellation" ? "A cancel" : `A ${open.subject} of ${open.amount} ${open.currency_code?.toUpperCase() ?? ""}`.trimEnd()
  return (
    `${what} (${open.id}) of payment ${open.payment_id} has been waiting for the provider's answer since ${open.since}. ` +
    `Try again once it is settled; without an answer, reconciliation settles it after ${open.presumed_lost_at}.`
  )
}

/** The payment of `/admin/payments/:id/…`. */
export const paymentOfRoute = async (_scope: MedusaContainer, paymentId: string) => [paymentId]

/** The payments of `/admin/orders/:id/cancel`: every payment of the order's collections. */
export const paymentsOfOrder = async (scope: MedusaContainer, orderId: string): Promise<string[]> => {
  const query = scope.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({
    entity: "order",
    fields: ["id", "payment_collections.payments.id"],
    filters: { id: orderId },
  } as any)
  const order = data[0] as { payment_collections?: { payments?: { id: string }[] }[] } | undefined
  return (order?.payment_collections ?? []).flatMap((c) => (c.payments ?? []).map((p) => p.id))
}
