import { MedusaError } from "@medusajs/framework/utils"

/**
 * Medusa Payments' options, as Medusa's module takes them from its own
 * `cloud` option (the loader passes exactly these five):
 *
 * ```ts
 * { key: Modules.PAYMENT, resolve: "medusa-payment-plus",
 *   options: { cloud: { api_key, endpoint, webhook_secret, environment_handle } } }
 * ```
 */
export type MedusaPaymentsOptions = {
  /** Sent as `Authorization: Basic <api_key>`. */
  api_key: string
  /** The payments API's base URL; paths are appended as they are (`${endpoint}/payments`). */
  endpoint: string
  /** The secret of the `medusa-payments-signature` header on webhooks. */
  webhook_secret: string
  /** The store's Medusa Cloud environment (`x-medusa-environment-handle`)… */
  environment_handle?: string
  /** …or its sandbox (`x-medusa-sandbox-handle`); at least one of the two. */
  sandbox_handle?: string
}

const REQUIRED = ["endpoint", "webhook_secret", "api_key"] as const

function optionError(message: string): MedusaError {
  return new MedusaError(MedusaError.Types.INVALID_ARGUMENT, `Medusa Payments: ${message}`)
}

function isGiven(value: unknown): boolean {
  return value !== undefined && value !== null
}

/**
 * The checks Medusa's provider makes when it is built (each option present,
 * and one of the two handles), plus: what is present must be a non-empty
 * string, since each of them ends up in a URL or a header.
 */
export function validateMedusaPaymentsOptions(options: Record<string, unknown> | undefined): MedusaPaymentsOptions {
  const given = options ?? {}
  for (const name of REQUIRED) {
    if (!isGiven(given[name])) {
      throw optionError(`the option \`${name}\` is required.`)
    }
  }
  if (!isGiven(given.environment_handle) && !isGiven(given.sandbox_handle)) {
    throw optionError("one of the options `environment_handle` or `sandbox_handle` is required.")
  }
  for (const name of [...REQUIRED, "environment_handle", "sandbox_handle"]) {
    const value = given[name]
    if (isGiven(value) && (typeof value !== "string" || value === "")) {
      throw optionError(`the option \`${name}\` must be a non-empty string, got ${JSON.stringify(value)}.`)
    }
  }
  return given as MedusaPaymentsOptions
}

/**
 * What the module's loader registers the provider with: Medusa's rule, to
 * the letter. Only when `api_key`, `endpoint`, `webhook_secret` and one of
 * the handles are all set (truthy) is there a provider, and it gets those
 * five options and nothing else from `cloud`.
 */
export function medusaPaymentsOptionsFromCloud(cloud: unknown): MedusaPaymentsOptions | undefined {
  const { api_key, endpoint, environment_handle, sandbox_handle, webhook_secret } =
    (cloud ?? {}) as Record<string, any>
  if (!api_key || !endpoint || !webhook_secret || !(environment_handle || sandbox_handle)) {
    return undefined
  }
  return { api_key, endpoint, environment_handle, sandbox_handle, webhook_secret }
}
