import type { SubscriberArgs, SubscriberConfig } from "@medusajs/framework"
import type { Logger } from "@medusajs/framework/types"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"

type DisputeEventData = { id: string; payment_id: string; status: string; amount: string; reason: string | null }

/**
 * A dispute needs the merchant (evidence to submit, a deadline at the
 * provider): each one opened or decided is a warning line in the store's log,
 * from the events a store can also subscribe to itself.
 */
export default async function logDisputes({ event, container }: SubscriberArgs<DisputeEventData>): Promise<void> {
  const { id, payment_id, status, amount, reason } = event.data
  container
    .resolve<Logger>(ContainerRegistrationKeys.LOGGER)
    .warn(`Dispute ${id} on payment ${payment_id}: ${status} (${amount}${reason ? `, ${reason}` : ""}) — ${event.name}`)
}

export const config: SubscriberConfig = {
  event: ["payment.dispute.created", "payment.dispute.updated"],
  context: { subscriberId: "medusa-payment-plus-log-disputes" },
}
