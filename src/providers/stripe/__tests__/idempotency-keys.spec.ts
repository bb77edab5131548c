import { buildIdempotencyKey, fingerprint } from "../idempotency"
import { StripeProviderService } from "../service"
import { startScriptedStripe } from "./scripted-stripe"

type Scripted = Awaited<ReturnType<typeof startScriptedStripe>>

const intent = (fields: Record<string, unknown> = {}) => ({
  id: "pi_1",
  object: "payment_intent",
  amount: 1000,
  amount_capturable: 1000,
  amount_received: 0,
  currency: "usd",
  status: "requires_capture",
  metadata: { session_id: "payses_1" },
  ...fields,
})

describe("idempotency keys sent to Stripe", () => {
  let stripe: Scripted
  let provider: StripeProviderService

  beforeAll(async () => {
    stripe = await startScriptedStripe()
    provider = new StripeProviderService({}, { apiKey: "sk_test_keys", apiBaseUrl: stripe.url, maxNetworkRetries: 0 })
  })
  afterAll(() => stripe.close())
  beforeEach(() => stripe.seen.splice(0))

  const ok = (body: unknown) => ({ status: 200, body })

  it("initiate uses the session id + :initiate; reads carry no key", async () => {
    stripe.reply(ok(intent({ status: "requires_payment_method" })))
    await provider.initiatePayment({ amount: 10, currency_code: "usd", data: { session_id: "payses_1" }, context: { idempotency_key: "payses_1" } })
    stripe.reply(ok(intent()))
    await provider.retrievePayment({ data: { id: "pi_1" } })
    expect(stripe.seen.map((r) => [r.method, r.idempotencyKey])).toEqual([
      ["POST", "payses_1:initiate"],
      ["GET", undefined],
    ])
    // metadata.session_id ties webhooks back to the session
    expect(stripe.seen[0].body.get("metadata[session_id]")).toBe("payses_1")
    expect(stripe.seen[0].body.get("capture_method")).toBe("manual")
  })

  it("falls back to data.session_id when the module gives no key", async () => {
    stripe.reply(ok(intent()))
    await provider.initiatePayment({ amount: 10, currency_code: "usd", data: { session_id: "payses_9" } })
    expect(stripe.seen[0].idempotencyKey).toBe("payses_9:initiate")
  })

  it("update carries a revision and the new amount, so no two updates share a key", async () => {
    let data: Record<string, unknown> = intent({ status: "requires_payment_method" })
    const keys: string[] = []
    for (const [amount, minor] of [["20", 2000], ["10", 1000], ["20", 2000]] as const) {
      const revision = keys.length + 1
      stripe.reply(ok(intent({ amount: minor, metadata: { session_id: "payses_1", medusa_amount_revision: String(revision) } })))
      data = (await provider.updatePayment({ amount, currency_code: "usd", data, context: { idempotency_key: "payses_1" } })).data!
      keys.push(stripe.seen[stripe.seen.length - 1].idempotencyKey!)
    }
    expect(keys).toEqual(["payses_1:update:r1:2000usd", "payses_1:update:r2:1000usd", "payses_1:update:r3:2000usd"])
    expect(new Set(keys).size).toBe(3)
  })

  it("authorize confirms with a key naming the payment method", async () => {
    stripe.reply(ok(intent({ status: "requires_confirmation", payment_method: "pm_visa" })), ok(intent()))
    await provider.authorizePayment({ data: intent(), context: { idempotency_key: "payses_1" } })
    expect(stripe.seen.map((r) => [r.method, r.path, r.idempotencyKey])).toEqual([
      ["GET", "/v1/payment_intents/pi_1", undefined],
      ["POST", "/v1/payment_intents/pi_1/confirm", "payses_1:authorize:pm_visa"],
    ])
  })

  it("capture, refund, cancel and delete use the module's ids with distinct suffixes", async () => {
    stripe.reply(ok(intent({ status: "succeeded" })), ok({ id: "re_1", object: "refund", amount: 100 }), ok(intent({ status: "canceled" })), ok(intent({ status: "canceled" })))
    await provider.capturePayment({ data: intent(), amount: "7.5", currency_code: "usd", context: { idempotency_key: "capt_1" } } as never)
    await provider.refundPayment({ data: intent({ status: "succeeded" }), amount: "1", context: { idempotency_key: "ref_1" } })
    await provider.cancelPayment({ data: intent(), context: { idempotency_key: "pay_1" } })
    await provider.deletePayment({ data: intent(), context: { idempotency_key: "payses_1" } })
    expect(stripe.seen.map((r) => r.idempotencyKey)).toEqual(["capt_1:capture", "ref_1:refund", "pay_1:cancel", "payses_1:delete"])
    expect(stripe.seen[0].body.get("amount_to_capture")).toBe("750")
    expect(stripe.seen[1].body.get("amount")).toBe("100")
  })

  it("captures and refunds without a module key never share one", async () => {
    stripe.reply(ok(intent({ status: "succeeded" })), ok(intent({ status: "succeeded" })))
    await provider.capturePayment({ data: intent() })
    await provider.capturePayment({ data: intent() })
    const [a, b] = stripe.seen.map((r) => r.idempotencyKey!)
    expect(a).toMatch(/:capture$/)
    expect(a).not.toBe(b)
  })

  it("customers and payment methods get keys too", async () => {
    const customer = { id: "cus_medusa", email: "a@example.com" }
    stripe.reply(
      ok({ id: "cus_1", object: "customer" }),
      ok({ id: "cus_1", object: "customer" }),
      ok({ id: "cus_1", object: "customer", deleted: true }),
      ok({ id: "seti_1", object: "setup_intent" }),
      ok({ id: "pm_1", object: "payment_method" })
    )
    await provider.createAccountHolder({ context: { customer, idempotency_key: "cus_medusa" } })
    await provider.updateAccountHolder({ context: { account_holder: { data: { id: "cus_1" } }, customer: { ...customer, first_name: "A" } } })
    await provider.deleteAccountHolder({ context: { account_holder: { data: { id: "cus_1" } } } })
    await provider.savePaymentMethod({ context: { account_holder: { data: { id: "cus_1" } } }, data: {} })
    await provider.deletePaymentMethod({ data: { id: "pm_1" } })
    const keys = stripe.seen.map((r) => r.idempotencyKey)
    expect(keys[0]).toMatch(/^cus_medusa:create-customer:[0-9a-f]{16}$/)
    expect(keys[1]).toMatch(/^cus_1:update-customer:[0-9a-f]{16}$/)
    expect(keys[2]).toBe("cus_1:delete-customer")
    expect(keys[3]).toMatch(/^cus_1:save-payment-method:[0-9a-f]{16}$/)
    expect(keys[4]).toBe("pm_1:detach")
  })
})

describe("buildIdempotencyKey", () => {
  it("joins base, operation and details", () => {
    expect(buildIdempotencyKey("payses_1", "update", "r2", "1000usd")).toBe("payses_1:update:r2:1000usd")
  })

  it("makes up a random base when there is none", () => {
    const a = buildIdempotencyKey(undefined, "refund")
    expect(a).toMatch(/^random-[0-9a-f-]{36}:refund$/)
    expect(buildIdempotencyKey("", "refund")).not.toBe(a)
  })

  it("keeps keys within Stripe's 255 characters, stable and distinct", () => {
    const long = "x".repeat(300)
    const key = buildIdempotencyKey(long, "capture")
    expect(key.length).toBeLessThanOrEqual(255)
    expect(buildIdempotencyKey(long, "capture")).toBe(key)
    expect(buildIdempotencyKey(long, "refund")).not.toBe(key)
  })

  it("fingerprints ignore key order", () => {
    expect(fingerprint({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(fingerprint({ b: [1, { d: 3, c: 2 }], a: 1 }))
    expect(fingerprint({ a: 1 })).not.toBe(fingerprint({ a: 2 }))
  })
})
