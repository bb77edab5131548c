import { ModuleProvider, Modules } from "@medusajs/framework/utils"
import { AcmePayProvider } from "./provider"

/** medusa-config: `{ resolve: "./examples/acme-pay", id: "acme", options: { webhookSecret } }` → `pp_acme-pay_acme`. */
export default ModuleProvider(Modules.PAYMENT, { services: [AcmePayProvider] })
export { AcmePayProvider }
