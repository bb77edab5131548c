import { MedusaContainer } from "@medusajs/framework/types"
import { Modules } from "@medusajs/framework/utils"
import type PaymentModuleService from "../services/payment-module"

/**
 * A scheduled job for Medusa apps: settles captures, refunds and cancels
 * whose provider answer was lost. Register it by re-exporting it from the
 * app's `src/jobs/` folder:
 *
 *   // src/jobs/reconcile-payments.ts
 *   export { default, config } from "medusa-payment-plus/jobs/reconcile-payments"
 */
export default async function reconcilePaymentsJob(container: MedusaContainer): Promise<void> {
  const payments = container.resolve<PaymentModuleService>(Modules.PAYMENT)
  const logger = container.resolve("logger") as { info(message: string): void }
  const report = await payments.reconcilePayments()
  const total = report.settled.length + report.reversed.length + report.still_unknown.length
  if (total > 0) {
    logger.info(
      `Payment reconciliation: ${report.settled.length} settled, ${report.reversed.length} reversed, ${report.still_unknown.length} still unknown.`
    )
  }
}

export const config = {
  name: "medusa-payment-plus-reconcile-payments",
  schedule: "*/5 * * * *",
}
