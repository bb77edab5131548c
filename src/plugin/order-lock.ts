import type { ILockingModule, Logger, MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, MedusaError, Modules } from "@medusajs/framework/utils"
import { randomUUID } from "node:crypto"
import { paymentProviderTimeoutMs } from "./options"

/**
 * The per-order lock of the plugin, on Medusa's Locking module (Redis-backed
 * when the store configures it, so it holds across servers). Its keys are the
 * order's cart id — the key Medusa's complete-cart and payment-webhook
 * workflows already lock — and the order id, which Medusa's order-edit
 * workflows lock; or the payment collection id for a collection no order
 * owns. Admin requests hold it for their whole run
 * (api/serialize-order-payments.ts); money recorded on an order outside them
 * takes it too (order-transactions.ts).
 */

/** How long a request waits for the one before it. */
const WAIT_MS = 60_000
/**
 * Lock lifetime: a provider call's timeout (the payment module's
 * `provider_timeout_ms`, 120 s by default) and a minute more — longer than a
 * request waits for its provider, short enough that the orders of a server
 * that died are free again soon (180 s by default).
 */
export function lockExpireSeconds(scope: MedusaContainer): number {
  return Math.ceil((paymentProviderTimeoutMs(scope) + 60_000) / 1000)
}
const RETRY_MS = 50

export type KeyResolver = (scope: MedusaContainer, id: string) => Promise<string[] | undefined>

async function firstRow<T>(scope: MedusaContainer, entity: string, fields: string[], filters: object): Promise<T | undefined> {
  const query = scope.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({ entity, fields, filters } as any)
  return data[0] as T | undefined
}

/** The order's cart id (Medusa's checkout and webhook lock) and the order id (Medusa's order-edit lock). */
export const keysForOrder: KeyResolver = async (scope, orderId) => {
  const link = await firstRow<{ cart_id: string }>(scope, "order_cart", ["cart_id"], { order_id: orderId })
  return link ? [link.cart_id, orderId] : [orderId]
}

export const keysForCollection: KeyResolver = async (scope, collectionId) => {
  const link = await firstRow<{ order_id: string }>(scope, "order_payment_collection", ["order_id"], {
    payment_collection_id: collectionId,
  })
  return link ? keysForOrder(scope, link.order_id) : [collectionId]
}

export const keysForPayment: KeyResolver = async (scope, paymentId) => {
  const payment = await firstRow<{ payment_collection_id: string }>(scope, "payment", ["payment_collection_id"], {
    id: paymentId,
  })
  // An unknown payment: Medusa's handler answers its 404, nothing to serialize.
  return payment ? keysForCollection(scope, payment.payment_collection_id) : undefined
}

/**
 * Takes every key or none. A provider may take the keys one by one (Redis
 * takes them in parallel): an attempt that got some of them lets them go
 * before waiting, or two requests each holding one key would wait for each
 * other until both gave up.
 */
export async function acquire(locking: ILockingModule, keys: string[], ownerId: string, expireSeconds: number): Promise<void> {
  const giveUpAt = Date.now() + WAIT_MS
  for (;;) {
    try {
      await locking.acquire(keys, { ownerId, expire: expireSeconds })
      return
    } catch (error) {
      await locking.release(keys, { ownerId }).catch(() => undefined)
      if (Date.now() >= giveUpAt) {
        throw new MedusaError(
          MedusaError.Types.CONFLICT,
          "Another payment operation on this order is still running. Try again when it has finished."
        )
      }
      // Jittered, so requests that collided do not collide again in step.
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS * (0.5 + Math.random())))
    }
  }
}

export function releaser(scope: MedusaContainer, locking: ILockingModule, keys: string[], ownerId: string) {
  return () =>
    locking.release(keys, { ownerId }).catch((error: Error) => {
      scope
        .resolve<Logger>(ContainerRegistrationKeys.LOGGER)
        .warn(`medusa-payment-plus: could not release the payment lock of ${keys.join(", ")} (${error.message}); it expires in ${lockExpireSeconds(scope)} s.`)
    })
}

/**
 * Runs `job` holding the lock of the order that owns the payment collection,
 * as the admin requests do: for money recorded on an order outside them
 * (src/plugin/order-transactions.ts).
 */
export async function withCollectionLock<T>(scope: MedusaContainer, collectionId: string, job: () => Promise<T>): Promise<T> {
  const keys = (await keysForCollection(scope, collectionId))!
  const locking = scope.resolve<ILockingModule>(Modules.LOCKING)
  const ownerId = newOwnerId()
  await acquire(locking, keys, ownerId, lockExpireSeconds(scope))
  try {
    return await job()
  } finally {
    await releaser(scope, locking, keys, ownerId)()
  }
}

/** A lock owner id of its own for each holder. */
export function newOwnerId(): string {
  return `medusa-payment-plus:${randomUUID()}`
}
