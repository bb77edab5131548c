import {

  IPaymentProvider,
  Logger,
  ProviderWebhookPayload,
  WebhookActionResult,
} from "@medusajs/framework/types"
import { ModulesSdkUtils } from "@medusajs/framework/utils"
import { PaymentProvider } from "../models"
import { notFound, providerError } from "../utils/errors"

type InjectedDependencies = {
  logger?: Logger
  [key: string]: unknown
}

/** The optional parts of the provider contract (account holders, saved methods). */
type OptionalOperation =
  | "retrieveAccountHolder"
  | "createAccountHolder"
  | "updateAccountHolder"
  | "deleteAccountHolder"
  | "listPaymentMethods"
  | "savePaymentMethod"
  | "deletePaymentMethod"

type ProviderOperation = keyof IPaymentProvider

/**
 * Finds providers in the module's container by their key
 * (`pp_<identifier>_<id>`) and calls them. Every provider call of the module
 * goes through `call`, so every provider failure reaches the caller as a
 * MedusaError that names the provider, the operation and the provider's own
 * message and code.
 */
export default class PaymentProviderService extends ModulesSdkUtils.MedusaInternalService<any>(
  PaymentProvider
) {
  protected readonly container_: InjectedDependencies
  protected readonly logger_: Logger | Console

  constructor(container: InjectedDependencies) {
    super(container)
    this.container_ = container
    this.logger_ = (container.logger as Logger | undefined) ?? console
  }

  /** The provider registered under `providerId`, or NOT_FOUND naming what is registered. */
  retrieveProvider(providerId: string): IPaymentProvider {
    let provider: IPaymentProvider | undefined
    try {
      provider = this.container_[providerId] as IPaymentProvider | undefined
    } catch (error) {
      // The container throws for keys it has never seen; anything else is a
      // provider that is registered but failed to construct.
      if ((error as Error).name !== "AwilixResolutionError") {
        throw notFound(
          `Payment provider ${providerId} could not be loaded: ${(error as Error).message}`
        )
      }
    }
    if (!provider) {
      const known = this.registeredKeys()
      throw notFound(
        `Payment provider ${providerId} is not registered in the payment module. ` +
          `Registered providers: ${known.length ? known.join(", ") : "none"}. ` +
          `A provider configured as { resolve, id: "<id>" } with identifier "<identifier>" is registered as pp_<identifier>_<id>.`
      )
    }
    return provider
  }

  registeredKeys(): string[] {
    try {
      return ([] as string[]).concat(
        (this.container_["payment_providers"] as string[] | undefined) ?? []
      )
    } catch {
      return []
    }
  }

  async call<O extends Exclude<ProviderOperation, "getIdentifier">>(
    providerId: string,
    operation: O,
    input: Parameters<NonNullable<IPaymentProvider[O]>>[0]
  ): Promise<Awaited<ReturnType<NonNullable<IPaymentProvider[O]>>>> {
    const provider = this.retrieveProvider(providerId)
    try {
      return await (provider[operation] as (i: unknown) => Promise<any>).call(
        provider,
        input
      )
    } catch (error) {
      throw providerError(providerId, operation, error)
    }
  }

  /**
   * Account holders and saved payment methods are optional in the contract;
   * a provider without them answers with nothing rather than failing the
   * checkout that asked.
   */
  async callOptional<O extends OptionalOperation, R>(
    providerId: string,
    operation: O,
    input: unknown,
    whenUnsupported: R
  ): Promise<Awaited<ReturnType<NonNullable<IPaymentProvider[O]>>> | R> {
    const provider = this.retrieveProvider(providerId)
    const method = provider[operation] as ((i: unknown) => Promise<any>) | undefined
    if (typeof method !== "function") {
      this.logger_.warn(`Payment provider ${providerId} does not support ${operation}.`)
      return whenUnsupported
    }
    try {
      return await method.call(provider, input)
    } catch (error) {
      throw providerError(providerId, operation, error)
    }
  }

  async getWebhookActionAndData(
    providerId: string,
    payload: ProviderWebhookPayload["payload"]
  ): Promise<WebhookActionResult> {
    return await this.call(providerId, "getWebhookActionAndData", payload)
  }
}

