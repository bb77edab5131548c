import { LoaderOptions, ModuleProvider, ModulesSdkTypes } from "@medusajs/framework/types"
import { asFunction, asValue, Lifetime } from "@medusajs/framework/awilix"
import { moduleProviderLoader } from "@medusajs/framework/modules-sdk"
import { MedusaError } from "@medusajs/framework/utils"
import { MedusaPaymentsProvider } from "../providers/medusa-payments/service"
import { medusaPaymentsOptionsFromCloud } from "../providers/medusa-payments/options"
import { SystemPaymentProvider } from "../providers/system"
import { PaymentModuleOptions } from "../types"

/** The container list every loaded provider key is added to. */
export const PROVIDER_REGISTRATION_KEY = "payment_providers"

type ProviderClass = {
  identifier?: string
  LIFE_TIME?: (typeof Lifetime)[keyof typeof Lifetime]
  new (cradle: Record<string, unknown>, options?: Record<string, unknown>): unknown
}

/** `pp_<identifier>_<id>`: the key Medusa's regions, sessions and webhook routes use. */
export function providerKey(identifier: string, id?: string): string {
  return `pp_${identifier}${id ? `_${id}` : ""}`
}

export async function registerProvider(
  klass: ProviderClass,
  container: LoaderOptions["container"],
  { id, options }: { id?: string; options?: Record<string, unknown> }
): Promise<void> {
  if (!klass?.identifier) {
    throw new MedusaError(
      MedusaError.Types.INVALID_ARGUMENT,
      `Trying to register a payment provider without a provider identifier.`
    )
  }
  const key = providerKey(klass.identifier, id)
  container.register({
    [key]: asFunction((cradle) => new klass(cradle, options), {
      lifetime: klass.LIFE_TIME ?? Lifetime.SINGLETON,
    }),
  })
  container.registerAdd(PROVIDER_REGISTRATION_KEY, asValue(key))
}

/**
 * Keeps the payment_provider table in step with the configuration: loaded
 * providers are enabled, and providers that were removed from the
 * configuration are disabled (Medusa 2.21 means to do this but never does,
 * so stores keep offering providers that no longer exist).
 */
async function syncProvidersTable(container: LoaderOptions["container"]): Promise<void> {
  const loaded: string[] = container.resolve(PROVIDER_REGISTRATION_KEY)
  const providers = container.resolve<ModulesSdkTypes.IMedusaInternalService<any>>(
    "paymentProviderService"
  )
  const known: { id: string; is_enabled: boolean }[] = await providers.list({}, {})
  const disabled = known
    .filter((row) => row.is_enabled && !loaded.includes(row.id))
    .map((row) => ({ id: row.id, is_enabled: false }))
  const enabled = loaded.map((id) => ({ id, is_enabled: true }))
  await providers.upsert([...enabled, ...disabled])
}

export default async function loadProviders({
  container,
  options,
}: LoaderOptions<PaymentModuleOptions>): Promise<void> {
  await registerProvider(SystemPaymentProvider as unknown as ProviderClass, container, {
    id: "default",
  })
  // Medusa Payments only with complete `cloud` options; registered before
  // the configured providers, as Medusa does.
  const cloud = medusaPaymentsOptionsFromCloud(options?.cloud)
  if (cloud) {
    await registerProvider(MedusaPaymentsProvider as unknown as ProviderClass, container, {
      id: "default",
      options: cloud,
    })
  }
  await moduleProviderLoader({
    container,
    providers: (options?.providers ?? []) as ModuleProvider[],
    registerServiceFn: registerProvider as any,
  })
  await syncProvidersTable(container)
}
