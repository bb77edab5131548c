import { defineJoinerConfig, Modules } from "@medusajs/framework/utils"
import {
  AccountHolder,
  Payment,
  PaymentCollection,
  PaymentProvider,
  RefundReason,
} from "./models"

/** How Medusa's query graph and module links see this module (same keys as Medusa's). */
export const joinerConfig = defineJoinerConfig(Modules.PAYMENT, {
  linkableKeys: {
    payment_id: Payment.name,
    payment_collection_id: PaymentCollection.name,
    payment_provider_id: PaymentProvider.name,
    refund_reason_id: RefundReason.name,
    account_holder_id: AccountHolder.name,
  },
  alias: [
    {
      name: ["payment_method", "payment_methods"],
      entity: "PaymentMethod",
      args: { methodSuffix: "PaymentMethods" },
    },
  ],
})
