import type { MedusaNextFunction, MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import type { IOrderModuleService, MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, MathBN, MedusaError, Modules, OrderChangeStatus, OrderStatus } from "@medusajs/framework/utils"

type RefundedOrder = {
  id: string
  status: string
  summary?: { raw_pending_difference?: unknown; pending_difference?: unknown }
}

/**
 * Medusa's refund workflow refunds at the provider first and then, when part
 * of the refund is not owed to the customer, records it as a credit line
 * through a new order change. That step refuses a canceled order or one with
 * an order change already open (an order edit, a return being drafted): the
 * admin gets a 400 and the money is gone anyway. This asks the same questions
 * first, with the same arithmetic and Medusa's own messages, so such a refund
 * is refused before anything moves. It runs after the per-order lock, so the
 * answer still holds when the workflow runs.
 */
export async function refuseRefundTheOrderCannotRecord(
  req: MedusaRequest,
  res: MedusaResponse,
  next: MedusaNextFunction
): Promise<void> {
  try {
    const refused = await whyTheOrderCannotRecord(req.scope, req.params.id, (req.body as { amount?: unknown } | undefined)?.amount)
    if (refused) throw new MedusaError(MedusaError.Types.INVALID_DATA, refused)
    next()
  } catch (error) {
    next(error)
  }
}

async function whyTheOrderCannotRecord(scope: MedusaContainer, paymentId: string, requested: unknown): Promise<string | undefined> {
  const query = scope.resolve(ContainerRegistrationKeys.QUERY)
  const { data: payments } = await query.graph({
    entity: "payment",
    fields: ["raw_amount", "amount", "payment_collection_id"],
    filters: { id: paymentId },
  } as any)
  const payment = payments[0] as { raw_amount?: unknown; amount: unknown; payment_collection_id: string } | undefined
  if (!payment) return undefined // Medusa's route answers its own 404
  const { data: links } = await query.graph({
    entity: "order_payment_collection",
    fields: ["order_id"],
    filters: { payment_collection_id: payment.payment_collection_id },
  } as any)
  const orderId = (links[0] as { order_id?: string } | undefined)?.order_id
  if (!orderId) return undefined
  const { data: orders } = await query.graph({ entity: "order", fields: ["id", "status", "summary"], filters: { id: orderId } } as any)
  const order = orders[0] as RefundedOrder | undefined
  if (!order) return undefined

  const amount = typeof requested === "number" || typeof requested === "string" ? requested : (payment.raw_amount ?? payment.amount)
  if (!MathBN.gt(creditLineAmount(order, amount as any), 0)) return undefined
  if (order.status === OrderStatus.CANCELED) return `Order with id ${order.id} has been canceled.`
  const open = await scope.resolve<IOrderModuleService>(Modules.ORDER).listOrderChanges(
    { order_id: order.id, status: [OrderChangeStatus.PENDING, OrderChangeStatus.REQUESTED] } as any,
    { select: ["id"], take: 1 }
  )
  return open.length ? `Order (${order.id}) already has an existing active order change` : undefined
}

/** The part of a refund that is not owed to the customer (core-flows' refund-payment workflow, the same rule). */
function creditLineAmount(order: RefundedOrder, amount: Parameters<typeof MathBN.convert>[0]) {
  const pending = MathBN.convert((order.summary?.raw_pending_difference ?? order.summary?.pending_difference ?? 0) as any)
  if (MathBN.lt(pending, 0)) {
    const owed = MathBN.mult(pending, -1)
    return MathBN.gt(amount, owed) ? MathBN.sub(amount, owed) : MathBN.convert(0)
  }
  return MathBN.convert(amount)
}
