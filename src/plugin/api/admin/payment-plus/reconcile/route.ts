import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { reconcilePayments } from "../../../../../jobs/reconcile-payments"

/**
 * POST /admin/payment-plus/reconcile: what the scheduled job does, now, for
 * an admin (authenticated as every /admin route): settles the captures,
 * refunds and cancels whose provider answer was lost (the plugin's
 * subscriber then records them on their orders), and checks authorizations
 * for expiry. Answers both reports.
 */
export async function POST(req: MedusaRequest, res: MedusaResponse): Promise<void> {
  res.json(await reconcilePayments(req.scope))
}
