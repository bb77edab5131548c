import { SystemPaymentProvider } from "../../providers/system"
import { runProviderConformanceSuite } from ".."

// The manual provider moves no money itself: it cannot tell a repeated
// initiate from a new one (every session gets a fresh id), and it takes the
// amount the module has already validated without looking at it. Like
// Medusa's, it keeps no state, so its status cannot read "canceled".
runProviderConformanceSuite({
  name: "system (manual payments)",
  currency: "usd",
  // The loader builds providers with `new klass(cradle, options)`; the class
  // inherits Medusa's protected constructor, hence the cast.
  createProvider: () =>
    new SystemPaymentProvider({}, {}),
  capabilities: {
    idempotentInitiate: false,
    rejectsUnrepresentableAmounts: false,
    reportsStatus: false,
  },
})
