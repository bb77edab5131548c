import { MedusaError } from "@medusajs/framework/utils"
import { StripeProviderService } from "../service"
import { resolveStripeOptions } from "../options"
import stripeProviderModule from "../index"

function optionError(options: unknown): MedusaError {
  try {
    StripeProviderService.validateOptions(options as Record<string, unknown>)
  } catch (error) {
    return error as MedusaError
  }
  throw new Error(`expected ${JSON.stringify(options)} to be refused`)
}

describe("Stripe provider options", () => {
  it("fills in safe defaults", () => {
    expect(resolveStripeOptions({ apiKey: "sk_test_123" })).toEqual({
      apiKey: "sk_test_123",
      webhookSecrets: [],
      webhookToleranceSeconds: 300,
      captureMethod: "manual",
      automaticPaymentMethods: false,
      paymentMethodConfiguration: undefined,
      paymentDescription: undefined,
      asyncPaymentMethodTypes: [],
      oxxoExpiresDays: 3,
      api: undefined,
      apiVersion: undefined,
      maxNetworkRetries: 2,
      timeoutMs: 80000,
      confirmOnAuthorize: true,
    })
  })

  it("reads every option", () => {
    const resolved = resolveStripeOptions({
      apiKey: "rk_live_abc",
      webhookSecret: ["whsec_new", "whsec_old"],
      webhookToleranceSeconds: 60,
      capture: true,
      automaticPaymentMethods: true,
      paymentMethodConfiguration: "pmc_123",
      paymentDescription: "Order",
      asyncPaymentMethodTypes: ["sepa_debit"],
      apiBaseUrl: "http://127.0.0.1:12111",
      apiVersion: "2025-09-30.clover",
      maxNetworkRetries: 0,
      timeoutMs: 5000,
      confirmOnAuthorize: false,
    })
    expect(resolved).toMatchObject({
      webhookSecrets: ["whsec_new", "whsec_old"],
      webhookToleranceSeconds: 60,
      captureMethod: "automatic",
      api: { host: "127.0.0.1", port: 12111, protocol: "http" },
      maxNetworkRetries: 0,
      confirmOnAuthorize: false,
    })
  })

  it.each([
    [true, "automatic"],
    ["automatic", "automatic"],
    [false, "manual"],
    ["manual", "manual"],
  ])("capture %p → %s", (capture, expected) => {
    expect(resolveStripeOptions({ apiKey: "sk_x", capture }).captureMethod).toBe(expected)
  })

  it("takes a single webhook secret as a list of one", () => {
    expect(resolveStripeOptions({ apiKey: "sk_x", webhookSecret: "whsec_1" }).webhookSecrets).toEqual(["whsec_1"])
  })

  it("accepts an IPv6 loopback", () => {
    expect(resolveStripeOptions({ apiKey: "sk_x", apiBaseUrl: "http://[::1]:12111" }).api).toEqual({
      host: "::1",
      port: 12111,
      protocol: "http",
    })
  })

  it("defaults the port from the scheme", () => {
    expect(resolveStripeOptions({ apiKey: "sk_x", apiBaseUrl: "https://stripe.internal" }).api).toEqual({
      host: "stripe.internal",
      port: 443,
      protocol: "https",
    })
  })

  it.each([
    [undefined, "options must be an object"],
    [{}, "required option `apiKey` is missing"],
    [{ apiKey: "" }, "required option `apiKey` is missing"],
    [{ apiKey: 42 }, "`apiKey` must be a string"],
    [{ apiKey: "pk_live_123" }, "publishable key"],
    [{ apiKey: "sk_x", webhookSecret: "" }, "`webhookSecret` must be a non-empty string"],
    [{ apiKey: "sk_x", webhookSecret: ["whsec_1", 2] }, "`webhookSecret` must be a non-empty string"],
    [{ apiKey: "sk_x", webhookSecret: [] }, "`webhookSecret` is an empty list"],
    [{ apiKey: "sk_x", capture: "later" }, "`capture` must be"],
    [{ apiKey: "sk_x", automaticPaymentMethods: "yes" }, "`automaticPaymentMethods` must be a boolean"],
    [{ apiKey: "sk_x", asyncPaymentMethodTypes: "sepa_debit" }, "`asyncPaymentMethodTypes` must be a list"],
    [{ apiKey: "sk_x", webhookToleranceSeconds: 0 }, "`webhookToleranceSeconds` must be a positive number"],
    [{ apiKey: "sk_x", maxNetworkRetries: 1.5 }, "`maxNetworkRetries` must be a whole number"],
    [{ apiKey: "sk_x", apiBaseUrl: "not a url" }, "`apiBaseUrl` is not a URL"],
    [{ apiKey: "sk_x", apiBaseUrl: "ftp://127.0.0.1" }, "must use http or https"],
    [{ apiKey: "sk_x", apiBaseUrl: "http://127.0.0.1:1/v1" }, "without a path"],
    [{ apiKey: "sk_x", webhook_secret: "whsec_1" }, "unknown option(s) `webhook_secret`"],
  ])("refuses %p with a clear error", (options, message) => {
    const error = optionError(options)
    expect(error).toBeInstanceOf(MedusaError)
    expect(error.type).toBe(MedusaError.Types.INVALID_ARGUMENT)
    expect(error.message).toContain("Stripe payment provider")
    expect(error.message).toContain(message)
  })

  it("the constructor validates too (a provider is never half-configured)", () => {
    expect(() => new StripeProviderService({}, {} as never)).toThrow("required option `apiKey` is missing")
  })

  it("warns through the container logger when no webhook secret is set", () => {
    const warn = jest.fn()
    new StripeProviderService({ logger: { warn } }, { apiKey: "sk_x" })
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("no `webhookSecret` is configured"))
    warn.mockClear()
    new StripeProviderService({ logger: { warn } }, { apiKey: "sk_x", webhookSecret: "whsec_1" })
    expect(warn).not.toHaveBeenCalled()
  })

  it("registers as identifier stripe", () => {
    expect(StripeProviderService.identifier).toBe("stripe")
    expect(stripeProviderModule.services).toContain(StripeProviderService)
  })

  it("takes the snake-case names Medusa's Stripe page documents, with the meaning it documents", () => {
    const resolved = resolveStripeOptions({ apiKey: "sk_test_1", automatic_payment_methods: true, payment_description: "Order" })
    expect(resolved).toMatchObject({ automaticPaymentMethods: true, paymentDescription: "Order" })
    expect(() => resolveStripeOptions({ apiKey: "sk_test_1", automatic_payment_methods: true, automaticPaymentMethods: false })).toThrow(
      "options `automatic_payment_methods` and `automaticPaymentMethods` are the same option with two values"
    )
  })

  it("takes oxxoExpiresDays as a whole number of days", () => {
    expect(resolveStripeOptions({ apiKey: "sk_test_1", oxxoExpiresDays: 7 }).oxxoExpiresDays).toBe(7)
    expect(() => resolveStripeOptions({ apiKey: "sk_test_1", oxxoExpiresDays: 0 })).toThrow("`oxxoExpiresDays` must be a whole number ≥ 1")
    expect(() => resolveStripeOptions({ apiKey: "sk_test_1", oxxoExpiresDays: "3" })).toThrow("`oxxoExpiresDays`")
  })
})
