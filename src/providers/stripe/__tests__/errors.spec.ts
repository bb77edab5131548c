import { MedusaError } from "@medusajs/framework/utils"
import { isPaymentOutcomeUnknown, StripeOutcomeUnknownError as PaymentOutcomeUnknownError, StripeProviderError } from "../errors"
import { StripeProviderService } from "../service"
import { startScriptedStripe } from "./scripted-stripe"

type Scripted = Awaited<ReturnType<typeof startScriptedStripe>>

const declinedIntent = {
  id: "pi_declined",
  object: "payment_intent",
  amount: 1000,
  currency: "usd",
  status: "requires_payment_method",
  last_payment_error: { type: "card_error", code: "card_declined", decline_code: "insufficient_funds" },
  metadata: { session_id: "payses_1" },
}

function intent(fields: Record<string, unknown> = {}) {
  return { id: "pi_1", object: "payment_intent", amount: 1000, currency: "usd", status: "requires_capture", metadata: { session_id: "payses_1" }, ...fields }
}

describe("Stripe errors reach the caller, with known vs unknown outcomes", () => {
  let stripe: Scripted
  let provider: StripeProviderService

  beforeAll(async () => {
    stripe = await startScriptedStripe()
    provider = new StripeProviderService(
      {},
      { apiKey: "sk_test_scripted", apiBaseUrl: stripe.url, maxNetworkRetries: 0, timeoutMs: 500 }
    )
  })
  afterAll(() => stripe.close())
  beforeEach(() => stripe.seen.splice(0))

  async function rejectionOf(promise: Promise<unknown>): Promise<MedusaError & Record<string, any>> {
    try {
      await promise
    } catch (error) {
      return error as MedusaError & Record<string, any>
    }
    throw new Error("expected a rejection")
  }

  it("a decline while initiating keeps the failed intent and reports status error", async () => {
    stripe.reply({
      status: 402,
      body: {
        error: {
          type: "card_error",
          code: "card_declined",
          decline_code: "insufficient_funds",
          message: "Your card has insufficient funds.",
          payment_intent: declinedIntent,
        },
      },
    })
    const result = await provider.initiatePayment({
      amount: 10,
      currency_code: "usd",
      data: { session_id: "payses_1", payment_method: "pm_card_chargeDeclined", confirm: true },
      context: { idempotency_key: "payses_1" },
    })
    expect(result).toMatchObject({ id: "pi_declined", status: "error" })
    expect(result.data?.last_payment_error).toMatchObject({ decline_code: "insufficient_funds" })
  })

  it("a decline without an intent is a MedusaError with Stripe's message and decline code", async () => {
    stripe.reply({
      status: 402,
      body: { error: { type: "card_error", code: "card_declined", decline_code: "stolen_card", message: "Your card was declined." } },
    })
    const error = await rejectionOf(
      provider.initiatePayment({ amount: 10, currency_code: "usd", data: {}, context: { idempotency_key: "payses_2" } })
    )
    expect(error).toBeInstanceOf(StripeProviderError)
    expect(MedusaError.isMedusaError(error)).toBe(true)
    expect(error.type).toBe(MedusaError.Types.PAYMENT_AUTHORIZATION_ERROR)
    expect(error.message).toContain("Your card was declined.")
    expect(error.code).toBe("stolen_card")
    expect(error.stripe).toMatchObject({ code: "card_declined", decline_code: "stolen_card", status_code: 402 })
    expect(isPaymentOutcomeUnknown(error)).toBe(false)
  })

  it("an invalid request is INVALID_DATA with Stripe's code", async () => {
    stripe.reply({
      status: 400,
      body: { error: { type: "invalid_request_error", code: "amount_too_small", message: "Amount must be at least $0.50 usd", param: "amount" } },
    })
    const error = await rejectionOf(
      provider.initiatePayment({ amount: "0.1", currency_code: "usd", data: {}, context: { idempotency_key: "payses_3" } })
    )
    expect(error.type).toBe(MedusaError.Types.INVALID_DATA)
    expect(error.code).toBe("amount_too_small")
    expect(error.message).toBe("Stripe initiatePayment failed: Amount must be at least $0.50 usd")
  })

  it("a missing resource is NOT_FOUND", async () => {
    stripe.reply({ status: 404, body: { error: { type: "invalid_request_error", code: "resource_missing", message: "No such payment_intent: 'pi_x'" } } })
    const error = await rejectionOf(provider.retrievePayment({ data: { id: "pi_x" } }))
    expect(error.type).toBe(MedusaError.Types.NOT_FOUND)
    expect(error.code).toBe("resource_missing")
  })

  it("a 500 api_error means the outcome is unknown", async () => {
    stripe.reply({ status: 500, body: { error: { type: "api_error", message: "Something went wrong on Stripe's end." } } })
    const error = await rejectionOf(
      provider.capturePayment({ data: intent(), context: { idempotency_key: "capt_1" } })
    )
    expect(error).toBeInstanceOf(PaymentOutcomeUnknownError)
    expect(error.outcome_unknown).toBe(true)
    expect(isPaymentOutcomeUnknown(error)).toBe(true)
    expect(error.idempotency_key).toBe("capt_1:capture")
    expect(error.operation).toBe("capturePayment")
    expect(error.message).toContain("Something went wrong on Stripe's end.")
  })

  it("a dropped connection means the outcome is unknown", async () => {
    stripe.reply({ hangUp: true })
    const error = await rejectionOf(
      provider.refundPayment({ amount: 5, data: intent({ status: "succeeded" }), context: { idempotency_key: "ref_1" } })
    )
    expect(isPaymentOutcomeUnknown(error)).toBe(true)
    expect(error.idempotency_key).toBe("ref_1:refund")
  })

  it("a timeout means the outcome is unknown", async () => {
    stripe.reply({ delayMs: 1500, status: 200, body: intent({ status: "canceled" }) })
    const error = await rejectionOf(provider.cancelPayment({ data: intent(), context: { idempotency_key: "pay_1" } }))
    expect(isPaymentOutcomeUnknown(error)).toBe(true)
  })

  it("a 409 (same key still in flight) means the outcome is unknown", async () => {
    stripe.reply({ status: 409, body: { error: { type: "idempotency_error", message: "There is currently another in-progress request using this Stripe token" } } })
    const error = await rejectionOf(provider.capturePayment({ data: intent(), context: { idempotency_key: "capt_2" } }))
    expect(isPaymentOutcomeUnknown(error)).toBe(true)
  })

  it("the SDK retries on network errors with the same idempotency key", async () => {
    const retrying = new StripeProviderService(
      {},
      { apiKey: "sk_test_scripted", apiBaseUrl: stripe.url, maxNetworkRetries: 1, timeoutMs: 500 }
    )
    stripe.reply({ hangUp: true }, { status: 200, body: intent({ status: "succeeded", amount_received: 1000 }) })
    const result = await retrying.capturePayment({ data: intent(), context: { idempotency_key: "capt_3" } })
    expect(result.data?.status).toBe("succeeded")
    expect(stripe.seen.map((r) => r.idempotencyKey)).toEqual(["capt_3:capture", "capt_3:capture"])
  })

  it("capturing an intent that already succeeded counts as captured", async () => {
    stripe.reply({
      status: 400,
      body: {
        error: {
          type: "invalid_request_error",
          code: "payment_intent_unexpected_state",
          message: "This PaymentIntent could not be captured because it has a status of succeeded.",
          payment_intent: intent({ status: "succeeded", amount_received: 1000 }),
        },
      },
    })
    const result = await provider.capturePayment({ data: intent(), context: { idempotency_key: "capt_4" } })
    expect(result.data?.status).toBe("succeeded")
  })

  it("capturing again after a partial capture released the rest is an error, not a silent success", async () => {
    stripe.reply({
      status: 400,
      body: {
        error: {
          type: "invalid_request_error",
          code: "payment_intent_unexpected_state",
          message: "This PaymentIntent could not be captured because it has a status of succeeded.",
          payment_intent: intent({ status: "succeeded", amount_received: 600 }),
        },
      },
    })
    const error = await rejectionOf(
      provider.capturePayment({ data: intent(), context: { idempotency_key: "capt_5" } })
    )
    expect(error.code).toBe("payment_intent_unexpected_state")
    expect(isPaymentOutcomeUnknown(error)).toBe(false)
  })

  it("cancelling a captured intent is refused with Stripe's message", async () => {
    stripe.reply({
      status: 400,
      body: {
        error: {
          type: "invalid_request_error",
          code: "payment_intent_unexpected_state",
          message: "You cannot cancel this PaymentIntent because it has a status of succeeded.",
          payment_intent: intent({ status: "succeeded" }),
        },
      },
    })
    const error = await rejectionOf(provider.cancelPayment({ data: intent(), context: { idempotency_key: "pay_2" } }))
    expect(error.type).toBe(MedusaError.Types.INVALID_DATA)
    expect(error.code).toBe("payment_intent_unexpected_state")
    expect(error.message).toContain("status of succeeded")
  })

  it("an authentication failure is UNAUTHORIZED", async () => {
    stripe.reply({ status: 401, body: { error: { type: "invalid_request_error", message: "Invalid API Key provided: sk_test_***" } } })
    const error = await rejectionOf(provider.getPaymentStatus({ data: { id: "pi_1" } }))
    expect(error.type).toBe(MedusaError.Types.UNAUTHORIZED)
    expect(error.message).toContain("Invalid API Key")
  })

  it("refuses to call Stripe without an intent id", async () => {
    for (const call of [
      () => provider.authorizePayment({ data: {} }),
      () => provider.capturePayment({ data: {} }),
      () => provider.refundPayment({ amount: 1, data: {} }),
      () => provider.updatePayment({ amount: 1, currency_code: "usd", data: {} }),
    ]) {
      const error = await rejectionOf(call())
      expect(error.type).toBe(MedusaError.Types.INVALID_DATA)
      expect(error.message).toContain("data.id")
    }
    expect(stripe.seen).toHaveLength(0)
  })
})
