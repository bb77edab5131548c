import type { SubscriberArgs, SubscriberConfig } from "@medusajs/framework"
import type { Logger } from "@medusajs/framework/types"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { PAYMENT_RETURNED_EVENT, PaymentReturnedEventData } from "../held-without-order"

/**
 * A customer was charged and got no order; the money went back. The merchant
 * reads it in the log (a store subscribes to the same event to tell the
 * customer, e.g. by email).
 */
export default async function logReturnedPayments({ event, container }: SubscriberArgs<PaymentReturnedEventData>): Promise<void> {
  const { cart_id, email, amount, currency_code, returned, reason } = event.data
  container
    .resolve<Logger>(ContainerRegistrationKeys.LOGGER)
    .warn(`Cart ${cart_id} (${email ?? "no email"}): ${amount} ${currency_code?.toUpperCase() ?? ""} ${returned} without an order — ${reason}`)
}

export const config: SubscriberConfig = {
  event: PAYMENT_RETURNED_EVENT,
  context: { subscriberId: "medusa-payment-plus-log-returned-payments" },
}
