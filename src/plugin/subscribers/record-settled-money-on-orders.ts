import type { SubscriberArgs, SubscriberConfig } from "@medusajs/framework"
import { recordSettledOnOrders } from "../order-transactions"

/**
 * Every capture and refund the module settles is recorded on its order once.
 * Medusa's workflows record the ones they make, each in its own way (the
 * order-cancel workflow references its refunds by payment id), and their
 * module events carry the workflow's event group: those are left to them.
 * This records the others, settled outside any workflow: by reconciliation
 * after a lost answer, or refunds made in the provider's dashboard.
 */
export default async function recordSettledMoneyOnOrders({
  event,
  container,
}: SubscriberArgs<{ id: string }>): Promise<void> {
  if ((event.metadata as { eventGroupId?: string } | undefined)?.eventGroupId) return
  await recordSettledOnOrders(container, [event.data.id])
}

export const config: SubscriberConfig = {
  event: ["payment.capture.created", "payment.refund.created"],
  context: { subscriberId: "medusa-payment-plus-record-settled-money-on-orders" },
}
