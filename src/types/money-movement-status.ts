/**
 * Where a capture or refund stands with its provider. The row exists (and
 * counts against the payment's bounds) from the moment it is reserved, so a
 * provider call in flight can never be raced past.
 *
 * - `pending`: reserved; the provider is being asked.
 * - `succeeded`: the provider confirmed it.
 * - `unknown`: the provider's answer was lost (timeout, connection reset,
 *   an answer that made no sense). It still counts; reconciliation asks the
 *   provider again with the same idempotency key and settles it.
 *
 * A definite refusal deletes the row (and the ledger records the reversal).
 */
export const MoneyMovementStatus = {
  PENDING: "pending",
  SUCCEEDED: "succeeded",
  UNKNOWN: "unknown",
} as const

export type MoneyMovementStatus = (typeof MoneyMovementStatus)[keyof typeof MoneyMovementStatus]
