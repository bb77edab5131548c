// What GET /admin/payment-plus/orders/:id/payments answers: the module's
// ledger read as a merchant reads it. Plain types without runtime imports, so
// the admin widget (src/admin) shares them with the server.

/** Who or what made an entry happen. */
export type CausedBy =
  | { type: "customer" }
  /** email: the admin user's, when the user still exists (filled by the admin route) */
  | { type: "admin"; user_id: string; email?: string }
  | { type: "provider" }
  | { type: "reconciliation" }
  | { type: "store" }

export type TimelineEntry = {
  at: string
  /** authorization, capture, refund, release, cancellation or dispute */
  subject: string
  /** the movement (or dispute, or payment) the entry is about */
  subject_id: string
  /** what happened: reserved, recorded, succeeded, unknown, refused, authorized, canceled, a dispute status, … */
  event: string
  /** in the currency's precision (a taxed total keeps its extra decimals) */
  amount: string | null
  currency_code: string | null
  status: string | null
  caused_by: CausedBy
  note: string | null
}

export type OpenMovement = {
  id: string
  subject: string
  status: "pending" | "unknown"
  /** in the currency's precision; null for a cancel */
  amount: string | null
  currency_code: string | null
  /** when it was asked for */
  since: string
  /**
   * A pending movement is presumed lost (its outcome unknown, for
   * reconciliation) from then on; until then its request may still be
   * waiting for the provider's answer.
   */
  presumed_lost_at: string | null
  /** why the outcome is unknown (the answer was lost, the provider cannot find the payment, …) */
  reason: string | null
  /** what the reconciliation job will do with it, and from when */
  next_step: string
  not_before: string
}

export type PaymentTimeline = {
  payment_id: string
  entries: TimelineEntry[]
  open: OpenMovement[]
  /**
   * What can still be captured, in the currency's precision, as the books
   * bound it: the authorized amount less captures and releases not refused,
   * open ones included ("0.00" once canceled or captured as far as it goes).
   */
  capturable_amount: string | null
}

/** One payment of the order in the route's answer. */
export type PaymentWithTimeline = {
  id: string
  provider_id: string
  amount: number | string
  currency_code: string
  timeline: TimelineEntry[]
  open: OpenMovement[]
  capturable_amount: string | null
}

export type OrderPaymentTimelines = { order_id: string; payments: PaymentWithTimeline[] }
