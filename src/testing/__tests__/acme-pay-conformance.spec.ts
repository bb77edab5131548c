import { AcmePayClient } from "../../../examples/acme-pay/acme-client"
import { AcmePayProvider, signAcmeBody } from "../../../examples/acme-pay/provider"
import { runProviderConformanceSuite } from ".."

// The example provider of docs/write-your-own-provider.md, held to the full kit.
const client = new AcmePayClient()
const SECRET = "acme_webhook_secret"

runProviderConformanceSuite<AcmePayProvider>({
  name: "acme-pay (example)",
  currency: "eur",
  createProvider: () => new AcmePayProvider({}, { webhookSecret: SECRET, client }),
  drive: {
    capturedAmount: async (_provider, data) => centsToEuros(client.get(data.id as string).captured),
    refundedAmount: async (_provider, data) => centsToEuros(client.get(data.id as string).refunded),
    initiatedAmount: async (_provider, session) => centsToEuros(client.get(session.id).amount),
  },
  webhook: {
    deliveryFor: (session) => {
      const body = JSON.stringify({ type: "payment.authorized", payment: client.get(session.id) })
      return { data: JSON.parse(body), rawData: body, headers: { "x-acme-signature": signAcmeBody(body, SECRET) } }
    },
  },
})

function centsToEuros(cents: number): string {
  return (BigInt(cents) / 100n).toString() + "." + String(cents % 100).padStart(2, "0")
}
