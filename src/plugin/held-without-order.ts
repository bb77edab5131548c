import type { IEventBusModuleService, ILockingModule, Logger, MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import type PaymentModuleService from "../services/payment-module"
import type { ReturnedPayment } from "../money/held-payments"
import { newOwnerId } from "./order-lock"
import { paymentProviderTimeoutMs, pluginOptions } from "./options"

/** The event a store subscribes to (to email the customer, say) when money held without an order went back. */
export const PAYMENT_RETURNED_EVENT = "cart.payment_returned"

export type PaymentReturnedEventData = {
  cart_id: string
  email: string | null
  payment_session_id: string
  payment_id: string | null
  provider_id: string
  /** canceled: the authorization was voided; refunded: money captured at the provider was refunded */
  returned: "canceled" | "refunded"
  amount: string
  currency_code: string | null
  reason: string
}

export type HeldWithoutOrderReport = {
  /** sessions of carts without an order that were due for a check */
  checked: number
  /** carts completed into an order, as the lost webhook would have */
  completed: { cart_id: string; order_id: string; payment_session_id: string }[]
  /** money given back because the cart could not be completed */
  returned: (PaymentReturnedEventData & { payment_session_id: string })[]
  /** a completion was running (the cart's lock was taken): left for the next run */
  busy: string[]
  /** could not be handled this run (the provider did not answer, …): tried again next run */
  failed: { payment_session_id: string; message: string }[]
}

/** Medusa's complete-cart workflow (`completeCartWorkflow`), run through the workflow engine by its id. */
const COMPLETE_CART_WORKFLOW = "complete-cart"
/** How far back sessions are looked at: past Stripe's 7-day authorizations, so every one that can still be voided is. */
const LOOKBACK_MS = 8 * 24 * 60 * 60 * 1000
/** Sessions read per run at most: most have an order and are dropped before any provider call. */
const SESSIONS_READ_PER_RUN = 5000
/** Provider calls per run at most; the rest wait for the next run. */
const PROVIDER_CHECKS_PER_RUN = 100

type CartFacts = { id: string; email: string | null; payment_collection_id: string }

/**
 * No money held without an order. For every payment session whose cart has
 * no order `orphanedPaymentMinutes` after its last change (the plugin's
 * option), the provider is asked what it holds. If it holds the customer's
 * money, the cart is completed with Medusa's own workflow — exactly as the
 * payment webhook would have, under the same cart lock. If that fails, the
 * money goes back (the module voids the authorization or refunds what was
 * captured, with the reason in its ledger, and cancels the session) and
 * `cart.payment_returned` is emitted. A cart whose completion is running
 * (its lock is taken) is left for the next run. Run by the reconciliation
 * job and `POST /admin/payment-plus/reconcile`.
 */
export async function returnMoneyHeldWithoutOrder(
  container: MedusaContainer,
  runEveryMs: number
): Promise<HeldWithoutOrderReport> {
  const report: HeldWithoutOrderReport = { checked: 0, completed: [], returned: [], busy: [], failed: [] }
  const payments = container.resolve<PaymentModuleService>(Modules.PAYMENT)
  if (typeof payments.listIdlePaymentSessions !== "function" || !container.hasRegistration(Modules.CART)) return report
  const graceMs = pluginOptions(container).orphanedPaymentMinutes * 60_000
  const idle = await payments.listIdlePaymentSessions({
    idle_for_ms: graceMs,
    lookback_ms: LOOKBACK_MS,
    run_every_ms: runEveryMs,
    limit: SESSIONS_READ_PER_RUN,
  })
  const cartOf = await cartsWithoutOrder(container, [...new Set(idle.map((s) => s.payment_collection_id))])
  for (const session of idle) {
    const cart = cartOf.get(session.payment_collection_id)
    if (!cart) continue
    if (report.checked === PROVIDER_CHECKS_PER_RUN) break
    report.checked++
    try {
      await settleOne(container, payments, cart, session, report)
    } catch (error) {
      report.failed.push({ payment_session_id: session.id, message: (error as Error).message ?? String(error) })
    }
  }
  return report
}

async function settleOne(
  container: MedusaContainer,
  payments: PaymentModuleService,
  cart: CartFacts,
  session: { id: string; provider_id: string },
  report: HeldWithoutOrderReport
): Promise<void> {
  // Looked at under the cart's lock, so a completion that starts meanwhile waits for the answer.
  const holds = await underCartLock(container, cart.id, async () => {
    if (await orderOfCart(container, cart.id)) return false
    return (await payments.checkPaymentSessionAtProvider(session.id)).holds_money
  })
  if (holds === "busy") return void report.busy.push(session.id)
  if (!holds) return

  const failure = await completeCart(container, cart.id)
  const orderId = await orderOfCart(container, cart.id)
  if (orderId) return void report.completed.push({ cart_id: cart.id, order_id: orderId, payment_session_id: session.id })

  const reason = `held without an order: the cart's completion failed (${failure ?? "no order was created"})`
  const returned = await underCartLock(container, cart.id, async () =>
    (await orderOfCart(container, cart.id)) ? undefined : await payments.returnHeldPayment({ payment_session_id: session.id, reason })
  )
  if (returned === "busy") return void report.busy.push(session.id)
  if (!returned || returned.returned === "nothing_held") return
  const event = eventData(cart, session, returned, reason)
  report.returned.push(event)
  await container.resolve<IEventBusModuleService>(Modules.EVENT_BUS).emit({ name: PAYMENT_RETURNED_EVENT, data: event })
  container
    .resolve<Logger>(ContainerRegistrationKeys.LOGGER)
    .info(`Cart ${cart.id}: ${returned.amount} ${returned.currency_code?.toUpperCase()} held without an order was ${returned.returned} (${reason}).`)
}

function eventData(
  cart: CartFacts,
  session: { id: string; provider_id: string },
  returned: ReturnedPayment,
  reason: string
): PaymentReturnedEventData {
  return {
    cart_id: cart.id,
    email: cart.email,
    payment_session_id: session.id,
    payment_id: returned.payment_id,
    provider_id: session.provider_id,
    returned: returned.returned as "canceled" | "refunded",
    amount: returned.amount,
    currency_code: returned.currency_code,
    reason,
  }
}

/** The carts (by payment collection) that have no order. */
async function cartsWithoutOrder(container: MedusaContainer, collectionIds: string[]): Promise<Map<string, CartFacts>> {
  const found = new Map<string, CartFacts>()
  if (!collectionIds.length) return found
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data: links } = await query.graph({
    entity: "cart_payment_collection",
    fields: ["cart_id", "payment_collection_id"],
    filters: { payment_collection_id: collectionIds },
  } as any)
  const cartIds = (links as { cart_id: string }[]).map((l) => l.cart_id)
  if (!cartIds.length) return found
  const { data: orders } = await query.graph({ entity: "order_cart", fields: ["cart_id"], filters: { cart_id: cartIds } } as any)
  const withOrder = new Set((orders as { cart_id: string }[]).map((o) => o.cart_id))
  const { data: carts } = await query.graph({ entity: "cart", fields: ["id", "email"], filters: { id: cartIds } } as any)
  const emailOf = new Map((carts as { id: string; email?: string | null }[]).map((c) => [c.id, c.email ?? null]))
  for (const link of links as { cart_id: string; payment_collection_id: string }[]) {
    if (withOrder.has(link.cart_id) || !emailOf.has(link.cart_id)) continue
    found.set(link.payment_collection_id, { id: link.cart_id, email: emailOf.get(link.cart_id)!, payment_collection_id: link.payment_collection_id })
  }
  return found
}

async function orderOfCart(container: MedusaContainer, cartId: string): Promise<string | undefined> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({ entity: "order_cart", fields: ["order_id"], filters: { cart_id: cartId } } as any)
  return (data[0] as { order_id?: string } | undefined)?.order_id
}

/** Medusa's completion, as the payment webhook runs it; answers why it failed, if it did. */
async function completeCart(container: MedusaContainer, cartId: string): Promise<string | undefined> {
  try {
    const engine = container.resolve(Modules.WORKFLOW_ENGINE) as { run(id: string, options: object): Promise<unknown> }
    await engine.run(COMPLETE_CART_WORKFLOW, { input: { id: cartId }, throwOnError: true })
    return undefined
  } catch (error) {
    const errors = (error as { errors?: { error?: { message?: string } }[] }).errors
    return errors?.[0]?.error?.message ?? (error as Error).message ?? String(error)
  }
}

/**
 * Runs `job` holding the cart's lock — the key Medusa's complete-cart and
 * payment-webhook workflows lock — or answers "busy" when someone holds it:
 * a completion is running, and this run must not touch that cart.
 */
async function underCartLock<T>(container: MedusaContainer, cartId: string, job: () => Promise<T>): Promise<T | "busy"> {
  const locking = container.resolve<ILockingModule>(Modules.LOCKING)
  const ownerId = newOwnerId()
  // Held across the provider calls of a return (authorize, then cancel or refund), each bounded by the module's
  // provider timeout: a completion must not find the lock free while the money is being given back.
  const expire = Math.ceil((3 * paymentProviderTimeoutMs(container) + 60_000) / 1000)
  try {
    await locking.acquire(cartId, { ownerId, expire })
  } catch {
    return "busy"
  }
  try {
    return await job()
  } finally {
    await locking.release(cartId, { ownerId }).catch(() => undefined)
  }
}
