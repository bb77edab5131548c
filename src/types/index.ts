import { ModuleProviderExports, ModuleServiceInitializeOptions } from "@medusajs/framework/types"

/** The options a store passes to this module in `medusa-config.ts`. */
export type PaymentModuleOptions = Partial<ModuleServiceInitializeOptions> & {
  providers?: {
    resolve: string | ModuleProviderExports
    id: string
    options?: Record<string, unknown>
    dependencies?: string[]
  }[]
  /**
   * How long (ms) the module waits for any provider call before it records
   * the call's outcome as unknown — a capture or refund then stays counted
   * as `unknown` and `reconcilePayments` settles it with the same
   * idempotency key. Default 120000.
   */
  provider_timeout_ms?: number
}
export * from "./money-movement-status"
