import type { MedusaNextFunction, MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import type { ILockingModule } from "@medusajs/framework/types"
import { Modules } from "@medusajs/framework/utils"
import { acquire, KeyResolver, keysForCollection, keysForOrder, keysForPayment, lockExpireSeconds, newOwnerId, releaser } from "../order-lock"

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
 * The lock is the plugin's per-order lock (../order-lock.ts): a Stripe
 * webhook capturing the same order, and an order edit, wait too.
 */

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
      const ownerId = newOwnerId()
      await acquire(locking, keys, ownerId, lockExpireSeconds(req.scope))
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
