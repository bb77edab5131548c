import crypto from "crypto"
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
  ProviderWebhookPayload,
  RefundPaymentInput,
  RefundPaymentOutput,
  RetrieveAccountHolderInput,
  RetrieveAccountHolderOutput,
  RetrievePaymentInput,
  RetrievePaymentOutput,
  UpdatePaymentInput,
  UpdatePaymentOutput,
  WebhookActionResult,
} from "@medusajs/framework/types"
import {
  AbstractPaymentProvider,
  PaymentActions,
  PaymentSessionStatus,
} from "@medusajs/framework/utils"

/**
 * The manual provider, `pp_system_default`: money that moves outside the
 * store (cash on delivery, bank transfer marked as paid by an admin).
 *
 * It keeps the state of the payment in the session data it hands back, so
 * that `getPaymentStatus` can answer (Medusa's manual provider throws there)
 * and reconciliation works for manual payments like for any other.
 */
export class SystemPaymentProvider extends AbstractPaymentProvider {
  static identifier = "system"

  // Public, so the class can be constructed outside the module's container
  // (the conformance kit does); the base constructor is protected.
  constructor(cradle: Record<string, unknown> = {}, options: Record<string, unknown> = {}) {
    super(cradle, options)
  }

  async initiatePayment(_: InitiatePaymentInput): Promise<InitiatePaymentOutput> {
    return {
      id: crypto.randomUUID(),
      data: {},
      status: PaymentSessionStatus.PENDING,
    }
  }

  async updatePayment(input: UpdatePaymentInput): Promise<UpdatePaymentOutput> {
    return { data: { ...(input.data ?? {}) } }
  }

  async authorizePayment(input: AuthorizePaymentInput): Promise<AuthorizePaymentOutput> {
    return {
      data: withStatus(input.data, PaymentSessionStatus.AUTHORIZED),
      status: PaymentSessionStatus.AUTHORIZED,
    }
  }

  async capturePayment(input: CapturePaymentInput): Promise<CapturePaymentOutput> {
    return { data: withStatus(input.data, PaymentSessionStatus.CAPTURED) }
  }

  async refundPayment(input: RefundPaymentInput): Promise<RefundPaymentOutput> {
    return { data: { ...(input.data ?? {}) } }
  }

  async cancelPayment(input: CancelPaymentInput): Promise<CancelPaymentOutput> {
    return { data: withStatus(input.data, PaymentSessionStatus.CANCELED) }
  }

  async deletePayment(input: DeletePaymentInput): Promise<DeletePaymentOutput> {
    return { data: withStatus(input.data, PaymentSessionStatus.CANCELED) }
  }

  async retrievePayment(input: RetrievePaymentInput): Promise<RetrievePaymentOutput> {
    return { data: { ...(input.data ?? {}) } }
  }

  /** A manual payment is as far along as the module has told this provider. */
  async getPaymentStatus(input: GetPaymentStatusInput): Promise<GetPaymentStatusOutput> {
    const status = (input.data?.status as PaymentSessionStatus | undefined) ??
      PaymentSessionStatus.PENDING
    return { status, data: { ...(input.data ?? {}) } }
  }

  async retrieveAccountHolder(
    input: RetrieveAccountHolderInput
  ): Promise<RetrieveAccountHolderOutput> {
    return { id: input.id }
  }

  async createAccountHolder(
    input: CreateAccountHolderInput
  ): Promise<CreateAccountHolderOutput> {
    return { id: input.context.customer.id }
  }

  async deleteAccountHolder(
    _: DeleteAccountHolderInput
  ): Promise<DeleteAccountHolderOutput> {
    return { data: {} }
  }

  /** Nothing outside the store can tell us about a manual payment. */
  async getWebhookActionAndData(
    _: ProviderWebhookPayload["payload"]
  ): Promise<WebhookActionResult> {
    return { action: PaymentActions.NOT_SUPPORTED }
  }
}

function withStatus(
  data: Record<string, unknown> | undefined,
  status: PaymentSessionStatus
): Record<string, unknown> {
  return { ...(data ?? {}), status }
}

export default SystemPaymentProvider
