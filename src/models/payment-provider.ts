import { model } from "@medusajs/framework/utils"
import PaymentCollection from "./payment-collection"

/**
 * A provider key (`pp_<identifier>_<id>`) the module has loaded at least
 * once. Providers no longer in the configuration stay, disabled, so that
 * regions and old payments still point at a real row.
 */
const PaymentProvider = model.define("PaymentProvider", {
  id: model.id().primaryKey(),
  is_enabled: model.boolean().default(true),
  payment_collections: model.manyToMany(() => PaymentCollection, {
    mappedBy: "payment_providers",
  }),
})

export default PaymentProvider
