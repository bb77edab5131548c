/**
 * Where a money movement (a capture, a refund or a cancel, one row of
 * `payment_movement`) stands with its provider. The transitions are checked
 * by PostgreSQL (`src/sql/functions/payment_movement_books.sql`):
 *
 *   pending ──▶ succeeded | unknown | refused
 *   unknown ──▶ succeeded | refused
 *
 * - `pending`: reserved; the provider is being asked. It counts against the
 *   payment's bounds from this moment, so a call in flight can never be
 *   raced past.
 * - `succeeded`: the provider confirmed it. Only now is a `capture` or
 *   `refund` row written, so Medusa — which reads those tables — sees settled
 *   money only.
 * - `unknown`: the provider's answer was lost (timeout, connection reset,
 *   an answer that made no sense). It still counts against the bounds;
 *   reconciliation asks the provider again with the same idempotency key.
 * - `refused`: the provider said no. Final; it counts for nothing.
 */
export const MoneyMovementStatus = {
  PENDING: "pending",
  SUCCEEDED: "succeeded",
  UNKNOWN: "unknown",
  REFUSED: "refused",
} as const

export type MoneyMovementStatus = (typeof MoneyMovementStatus)[keyof typeof MoneyMovementStatus]

/**
 * What a movement does: take money (capture), give it back (refund), void the
 * authorization (cancel), or record that the provider let go of what was
 * left of it after a partial capture (release: recorded as it happened,
 * never asked for).
 */
export const MoneyMovementKind = {
  CAPTURE: "capture",
  REFUND: "refund",
  CANCEL: "cancel",
  RELEASE: "release",
} as const

export type MoneyMovementKind = (typeof MoneyMovementKind)[keyof typeof MoneyMovementKind]
