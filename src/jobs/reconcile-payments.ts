import { Logger, MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import type { AuthorizationCheck } from "../money/authorization-expiry"
import { RECONCILIATION_EVERY_MS, ReconciliationReport } from "../money/reconcile"
import { HeldWithoutOrderReport, returnMoneyHeldWithoutOrder } from "../plugin/held-without-order"
import { recordMissedSettledMoney } from "../plugin/order-transactions"
import type PaymentModuleService from "../services/payment-module"

/**
 * One run of the job: settles captures, refunds and cancels whose provider
 * answer was lost (with the plugin, each capture and refund settled here is
 * then recorded on its order: src/plugin/subscribers/record-settled-money-on-orders.ts),
 * checks authorizations for expiry, then completes or gives back money a
 * provider holds for a cart without an order (src/plugin/held-without-order.ts).
 * The plugin's reconcile route runs it too.
 */
export async function reconcilePayments(container: MedusaContainer): Promise<{
  reconciliation: ReconciliationReport
  authorizations: AuthorizationCheck
  held_without_order: HeldWithoutOrderReport
  /** captures and refunds settled outside a workflow that their orders lacked, recorded now (or still waiting for the order's lock) */
  orders: { added: number; deferred: string[] }
}> {
  const payments = container.resolve<PaymentModuleService>(Modules.PAYMENT)
  const reconciliation = await payments.reconcilePayments()
  if (reconciliation.provider_cannot_find.length) {
    // One line a run (the job's or the route's), whatever the count: these need an operator, not another attempt.
    container.resolve<Logger>(ContainerRegistrationKeys.LOGGER).warn(
      `Payment reconciliation: the provider cannot find the payment of ${reconciliation.provider_cannot_find.length} movement(s), which stay unknown ` +
        `(${reconciliation.provider_cannot_find.map((m) => `${m.id} of ${m.payment_id}`).join(", ")}); check the provider's account, API key and test/live mode.`
    )
  }
  const authorizations = await payments.checkAuthorizations()
  const held = await returnMoneyHeldWithoutOrder(container, RECONCILIATION_EVERY_MS)
  return { reconciliation, authorizations, held_without_order: held, orders: await recordMissedSettledMoney(container) }
}

/**
 * A scheduled job for Medusa apps. Register it by re-exporting it from the
 * app's `src/jobs/` folder:
 *
 *   // src/jobs/reconcile-payments.ts
 *   export { default, config } from "medusa-payment-plus/jobs/reconcile-payments"
 */
export default async function reconcilePaymentsJob(container: MedusaContainer): Promise<void> {
  const logger = container.resolve("logger") as { info(message: string): void; warn(message: string): void }
  const { reconciliation: run, authorizations, held_without_order: held } = await reconcilePayments(container)
  const total = run.settled.length + run.reversed.length + run.still_unknown.length
  if (total > 0) {
    logger.info(
      `Payment reconciliation: ${run.settled.length} settled, ${run.reversed.length} reversed, ${run.still_unknown.length} still unknown.`
    )
  }
  for (const { payment_id, provider_id, expires_at } of authorizations.expiring) {
    logger.warn(`Payment ${payment_id} (${provider_id}): its authorization expires at ${expires_at}; capture or cancel it before then.`)
  }
  if (held.completed.length || held.returned.length || held.failed.length) {
    logger.info(
      `Payment reconciliation: held without an order: ${held.completed.length} carts completed, ${held.returned.length} payments given back, ${held.failed.length} to try again.`
    )
  }
  if (authorizations.expired.length) {
    logger.info(`Payment reconciliation: ${authorizations.expired.length} expired authorizations canceled (${authorizations.expired.join(", ")}).`)
  }
}

export const config = {
  name: "medusa-payment-plus-reconcile-payments",
  schedule: "*/5 * * * *", // RECONCILIATION_EVERY_MS
}
