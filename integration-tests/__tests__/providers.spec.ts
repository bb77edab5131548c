import { createMedusaContainer, MedusaError } from "@medusajs/framework/utils"
import loadProviders, { PROVIDER_REGISTRATION_KEY, registerProvider } from "../../src/loaders/providers"
import {
  bootModule,
  paymentModuleSuite,
  MANUAL,
  SCRIPTED,
  SCRIPTED_PROVIDER,
} from "../__fixtures__/module"

paymentModuleSuite(
  ({ service }) => {
    describe("provider registration", () => {
      it("always has the manual provider and registers configured ones as pp_<identifier>_<id>", async () => {
        const providers = await service.listPaymentProviders({}, { order: { id: "ASC" } })
        expect(providers.map((p) => [p.id, p.is_enabled])).toEqual([
          ["pp_scripted_other", true],
          [SCRIPTED, true],
          [MANUAL, true],
        ])
        const [enabled, count] = await service.listAndCountPaymentProviders({ is_enabled: true })
        expect(count).toBe(3)
        expect(enabled).toHaveLength(3)
      })

      it("reaches each registered provider by its key", async () => {
        const collection = await service.createPaymentCollections({ currency_code: "usd", amount: 1 })
        const session = await service.createPaymentSession(collection.id, {
          provider_id: "pp_scripted_other", currency_code: "usd", amount: 1, data: {},
        })
        expect(session.data).toMatchObject({ ref: `ref_${session.id}` })
      })
    })

    describe("getWebhookActionAndData", () => {
      const payload = { data: { session_id: "payses_1", amount: 10 }, rawData: "{}", headers: {} }

      it("finds the provider with or without the pp_ prefix and returns its action", async () => {
        await expect(service.getWebhookActionAndData({ provider: "scripted_test", payload })).resolves.toEqual({
          action: "authorized", data: { session_id: "payses_1", amount: 10 },
        })
        await expect(service.getWebhookActionAndData({ provider: SCRIPTED, payload })).resolves.toMatchObject({ action: "authorized" })
        await expect(service.getWebhookActionAndData({ provider: "system_default", payload })).resolves.toEqual({ action: "not_supported" })
      })

      it("verifyWebhook: a provider without its own check answers verified: false; an unknown provider is NOT_FOUND", async () => {
        await expect((service as any).verifyWebhook({ provider: "system_default", payload })).resolves.toEqual({ verified: false })
        await expect((service as any).verifyWebhook({ provider: "nobody_here", payload })).rejects.toMatchObject({ type: "not_found" })
      })

      it.each([undefined, null, 123, {}, ""])("rejects a provider of %p with INVALID_DATA", async (provider) => {
        const error = await service.getWebhookActionAndData({ provider: provider as any, payload }).catch((e) => e)
        expect(error).toBeInstanceOf(MedusaError)
        expect(error.type).toBe(MedusaError.Types.INVALID_DATA)
      })

      it("rejects a missing payload and an unknown provider with errors that say what is wrong", async () => {
        await expect(service.getWebhookActionAndData({ provider: "scripted_test" } as any)).rejects.toMatchObject({
          type: "invalid_data", message: expect.stringContaining("payload"),
        })
        // Medusa issue #10092: the route name is the key without pp_, e.g. stripe_stripe.
        // Medusa's message; what is registered and how keys are made, in details.
        await expect(service.getWebhookActionAndData({ provider: "scripted", payload })).rejects.toMatchObject({
          type: "not_found",
          message: expect.stringMatching(/^\nUnable to retrieve the payment provider with id: pp_scripted\n/),
          details: {
            provider_id: "pp_scripted",
            registered_providers: expect.arrayContaining(["pp_scripted_test", "pp_scripted_other"]),
            hint: expect.stringContaining("pp_<identifier>_<id>"),
          },
        })
      })
    })
  },
  {
    providers: [
      { resolve: SCRIPTED_PROVIDER, id: "test" },
      { resolve: SCRIPTED_PROVIDER, id: "other", options: { label: "other" } },
    ],
  }
)

describe("loading the module", () => {
  jest.setTimeout(60000)
  const database = "payment_plus_loader_test"

  it("disables providers that were removed from the configuration (Medusa keeps them enabled)", async () => {
    const first = await bootModule(database, {
      providers: [
        { resolve: SCRIPTED_PROVIDER, id: "test" },
        { resolve: SCRIPTED_PROVIDER, id: "gone" },
      ],
    })
    await first.shutdown()

    const second = await bootModule(database, { providers: [{ resolve: SCRIPTED_PROVIDER, id: "test" }] }, { freshDatabase: false })
    try {
      const providers = await second.service.listPaymentProviders({}, { order: { id: "ASC" } })
      expect(providers.map((p) => [p.id, p.is_enabled])).toEqual([
        ["pp_scripted_gone", false],
        [SCRIPTED, true],
        [MANUAL, true],
      ])
    } finally {
      await second.shutdown()
    }
  })

  it("calls each provider's validateOptions at load and stops on its error", async () => {
    // Through the loader itself: Medusa's app boot turns a failing module
    // loader into a process crash, which a test process cannot survive.
    const container = createMedusaContainer()
    await expect(
      loadProviders({
        container,
        options: { providers: [{ resolve: SCRIPTED_PROVIDER, id: "test", options: { invalid: true } }] },
      } as any)
    ).rejects.toThrow(/option `invalid` was set/)
    expect(container.resolve(PROVIDER_REGISTRATION_KEY)).toEqual([MANUAL])
  })

  it("refuses a provider without an identifier", async () => {
    // Medusa's provider loader checks this before calling ours; the module's
    // own check guards every other way of registering a provider.
    const container = createMedusaContainer()
    class Nameless {}
    await expect(registerProvider(Nameless as any, container, { id: "x" })).rejects.toMatchObject({
      type: MedusaError.Types.INVALID_ARGUMENT,
      message: "Trying to register a payment provider without a provider identifier.",
    })
    await registerProvider(class { static identifier = "named" } as any, container, { id: "x" })
    expect(container.resolve(PROVIDER_REGISTRATION_KEY)).toEqual(["pp_named_x"])
  })
})
