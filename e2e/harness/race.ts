import type Stripe from "stripe"
import { eventually, MEDUSA_WEBHOOK_DELAY_MS, sleep, type Environment } from "./environment"
import { adminOrder, deliveriesFor, moneyFacts, orderTransactions, ordersOfCart, stripeFacts } from "./facts"
import { HttpError } from "./http"
import { checkoutUpToPayment, completeCart } from "./storefront"

/**
 * medusajs/medusa#13301, end to end. With automatic capture the storefront
 * confirms the PaymentIntent itself (Stripe.js; here the SDK with the same
 * parameters), Stripe takes the money and sends `payment_intent.succeeded`,
 * and then two things race for the same payment:
 *
 *  - the storefront's "Place order" (complete-cart → authorize the session →
 *    the provider reports it captured), and
 *  - Medusa's webhook subscriber, MEDUSA_WEBHOOK_DELAY_MS after the event
 *    arrived (process-payment-workflow → authorize + capture, then complete
 *    the cart itself).
 *
 * `offsetMs` places "Place order" relative to the moment the webhook is
 * processed (negative: before). With Medusa's own module one side's capture
 * fails, its workflow reverts and refunds a good order; here every run must
 * end with one order, one capture, no refund.
 */
export type RaceRun = {
  cartId: string
  sessionId: string
  intentId: string
  offsetMs: number
  /** What the storefront's "Place order" calls answered, in order. */
  answers: string[]
}

export async function raceCheckout(
  env: Environment,
  offsetMs: number,
  { storefrontServer = 0, sessionData }: { storefrontServer?: number; sessionData?: Record<string, unknown> } = {}
): Promise<RaceRun> {
  const store = env.store(storefrontServer)
  const { cart, session } = await checkoutUpToPayment(store, env.seed, "pp_stripe_stripe", sessionData)
  const intentId = session.data.id as string

  // "Stripe.js": the shopper's browser confirms the intent with the card.
  const confirmed: Stripe.PaymentIntent = await env.stripe.paymentIntents.confirm(intentId, {
    payment_method: "pm_card_visa",
  })
  if (confirmed.status !== "succeeded") throw new Error(`intent ${intentId} is ${confirmed.status}, expected succeeded (automatic capture)`)

  const delivery = await eventually(() => {
    const found = deliveriesFor(env, intentId, "payment_intent.succeeded").find((d) => d.http_status === 200)
    if (!found) throw new Error(`no payment_intent.succeeded delivered for ${intentId} yet`)
    return found
  })
  const processedAt = delivery.at + MEDUSA_WEBHOOK_DELAY_MS
  await sleep(Math.max(0, processedAt + offsetMs - Date.now()))

  const answers: string[] = []
  // A storefront retries "Place order" while Medusa says another request is
  // completing the cart (409), as the Next.js starter does on errors.
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      const result = await completeCart(store, cart.id)
      answers.push(result.type === "order" ? "order" : `cart:${(result as any).error?.type}`)
      if (result.type === "order") break
    } catch (error) {
      if (!(error instanceof HttpError)) throw error
      answers.push(`${error.status}:${error.body?.type ?? ""}`)
      if (error.status !== 409) break
    }
    await sleep(500)
  }
  return { cartId: cart.id, sessionId: session.id, intentId, offsetMs, answers }
}

/** Waits until the webhook's workflow finished, then checks the one-order-one-capture-no-refund outcome. */
export async function expectOneOrderOneCaptureNoRefund(env: Environment, run: RaceRun): Promise<void> {
  const context = `cart ${run.cartId} (Place order at ${run.offsetMs} ms, answers ${run.answers.join(" → ")})`
  const orderId = await eventually(
    async () => {
      const orders = await ordersOfCart(env, run.cartId)
      if (orders.length !== 1) throw new Error(`${context}: ${orders.length} orders`)
      return orders[0]
    },
    { timeoutMs: 30_000 }
  )
  // Both sides are done once the capture is settled and the order carries it.
  await eventually(
    async () => {
      const facts = await moneyFacts(env, run.sessionId)
      expect(facts.settled).toBe(true)
      expect((await orderTransactions(env, orderId)).length).toBeGreaterThanOrEqual(1)
    },
    { timeoutMs: 30_000 }
  )
  await sleep(1000)

  const facts = await moneyFacts(env, run.sessionId)
  const stripe = await stripeFacts(env, run.intentId)
  const order = await adminOrder(env.admin(), orderId)
  const transactions = await orderTransactions(env, orderId)
  const summary = {
    context,
    orders: (await ordersOfCart(env, run.cartId)).length,
    payments: facts.payments.length,
    captures: facts.captures.map((c) => c.amount),
    settled: facts.settled,
    refunds: facts.refunds.length,
    stripe: { status: stripe.status, received: stripe.amount_received, refunded: stripe.refunded },
    payment_status: order.payment_status,
    paid_total: order.summary.paid_total,
    refunded_total: order.summary.refunded_total,
    transactions: transactions.map((t) => `${t.reference}:${t.amount}`),
  }
  expect(summary).toEqual({
    context,
    orders: 1,
    payments: 1,
    captures: [35],
    settled: true,
    refunds: 0,
    stripe: { status: "succeeded", received: 3500, refunded: 0 },
    payment_status: "captured",
    paid_total: 35,
    refunded_total: 0,
    transactions: ["capture:35"],
  })
}
