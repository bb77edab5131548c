import { model } from "@medusajs/framework/utils"

/**
 * The append-only record of every money movement and status change.
 *
 * Rows are written by database triggers (see the migration that creates
 * them), not by the service, so that no code path — the module's own, the
 * generated CRUD methods, or a hand-written SQL statement — can move money
 * or change a status without leaving an entry. Another trigger refuses
 * UPDATE and DELETE on this table.
 *
 * The deltas make the ledger rebuildable: the sum of `captured_delta` over a
 * payment's entries is what it has captured, and so on.
 */
const PaymentLedgerEntry = model
  .define("PaymentLedgerEntry", {
    id: model.id({ prefix: "pledg" }).primaryKey(),
    // capture | refund | authorization | cancellation | payment_session | payment_collection
    subject: model.text(),
    // what happened: reserved, succeeded, unknown, reversed, status_changed, ...
    event: model.text(),
    subject_id: model.text(),
    payment_collection_id: model.text().nullable(),
    payment_id: model.text().nullable(),
    provider_id: model.text().nullable(),
    currency_code: model.text().nullable(),
    amount: model.bigNumber().nullable(),
    authorized_delta: model.bigNumber().nullable(),
    captured_delta: model.bigNumber().nullable(),
    refunded_delta: model.bigNumber().nullable(),
    from_status: model.text().nullable(),
    to_status: model.text().nullable(),
    idempotency_key: model.text().nullable(),
    provider_reference: model.text().nullable(),
  })
  // One index serves a collection's entries and, with the collection id
  // given too, a payment's: every entry is an index write, and a flow
  // writes about ten entries.
  .indexes([{ name: "IDX_payment_ledger_entry_collection_payment", on: ["payment_collection_id", "payment_id"] }])

export default PaymentLedgerEntry
