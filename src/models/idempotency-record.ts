import { model } from "@medusajs/framework/utils"

/**
 * A caller's idempotency key for authorize, capture, refund or cancel: the
 * first call stores what it was asked (`fingerprint`) and what it produced
 * (`result_id`); a retry with the same key returns that result, and the same
 * key with other parameters is refused.
 */
const IdempotencyRecord = model
  .define("IdempotencyRecord", {
    id: model.id({ prefix: "idem" }).primaryKey(),
    key: model.text(),
    operation: model.text(),
    fingerprint: model.text(),
    result_id: model.text().nullable(),
  })
  .indexes([
    {
      name: "IDX_idempotency_record_operation_key_unique",
      on: ["operation", "key"],
      unique: true,
      where: "deleted_at IS NULL",
    },
  ])

export default IdempotencyRecord
