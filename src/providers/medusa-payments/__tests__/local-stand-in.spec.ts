import { createHmac } from "crypto"
import { startLocalMedusaPayments, type LocalMedusaPayments } from "../../../../local-medusa-payments"

/** The local stand-in by itself, over plain HTTP: keys, states, idempotency, signatures. */

let local: LocalMedusaPayments

beforeAll(async () => {
  local = await startLocalMedusaPayments()
})

afterAll(async () => {
  await local?.close()
})

beforeEach(() => local.reset())

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${local.url}${path}`, {
    method,
    headers: {
      "content-type": "application/json",
      authorization: `Basic ${local.apiKey}`,
      "x-medusa-environment-handle": local.environmentHandle!,
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: response.status, body: (await response.json()) as any }
}

describe("the local Medusa Payments", () => {
  it.each([
    ["another API key", { authorization: "Basic mp_wrong" }],
    ["a Bearer token", { authorization: `Bearer ${"mp_test_local_key"}` }],
    ["another environment handle", { "x-medusa-environment-handle": "someone-else" }],
  ])("refuses %s with 401 MedusaAuthenticationError", async (_name, headers) => {
    const answer = await call("POST", "/payments", { amount: 100, currency: "usd" }, headers)
    expect(answer).toEqual({ status: 401, body: expect.objectContaining({ type: "MedusaAuthenticationError" }) })
    expect(local.state.payments.size).toBe(0)
  })

  it("takes a payment from created through authorized and captured to partially refunded", async () => {
    const created = await call("POST", "/payments", { amount: 1000, currency: "usd", metadata: { session_id: "s1" } })
    expect(created.body.payment).toMatchObject({ status: "requires_payment_method", amount: 1000, capture_method: "manual" })
    const id = created.body.payment.id

    expect((await call("POST", `/payments/${id}`, { amount: 1200 })).body.payment).toMatchObject({ amount: 1200 })
    local.confirm(id)
    expect((await call("GET", `/payments/${id}`)).body.payment).toMatchObject({ status: "requires_capture", amount_capturable: 1200 })
    expect(await call("POST", `/payments/${id}`, { amount: 1300 })).toMatchObject({
      status: 400,
      body: { type: "MedusaPaymentUnexpectedStateError", data: { id, amount: 1200 } },
    })

    expect((await call("POST", `/payments/${id}/capture`, {})).body.payment).toMatchObject({ status: "succeeded", amount_received: 1200 })
    expect((await call("POST", `/payments/${id}/refund`, { amount: 200 })).body.refund).toMatchObject({ amount: 200, payment_intent: id })
    expect(await call("POST", `/payments/${id}/refund`, { amount: 1001 })).toMatchObject({
      status: 400,
      body: { type: "MedusaInvalidRequestError" },
    })
    expect(await call("POST", `/payments/${id}/cancel`, {})).toMatchObject({
      status: 400,
      body: { type: "MedusaPaymentUnexpectedStateError", data: { status: "succeeded", amount_refunded: 200 } },
    })
    expect(local.events.map((e) => e.type)).toEqual([
      "payment_intent.created",
      "payment_intent.amount_capturable_updated",
      "payment_intent.succeeded",
      "refund.created",
    ])
  })

  it("cancels what was not captured, and declines the declined card with the payment attached", async () => {
    const { body } = await call("POST", "/payments", { amount: 500, currency: "eur" })
    expect((await call("POST", `/payments/${body.payment.id}/cancel`, {})).body.payment).toMatchObject({ status: "canceled" })
    const declined = await call("POST", "/payments", {
      amount: 500,
      currency: "eur",
      payment_method: "pm_card_chargeDeclined",
      confirm: true,
    })
    expect(declined).toMatchObject({
      status: 402,
      body: { type: "MedusaCardError", data: { status: "requires_payment_method", last_payment_error: { code: "card_declined" } } },
    })
  })

  it("replays a repeated idempotency key with the same body, and refuses it with another body", async () => {
    const first = await call("POST", "/payments", { amount: 100, currency: "usd", idempotency_key: "k1" })
    const again = await call("POST", "/payments", { currency: "usd", amount: 100, idempotency_key: "k1" })
    expect(again).toEqual(first)
    expect(local.state.payments.size).toBe(1)
    expect(await call("POST", "/payments", { amount: 200, currency: "usd", idempotency_key: "k1" })).toMatchObject({
      status: 400,
      body: { type: "MedusaIdempotencyError" },
    })
    // Keys are scoped to the route: the same key on another payment route is a request of its own.
    const id = first.body.payment.id
    expect((await call("POST", `/payments/${id}/cancel`, { idempotency_key: "k1" })).status).toBe(200)
  })

  it("signs deliveries as HMAC-SHA256 of `t.body` in medusa-payments-signature", () => {
    local.state.createPayment({ amount: 1, currency: "usd" })
    const delivery = local.delivery(local.events[0], { timestamp: 1_700_000_000 })
    const expected = createHmac("sha256", local.webhookSecret).update(`1700000000.${delivery.rawData.toString()}`).digest("hex")
    expect(delivery.headers["medusa-payments-signature"]).toBe(`t=1700000000,v1=${expected}`)
    expect(delivery.data).toEqual(JSON.parse(delivery.rawData.toString()))
  })

  it("lets the customer's side confirm over HTTP without the API key", async () => {
    const { body } = await call("POST", "/payments", { amount: 100, currency: "usd", capture_method: "automatic" })
    const confirmed = await fetch(`${local.url}/_local/payments/${body.payment.id}/confirm`, {
      method: "POST",
      body: JSON.stringify({ payment_method: "pm_card_visa" }),
    })
    expect(((await confirmed.json()) as any).payment).toMatchObject({ status: "succeeded", amount_received: 100 })
  })
})
