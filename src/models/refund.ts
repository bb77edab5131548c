import { model } from "@medusajs/framework/utils"
import { MoneyMovementStatus } from "../types/money-movement-status"
import Payment from "./payment"
import RefundReason from "./refund-reason"

/** Money given back from what was captured. */
const Refund = model
  .define("Refund", {
    id: model.id({ prefix: "ref" }).primaryKey(),
    amount: model.bigNumber(),
    payment: model.belongsTo(() => Payment, { mappedBy: "refunds" }),
    refund_reason: model
      .belongsTo(() => RefundReason, { mappedBy: "refunds" })
      .nullable(),
    note: model.text().nullable(),
    created_by: model.text().nullable(),
    metadata: model.json().nullable(),
    // A caller's retry key: the same key on the same payment is one refund.
    idempotency_key: model.text().nullable(),
    status: model.enum(MoneyMovementStatus).default(MoneyMovementStatus.SUCCEEDED),
  })
  .indexes([
    { name: "IDX_refund_payment_id", on: ["payment_id"] },
    {
      name: "IDX_refund_payment_id_idempotency_key_unique",
      on: ["payment_id", "idempotency_key"],
      unique: true,
      where: "deleted_at IS NULL AND idempotency_key IS NOT NULL",
    },
  ])

export default Refund
