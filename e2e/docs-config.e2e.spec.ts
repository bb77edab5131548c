import { startEnvironment, type Environment } from "./harness/environment"
import { adminOrder, moneyFacts, stripeFacts } from "./harness/facts"
import { placeOrder } from "./harness/orders"

// A store whose medusa-config.ts is Medusa's documented Stripe setup
// (e2e/fixtures/docs-config-store) with only `resolve` changed to this
// package, installed in its node_modules: it boots, registers the providers
// Medusa's Stripe package registers, and takes a card payment to an order,
// captured from the admin.

jest.setTimeout(180_000)

let env: Environment

beforeAll(async () => {
  env = await startEnvironment({ name: "docs_config", app: "docs-config-store" })
})

afterAll(async () => {
  await env?.stop()
})

it("registers pp_stripe_stripe and every variant Medusa's Stripe package registers", async () => {
  const { payment_providers } = await env.admin().get("/admin/payments/payment-providers?limit=50")
  const ids = payment_providers.map((p: { id: string }) => p.id).sort()
  expect(ids).toEqual(
    expect.arrayContaining([
      "pp_stripe_stripe",
      "pp_stripe-bancontact_stripe",
      "pp_stripe-blik_stripe",
      "pp_stripe-giropay_stripe",
      "pp_stripe-ideal_stripe",
      "pp_stripe-oxxo_stripe",
      "pp_stripe-promptpay_stripe",
      "pp_stripe-przelewy24_stripe",
      "pp_system_default",
    ])
  )
})

it("checks out with a card and captures from the admin", async () => {
  const placed = await placeOrder(env, "pp_stripe_stripe")
  await env.admin().post(`/admin/payments/${placed.paymentId}/capture`, {})
  expect((await moneyFacts(env, placed.sessionId)).captured).toBe(35)
  expect(await stripeFacts(env, placed.intentId!)).toMatchObject({ status: "succeeded", amount_received: 3500 })
  expect((await adminOrder(env.admin(), placed.orderId)).payment_status).toBe("captured")
})
