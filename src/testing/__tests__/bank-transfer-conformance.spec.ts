import { BankClient } from "../../../examples/bank-transfer/bank"
import { BankTransferProvider, transferReceivedDelivery } from "../../../examples/bank-transfer/provider"
import { runProviderConformanceSuite } from ".."

// The deferred-payment example (pay by bank transfer, confirmed when the
// money arrives), held to the full kit in its deferred mode.
const bank = new BankClient()
const SECRET = "bank_webhook_secret"

runProviderConformanceSuite<BankTransferProvider>({
  name: "bank-transfer (example, deferred)",
  currency: "eur",
  createProvider: () => new BankTransferProvider({}, { webhookSecret: SECRET, client: bank }),
  deferred: {
    moneyArrives: (_provider, session) => transferReceivedDelivery(bank.moneyArrives(session.id), SECRET),
  },
  drive: {
    capturedAmount: async (_provider, data) => centsToEuros(bank.get(data.id as string).received),
    refundedAmount: async (_provider, data) => centsToEuros(bank.get(data.id as string).refunded),
    initiatedAmount: async (_provider, session) => centsToEuros(bank.get(session.id).amount),
  },
  webhook: {
    // A notification about the session: the bank sends one only when money arrives.
    deliveryFor: (session) => {
      const transfer = bank.get(session.id)
      return transferReceivedDelivery({ ...transfer, received: transfer.amount }, SECRET)
    },
  },
  capabilities: {
    // A transfer arrives whole: nothing to capture in part.
    partialCapture: false,
    // Captured the moment the money arrives; canceling is tested while it waits.
    cancelAfterAuthorization: false,
  },
  requireAllHooks: true,
})

function centsToEuros(cents: number): string {
  return (BigInt(cents) / 100n).toString() + "." + String(cents % 100).padStart(2, "0")
}
