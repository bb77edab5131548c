import { defineJoinerConfig, Modules } from "@medusajs/framework/utils"
import {
  AccountHolder,
  Capture,
  Payment,
  PaymentCollection,
  PaymentProvider,
  PaymentSession,
  Refund,
  RefundReason,
} from "./models"

/**
 * How Medusa's query graph and module links see this module: Medusa's eight
 * entities and keys. The module's own books (ledger, idempotency records) are
 * named here by omission: without an explicit list, Medusa would scan the
 * models folder and make them linkable too.
 */
export const joinerConfig = defineJoinerConfig(Modules.PAYMENT, {
  // In the order Medusa reads its models folder (file names, sorted), so the
  // generated schema and keys come out in the same order.
  models: [AccountHolder, Capture, PaymentCollection, PaymentProvider, PaymentSession, Payment, RefundReason, Refund],
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
