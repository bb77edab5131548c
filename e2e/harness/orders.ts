import type { Environment } from "./environment"
import { adminOrder, onlyPayment } from "./facts"
import { checkoutUpToPayment, completeCart } from "./storefront"

export type PlacedOrder = {
  cartId: string
  orderId: string
  sessionId: string
  paymentId: string
  /** The Stripe PaymentIntent, for pp_stripe_stripe. */
  intentId?: string
}

/** A storefront checkout that ends in an order (server `via`, default 0); Stripe pays with `stripeData` (default a Visa card). */
export async function placeOrder(
  env: Environment,
  providerId: "pp_system_default" | "pp_stripe_stripe",
  via = 0,
  stripeData: Record<string, unknown> = { payment_method: "pm_card_visa" }
): Promise<PlacedOrder> {
  const store = env.store(via)
  const data = providerId === "pp_stripe_stripe" ? stripeData : undefined
  const { cart, session } = await checkoutUpToPayment(store, env.seed, providerId, data)
  const completed = await completeCart(store, cart.id)
  if (completed.type !== "order") throw new Error(`checkout did not end in an order: ${JSON.stringify(completed)}`)
  const order = await adminOrder(env.admin(via), completed.order.id)
  return {
    cartId: cart.id,
    orderId: completed.order.id,
    sessionId: session.id,
    paymentId: onlyPayment(order).id,
    intentId: providerId === "pp_stripe_stripe" ? (session.data.id as string) : undefined,
  }
}
