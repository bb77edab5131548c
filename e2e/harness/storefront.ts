import type { Client } from "./http"
import type { Seed } from "./seed"

/**
 * The storefront's side of a checkout, through Medusa's store API only:
 * cart → address → shipping method → payment collection → payment session →
 * complete. Each step is a separate function so tests can interleave.
 */

export const ADDRESS = {
  first_name: "Ada",
  last_name: "Lovelace",
  address_1: "Unter den Linden 1",
  city: "Berlin",
  postal_code: "10117",
  country_code: "de",
}

export type Cart = { id: string; total: number; currency_code: string; [k: string]: unknown }

/** A cart with `quantity` T-shirts and standard shipping, ready to pay. */
export async function cartReadyToPay(store: Client, seed: Seed, quantity = 1): Promise<Cart> {
  const { cart } = await store.post("/store/carts", {
    region_id: seed.region_id,
    sales_channel_id: seed.sales_channel_id,
    email: `buyer+${Date.now()}${Math.round(Math.random() * 1e6)}@example.com`,
    items: [{ variant_id: seed.variant_id, quantity }],
    shipping_address: ADDRESS,
    billing_address: ADDRESS,
  })
  await store.post(`/store/carts/${cart.id}/shipping-methods`, { option_id: seed.shipping_option_id })
  const { cart: priced } = await store.get(`/store/carts/${cart.id}?fields=id,total,currency_code`)
  return priced
}

export type PaymentCollection = {
  id: string
  amount: number
  status: string
  payment_sessions: { id: string; provider_id: string; status: string; amount: number; data: Record<string, any> }[]
}

export async function createPaymentCollection(store: Client, cartId: string): Promise<PaymentCollection> {
  const { payment_collection } = await store.post("/store/payment-collections", { cart_id: cartId })
  return payment_collection
}

/** Opens a payment session with `providerId`; `data` goes to the provider (e.g. Stripe intent params). */
export async function initiatePaymentSession(
  store: Client,
  collectionId: string,
  providerId: string,
  data?: Record<string, unknown>
): Promise<PaymentCollection> {
  const { payment_collection } = await store.post(
    `/store/payment-collections/${collectionId}/payment-sessions`,
    { provider_id: providerId, ...(data ? { data } : {}) }
  )
  return payment_collection
}

export type CompleteResponse =
  | { type: "order"; order: { id: string; [k: string]: any } }
  | { type: "cart"; cart: any; error: { message: string; name: string; type: string } }

export async function completeCart(store: Client, cartId: string): Promise<CompleteResponse> {
  return await store.post(`/store/carts/${cartId}/complete`)
}

/** The cart as the storefront sees it, with its payment sessions. */
export async function cartWithPayment(store: Client, cartId: string): Promise<any> {
  const { cart } = await store.get(
    `/store/carts/${cartId}?fields=id,completed_at,total,*payment_collection,*payment_collection.payment_sessions`
  )
  return cart
}

/** Cart → payment collection → session: everything a checkout does before "Place order". */
export async function checkoutUpToPayment(
  store: Client,
  seed: Seed,
  providerId: string,
  data?: Record<string, unknown>
): Promise<{ cart: Cart; collection: PaymentCollection; session: PaymentCollection["payment_sessions"][0] }> {
  const cart = await cartReadyToPay(store, seed)
  const created = await createPaymentCollection(store, cart.id)
  const collection = await initiatePaymentSession(store, created.id, providerId, data)
  const session = collection.payment_sessions.find((s) => s.provider_id === providerId)
  if (!session) throw new Error(`No ${providerId} session in ${JSON.stringify(collection)}`)
  return { cart, collection, session }
}
