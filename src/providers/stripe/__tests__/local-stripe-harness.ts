import { createServer, Server } from "http"
import { AddressInfo } from "net"
import Stripe from "stripe"
import { startLocalStripe, type LocalStripe } from "../../../../local-stripe"
import { StripeProviderService } from "../service"
import type { StripeProviderOptions } from "../options"

export const WEBHOOK_SECRET = "whsec_flows_test_secret"

/** A webhook delivery exactly as it reached our endpoint. */
export type ReceivedWebhook = {
  rawData: Buffer
  headers: Record<string, unknown>
  data: Record<string, unknown>
}

/**
 * Starts a local Stripe that signs and POSTs every event to a small HTTP
 * endpoint of ours, so tests see real deliveries (raw body and headers).
 */
export async function startHarness(): Promise<{
  localStripe: LocalStripe
  sdk: Stripe
  webhooks: ReceivedWebhook[]
  provider(options?: Partial<StripeProviderOptions>): StripeProviderService
  close(): Promise<void>
}> {
  const webhooks: ReceivedWebhook[] = []
  const receiver: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const rawData = Buffer.concat(chunks)
      webhooks.push({ rawData, headers: { ...req.headers }, data: JSON.parse(rawData.toString("utf8")) })
      res.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve))
  const receiverPort = (receiver.address() as AddressInfo).port

  const localStripe = await startLocalStripe({
    port: 0,
    webhookUrl: `http://127.0.0.1:${receiverPort}/hooks/payment/stripe_stripe`,
    webhookSecret: WEBHOOK_SECRET,
  })
  const sdk = new Stripe("sk_test_flows", { ...localStripe.stripeConfig, maxNetworkRetries: 0 })

  return {
    localStripe,
    sdk,
    webhooks,
    provider: (options = {}) =>
      new StripeProviderService(
        {},
        {
          apiKey: "sk_test_flows",
          apiBaseUrl: localStripe.url,
          webhookSecret: WEBHOOK_SECRET,
          maxNetworkRetries: 0,
          ...options,
        }
      ),
    close: async () => {
      await localStripe.close()
      await new Promise<void>((resolve) => {
        receiver.closeAllConnections?.()
        receiver.close(() => resolve())
      })
    },
  }
}
