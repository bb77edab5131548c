import { ModuleProviderExports, ModuleServiceInitializeOptions } from "@medusajs/framework/types"

/** The options a store passes to this module in `medusa-config.ts`. */
export type PaymentModuleOptions = Partial<ModuleServiceInitializeOptions> & {
  providers?: {
    resolve: string | ModuleProviderExports
    id: string
    options?: Record<string, unknown>
    dependencies?: string[]
  }[]
}
export * from "./money-movement-status"
