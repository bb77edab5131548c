import { runProviderConformanceSuite } from "../../../testing"
import { fromWireAmount } from "../amounts"
import { MedusaPaymentsProvider } from "../service"
import { startLocalMedusaPayments, type LocalMedusaPayments } from "../../../../local-medusa-payments"

let local: LocalMedusaPayments

const paymentAt = (id: unknown) => local.state.payment(id as string)
const standard = (minor: number, id: unknown) => fromWireAmount(minor, paymentAt(id).currency)

runProviderConformanceSuite<MedusaPaymentsProvider>({
  name: "medusa-payments (local Medusa Payments stand-in)",
  currency: "usd",
  setup: async () => {
    local = await startLocalMedusaPayments()
  },
  teardown: () => local.close(),
  createProvider: () =>
    new MedusaPaymentsProvider(
      {},
      {
        api_key: local.apiKey,
        endpoint: local.url,
        webhook_secret: local.webhookSecret,
        environment_handle: local.environmentHandle,
      }
    ),
  drive: {
    // The customer pays in the storefront's payment element, at the service;
    // authorizePayment only reads what happened.
    completeCustomerStep: async (_provider, session) => {
      local.confirm(session.id, "pm_card_visa")
    },
    capturedAmount: async (_provider, data) => standard(paymentAt(data.id).amount_received, data.id),
    refundedAmount: async (_provider, data) => standard(paymentAt(data.id).amount_refunded, data.id),
    initiatedAmount: async (_provider, session) => standard(paymentAt(session.id).amount, session.id),
  },
  webhook: {
    // The genuine, signed delivery of the event the service emitted when it created the payment.
    deliveryFor: (session) => {
      const created = local.events.find(
        (event) => event.type === "payment_intent.created" && event.data.object.id === session.id
      )
      if (!created) throw new Error(`the stand-in emitted no payment_intent.created for ${session.id}`)
      return local.delivery(created)
    },
  },
  requireAllHooks: true,
  capabilities: {
    // The API captures a payment's whole amount (the capture request has no
    // amount); the provider refuses a partial capture instead of letting the
    // service capture everything.
    partialCapture: false,
    // The customer confirms the payment at the service, which then keeps its
    // amount (a Stripe PaymentIntent in requires_capture); the provider
    // refuses such an update rather than answer with the old amount as
    // Medusa's does. The kit checks that refusal instead.
    updatesAfterCustomerStep: false,
  },
})
