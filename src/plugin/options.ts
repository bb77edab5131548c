import type { ConfigModule, MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, MedusaError, Modules } from "@medusajs/framework/utils"
import { DEFAULT_PROVIDER_TIMEOUT_MS } from "../providers/gateway"
import fs from "node:fs"
import path from "node:path"

/** The options of the plugin entry (`plugins: [{ resolve: "medusa-payment-plus", options }]`). */
export type PluginOptions = {
  /**
   * How long (minutes) a payment session whose cart has no order may sit
   * untouched before the reconciliation job asks its provider whether it
   * holds the customer's money — and then completes the cart, or gives the
   * money back. Default 30: longer than any checkout step that legitimately
   * holds money without an order (a 3-D Secure challenge, a bank redirect,
   * Medusa's own 2-minute cart lock, Stripe's first webhook retries), short
   * enough that a customer charged without an order gets the money back
   * within the hour instead of after the authorization's 7-day expiry.
   */
  orphanedPaymentMinutes: number
}

export const DEFAULT_ORPHANED_PAYMENT_MINUTES = 30

const PACKAGE_NAME = "medusa-payment-plus"

/** The plugin's options as the store's `medusa-config.ts` gives them, checked, with defaults. */
export function pluginOptions(container: MedusaContainer): PluginOptions {
  const config = container.resolve<ConfigModule>(ContainerRegistrationKeys.CONFIG_MODULE)
  const entry = (config.plugins ?? []).find((plugin) => isThisPackage(typeof plugin === "string" ? plugin : plugin.resolve))
  const options = (typeof entry === "object" ? entry.options : undefined) ?? {}
  return { orphanedPaymentMinutes: orphanedPaymentMinutes((options as Record<string, unknown>).orphanedPaymentMinutes) }
}

function orphanedPaymentMinutes(value: unknown): number {
  if (value === undefined || value === null) return DEFAULT_ORPHANED_PAYMENT_MINUTES
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new MedusaError(
      MedusaError.Types.INVALID_DATA,
      `The medusa-payment-plus plugin option orphanedPaymentMinutes must be a positive number of minutes, got ${JSON.stringify(value)}.`
    )
  }
  return value
}

/** The entry's `resolve`: the package name, or a path to this package (a store developing against a checkout). */
function isThisPackage(resolve: string | undefined): boolean {
  if (!resolve) return false
  if (resolve === PACKAGE_NAME) return true
  if (!path.isAbsolute(resolve) && !resolve.startsWith(".")) return false
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(path.resolve(resolve), "package.json"), "utf8"))
    return manifest.name === PACKAGE_NAME
  } catch {
    return false
  }
}

/** The payment module's `provider_timeout_ms` as the store configures it (this module's default otherwise). */
export function paymentProviderTimeoutMs(container: MedusaContainer): number {
  const config = container.resolve<ConfigModule>(ContainerRegistrationKeys.CONFIG_MODULE)
  const payment = (config.modules as Record<string, unknown> | undefined)?.[Modules.PAYMENT] as { options?: { provider_timeout_ms?: unknown } } | undefined
  const value = payment?.options?.provider_timeout_ms
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : DEFAULT_PROVIDER_TIMEOUT_MS
}
