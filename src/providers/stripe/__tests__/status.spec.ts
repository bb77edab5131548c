import { sessionStatusFromIntent } from "../status"

const ASYNC = ["sepa_debit", "us_bank_account"]

describe("PaymentIntent status → session status", () => {
  it.each([
    [{ status: "requires_payment_method" }, "pending"],
    [{ status: "requires_payment_method", last_payment_error: { code: "card_declined" } }, "error"],
    [{ status: "requires_confirmation" }, "pending"],
    [{ status: "requires_action" }, "requires_more"],
    [{ status: "processing", payment_method: { type: "card" } }, "pending"],
    [{ status: "processing", payment_method: { type: "sepa_debit" } }, "pending_authorization"],
    [{ status: "processing", payment_method: "pm_1", payment_method_types: ["us_bank_account"] }, "pending_authorization"],
    [{ status: "processing", payment_method: "pm_1", payment_method_types: ["card", "sepa_debit"] }, "pending"],
    [{ status: "requires_capture" }, "authorized"],
    [{ status: "succeeded" }, "captured"],
    [{ status: "canceled" }, "canceled"],
    [{ status: "something_new" }, "pending"],
    [{}, "pending"],
  ])("%p → %s", (intent, expected) => {
    expect(sessionStatusFromIntent(intent as never, ASYNC)).toBe(expected)
  })

  it("without async types configured, processing is always pending", () => {
    expect(sessionStatusFromIntent({ status: "processing", payment_method: { type: "sepa_debit" } }, [])).toBe(
      "pending"
    )
  })
})
