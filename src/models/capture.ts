import { model } from "@medusajs/framework/utils"
import Payment from "./payment"

/**
 * Money taken from an authorization; a payment may be captured in parts. A
 * row exists only once its movement (`PaymentMovement`) has succeeded, so
 * Medusa, which reads this table, sees settled money only.
 */
const Capture = model
  .define("Capture", {
    id: model.id({ prefix: "capt" }).primaryKey(),
    amount: model.bigNumber(),
    payment: model.belongsTo(() => Payment, { mappedBy: "captures" }),
    metadata: model.json().nullable(),
    created_by: model.text().nullable(),
  })
  .indexes([{ name: "IDX_capture_payment_id", on: ["payment_id"] }])

export default Capture
