import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { MedusaError } from "@medusajs/framework/utils"
import { auditPayments, auditPeriod } from "../../../../audit"

/**
 * GET /admin/payment-plus/audit?from=<ISO date>&to=<ISO date>: the
 * three-way audit (the provider's records, the module's books, the orders)
 * for the payment sessions created in the period (default the last 30
 * days). Read-only. Answers the report; `disagreements` is empty when all
 * three agree.
 */
export async function GET(req: MedusaRequest, res: MedusaResponse): Promise<void> {
  const period = auditPeriod(req.query.from, req.query.to)
  if (isNaN(period.from.getTime()) || isNaN(period.to.getTime())) {
    throw new MedusaError(MedusaError.Types.INVALID_DATA, `from and to must be ISO dates, got ${JSON.stringify(req.query)}.`)
  }
  res.json(await auditPayments(req.scope, period))
}
