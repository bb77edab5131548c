import { createServer } from "http"
import type { AddressInfo } from "net"
import { MathBN, MedusaError } from "@medusajs/framework/utils"
import { isOutcomeUnknown } from "../../../utils/errors"
import { fromWireAmount, toWireAmount } from "../amounts"
import type { ClientSettings } from "../client"
import { MedusaPaymentsProvider } from "../service"
import { webhookSignatureHeader } from "../webhooks"
import { startLocalMedusaPayments, type LocalMedusaPayments } from "../../../../local-medusa-payments"

/** What the differential test cannot show: this provider's own rules for amounts, failures and webhooks. */

let local: LocalMedusaPayments

class QuickProvider extends MedusaPaymentsProvider {
  protected clientSettings(): ClientSettings {
    return { timeoutMs: 300, retries: 2, retryBaseDelayMs: 5 }
  }
}

function provider(overrides: Record<string, unknown> = {}) {
  return new QuickProvider(
    {},
    {
      api_key: local.apiKey,
      endpoint: local.url,
      webhook_secret: local.webhookSecret,
      environment_handle: local.environmentHandle,
      ...overrides,
    }
  )
}

beforeAll(async () => {
  local = await startLocalMedusaPayments()
})

afterAll(async () => {
  await local?.close()
})

beforeEach(() => local.reset())

const initiate = (p = provider(), amount: unknown = "10", currency = "usd") =>
  p.initiatePayment({ amount: amount as string, currency_code: currency, data: { session_id: "payses_t" }, context: { idempotency_key: "payses_t" } })

describe("amounts on the wire", () => {
  it.each([
    ["10.814175", "usd", 1081, "10.81"],
    ["10.815", "usd", 1082, "10.82"],
    ["1.005", "usd", 101, "1.01"],
    ["1234", "jpy", 1234, "1234"],
    ["1234.5", "jpy", 1235, "1235"],
    ["5.124", "kwd", 5120, "5.12"],
    ["5.125", "kwd", 5130, "5.13"],
    ["2.5", "iqd", 2500, "2.5"],
    ["1000", "isk", 100000, "1000"],
    ["12.5", "mga", 13, "13"],
    [{ value: "0.1", precision: 20 }, "usd", 10, "0.1"],
    [0, "eur", 0, "0"],
  ])("%p %s → %d minor units (%s sent)", (amount, currency, minor, sent) => {
    expect(toWireAmount(amount, currency)).toEqual({ minorUnits: minor, sent })
  })

  it("is exact where floating point is not (0.1 + 0.2 stays 30 cents; integers up to 2^53 - 1)", () => {
    expect(toWireAmount(MathBN.add("0.1", "0.2").toFixed(), "usd").minorUnits).toBe(30)
    expect(toWireAmount("90071992547409.91", "usd").minorUnits).toBe(Number.MAX_SAFE_INTEGER)
    expect(() => toWireAmount("90071992547409.92", "usd")).toThrow(/too large/)
  })

  it.each([
    ["-1", "usd", /negative/],
    ["abc", "usd", /decimal string/],
    ["1", "xyz", /not an ISO 4217 currency/],
  ])("refuses %p %s", (amount, currency, message) => {
    expect(() => toWireAmount(amount, currency)).toThrow(message)
  })

  it("reads the service's integers back exactly, and refuses anything else", () => {
    expect(fromWireAmount(1081, "usd")).toBe("10.81")
    expect(fromWireAmount(5130, "kwd")).toBe("5.13")
    expect(() => fromWireAmount(10.5, "usd")).toThrow(MedusaError)
    expect(() => fromWireAmount("1081", "usd")).toThrow(MedusaError)
  })
})

describe("failures, and which ones may have moved money", () => {
  const reachedCapture = async () => {
    const p = provider()
    const payment = await p.initiatePayment({
      amount: 10,
      currency_code: "usd",
      data: { session_id: "payses_c", payment_method: "pm_card_visa", confirm: true },
      context: {},
    })
    return { p, data: payment.data! }
  }

  it("no answer in time: outcome unknown", async () => {
    const { p, data } = await reachedCapture()
    local.failNext({ path: /\/capture$/, hang: true })
    const error = await p.capturePayment({ data, context: { idempotency_key: "capt" } }).catch((e) => e)
    expect(error).toBeInstanceOf(MedusaError)
    expect(isOutcomeUnknown(error)).toBe(true)
    expect(error.message).toMatch(/no answer within 300 ms/)
  })

  it("the service unreachable before anything was sent: a known failure", async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve))
    const { port } = closed.address() as AddressInfo
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const error = await initiate(provider({ endpoint: `http://127.0.0.1:${port}` })).catch((e) => e)
    expect(error).toMatchObject({ type: MedusaError.Types.UNEXPECTED_STATE })
    expect(isOutcomeUnknown(error)).toBe(false)
    expect(error.message).toMatch(/ECONNREFUSED.*nothing was sent/)
  })

  it.each([
    ["a 500 without a body", { status: 500, body: {} }, true, MedusaError.Types.UNEXPECTED_STATE],
    ["a 409 (the key is still being worked on)", { status: 409, body: { message: "in progress" } }, true, MedusaError.Types.UNEXPECTED_STATE],
    ["MedusaAPIError", { status: 502, body: { type: "MedusaAPIError", message: "indeterminate" } }, true, MedusaError.Types.UNEXPECTED_STATE],
    ["a 400", { status: 400, body: { type: "MedusaInvalidRequestError", message: "bad amount" } }, false, MedusaError.Types.INVALID_DATA],
    ["a 401", { status: 401, body: { type: "MedusaAuthenticationError", message: "bad key" } }, false, MedusaError.Types.UNAUTHORIZED],
    ["a 429 without a type", { status: 429, body: { message: "slow down" } }, false, MedusaError.Types.CONFLICT],
    ["a card error without the payment", { status: 402, body: { type: "MedusaCardError", message: "declined" } }, false, MedusaError.Types.PAYMENT_AUTHORIZATION_ERROR],
  ])("%s: outcome unknown %p, type %s", async (_name, answer, unknown, type) => {
    local.failNext({ answer })
    const error = await initiate().catch((e) => e)
    expect(error).toBeInstanceOf(MedusaError)
    expect(isOutcomeUnknown(error)).toBe(unknown)
    expect(error.type).toBe(type)
  })

  it("MedusaConnectionError and MedusaRateLimitError are sent again, and after the last retry the outcome is unknown", async () => {
    for (let i = 0; i < 3; i++) {
      local.failNext({ answer: { status: 503, body: { type: i % 2 ? "MedusaRateLimitError" : "MedusaConnectionError", message: "later" } } })
    }
    const error = await initiate().catch((e) => e)
    expect(isOutcomeUnknown(error)).toBe(true)
    expect(local.requests).toHaveLength(3)
    expect(local.state.payments.size).toBe(0)
  })

  it("a 2xx that is not JSON: outcome unknown", async () => {
    const { p, data } = await reachedCapture()
    local.failNext({ path: /\/capture$/, answer: { status: 200, body: { unexpected: true } }, afterHandling: true })
    const error = await p.capturePayment({ data, context: { idempotency_key: "capt" } }).catch((e) => e)
    expect(isOutcomeUnknown(error)).toBe(true)
    expect(error.message).toMatch(/no payment/)
  })

  it("a refund the service refuses with the payment attached is an error, never a refund", async () => {
    const { p, data } = await reachedCapture()
    const error = await p.refundPayment({ data, amount: 1, context: {} }).catch((e) => e)
    expect(error).toMatchObject({ type: MedusaError.Types.NOT_ALLOWED })
    expect(local.state.refunds.size).toBe(0)
  })

  it("a refund in another currency than the payment's is refused before it is sent", async () => {
    const { p, data } = await reachedCapture()
    const error = await p.refundPayment({ data, amount: 1, currency_code: "eur", context: {} } as any).catch((e) => e)
    expect(error).toMatchObject({ type: MedusaError.Types.INVALID_DATA })
    expect(error.message).toMatch(/EUR, but the payment is in USD/)
  })

  it("a capture with stale data reads the payment before judging the amount", async () => {
    const { p, data } = await reachedCapture()
    const stale = { id: data.id, currency: "usd", status: "requires_payment_method" }
    await expect(p.capturePayment({ data: stale, amount: "4", currency_code: "usd", context: {} } as any)).rejects.toMatchObject({
      type: MedusaError.Types.NOT_ALLOWED,
    })
    const captured = await p.capturePayment({ data: stale, amount: "10", currency_code: "usd", context: {} } as any)
    expect(captured).toMatchObject({ data: { status: "succeeded", amount_received: 1000 }, amount_sent: "10" })
    expect(local.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /payments",
      `GET /payments/${data.id}`,
      `GET /payments/${data.id}`,
      `POST /payments/${data.id}/capture`,
    ])
  })

  it("calls that need the payment's id refuse data without one, before sending anything", async () => {
    const p = provider()
    for (const call of [
      () => p.authorizePayment({ data: {} }),
      () => p.getPaymentStatus({ data: {} }),
      () => p.retrievePayment({ data: {} }),
      () => p.capturePayment({ data: {} }),
      () => p.refundPayment({ data: {}, amount: 1 }),
      () => p.updatePayment({ data: {}, amount: 1, currency_code: "usd" }),
    ]) {
      await expect(call()).rejects.toMatchObject({ type: MedusaError.Types.INVALID_DATA })
    }
    expect(local.requests).toEqual([])
  })
})

describe("webhooks", () => {
  const secret = () => local.webhookSecret
  const signed = (event: unknown, timestamp?: number) => {
    const raw = JSON.stringify(event)
    return { data: JSON.parse(raw), rawData: raw, headers: { "Medusa-Payments-Signature": webhookSignatureHeader(raw, secret(), timestamp) } }
  }

  it("reads the header whatever its case, and the raw body as string, Buffer or serialized Buffer", async () => {
    const event = { type: "payment_intent.succeeded", data: { object: { amount_received: 1081, currency: "usd", metadata: { session_id: "payses_w" } } } }
    const delivery = signed(event)
    const p = provider()
    for (const rawData of [delivery.rawData, Buffer.from(delivery.rawData), Buffer.from(delivery.rawData).toJSON()]) {
      const result = await p.getWebhookActionAndData({ ...delivery, rawData: rawData as any })
      expect(result.action).toBe("captured")
      expect(MathBN.convert(result.data!.amount).toFixed()).toBe("10.81")
    }
  })

  it("trusts the signed bytes, not the parsed data beside them", async () => {
    const event = { type: "payment_intent.succeeded", data: { object: { amount_received: 100, currency: "usd", metadata: { session_id: "payses_w" } } } }
    const delivery = signed(event)
    const result = await provider().getWebhookActionAndData({ ...delivery, data: { ...delivery.data, type: "payment_intent.canceled" } })
    expect(result.action).toBe("captured")
  })

  it.each([
    ["an event type Medusa does not act on", { type: "charge.dispute.created", data: { object: { metadata: { session_id: "payses_w" } } } }],
    ["a payment without a session id (not this store's)", { type: "payment_intent.succeeded", data: { object: { amount_received: 1, currency: "usd", metadata: {} } } }],
    ["an event without an object", { type: "payment_intent.succeeded", data: {} }],
  ])("%s is not_supported", async (_name, event) => {
    await expect(provider().getWebhookActionAndData(signed(event))).resolves.toEqual({ action: "not_supported" })
  })

  it("refuses a delivery without its raw body", async () => {
    const delivery = signed({ type: "payment_intent.succeeded" })
    await expect(provider().getWebhookActionAndData({ ...delivery, rawData: undefined as any })).rejects.toMatchObject({
      type: MedusaError.Types.INVALID_DATA,
      message: expect.stringContaining("raw request body"),
    })
  })
})
