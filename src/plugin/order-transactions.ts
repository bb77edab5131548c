import type { IOrderModuleService, MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, MathBN, Modules } from "@medusajs/framework/utils"
import { withCollectionLock } from "./order-lock"

type SettledRow = { id: string; amount: unknown; raw_amount?: unknown; payment: { payment_collection_id: string; currency_code: string } }

/**
 * Medusa records a capture or refund on its order (an order transaction, from
 * which the order's paid and refunded totals come) in the workflow that made
 * it. Money settled outside any workflow — by reconciliation after a lost
 * answer, or refunded in the provider's dashboard — gets its order
 * transaction here, once (the same reference / reference_id check as
 * core-flows' addOrderTransactionStep), so the order's transactions always
 * equal the payment's settled money. Answers how many transactions it added.
 */
export async function recordSettledOnOrders(
  container: MedusaContainer,
  movementIds: string[],
  /** given: an order whose lock cannot be had is skipped (its movements passed here) instead of failing the rest */
  onLocked?: (ids: string[]) => void
): Promise<number> {
  if (!movementIds.length || !container.hasRegistration(Modules.ORDER)) return 0
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const fields = ["id", "amount", "raw_amount", "payment.payment_collection_id", "payment.currency_code"]
  const rows = async (entity: "capture" | "refund") =>
    ((await query.graph({ entity, fields, filters: { id: movementIds } } as any)).data as SettledRow[]).map((row) => ({
      row,
      reference: entity,
    }))
  const settled = [...(await rows("capture")), ...(await rows("refund"))]
  if (!settled.length) return 0

  const collectionIds = [...new Set(settled.map(({ row }) => row.payment.payment_collection_id))]
  const { data: links } = await query.graph({
    entity: "order_payment_collection",
    fields: ["order_id", "payment_collection_id"],
    filters: { payment_collection_id: collectionIds },
  } as any)
  const orderOf = new Map((links as { order_id: string; payment_collection_id: string }[]).map((l) => [l.payment_collection_id, l.order_id]))

  const byCollection = new Map<string, typeof settled>()
  for (const entry of settled) {
    const collectionId = entry.row.payment.payment_collection_id
    if (orderOf.has(collectionId)) byCollection.set(collectionId, [...(byCollection.get(collectionId) ?? []), entry])
  }
  let added = 0
  for (const [collectionId, entries] of byCollection) {
    // Under the order's lock, as the admin requests: Medusa rewrites the order's
    // summary when a transaction is added, and the check-then-insert below must
    // not run twice at once for one movement.
    try {
      added += await withCollectionLock(container, collectionId, () =>
        addMissingTransactions(container, orderOf.get(collectionId)!, entries)
      )
    } catch (error) {
      if (!onLocked) throw error
      onLocked(entries.map(({ row }) => row.id))
    }
  }
  return added
}

async function addMissingTransactions(
  container: MedusaContainer,
  orderId: string,
  entries: { row: SettledRow; reference: "capture" | "refund" }[]
): Promise<number> {
  const wanted = entries.map(({ row, reference }) => {
    const amount = MathBN.convert((row.raw_amount as any) ?? (row.amount as any))
    return {
      order_id: orderId,
      reference,
      reference_id: row.id,
      amount: reference === "refund" ? MathBN.mult(amount, -1) : amount,
      currency_code: row.payment.currency_code,
    }
  })
  const orders = container.resolve<IOrderModuleService>(Modules.ORDER)
  const existing = await orders.listOrderTransactions(
    { reference_id: wanted.map((t) => t.reference_id) } as any,
    { select: ["order_id", "reference", "reference_id"] }
  )
  const recorded = new Set(existing.map((t: any) => `${t.order_id}|${t.reference}|${t.reference_id}`))
  const missing = wanted.filter((t) => !recorded.has(`${t.order_id}|${t.reference}|${t.reference_id}`))
  if (missing.length) await orders.addOrderTransactions(missing as any)
  return missing.length
}

/** How far back each reconciliation run looks for settled money its order lacks. */
const RECORD_LOOKBACK_MS = 24 * 60 * 60 * 1000

/**
 * The subscriber records money settled outside workflows as it settles; an
 * event it could not handle (the order's lock held by a server that died,
 * Redis restarted with the event in its queue) would leave the order short
 * for good. Each reconciliation run therefore records, once, every capture
 * and refund settled outside a workflow in the last day that its order
 * lacks. Answers how many it added, and the ids it could not record yet.
 */
export async function recordMissedSettledMoney(container: MedusaContainer): Promise<{ added: number; deferred: string[] }> {
  const payments = container.resolve(Modules.PAYMENT) as { listSettledOutsideWorkflows?(filter: { since: Date }): Promise<string[]> }
  if (typeof payments.listSettledOutsideWorkflows !== "function" || !container.hasRegistration(Modules.ORDER)) return { added: 0, deferred: [] }
  const ids = await payments.listSettledOutsideWorkflows({ since: new Date(Date.now() - RECORD_LOOKBACK_MS) })
  if (!ids.length) return { added: 0, deferred: [] }
  const recorded = await container
    .resolve<IOrderModuleService>(Modules.ORDER)
    .listOrderTransactions({ reference_id: ids } as any, { select: ["reference_id"] })
  const done = new Set(recorded.map((t: any) => t.reference_id))
  const deferred: string[] = []
  // An order whose lock is still held (by a server that died, until it expires) waits for the next run.
  const added = await recordSettledOnOrders(container, ids.filter((i) => !done.has(i)), (locked) => deferred.push(...locked))
  return { added, deferred }
}
