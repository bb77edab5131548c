// One shopper's checkout through Medusa's HTTP API, as a storefront and a
// merchant's admin send it: the e2e harness's clients and storefront steps
// (e2e/harness), timed request by request.
import { adminClient, storeClient, type Client } from "../../e2e/harness/http"
import type { Seed } from "../../e2e/harness/seed"
import { ADDRESS, completeCart, createPaymentCollection, initiatePaymentSession } from "../../e2e/harness/storefront"

/** The steps of one flow, in order; each is one HTTP request. */
export const STEPS = [
  "create_cart",
  "add_item",
  "add_shipping",
  "create_payment_collection",
  "init_payment_session",
  "complete_cart",
  "admin_find_payment",
  "admin_capture",
  "admin_refund",
] as const
export type Step = (typeof STEPS)[number]

/** The route each step's request reaches (Express's pattern, as Medusa's HTTP server reports it). */
export const STEP_ROUTES: Record<Step, string> = {
  create_cart: "POST /store/carts",
  add_item: "POST /store/carts/:id/line-items",
  add_shipping: "POST /store/carts/:id/shipping-methods",
  create_payment_collection: "POST /store/payment-collections",
  init_payment_session: "POST /store/payment-collections/:id/payment-sessions",
  complete_cart: "POST /store/carts/:id/complete",
  admin_find_payment: "GET /admin/orders/:id",
  admin_capture: "POST /admin/payments/:id/capture",
  admin_refund: "POST /admin/payments/:id/refund",
}

/** The refund of each flow: part of the captured 35 EUR (T-shirt 25 + shipping 10). */
export const REFUND_AMOUNT = 5

export type Shop = { store: Client; admin: Client; seed: Seed }

export async function openShop(baseUrl: string, seed: Seed): Promise<Shop> {
  return {
    store: storeClient(baseUrl, seed.publishable_key),
    admin: await adminClient(baseUrl, seed.admin_email, seed.admin_password),
    seed,
  }
}

/** One checkout as it went: each request's latency (ms, as the shopper saw it), and whether it ended in an order. */
export type FlowRecord = { timing: Partial<Record<Step, number>>; ordered: boolean; failed?: boolean }

let shopper = 0

/**
 * Cart → item → shipping → payment collection → session (pp_system_default)
 * → complete → (admin) the order's payment → capture in full → partial refund.
 * Fills `record` as it goes (so a checkout that fails halfway still tells
 * what it did); throws on any failed request.
 */
export async function checkoutFlow(shop: Shop, record: FlowRecord = { timing: {}, ordered: false }): Promise<FlowRecord> {
  const { store, admin, seed } = shop
  const timing = record.timing
  const timed = async <T>(step: Step, request: () => Promise<T>): Promise<T> => {
    const started = performance.now()
    const result = await request()
    timing[step] = performance.now() - started
    return result
  }

  const { cart } = await timed("create_cart", () =>
    store.post("/store/carts", {
      region_id: seed.region_id,
      sales_channel_id: seed.sales_channel_id,
      email: `shopper+${process.pid}-${++shopper}@example.com`,
      shipping_address: ADDRESS,
      billing_address: ADDRESS,
    })
  )
  await timed("add_item", () => store.post(`/store/carts/${cart.id}/line-items`, { variant_id: seed.variant_id, quantity: 1 }))
  await timed("add_shipping", () =>
    store.post(`/store/carts/${cart.id}/shipping-methods`, { option_id: seed.shipping_option_id })
  )
  const collection = await timed("create_payment_collection", () => createPaymentCollection(store, cart.id))
  await timed("init_payment_session", () => initiatePaymentSession(store, collection.id, "pp_system_default"))
  const completed = await timed("complete_cart", () => completeCart(store, cart.id))
  if (completed.type !== "order") throw new Error(`cart ${cart.id} did not complete: ${JSON.stringify(completed.error)}`)
  record.ordered = true

  // The merchant opens the order to find its payment, captures it, then
  // refunds part of it.
  const { order } = await timed("admin_find_payment", () =>
    admin.get(`/admin/orders/${completed.order.id}?fields=id,payment_collections.payments.id`)
  )
  const payments = (order.payment_collections ?? []).flatMap((c: any) => c.payments ?? [])
  if (payments.length !== 1) throw new Error(`order ${order.id} has ${payments.length} payments, expected 1`)
  const paymentId = payments[0].id
  await timed("admin_capture", () => admin.post(`/admin/payments/${paymentId}/capture`, {}))
  await timed("admin_refund", () => admin.post(`/admin/payments/${paymentId}/refund`, { amount: REFUND_AMOUNT }))
  return record
}
