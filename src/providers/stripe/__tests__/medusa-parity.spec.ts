import fs from "node:fs"
import path from "node:path"
import { MathBN } from "@medusajs/framework/utils"
import medusaStripe from "@medusajs/payment-stripe"
import ours from "../index"
import { startHarness, WEBHOOK_SECRET } from "./local-stripe-harness"

/**
 * The same calls to `@medusajs/payment-stripe` 2.21.2 and to this provider,
 * both talking to the same local Stripe, and the answers compared: what
 * Stripe was asked to do (the intents it holds), the statuses, the webhook
 * actions. Every difference is asserted as the one the README lists, so a new
 * one fails here.
 *
 * Medusa's provider builds its SDK client with `new Stripe(apiKey)` and no
 * way to point it elsewhere, so the test swaps its `stripe_` for a client of
 * the same SDK version (its own dependency, stripe 15) aimed at the local
 * Stripe. Nothing else of it is touched.
 */

type Provider = any
const API_KEY = "sk_test_parity"

// Medusa's provider depends on its own copy of the SDK (stripe ^15).
const MedusaStripeSdk = require(
  require.resolve("stripe", { paths: [path.dirname(require.resolve("@medusajs/payment-stripe"))] })
)

let harness: Awaited<ReturnType<typeof startHarness>>
let sequence = 0
const nextSessionId = () => `payses_parity_${process.pid}_${++sequence}`

beforeAll(async () => {
  harness = await startHarness()
})

afterAll(async () => {
  await harness?.close()
})

const servicesOf = (provider: { services: any[] }) => provider.services as (new (...args: any[]) => Provider)[] & { identifier?: string }[]

function medusaProvider(identifier: string, options: Record<string, unknown> = {}): Provider {
  const Service = (medusaStripe as any).services.find((s: any) => s.identifier === identifier)
  const provider = new Service({}, { apiKey: API_KEY, webhookSecret: WEBHOOK_SECRET, ...options })
  provider.stripe_ = new MedusaStripeSdk(API_KEY, { ...harness.localStripe.stripeConfig, maxNetworkRetries: 0 })
  return provider
}

function ourProvider(identifier: string, options: Record<string, unknown> = {}): Provider {
  const Service = (ours as any).services.find((s: any) => s.identifier === identifier)
  return new Service(
    {},
    { apiKey: API_KEY, webhookSecret: WEBHOOK_SECRET, apiBaseUrl: harness.localStripe.url, maxNetworkRetries: 0, ...options }
  )
}

/** Both providers initiate with the same input (their own session ids); the intents as Stripe holds them. */
async function initiateBoth(identifier: string, amount: string, currency: string, options: Record<string, unknown> = {}, data: Record<string, unknown> = {}) {
  const intents = []
  for (const provider of [medusaProvider(identifier, options), ourProvider(identifier, options)]) {
    const sessionId = nextSessionId()
    const result = await provider.initiatePayment({
      amount,
      currency_code: currency,
      data: { ...data, session_id: sessionId },
      context: { idempotency_key: sessionId },
    })
    intents.push({ result, intent: await harness.sdk.paymentIntents.retrieve(result.id) })
  }
  return { medusa: intents[0], ours: intents[1] }
}

/** What an intent asks Stripe to do, without what is unique to each intent. */
function requestOf(intent: any) {
  const { session_id, ...metadata } = intent.metadata
  return {
    amount: intent.amount,
    currency: intent.currency,
    capture_method: intent.capture_method,
    payment_method_types: intent.payment_method_types,
    payment_method_options: intent.payment_method_options,
    description: intent.description,
    has_session_id: typeof session_id === "string",
    metadata,
    status: intent.status,
  }
}

describe("options and variants, as @medusajs/payment-stripe 2.21.2", () => {
  it("registers the same provider identifiers (pp_<identifier>_<id>)", () => {
    const identifiers = (provider: any) => servicesOf(provider).map((s: any) => s.identifier).sort()
    expect(identifiers(ours)).toEqual(identifiers(medusaStripe))
    expect(identifiers(ours)).toEqual([
      "stripe",
      "stripe-bancontact",
      "stripe-blik",
      "stripe-giropay",
      "stripe-ideal",
      "stripe-oxxo",
      "stripe-promptpay",
      "stripe-przelewy24",
    ])
  })

  it("accepts every option Medusa's StripeOptions declares", () => {
    // Read from Medusa's published types, so a new option there fails here.
    const types = fs.readFileSync(
      path.join(path.dirname(require.resolve("@medusajs/payment-stripe")), "types", "index.d.ts"),
      "utf8"
    )
    const body = types.slice(types.indexOf("interface StripeOptions"), types.indexOf("interface PaymentIntentOptions"))
    const names = [...body.matchAll(/^\s+(\w+)\??:/gm)].map((m) => m[1])
    expect(names).toEqual([
      "apiKey",
      "webhookSecret",
      "capture",
      "automaticPaymentMethods",
      "paymentMethodConfiguration",
      "paymentDescription",
      "oxxoExpiresDays",
      "asyncPaymentMethodTypes",
    ])
    const medusaDocsOptions = {
      apiKey: API_KEY,
      webhookSecret: WEBHOOK_SECRET,
      capture: true,
      automaticPaymentMethods: true,
      paymentMethodConfiguration: "pmc_123",
      paymentDescription: "Medusa order",
      oxxoExpiresDays: 5,
      asyncPaymentMethodTypes: ["sepa_debit"],
    }
    expect(Object.keys(medusaDocsOptions)).toEqual(names)
    for (const Service of servicesOf(ours)) {
      expect(() => (Service as any).validateOptions(medusaDocsOptions)).not.toThrow()
      expect(() => new (Service as any)({}, medusaDocsOptions)).not.toThrow()
    }
  })

  it.each([
    ["stripe", "usd", {}],
    ["stripe-bancontact", "eur", {}],
    ["stripe-blik", "pln", {}],
    ["stripe-giropay", "eur", {}],
    ["stripe-ideal", "eur", {}],
    ["stripe-przelewy24", "pln", {}],
    ["stripe-promptpay", "thb", {}],
    ["stripe-oxxo", "mxn", { oxxoExpiresDays: 5 }],
    ["stripe-oxxo", "mxn", {}],
    ["stripe", "usd", { capture: true, paymentDescription: "Medusa order" }],
  ])("%s (%s, %j) asks Stripe for the same intent", async (identifier, currency, options) => {
    const both = await initiateBoth(identifier, "10.814175", currency, options)
    const medusa = requestOf(both.medusa.intent)
    const mine = requestOf(both.ours.intent)
    // The one difference: Medusa's exact amount beside Stripe's (README).
    expect(mine.metadata).toEqual({ ...medusa.metadata, medusa_amount: "10.814175" })
    expect({ ...mine, metadata: null }).toEqual({ ...medusa, metadata: null })
    expect(both.ours.result.status).toBe(both.medusa.result.status)
    if (identifier === "stripe-oxxo") {
      // The local Stripe echoes payment_method_options as form-encoded (strings).
      expect(Number((mine.payment_method_options as any).oxxo.expires_after_days)).toBe((options as any).oxxoExpiresDays ?? 3)
    }
  })
})

describe("amounts, as @medusajs/payment-stripe rounds them", () => {
  it.each([
    ["10.814175", "usd"], // 9.99 + 8.25 % tax
    ["2.675", "usd"], // half a cent
    ["2.674999", "usd"],
    ["200.129", "usd"],
    ["0.995", "eur"],
    ["19.999", "eur"],
    ["100.5", "jpy"],
    ["1999.4", "jpy"],
    ["12", "usd"],
  ])("%s %s: the same integer at Stripe", async (amount, currency) => {
    const both = await initiateBoth("stripe", amount, currency)
    expect(both.ours.intent.amount).toBe(both.medusa.intent.amount)
    expect(MathBN.eq(both.ours.result.amount_sent, MathBN.div(both.ours.intent.amount, currency === "jpy" ? 1 : 100))).toBe(true)
  })

  it("three-decimal currencies: half up to Stripe's step where Medusa rounds up (README)", async () => {
    const both = await initiateBoth("stripe", "5.124", "kwd")
    expect(both.medusa.intent.amount).toBe(5130)
    expect(both.ours.intent.amount).toBe(5120)
    const exact = await initiateBoth("stripe", "5.125", "kwd")
    expect(exact.ours.intent.amount).toBe(exact.medusa.intent.amount)
  })

  it("a refund finer than a cent refunds the same at Stripe", async () => {
    const refunded: number[] = []
    for (const provider of [medusaProvider("stripe", { capture: true }), ourProvider("stripe", { capture: true })]) {
      const sessionId = nextSessionId()
      const { id } = await provider.initiatePayment({
        amount: "10",
        currency_code: "usd",
        data: { session_id: sessionId, payment_method: "pm_card_visa", confirm: true },
        context: { idempotency_key: sessionId },
      })
      const intent = await harness.sdk.paymentIntents.retrieve(id)
      expect(intent.status).toBe("succeeded")
      await provider.refundPayment({ data: { ...intent }, amount: "1.005", currency_code: "usd", context: { idempotency_key: `${sessionId}_ref` } })
      const refunds = await harness.sdk.refunds.list({ payment_intent: id })
      refunded.push(refunds.data.reduce((sum, r) => sum + r.amount, 0))
    }
    expect(refunded).toEqual([101, 101])
  })
})

describe("statuses and webhooks, as @medusajs/payment-stripe", () => {
  it.each([
    ["no payment method", {}, "pending"],
    ["a payment method, not confirmed", { payment_method: "pm_card_visa" }, "pending"],
    ["confirmed, manual capture", { payment_method: "pm_card_visa", confirm: true }, "authorized"],
    ["confirmed, 3-D Secure required", { payment_method: "pm_card_threeDSecure2Required", confirm: true, return_url: "https://shop.example/return" }, "requires_more"],
    ["declined", { payment_method: "pm_card_chargeDeclined", confirm: true }, "error"],
  ])("getPaymentStatus of an intent with %s", async (_what, data, expected) => {
    const both = await initiateBoth("stripe", "20", "usd", {}, data)
    const statuses = []
    for (const [provider, intent] of [
      [medusaProvider("stripe"), both.medusa.intent],
      [ourProvider("stripe"), both.ours.intent],
    ] as const) {
      statuses.push((await provider.getPaymentStatus({ data: { id: intent.id } })).status)
    }
    expect(statuses).toEqual([expected, expected])
  })

  it("maps each webhook Stripe sent to the same action, session and amount", async () => {
    const both = await initiateBoth("stripe", "10.814175", "usd", {}, { payment_method: "pm_card_visa", confirm: true })
    await harness.localStripe.waitForWebhooks(5000)
    const deliveries = harness.webhooks.filter((w) => (w.data.data as any).object.id === both.ours.intent.id)
    expect(deliveries.map((d) => d.data.type).sort()).toEqual(
      expect.arrayContaining(["payment_intent.amount_capturable_updated", "payment_intent.created"])
    )
    for (const delivery of deliveries) {
      const payload = { data: delivery.data, rawData: delivery.rawData, headers: delivery.headers }
      const medusa = await medusaProvider("stripe").getWebhookActionAndData(payload)
      const mine = await ourProvider("stripe").getWebhookActionAndData(payload)
      expect(mine.action).toBe(medusa.action)
      expect(mine.data?.session_id).toBe(medusa.data?.session_id)
      expect(MathBN.eq(mine.data!.amount, medusa.data!.amount)).toBe(true)
    }
  })
})
