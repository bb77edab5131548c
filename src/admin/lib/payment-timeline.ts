import type { AdminOrder } from "@medusajs/framework/types"
import type { CausedBy, PaymentWithTimeline, TimelineEntry } from "../../types/payment-timeline"

// How the payment timeline widget words the ledger's entries for a merchant.

const SUBJECT: Record<string, string> = {
  authorization: "Authorization",
  capture: "Capture",
  refund: "Refund",
  release: "Release of the uncaptured rest",
  cancellation: "Cancellation",
  dispute: "Dispute",
}

const EVENT: Record<string, string> = {
  authorized: "authorized",
  reserved: "requested",
  succeeded: "succeeded",
  unknown: "outcome unknown",
  refused: "refused",
  recorded: "recorded",
  fully_captured: "closed: nothing more to capture",
}

export function entryLabel(entry: TimelineEntry): string {
  const subject = SUBJECT[entry.subject] ?? entry.subject
  if (entry.subject === "release") return subject
  // The payment itself marked canceled (the cancellation's own steps are "requested" and "succeeded").
  if (entry.subject === "cancellation" && entry.event === "canceled") return "Payment canceled"
  if (entry.subject === "cancellation" && entry.event === "cancel_reverted") return "Payment cancel reverted"
  // A dispute's event is Stripe's status (needs_response, won, lost, …).
  const event = EVENT[entry.event] ?? entry.event.replace(/_/g, " ")
  return `${subject} ${event}`
}

/** A badge for what needs the merchant's eye; nothing for the ordinary steps. */
export function entryTone(entry: TimelineEntry): "red" | "orange" | undefined {
  if (entry.event === "unknown" || entry.event === "refused" || entry.event === "lost") return "red"
  if (entry.subject === "dispute") return "orange"
  return undefined
}

export function causeLabel(cause: CausedBy): string {
  switch (cause.type) {
    case "admin":
      return `by ${cause.email ?? cause.user_id}`
    case "customer":
      return "by the customer at checkout"
    case "provider":
      return "by the provider"
    case "reconciliation":
      return "by reconciliation"
    default:
      return "by the store"
  }
}

/** The amount exactly as the ledger gives it (already in the currency's precision), with its currency. */
export function moneyLabel(amount: string, currencyCode: string | null): string {
  return currencyCode ? `${amount} ${currencyCode.toUpperCase()}` : amount
}

/**
 * The order's money fields: they change when a capture, refund or cancel made
 * on the order page lands and the dashboard reads the order again.
 */
export function orderMoneyFingerprint(order: AdminOrder): string {
  return JSON.stringify([
    order.status,
    order.payment_status,
    (order.payment_collections ?? []).map((collection) => [
      collection.status,
      collection.captured_amount,
      collection.refunded_amount,
      (collection.payments ?? []).map((p) => [p.id, p.captured_at, p.canceled_at, p.captures?.length, p.refunds?.length]),
    ]),
  ])
}

/**
 * Whether to offer a capture: something is left of the authorization
 * (the module's own bound, `capturable_amount`) and nothing is still waiting
 * for the provider — an unknown capture may already have taken the money.
 */
export function canCaptureMore(payment: PaymentWithTimeline): boolean {
  const left = payment.capturable_amount
  return left !== null && !/^0+(\.0+)?$/.test(left) && payment.open.length === 0
}

/**
 * Whether the merchant's entry can be sent as a capture: a positive decimal
 * with no more decimals than the currency has (those of `capturableAmount`,
 * which is in the currency's precision) and few enough digits to travel as a
 * JSON number exactly, as Medusa's capture route takes it. Whether it fits
 * the bound is the module's to say.
 */
export function isCapturableInput(input: string, capturableAmount: string | null): boolean {
  const match = /^(\d{1,12})(?:\.(\d+))?$/.exec(input.trim())
  if (!match || capturableAmount === null) return false
  const decimalsAllowed = capturableAmount.split(".")[1]?.length ?? 0
  const decimals = match[2]?.length ?? 0
  return decimals <= decimalsAllowed && /[1-9]/.test(input)
}
