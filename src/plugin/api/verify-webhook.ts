import type { MedusaNextFunction, MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import type { Logger } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, MedusaError, Modules } from "@medusajs/framework/utils"

type VerifyingPaymentModule = {
  verifyWebhook?: (event: { provider: string; payload: object }) => Promise<{ verified: boolean }>
}

/**
 * Medusa's webhook route answers 200 to any delivery and queues it; a forged
 * or stale one then fails in the subscriber with a stack trace, and Stripe,
 * told 200, never retries a genuine delivery that merely arrived late. Here a
 * delivery for one of this module's providers is checked first: one that
 * fails the provider's check gets 400 (in the text format of Medusa's own
 * route) and one log line; Stripe retries it with a fresh signature. A
 * genuine one, a provider without a check, or a payment module that is not
 * this one go on to Medusa's route unchanged.
 */
export async function verifyWebhookAtTheDoor(
  req: MedusaRequest,
  res: MedusaResponse,
  next: MedusaNextFunction
): Promise<void> {
  const paymentModule = req.scope.resolve<VerifyingPaymentModule>(Modules.PAYMENT)
  if (typeof paymentModule.verifyWebhook !== "function") return next()
  const provider = req.params.provider
  try {
    await paymentModule.verifyWebhook({
      provider,
      payload: { data: req.body, rawData: (req as { rawBody?: unknown }).rawBody, headers: req.headers },
    })
  } catch (error) {
    if (MedusaError.isMedusaError(error) && (error as MedusaError).type === MedusaError.Types.INVALID_DATA) {
      req.scope
        .resolve<Logger>(ContainerRegistrationKeys.LOGGER)
        .warn(`Webhook to /hooks/payment/${provider} refused with 400: ${(error as Error).message}`)
      res.status(400).send(`Webhook Error: ${(error as Error).message}`)
      return
    }
    // Not one of this module's providers (NOT_FOUND), or the check itself
    // broke: Medusa's route decides, as it would without this plugin.
  }
  next()
}
