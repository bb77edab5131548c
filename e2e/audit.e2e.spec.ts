import { spawn } from "node:child_process"
import path from "node:path"
import { MEDUSA_WEBHOOK_DELAY_MS, sleep, startEnvironment, WEBHOOK_SECRET, type Environment } from "./harness/environment"
import { placeOrder } from "./harness/orders"
import { checkoutUpToPayment } from "./harness/storefront"

// The three-way audit (issue 22): the provider's records (the local Stripe's
// intents), the module's books and the orders, through
// GET /admin/payment-plus/audit and `npx medusa-payment-plus audit` run in
// the store's folder. Clean after ordinary checkouts, captures and refunds;
// each disagreement named when the three are made to differ.

jest.setTimeout(300_000)

const ROOT = path.resolve(__dirname, "..")
let env: Environment
const since = new Date(Date.now() - 60_000).toISOString()

beforeAll(async () => {
  env = await startEnvironment({ name: "audit" })
})

afterAll(async () => {
  await env?.stop()
})

async function audit() {
  return await env.admin().get(`/admin/payment-plus/audit?from=${encodeURIComponent(since)}`)
}

/**
 * `npx medusa-payment-plus audit` in the store's folder (this repository is
 * one), against the suite's store. Asynchronous: the local Stripe it asks
 * runs in this process.
 */
function auditCommand(...args: string[]): Promise<{ status: number | null; output: string }> {
  const child = spawn(process.execPath, [path.join(ROOT, "dist", "cli", "index.js"), "audit", "--from", since, ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: env.databaseUrl,
      STRIPE_API_KEY: "",
      STRIPE_API_BASE_URL: env.local.url,
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      REDIS_URL: "",
      NODE_ENV: "development",
      MEDUSA_ADMIN: "false",
    },
  })
  let output = ""
  child.stdout.on("data", (chunk) => (output += chunk))
  child.stderr.on("data", (chunk) => (output += chunk))
  return new Promise((resolve) => child.once("exit", (status) => resolve({ status, output })))
}

describe("the three-way audit", () => {
  it("finds nothing after checkouts, captures and refunds; the command exits 0", async () => {
    const stripe = await placeOrder(env, "pp_stripe_stripe")
    await env.admin().post(`/admin/payments/${stripe.paymentId}/capture`, {})
    await env.admin().post(`/admin/payments/${stripe.paymentId}/refund`, { amount: 5 })
    const partial = await placeOrder(env, "pp_stripe_stripe")
    await env.admin().post(`/admin/payments/${partial.paymentId}/capture`, { amount: 20 })
    const manual = await placeOrder(env, "pp_system_default")
    await env.admin().post(`/admin/payments/${manual.paymentId}/capture`, {})
    const authorizedOnly = await placeOrder(env, "pp_stripe_stripe")
    expect(authorizedOnly.orderId).toMatch(/^order_/)
    await sleep(MEDUSA_WEBHOOK_DELAY_MS + 2000) // the captures' and refunds' webhooks processed

    const report = await audit()
    expect(report).toMatchObject({ sessions: 4, truncated: false, disagreements: [] })
    const command = await auditCommand()
    expect(command.output).toMatch(/Payment audit .*: 4 payment sessions, 0 disagreement\(s\)\./)
    expect(command.status).toBe(0)
  })

  it("names money held without an order, a refund at Stripe the books lack, and a capture the order lacks; the command exits 2", async () => {
    // Paid at Stripe, its webhooks lost, never placed.
    env.local.setWebhookFaults({ drop: 1000, types: ["payment_intent.amount_capturable_updated", "charge.refunded", "refund.created", "refund.updated"] })
    let heldSession: string
    let refundedPayment: string
    try {
      const { session } = await checkoutUpToPayment(env.store(), env.seed, "pp_stripe_stripe", {})
      heldSession = session.id
      await env.stripe.paymentIntents.confirm(session.data.id as string, { payment_method: "pm_card_visa" })
      // A refund made in Stripe's dashboard whose webhooks never came.
      const placed = await placeOrder(env, "pp_stripe_stripe")
      refundedPayment = placed.paymentId
      await env.admin().post(`/admin/payments/${placed.paymentId}/capture`, {})
      await env.stripe.refunds.create({ payment_intent: placed.intentId!, amount: 700 })
      await env.local.waitForWebhooks()
    } finally {
      env.local.clearWebhookFaults()
    }
    // An order that lost the transaction of a capture (written around Medusa, to see it found).
    const other = await placeOrder(env, "pp_system_default")
    const captured = await env.admin().post(`/admin/payments/${other.paymentId}/capture`, {})
    const captureId = captured.payment.captures[0].id
    await env.sql(`UPDATE order_transaction SET deleted_at = now() WHERE reference_id = $1`, [captureId])

    const { disagreements } = await audit()
    expect(disagreements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: "held_without_order", payment_session_id: heldSession!, provider: "35.00", cart_id: expect.stringMatching(/^cart_/) }),
        expect.objectContaining({ kind: "provider_money_not_in_books", payment_id: refundedPayment!, provider: "7.00", books: "0.00" }),
        expect.objectContaining({ kind: "books_without_order_transaction", payment_id: other.paymentId, order_id: other.orderId, books: "35.00" }),
      ])
    )
    expect(disagreements).toHaveLength(3)
    const command = await auditCommand("--json")
    expect(command.status).toBe(2)
    expect(command.output).toContain(`"kind": "held_without_order"`)
  })
})
