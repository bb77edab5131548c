import { MedusaContainer } from "@medusajs/framework/types"
import { Modules } from "@medusajs/framework/utils"
import { recordSettledOnOrders } from "../plugin/order-transactions"
import type { ReconciliationReport } from "../money/reconcile"
import type PaymentModuleService from "../services/payment-module"

export type ReconciliationRun = ReconciliationReport & {
  /** order transactions written for captures and refunds settled by this run */
  order_transactions_added: number
}

/**
 * Settles captures, refunds and cancels whose provider answer was lost, then
 * records the settled captures and refunds on their orders.
 */
export async function reconcilePayments(container: MedusaContainer): Promise<ReconciliationRun> {
  const payments = container.resolve<PaymentModuleService>(Modules.PAYMENT)
  const report = await payments.reconcilePayments()
  return { ...report, order_transactions_added: await recordSettledOnOrders(container, report.settled) }
}

/**
 * A scheduled job for Medusa apps. Register it by re-exporting it from the
 * app's `src/jobs/` folder:
 *
 *   // src/jobs/reconcile-payments.ts
 *   export { default, config } from "medusa-payment-plus/jobs/reconcile-payments"
 */
export default async function reconcilePaymentsJob(container: MedusaContainer): Promise<void> {
  const logger = container.resolve("logger") as { info(message: string): void }
  const run = await reconcilePayments(container)
  const total = run.settled.length + run.reversed.length + run.still_unknown.length
  if (total > 0) {
    logger.info(
      `Payment reconciliation: ${run.settled.length} settled, ${run.reversed.length} reversed, ${run.still_unknown.length} still unknown, ${run.order_transactions_added} order transactions added.`
    )
  }
}

export const config = {
  name: "medusa-payment-plus-reconcile-payments",
  schedule: "*/5 * * * *",
}
