import {
  AuthorizePaymentInput,
  AuthorizePaymentOutput,
  CancelPaymentInput,
  CancelPaymentOutput,
  CapturePaymentInput,
  CapturePaymentOutput,
  CreateAccountHolderInput,
  CreateAccountHolderOutput,
  DeleteAccountHolderInput,
  DeleteAccountHolderOutput,
  DeletePaymentInput,
  DeletePaymentOutput,
  GetPaymentStatusInput,
  GetPaymentStatusOutput,
  InitiatePaymentInput,
  InitiatePaymentOutput,
  IPaymentProvider,
  ListPaymentMethodsInput,
  ListPaymentMethodsOutput,
  Logger,
  ProviderWebhookPayload,
  RefundPaymentInput,
  RefundPaymentOutput,
  RetrieveAccountHolderInput,
  RetrieveAccountHolderOutput,
  RetrievePaymentInput,
  RetrievePaymentOutput,
  SavePaymentMethodInput,
  SavePaymentMethodOutput,
  UpdateAccountHolderInput,
  UpdateAccountHolderOutput,
  UpdatePaymentInput,
  UpdatePaymentOutput,
  WebhookActionResult,
} from "@medusajs/framework/types"
import { ModulesSdkUtils } from "@medusajs/framework/utils"
import { PaymentProvider } from "../models"
import { notFound, providerError } from "../utils/errors"

type InjectedDependencies = {
  logger?: Logger
  [key: string]: unknown
}

type ProviderOperation = Exclude<keyof IPaymentProvider, "getIdentifier">

/**
 * Medusa's provider service, with Medusa's method names (`createSession`,
 * `authorizePayment`, `getStatus`, …), so code written against
 * `@medusajs/payment` can spy on, extend or replace it. It finds a provider
 * by its key (`pp_<identifier>_<id>`) and calls it; unlike Medusa's, every
 * failure reaches the caller as a MedusaError with the provider's own
 * message and code. Timeouts and answer checks are the gateway's
 * (`providers/gateway.ts`), which is what the module calls.
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

  /** The provider registered under `providerId`; NOT_FOUND, in Medusa's words, otherwise. */
  retrieveProvider(providerId: string): IPaymentProvider {
    let provider: IPaymentProvider | undefined
    try {
      provider = this.container_[providerId] as IPaymentProvider | undefined
    } catch (error) {
      // The container throws for keys it has never seen; anything else is a
      // provider that is registered but failed to construct.
      if ((error as Error).name !== "AwilixResolutionError") {
        throw notFound(
          `Unable to retrieve the payment provider with id: ${providerId}, the following error occurred: ${(error as Error).message}`,
          { provider_id: providerId, registered_providers: this.registeredKeys() }
        )
      }
    }
    if (!provider) {
      throw notFound(
        `\nUnable to retrieve the payment provider with id: ${providerId}\n` +
          `Please make sure that the provider is registered in the container and it is configured correctly in your project configuration file.`,
        {
          provider_id: providerId,
          registered_providers: this.registeredKeys(),
          hint: `A provider configured as { resolve, id: "<id>" } with identifier "<identifier>" is registered as pp_<identifier>_<id>.`,
        }
      )
    }
    return provider
  }

  registeredKeys(): string[] {
    try {
      return ([] as string[]).concat((this.container_["payment_providers"] as string[] | undefined) ?? [])
    } catch {
      return []
    }
  }

  async createSession(providerId: string, input: InitiatePaymentInput): Promise<InitiatePaymentOutput> {
    return await this.call(providerId, "initiatePayment", input)
  }

  async updateSession(providerId: string, input: UpdatePaymentInput): Promise<UpdatePaymentOutput> {
    return await this.call(providerId, "updatePayment", input)
  }

  async deleteSession(providerId: string, input: DeletePaymentInput): Promise<DeletePaymentOutput> {
    return await this.call(providerId, "deletePayment", input)
  }

  async authorizePayment(providerId: string, input: AuthorizePaymentInput): Promise<AuthorizePaymentOutput> {
    return await this.call(providerId, "authorizePayment", input)
  }

  async getStatus(providerId: string, input: GetPaymentStatusInput): Promise<GetPaymentStatusOutput> {
    return await this.call(providerId, "getPaymentStatus", input)
  }

  async retrievePayment(providerId: string, input: RetrievePaymentInput): Promise<RetrievePaymentOutput> {
    return await this.call(providerId, "retrievePayment", input)
  }

  async capturePayment(providerId: string, input: CapturePaymentInput): Promise<CapturePaymentOutput> {
    return await this.call(providerId, "capturePayment", input)
  }

  async cancelPayment(providerId: string, input: CancelPaymentInput): Promise<CancelPaymentOutput> {
    return await this.call(providerId, "cancelPayment", input)
  }

  async refundPayment(providerId: string, input: RefundPaymentInput): Promise<RefundPaymentOutput> {
    return await this.call(providerId, "refundPayment", input)
  }

  // Account holders and saved payment methods are optional in the contract:
  // a provider without them answers with nothing (and a warning), as in Medusa.

  async retrieveAccountHolder(
    providerId: string,
    input: RetrieveAccountHolderInput
  ): Promise<RetrieveAccountHolderOutput> {
    return await this.callOptional(providerId, "retrieveAccountHolder", input, "retrieving account holders", {})
  }

  async createAccountHolder(providerId: string, input: CreateAccountHolderInput): Promise<CreateAccountHolderOutput> {
    return await this.callOptional(providerId, "createAccountHolder", input, "creating account holders", {})
  }

  async updateAccountHolder(providerId: string, input: UpdateAccountHolderInput): Promise<UpdateAccountHolderOutput> {
    return await this.callOptional(providerId, "updateAccountHolder", input, "updating account holders", {})
  }

  async deleteAccountHolder(providerId: string, input: DeleteAccountHolderInput): Promise<DeleteAccountHolderOutput> {
    return await this.callOptional(providerId, "deleteAccountHolder", input, "deleting account holders", {})
  }

  async listPaymentMethods(providerId: string, input: ListPaymentMethodsInput): Promise<ListPaymentMethodsOutput> {
    return await this.callOptional(providerId, "listPaymentMethods", input, "listing payment methods", [])
  }

  async savePaymentMethod(providerId: string, input: SavePaymentMethodInput): Promise<SavePaymentMethodOutput> {
    return await this.callOptional(providerId, "savePaymentMethod", input, "saving payment methods", {})
  }

  async deletePaymentMethod(providerId: string, input: { context?: unknown; data?: Record<string, unknown> }) {
    return await this.callOptional(providerId, "deletePaymentMethod", input as any, "deleting payment methods", {})
  }

  async getWebhookActionAndData(
    providerId: string,
    payload: ProviderWebhookPayload["payload"]
  ): Promise<WebhookActionResult> {
    return await this.call(providerId, "getWebhookActionAndData", payload)
  }

  /**
   * Runs the provider's own authenticity check of a webhook delivery, when it
   * has one (`verifyWebhook`, not part of Medusa's provider interface).
   * Answers false for a provider without one; throws what the check throws.
   */
  async verifyWebhook(providerId: string, payload: ProviderWebhookPayload["payload"]): Promise<boolean> {
    const provider = this.retrieveProvider(providerId) as IPaymentProvider & {
      verifyWebhook?: (payload: ProviderWebhookPayload["payload"]) => Promise<void>
    }
    if (typeof provider.verifyWebhook !== "function") return false
    await provider.verifyWebhook(payload)
    return true
  }

  private async call<O extends ProviderOperation>(
    providerId: string,
    operation: O,
    input: Parameters<NonNullable<IPaymentProvider[O]>>[0]
  ): Promise<any> {
    const provider = this.retrieveProvider(providerId)
    try {
      return await (provider[operation] as (i: unknown) => Promise<unknown>).call(provider, input)
    } catch (error) {
      throw providerError(providerId, operation, error)
    }
  }

  private async callOptional<O extends ProviderOperation, R>(
    providerId: string,
    operation: O,
    input: Parameters<NonNullable<IPaymentProvider[O]>>[0],
    what: string,
    whenUnsupported: R
  ): Promise<any> {
    const provider = this.retrieveProvider(providerId)
    if (typeof provider[operation] !== "function") {
      this.logger_.warn(`Provider ${providerId} does not support ${what}`)
      return whenUnsupported
    }
    return await this.call(providerId, operation, input)
  }
}
