import { MathBN, MedusaError } from "@medusajs/framework/utils"
import { StripeProviderService } from "../service"
import { signStripePayload } from "../webhook-signature"

const SECRET = "whsec_events_test"

function provider(extra: Record<string, unknown> = {}) {
  // Port 9 (discard) on loopback: any accidental API call fails fast.
  return new StripeProviderService(
    {},
    {
      apiKey: "sk_test_events",
      webhookSecret: SECRET,
      apiBaseUrl: "http://127.0.0.1:9",
      maxNetworkRetries: 0,
      ...extra,
    }
  )
}

function intent(overrides: Record<string, unknown> = {}) {
  return {
    id: "pi_123",
    object: "payment_intent",
    amount: 1999,
    amount_capturable: 0,
    amount_received: 0,
    currency: "usd",
    status: "requires_payment_method",
    payment_method: null,
    payment_method_types: ["card"],
    metadata: { session_id: "payses_abc" },
    ...overrides,
  }
}

function delivery(type: string, object: Record<string, unknown>, secret = SECRET) {
  const event = { id: `evt_${type}`, object: "event", type, data: { object } }
  const rawData = JSON.stringify(event)
  return {
    data: event as Record<string, unknown>,
    rawData,
    headers: { "stripe-signature": signStripePayload({ payload: rawData, secrets: secret }) },
  }
}

describe("Stripe webhook → Medusa action", () => {
  it.each([
    ["payment_intent.amount_capturable_updated", { amount_capturable: 1500, status: "requires_capture" }, "authorized", "15"],
    ["payment_intent.succeeded", { amount_received: 1999, status: "succeeded" }, "captured", "19.99"],
    ["payment_intent.payment_failed", { last_payment_error: { code: "card_declined" } }, "failed", "19.99"],
    ["payment_intent.requires_action", { status: "requires_action" }, "requires_more", "19.99"],
    ["payment_intent.canceled", { status: "canceled" }, "canceled", "19.99"],
    ["payment_intent.created", {}, "pending", "19.99"],
    ["payment_intent.processing", { status: "processing", payment_method: { id: "pm_1", type: "card" } }, "pending", "19.99"],
    [
      "payment_intent.partially_funded",
      { next_action: { type: "display_bank_transfer_instructions", display_bank_transfer_instructions: { amount_remaining: 499 } } },
      "requires_more",
      "4.99",
    ],
  ])("%s → %s", async (type, fields, action, amount) => {
    const result = await provider().getWebhookActionAndData(delivery(type, intent(fields)))
    expect(result.action).toBe(action)
    expect(result.data?.session_id).toBe("payses_abc")
    expect(MathBN.convert(result.data!.amount).toFixed()).toBe(amount)
  })

  it("reports amounts exactly in the intent's currency", async () => {
    const jpy = await provider().getWebhookActionAndData(
      delivery("payment_intent.succeeded", intent({ currency: "jpy", amount: 50098, amount_received: 50098 }))
    )
    expect(MathBN.convert(jpy.data!.amount).toFixed()).toBe("50098")
    const kwd = await provider().getWebhookActionAndData(
      delivery("payment_intent.succeeded", intent({ currency: "kwd", amount: 5130, amount_received: 5130 }))
    )
    expect(MathBN.convert(kwd.data!.amount).toFixed()).toBe("5.13")
  })

  it("processing of an async method → pending_authorization", async () => {
    const sepa = provider({ asyncPaymentMethodTypes: ["sepa_debit"] })
    for (const type of ["payment_intent.processing", "payment_intent.created"]) {
      const result = await sepa.getWebhookActionAndData(
        delivery(type, intent({ status: "processing", payment_method: { id: "pm_1", type: "sepa_debit" } }))
      )
      expect(result.action).toBe("pending_authorization")
    }
    const single = await sepa.getWebhookActionAndData(
      delivery("payment_intent.processing", intent({ payment_method: "pm_1", payment_method_types: ["sepa_debit"] }))
    )
    expect(single.action).toBe("pending_authorization")
  })

  it("intents without metadata.session_id are not ours → not_supported", async () => {
    const result = await provider().getWebhookActionAndData(
      delivery("payment_intent.succeeded", intent({ metadata: {} }))
    )
    expect(result).toEqual({ action: "not_supported" })
  })

  it("other event types → not_supported", async () => {
    for (const type of ["charge.refunded", "customer.created", "payment_intent.unknown_future_event"]) {
      expect(await provider().getWebhookActionAndData(delivery(type, intent()))).toEqual({ action: "not_supported" })
    }
  })

  it("uses the signed raw body, not the parsed data passed next to it", async () => {
    const signed = delivery("payment_intent.succeeded", intent({ amount_received: 100 }))
    const forgedData = delivery("payment_intent.succeeded", intent({ amount_received: 999999, metadata: { session_id: "payses_evil" } }))
    const result = await provider().getWebhookActionAndData({ ...signed, data: forgedData.data })
    expect(result.data?.session_id).toBe("payses_abc")
    expect(MathBN.convert(result.data!.amount).toFixed()).toBe("1")
  })

  it("accepts the raw body as Buffer and as a serialized Buffer from the event bus", async () => {
    const signed = delivery("payment_intent.succeeded", intent({ amount_received: 100 }))
    const buffer = Buffer.from(signed.rawData as string, "utf8")
    for (const rawData of [buffer, JSON.parse(JSON.stringify(buffer))]) {
      const result = await provider().getWebhookActionAndData({ ...signed, rawData })
      expect(result.action).toBe("captured")
    }
  })

  it("finds the header whatever its case", async () => {
    const signed = delivery("payment_intent.succeeded", intent())
    const result = await provider().getWebhookActionAndData({
      ...signed,
      headers: { "Stripe-Signature": signed.headers["stripe-signature"] },
    })
    expect(result.action).toBe("captured")
  })

  it.each([
    ["forged", (d: ReturnType<typeof delivery>) => ({ ...d, headers: delivery("payment_intent.succeeded", intent(), "whsec_evil").headers }), "webhook_signature_mismatch"],
    ["missing header", (d: ReturnType<typeof delivery>) => ({ ...d, headers: {} }), "webhook_signature_missing"],
    ["tampered body", (d: ReturnType<typeof delivery>) => ({ ...d, rawData: (d.rawData as string).replace("1999", "1") }), "webhook_signature_mismatch"],
    ["no raw body", (d: ReturnType<typeof delivery>) => ({ ...d, rawData: undefined as never }), "webhook_raw_body_missing"],
  ])("a %s delivery throws INVALID_DATA, never a silent success", async (_name, mutate, code) => {
    const bad = mutate(delivery("payment_intent.succeeded", intent()))
    await expect(provider().getWebhookActionAndData(bad)).rejects.toMatchObject({
      type: MedusaError.Types.INVALID_DATA,
      code,
    })
  })

  it("rotation: secrets old and new are both accepted", async () => {
    const rotating = provider({ webhookSecret: ["whsec_new", SECRET] })
    const result = await rotating.getWebhookActionAndData(delivery("payment_intent.succeeded", intent()))
    expect(result.action).toBe("captured")
  })

  it("without a configured secret every delivery is refused", async () => {
    const unsigned = new StripeProviderService({}, { apiKey: "sk_test_x" })
    await expect(unsigned.getWebhookActionAndData(delivery("payment_intent.succeeded", intent()))).rejects.toMatchObject({
      code: "webhook_secret_missing",
    })
  })
})
