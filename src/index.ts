import { Module, Modules } from "@medusajs/framework/utils"
import loadProviders from "./loaders/providers"
import { PaymentModuleService } from "./services"

export * from "./types"
export { SystemPaymentProvider } from "./providers/system"

/** `resolve: "<this package>"` in medusa-config loads this definition as the payment module. */
export default Module(Modules.PAYMENT, {
  service: PaymentModuleService,
  loaders: [loadProviders],
})
