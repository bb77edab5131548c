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
import type { MoneyHolding } from "../../types"

/**
 * The manual provider, `pp_system_default`: money that moves outside the
 * store (cash on delivery, bank transfer marked as paid by an admin).
 *
 * It answers every call as Medusa's manual provider does (empty `data`, a new
 * id per session, `authorized` on authorize), so a store that switches
 * modules sees the same sessions and payments. It keeps no state, which is
 * all a manual payment needs: a repeated call has nothing to repeat.
 */
export class SystemPaymentProvider extends AbstractPaymentProvider implements MoneyHolding {
  static identifier = "system"

  /** Nothing is held anywhere for a manual payment: an abandoned cart with one is not money held without an order. */
  readonly movesNoMoney = true

  // Public, so the class can be constructed outside the module's container
  // (the conformance kit does); the base constructor is protected.
  constructor(cradle: Record<string, unknown> = {}, options: Record<string, unknown> = {}) {
    super(cradle, options)
  }

  /** Medusa's manual provider has it too (an older name of `getPaymentStatus`). */
  async getStatus(_: unknown): Promise<string> {
    return PaymentSessionStatus.AUTHORIZED
  }

  async getPaymentData(_: unknown): Promise<Record<string, unknown>> {
    return {}
  }

  async initiatePayment(_: InitiatePaymentInput): Promise<InitiatePaymentOutput> {
    return { data: {}, id: crypto.randomUUID() }
  }

  /**
   * Medusa's throws "Method not implemented." here; nothing in Medusa or this
   * module calls it, and a provider that answers is easier to build tools on.
   * A manual payment is authorized the moment it exists.
   */
  async getPaymentStatus(_: GetPaymentStatusInput): Promise<GetPaymentStatusOutput> {
    return { status: PaymentSessionStatus.AUTHORIZED, data: {} }
  }

  async retrievePayment(_: RetrievePaymentInput): Promise<RetrievePaymentOutput> {
    return {}
  }

  async authorizePayment(_: AuthorizePaymentInput): Promise<AuthorizePaymentOutput> {
    return { data: {}, status: PaymentSessionStatus.AUTHORIZED }
  }

  async updatePayment(_: UpdatePaymentInput): Promise<UpdatePaymentOutput> {
    return { data: {} }
  }

  async deletePayment(_: DeletePaymentInput): Promise<DeletePaymentOutput> {
    return { data: {} }
  }

  async capturePayment(_: CapturePaymentInput): Promise<CapturePaymentOutput> {
    return { data: {} }
  }

  async retrieveAccountHolder(input: RetrieveAccountHolderInput): Promise<RetrieveAccountHolderOutput> {
    return { id: input.id }
  }

  async createAccountHolder(input: CreateAccountHolderInput): Promise<CreateAccountHolderOutput> {
    return { id: input.context.customer.id }
  }

  async deleteAccountHolder(_: DeleteAccountHolderInput): Promise<DeleteAccountHolderOutput> {
    return { data: {} }
  }

  async refundPayment(_: RefundPaymentInput): Promise<RefundPaymentOutput> {
    return { data: {} }
  }

  async cancelPayment(_: CancelPaymentInput): Promise<CancelPaymentOutput> {
    return { data: {} }
  }

  /** Nothing outside the store can tell us about a manual payment. */
  async getWebhookActionAndData(_: ProviderWebhookPayload["payload"]): Promise<WebhookActionResult> {
    return { action: PaymentActions.NOT_SUPPORTED }
  }
}

export default SystemPaymentProvider
