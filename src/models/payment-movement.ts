import { model } from "@medusajs/framework/utils"
import { MoneyMovementKind, MoneyMovementStatus } from "../types/money-movement-status"

/**
 * Every capture, refund and cancel this module asks a provider for, from
 * the moment it is reserved to its outcome: the module's own record, which
 * Medusa never reads. Its id is the provider's idempotency key and, once the
 * movement succeeds, the id of the `capture` or `refund` row written then.
 *
 * `payment_id` is a plain column, not a relation, so that Medusa's Payment
 * keeps exactly its own relations. PostgreSQL checks the bounds (settled plus
 * open movements within what is authorized or captured) and the transitions
 * on every write to this table.
 */
const PaymentMovement = model
  .define("PaymentMovement", {
    // Captures and refunds keep their own ids (capt_…, ref_…); cancels get pmov_….
    id: model.id({ prefix: "pmov" }).primaryKey(),
    kind: model.enum(MoneyMovementKind),
    payment_id: model.text(),
    amount: model.bigNumber(),
    status: model.enum(MoneyMovementStatus).default(MoneyMovementStatus.PENDING),
    // The caller's retry key: the same key on the same payment is one movement.
    idempotency_key: model.text().nullable(),
    created_by: model.text().nullable(),
    note: model.text().nullable(),
    refund_reason_id: model.text().nullable(),
    metadata: model.json().nullable(),
    settled_at: model.dateTime().nullable(),
    // Why the outcome is not known (the answer was lost, the asking process died, the provider
    // cannot find the payment), for the operator; reconciliation clears nothing, it only settles.
    unknown_reason: model.text().nullable(),
  })
  .indexes([
    { name: "IDX_payment_movement_payment_id", on: ["payment_id"] },
    {
      // A refused movement frees its key: the caller's retry is a new attempt.
      name: "IDX_payment_movement_payment_id_kind_idempotency_key_unique",
      on: ["payment_id", "kind", "idempotency_key"],
      unique: true,
      where: "deleted_at IS NULL AND idempotency_key IS NOT NULL AND status <> 'refused'",
    },
    {
      // Reconciliation's scan: only open movements are in it.
      name: "IDX_payment_movement_open",
      on: ["status", "updated_at"],
      where: "deleted_at IS NULL AND status IN ('pending', 'unknown')",
    },
  ])

export default PaymentMovement
