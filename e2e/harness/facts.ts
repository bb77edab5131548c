import type { Client } from "./http"
import type { Environment } from "./environment"

/**
 * The outcomes tests assert on, read from where they really live: the
 * database rows Medusa wrote, the admin API's view of the order, and the
 * local Stripe's own state.
 */

export type MoneyFacts = {
  payments: { id: string; amount: number; captured_at: Date | null; canceled_at: Date | null }[]
  /** the capture and refund rows Medusa reads: settled money only */
  captures: { id: string; amount: number; payment_id: string }[]
  refunds: { id: string; amount: number; payment_id: string; refund_reason_id: string | null; note: string | null }[]
  captured: number
  refunded: number
  /** No capture, refund or cancel of these payments is still waiting for its provider (pending / unknown). */
  settled: boolean
}

/** Payments, captures and refunds recorded for one payment session. */
export async function moneyFacts(env: Environment, sessionId: string): Promise<MoneyFacts> {
  const payments = await env.sql(
    `SELECT id, amount::float8 AS amount, captured_at, canceled_at
       FROM payment WHERE payment_session_id = $1 AND deleted_at IS NULL ORDER BY created_at`,
    [sessionId]
  )
  const ids = payments.map((p) => p.id)
  const captures = await env.sql(
    `SELECT id, amount::float8 AS amount, payment_id FROM capture
      WHERE payment_id = ANY($1) AND deleted_at IS NULL ORDER BY created_at`,
    [ids]
  )
  const refunds = await env.sql(
    `SELECT id, amount::float8 AS amount, payment_id, refund_reason_id, note FROM refund
      WHERE payment_id = ANY($1) AND deleted_at IS NULL ORDER BY created_at`,
    [ids]
  )
  const sum = (rows: { amount: number }[]) => Math.round(rows.reduce((s, r) => s + r.amount, 0) * 100) / 100
  const [open] = await env.sql(
    `SELECT count(*)::int AS n FROM payment_movement
      WHERE payment_id = ANY($1) AND deleted_at IS NULL AND status IN ('pending', 'unknown')`,
    [ids]
  )
  return { payments, captures, refunds, captured: sum(captures), refunded: sum(refunds), settled: open.n === 0 }
}

/** Orders Medusa linked to a cart (there must never be more than one). */
export async function ordersOfCart(env: Environment, cartId: string): Promise<string[]> {
  const rows = await env.sql(
    `SELECT order_id FROM order_cart WHERE cart_id = $1 AND deleted_at IS NULL`,
    [cartId]
  )
  return rows.map((r) => r.order_id)
}

/** Order transactions (what the order's paid/refunded totals are computed from). */
export async function orderTransactions(env: Environment, orderId: string) {
  return await env.sql<{ reference: string; reference_id: string; amount: number }>(
    `SELECT reference, reference_id, amount::float8 AS amount FROM order_transaction
      WHERE order_id = $1 AND deleted_at IS NULL ORDER BY created_at`,
    [orderId]
  )
}

const ORDER_FIELDS = [
  "id",
  "status",
  "total",
  "currency_code",
  "payment_status",
  "summary",
  "*payment_collections",
  "*payment_collections.payments",
  "*payment_collections.payments.captures",
  "*payment_collections.payments.refunds",
  "*payment_collections.payments.refunds.refund_reason",
].join(",")

/** The order as the admin sees it, with payments, captures, refunds and totals. */
export async function adminOrder(admin: Client, orderId: string): Promise<any> {
  const { order } = await admin.get(`/admin/orders/${orderId}?fields=${ORDER_FIELDS}`)
  return order
}

/** The order's single payment (every checkout here has one). */
export function onlyPayment(order: any): any {
  const payments = (order.payment_collections ?? []).flatMap((c: any) => c.payments ?? [])
  if (payments.length !== 1) throw new Error(`expected one payment on ${order.id}, found ${payments.length}`)
  return payments[0]
}

/** What Stripe (the local one) knows about an intent: status, money received, refunds, captures. */
export async function stripeFacts(env: Environment, intentId: string) {
  const intent = await env.stripe.paymentIntents.retrieve(intentId)
  const refunds = await env.stripe.refunds.list({ payment_intent: intentId, limit: 100 })
  const captureEvents = env.local
    .events("charge.captured")
    .filter((e) => (e.data.object as any).payment_intent === intentId)
  return {
    status: intent.status,
    amount: intent.amount,
    amount_received: intent.amount_received,
    amount_capturable: intent.amount_capturable,
    refunded: refunds.data.filter((r) => r.status === "succeeded").reduce((s, r) => s + r.amount, 0),
    refunds: refunds.data,
    captureEvents: captureEvents.length,
  }
}

/** Webhook deliveries the local Stripe made for one intent (all event types). */
export function deliveriesFor(env: Environment, intentId: string, type?: string) {
  const eventIds = new Set(
    env.local
      .events(type)
      .filter((e) => (e.data.object as any).id === intentId || (e.data.object as any).payment_intent === intentId)
      .map((e) => e.id)
  )
  return env.local.webhookDeliveries().filter((d) => eventIds.has(d.event_id))
}
