import type { MedusaNextFunction, MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import type PaymentModuleService from "../../services/payment-module"

/**
 * Before Medusa completes a cart: a payment session whose last attempt
 * failed (status `error`, set by the provider's failure webhook) is read
 * again from its provider. A shopper who paid since on the same payment
 * (another card, a new 3-D Secure challenge) then completes at once —
 * Medusa's validation skips sessions in `error`, and the webhook that would
 * lift it may still be on its way.
 */
export async function refreshFailedSessions(req: MedusaRequest, res: MedusaResponse, next: MedusaNextFunction): Promise<void> {
  try {
    const payments = req.scope.resolve<PaymentModuleService>(Modules.PAYMENT)
    if (typeof payments.refreshFailedPaymentSession !== "function") return next()
    const query = req.scope.resolve(ContainerRegistrationKeys.QUERY)
    const { data } = await query.graph({
      entity: "cart",
      fields: ["id", "payment_collection.payment_sessions.id", "payment_collection.payment_sessions.status"],
      filters: { id: req.params.id },
    } as any)
    const sessions = ((data[0] as any)?.payment_collection?.payment_sessions ?? []) as { id: string; status: string }[]
    for (const session of sessions.filter((s) => s.status === "error")) {
      // A provider that cannot answer now leaves the session as it was: Medusa answers as it would have.
      await payments.refreshFailedPaymentSession(session.id).catch(() => undefined)
    }
    next()
  } catch (error) {
    next(error)
  }
}
