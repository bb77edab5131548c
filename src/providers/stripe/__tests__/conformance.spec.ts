import { runProviderConformanceSuite } from "../../../testing"
import { fromStripeAmount } from "../amounts"
import type { StripeProviderService } from "../service"
import { startHarness } from "./local-stripe-harness"

let harness: Awaited<ReturnType<typeof startHarness>>

runProviderConformanceSuite<StripeProviderService>({
  name: "stripe (local Stripe through the official SDK)",
  currency: "usd",
  setup: async () => {
    harness = await startHarness()
  },
  teardown: () => harness.close(),
  createProvider: () => harness.provider(),
  // A test card on every session; authorizePayment confirms it.
  initiateData: () => ({ payment_method: "pm_card_visa" }),
  drive: {
    capturedAmount: async (provider, data) => {
      const { data: intent } = await provider.retrievePayment({ data })
      return fromStripeAmount(intent!.amount_received, intent!.currency as string)
    },
    initiatedAmount: async (_provider, session) => {
      const intent = await harness.sdk.paymentIntents.retrieve(session.data.id as string)
      return fromStripeAmount(intent.amount, intent.currency)
    },
    refundedAmount: async (_provider, data) => {
      const refunds = await harness.sdk.refunds.list({ payment_intent: data.id as string, limit: 100 })
      const total = refunds.data.reduce((sum, refund) => sum + refund.amount, 0)
      return fromStripeAmount(total, data.currency as string)
    },
  },
  webhook: {
    // The real delivery local Stripe made when the intent was created.
    deliveryFor: async (session) => {
      await harness.localStripe.waitForWebhooks(5000)
      const delivery = harness.webhooks.find(
        (w) => (w.data.data as { object: { id?: string } }).object.id === session.id
      )
      if (!delivery) throw new Error(`local Stripe sent no webhook for ${session.id}`)
      return delivery
    },
  },
})
