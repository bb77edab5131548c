import { model } from "@medusajs/framework/utils"
import Capture from "./capture"
import PaymentCollection from "./payment-collection"
import PaymentSession from "./payment-session"
import Refund from "./refund"

/** An authorized session: the money a provider holds or has taken for us. */
const Payment = model
  .define("Payment", {
    id: model.id({ prefix: "pay" }).primaryKey(),
    amount: model.bigNumber(),
    currency_code: model.text(),
    provider_id: model.text(),
    data: model.json().nullable(),
    metadata: model.json().nullable(),
    captured_at: model.dateTime().nullable(),
    canceled_at: model.dateTime().nullable(),
    payment_collection: model.belongsTo(() => PaymentCollection, {
      mappedBy: "payments",
    }),
    payment_session: model.belongsTo(() => PaymentSession, {
      mappedBy: "payment",
    }),
    refunds: model.hasMany(() => Refund, { mappedBy: "payment" }),
    captures: model.hasMany(() => Capture, { mappedBy: "payment" }),
  })
  .cascades({ delete: ["refunds", "captures"] })
  .indexes([
    { name: "IDX_payment_provider_id", on: ["provider_id"] },
    { name: "IDX_payment_payment_collection_id", on: ["payment_collection_id"] },
    // The database, not the code, guarantees one Payment per session, so
    // two processes authorizing the same session cannot both create one. It
    // also serves lookups by session: Medusa's plain index on the same
    // column would only be a second index to write on every authorization.
    {
      name: "IDX_payment_payment_session_id_unique",
      on: ["payment_session_id"],
      unique: true,
      where: "deleted_at IS NULL",
    },
  ])

export default Payment
