import type { MedusaNextFunction, MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import type { ILockingModule, Logger, MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, MedusaError, Modules } from "@medusajs/framework/utils"
import { randomUUID } from "node:crypto"

/**
 * One money-moving admin request at a time per order.
 *
 * Medusa's refund and capture workflows move the money first and record it on
 * the order afterwards (an order transaction, a credit-line order change).
 * Two such requests on one order at once collide in the order steps ("already
 * has an existing active order change") after both moved money, and nothing
 * undoes the refund: the admin sees a 400 for money that left. Run one at a
 * time, each request sees the previous one's outcome and either completes or
 * is refused before moving anything.
 *
 * The lock is Medusa's Locking module, so it holds across servers when the
 * store uses the Redis provider. Its keys are the order's cart id when the
 * order came from a cart — the key Medusa's complete-cart and payment-webhook
 * workflows already lock, so a Stripe webhook capturing the same order waits
 * too — and the order id, which Medusa's order-edit workflows lock; or the
 * payment collection id for a collection no order owns.
 */

/** How long a request waits for the one before it. */
const WAIT_MS = 60_000
/** Lock lifetime: longer than any provider call (their timeout), short enough to recover from a crashed server. */
const LOCK_EXPIRE_SECONDS = 180
const RETRY_MS = 50

type KeyResolver = (scope: MedusaContainer, id: string) => Promise<string[] | undefined>

async function firstRow<T>(scope: MedusaContainer, entity: string, fields: string[], filters: object): Promise<T | undefined> {
  const query = scope.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({ entity, fields, filters } as any)
  return data[0] as T | undefined
}

/** The order's cart id (Medusa's checkout and webhook lock) and the order id (Medusa's order-edit lock). */
const keysForOrder: KeyResolver = async (scope, orderId) => {
  const link = await firstRow<{ cart_id: string }>(scope, "order_cart", ["cart_id"], { order_id: orderId })
  return link ? [link.cart_id, orderId] : [orderId]
}

const keysForCollection: KeyResolver = async (scope, collectionId) => {
  const link = await firstRow<{ order_id: string }>(scope, "order_payment_collection", ["order_id"], {
    payment_collection_id: collectionId,
  })
  return link ? keysForOrder(scope, link.order_id) : [collectionId]
}

const keysForPayment: KeyResolver = async (scope, paymentId) => {
  const payment = await firstRow<{ payment_collection_id: string }>(scope, "payment", ["payment_collection_id"], {
    id: paymentId,
  })
  // An unknown payment: Medusa's handler answers its 404, nothing to serialize.
  return payment ? keysForCollection(scope, payment.payment_collection_id) : undefined
}

async function acquire(locking: ILockingModule, keys: string[], ownerId: string): Promise<void> {
  const giveUpAt = Date.now() + WAIT_MS
  for (;;) {
    try {
      await locking.acquire(keys, { ownerId, expire: LOCK_EXPIRE_SECONDS })
      return
    } catch (error) {
      if (Date.now() >= giveUpAt) {
        // Keys taken before the one that was busy are this owner's: let them go.
        await locking.release(keys, { ownerId }).catch(() => undefined)
        throw new MedusaError(
          MedusaError.Types.CONFLICT,
          "Another payment operation on this order is still running. Try again when it has finished."
        )
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS))
    }
  }
}

function releaser(scope: MedusaContainer, locking: ILockingModule, keys: string[], ownerId: string) {
  return () =>
    locking.release(keys, { ownerId }).catch((error: Error) => {
      scope
        .resolve<Logger>(ContainerRegistrationKeys.LOGGER)
        .warn(`medusa-payment-plus: could not release the payment lock of ${keys.join(", ")} (${error.message}); it expires in ${LOCK_EXPIRE_SECONDS} s.`)
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
  const ownerId = `medusa-payment-plus:${randomUUID()}`
  await acquire(locking, keys, ownerId)
  try {
    return await job()
  } finally {
    await releaser(scope, locking, keys, ownerId)()
  }
}

/**
 * Releases the lock when the handler ends the response. `res.end` rather
 * than the "close" event: a client that hangs up does not stop Medusa's
 * workflow, so the lock must stay held until the handler really finished.
 * A handler that never ends its response is covered by the lock's expiry.
 */
function releaseWhenAnswered(res: MedusaResponse, release: () => Promise<unknown>): void {
  const end = res.end
  let released = false
  res.end = function (this: MedusaResponse, ...args: any[]) {
    const answer = (end as (...a: any[]) => MedusaResponse).apply(this, args)
    if (!released) {
      released = true
      void release()
    }
    return answer
  } as MedusaResponse["end"]
}

function serializeBy(resolveKeys: KeyResolver) {
  return async (req: MedusaRequest, res: MedusaResponse, next: MedusaNextFunction): Promise<void> => {
    try {
      const keys = await resolveKeys(req.scope, req.params.id)
      if (!keys) return next()
      const locking = req.scope.resolve<ILockingModule>(Modules.LOCKING)
      const ownerId = `medusa-payment-plus:${randomUUID()}`
      await acquire(locking, keys, ownerId)
      releaseWhenAnswered(res, releaser(req.scope, locking, keys, ownerId))
      next()
    } catch (error) {
      next(error)
    }
  }
}

export const serializeByPayment = serializeBy(keysForPayment)
export const serializeByCollection = serializeBy(keysForCollection)
export const serializeByOrder = serializeBy(keysForOrder)
