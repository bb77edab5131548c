import { model } from "@medusajs/framework/utils"
import { MoneyMovementStatus } from "../types/money-movement-status"
import Payment from "./payment"

/** Money taken from an authorization; a payment may be captured in parts. */
const Capture = model
  .define("Capture", {
    id: model.id({ prefix: "capt" }).primaryKey(),
    amount: model.bigNumber(),
    payment: model.belongsTo(() => Payment, { mappedBy: "captures" }),
    metadata: model.json().nullable(),
    created_by: model.text().nullable(),
    // A caller's retry key: the same key on the same payment is one capture.
    idempotency_key: model.text().nullable(),
    status: model.enum(MoneyMovementStatus).default(MoneyMovementStatus.SUCCEEDED),
  })
  .indexes([
    { name: "IDX_capture_payment_id", on: ["payment_id"] },
    {
      name: "IDX_capture_payment_id_idempotency_key_unique",
      on: ["payment_id", "idempotency_key"],
      unique: true,
      where: "deleted_at IS NULL AND idempotency_key IS NOT NULL",
    },
  ])

export default Capture
