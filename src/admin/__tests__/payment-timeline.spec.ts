import { canCaptureMore, causeLabel, entryLabel, entryTone, isCapturableInput, orderMoneyFingerprint } from "../lib/payment-timeline"
import type { PaymentWithTimeline, TimelineEntry } from "../../types/payment-timeline"

// The widget's decisions that a merchant acts on: whether it offers to capture
// more, and how it names what happened. (What it shows in a real dashboard:
// e2e/dashboard.e2e.spec.ts.)

function entry(subject: string, event: string, amount: string | null = null): TimelineEntry {
  return { at: "2026-12-02T06:00:00.000Z", subject, subject_id: "x", event, amount, currency_code: "eur", status: null, caused_by: { type: "store" }, note: null }
}

function payment(timeline: TimelineEntry[], open: PaymentWithTimeline["open"] = [], capturable: string | null = "35.00"): PaymentWithTimeline {
  return { id: "pay_1", provider_id: "pp_stripe_stripe", amount: 35, currency_code: "eur", timeline, open, capturable_amount: capturable }
}

describe("the payment timeline widget", () => {
  it("offers a capture only while the module's bound leaves something and nothing is waiting for the provider", () => {
    const unknown = {
      id: "capt_1",
      subject: "capture",
      status: "unknown" as const,
      amount: "12.50",
      currency_code: "eur",
      since: "2026-12-02T06:00:00.000Z",
      presumed_lost_at: null,
      reason: "no answer from the provider: timeout",
      next_step: "…",
      not_before: "2026-12-02T06:05:00.000Z",
    }
    expect(canCaptureMore(payment([], [], "15.00"))).toBe(true)
    expect(canCaptureMore(payment([], [], "0.01"))).toBe(true)
    expect(canCaptureMore(payment([], [], "0.00"))).toBe(false)
    expect(canCaptureMore(payment([], [], "0"))).toBe(false)
    expect(canCaptureMore(payment([], [], null))).toBe(false)
    expect(canCaptureMore(payment([], [unknown], "22.50"))).toBe(false)
  })

  it("sends only an amount the currency can hold, positive, short enough to travel as a JSON number exactly", () => {
    expect(isCapturableInput("20", "35.00")).toBe(true)
    expect(isCapturableInput(" 12.50 ", "35.00")).toBe(true)
    expect(isCapturableInput("12.505", "35.00")).toBe(false) // EUR has 2 decimals
    expect(isCapturableInput("4.995", "4.995")).toBe(true) // KWD has 3
    expect(isCapturableInput("1500", "1500")).toBe(true)
    expect(isCapturableInput("1500.5", "1500")).toBe(false) // JPY has none
    expect(isCapturableInput("0", "35.00")).toBe(false)
    expect(isCapturableInput("0.00", "35.00")).toBe(false)
    expect(isCapturableInput("-5", "35.00")).toBe(false)
    expect(isCapturableInput("12,50", "35.00")).toBe(false)
    expect(isCapturableInput("1234567890123", "35.00")).toBe(false)
    expect(isCapturableInput("20", null)).toBe(false)
  })

  it("names each step, marks what needs the merchant's eye, and says who caused it", () => {
    expect(entryLabel(entry("capture", "reserved"))).toBe("Capture requested")
    expect(entryLabel(entry("refund", "unknown"))).toBe("Refund outcome unknown")
    expect(entryLabel(entry("release", "recorded"))).toBe("Release of the uncaptured rest")
    expect(entryLabel(entry("cancellation", "canceled"))).toBe("Payment canceled")
    expect(entryLabel(entry("dispute", "needs_response"))).toBe("Dispute needs response")
    expect(entryTone(entry("capture", "unknown"))).toBe("red")
    expect(entryTone(entry("dispute", "lost"))).toBe("red")
    expect(entryTone(entry("dispute", "won"))).toBe("orange")
    expect(entryTone(entry("capture", "succeeded"))).toBeUndefined()
    expect(causeLabel({ type: "admin", user_id: "user_1", email: "a@b.c" })).toBe("by a@b.c")
    expect(causeLabel({ type: "admin", user_id: "user_1" })).toBe("by user_1")
    expect(causeLabel({ type: "reconciliation" })).toBe("by reconciliation")
  })

  it("reads the timeline again when the order's money changes, not when something else on the order does", () => {
    const order = (captured: number, note: string) =>
      ({ id: "order_1", status: "pending", payment_status: "authorized", metadata: { note }, payment_collections: [{ status: "authorized", captured_amount: captured, refunded_amount: 0, payments: [] }] }) as any
    expect(orderMoneyFingerprint(order(0, "a"))).toBe(orderMoneyFingerprint(order(0, "b")))
    expect(orderMoneyFingerprint(order(0, "a"))).not.toBe(orderMoneyFingerprint(order(20, "a")))
  })
})
