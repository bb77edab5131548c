import { createMedusaContainer } from "@medusajs/framework/utils"
import loadProviders, { PROVIDER_REGISTRATION_KEY } from "../../../loaders/providers"
import { MedusaPaymentsProvider } from "../service"

/**
 * The module's loader and Medusa's (`@medusajs/payment` 2.21.2), each run on
 * a fresh container for the same module options: the same provider keys, in
 * the same order, and the Medusa Payments provider built with the same
 * options. The database side is a stand-in that only records.
 */

const medusaLoader = require("@medusajs/payment/dist/loaders/providers").default
const { MedusaPaymentsProvider: MedusaOwnProvider } = require("@medusajs/payment/dist/providers/payment-medusa")

const KEY = "pp_medusa-payments_default"
const complete = {
  api_key: "mp_key",
  endpoint: "https://payments.example",
  webhook_secret: "mp_whsec",
  environment_handle: "env_1",
}

async function load(loader: (input: any) => Promise<void>, moduleOptions: Record<string, unknown>) {
  const container = createMedusaContainer()
  const upserts: unknown[] = []
  container.register("paymentProviderService", {
    resolve: () => ({ list: async () => [], upsert: async (rows: unknown) => void upserts.push(rows) }),
  } as any)
  await loader({ container, options: moduleOptions })
  const keys: string[] = container.resolve(PROVIDER_REGISTRATION_KEY)
  const provider = keys.includes(KEY) ? container.resolve<any>(KEY) : undefined
  return { keys, provider, upserts }
}

const cases: [string, unknown][] = [
  ["no cloud option", undefined],
  ["cloud: null", null],
  ["cloud: {}", {}],
  ["every option and an environment handle", complete],
  ["a sandbox handle instead", { ...complete, environment_handle: undefined, sandbox_handle: "sbx_1" }],
  ["both handles", { ...complete, sandbox_handle: "sbx_1" }],
  ["extra fields in cloud", { ...complete, region: "eu", providers: [] }],
  ["no api_key", { ...complete, api_key: undefined }],
  ["an empty api_key", { ...complete, api_key: "" }],
  ["no endpoint", { ...complete, endpoint: undefined }],
  ["no webhook_secret", { ...complete, webhook_secret: undefined }],
  ["no handle", { ...complete, environment_handle: undefined }],
  ["empty handles", { ...complete, environment_handle: "", sandbox_handle: "" }],
]

describe("options.cloud registers Medusa Payments exactly when Medusa's loader does", () => {
  it.each(cases)("%s", async (_name, cloud) => {
    const moduleOptions = cloud === undefined ? {} : { cloud }
    const [mine, theirs] = await Promise.all([load(loadProviders, moduleOptions), load(medusaLoader, moduleOptions)])

    expect(mine.keys).toEqual(theirs.keys)
    if (!theirs.provider) {
      expect(mine.keys).toEqual(["pp_system_default"])
      return
    }
    expect([...mine.keys].sort()).toEqual([KEY, "pp_system_default"])
    expect(theirs.provider).toBeInstanceOf(MedusaOwnProvider)
    expect(mine.provider).toBeInstanceOf(MedusaPaymentsProvider)
    // The same five options, undefined ones included, and nothing else from `cloud`.
    expect(mine.provider.options_).toStrictEqual(theirs.provider.options_)
    expect(Object.keys(mine.provider.options_).sort()).toEqual(
      ["api_key", "endpoint", "environment_handle", "sandbox_handle", "webhook_secret"]
    )
  })

  it("registers Medusa Payments between the manual provider and the configured ones, as Medusa does", async () => {
    const scripted = require.resolve("../../../../integration-tests/__fixtures__/scripted-provider")
    const moduleOptions = { cloud: complete, providers: [{ resolve: scripted, id: "test" }] }
    const [mine, theirs] = await Promise.all([load(loadProviders, moduleOptions), load(medusaLoader, moduleOptions)])
    // The container lists what was registered newest first.
    expect(mine.keys).toEqual(["pp_scripted_test", KEY, "pp_system_default"])
    expect(mine.keys).toEqual(theirs.keys)
  })

  it("keeps the database in step: Medusa Payments enabled with the others", async () => {
    const { upserts } = await load(loadProviders, { cloud: complete })
    expect(upserts).toHaveLength(1)
    expect(upserts[0]).toEqual(
      expect.arrayContaining([
        { id: "pp_system_default", is_enabled: true },
        { id: KEY, is_enabled: true },
      ])
    )
  })

  it("a provider built by hand checks its options as Medusa's does", () => {
    expect(() => new MedusaPaymentsProvider({}, { ...complete, endpoint: undefined } as any)).toThrow(/`endpoint` is required/)
    expect(() => new MedusaPaymentsProvider({}, { ...complete, environment_handle: undefined } as any)).toThrow(
      /`environment_handle` or `sandbox_handle`/
    )
    expect(() => MedusaPaymentsProvider.validateOptions({ ...complete, api_key: 42 })).toThrow(/non-empty string/)
    expect(() => new MedusaPaymentsProvider({}, complete)).not.toThrow()
  })
})
