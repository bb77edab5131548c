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
  DeletePaymentMethodInput,
  DeletePaymentMethodOutput,
  DeletePaymentOutput,
  GetPaymentStatusInput,
  GetPaymentStatusOutput,
  InitiatePaymentInput,
  InitiatePaymentOutput,
  ListPaymentMethodsInput,
  ListPaymentMethodsOutput,
  ProviderWebhookPayload,
  RefundPaymentInput,
  RefundPaymentOutput,
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
import {
  AbstractPaymentProvider,
  MedusaError,
  ModuleProvider,
  Modules,
  PaymentActions,
  PaymentSessionStatus,
} from "@medusajs/framework/utils"

/**
 * A provider whose answers the test chooses through the session data
 * (`data.script`), and which records every call it receives. It stands in
 * for no real service: it exists to drive the module's own branches
 * (provider errors, captured-at-authorization, pending authorization).
 */
export type Script = {
  initiate?: "throw"
  authorize?: "captured" | "pending_authorization" | "requires_more" | "error" | "throw" | "slow"
  capture?: "throw" | "slow" | "not_found"
  /** what getPaymentStatus answers (default authorized); "error" comes with a payment_failure */
  status?: "authorized" | "captured" | "error" | "canceled" | "pending"
  refund?: "throw" | "slow"
  cancel?: "throw"
  update?: "throw"
}

export type RecordedCall = { method: string; input: any }

export function recordedCalls(): RecordedCall[] {
  const store = globalThis as { __scriptedProviderCalls?: RecordedCall[] }
  store.__scriptedProviderCalls ??= []
  return store.__scriptedProviderCalls
}

export function resetRecordedCalls(): void {
  recordedCalls().length = 0
}

function record(method: string, input: unknown) {
  recordedCalls().push({ method, input: JSON.parse(JSON.stringify(input ?? null)) })
}

function scriptOf(input: { data?: Record<string, unknown> }): Script {
  return (input.data?.script as Script | undefined) ?? {}
}

function fail(what: string): never {
  const error = new Error(`card_declined: the scripted provider refused to ${what}`) as Error & { code: string }
  error.code = "card_declined"
  throw error
}

export class ScriptedProvider extends AbstractPaymentProvider<{ label?: string }> {
  static identifier = "scripted"

  // Public, so ModuleProvider accepts the class (the base constructor is protected).
  constructor(cradle: Record<string, unknown>, options: { label?: string } = {}) {
    super(cradle, options)
  }

  static validateOptions(options: Record<string, unknown>) {
    if (options?.invalid) {
      throw new MedusaError(MedusaError.Types.INVALID_ARGUMENT, "scripted provider: option `invalid` was set")
    }
  }

  async initiatePayment(input: InitiatePaymentInput): Promise<InitiatePaymentOutput> {
    record("initiatePayment", input)
    if (scriptOf(input).initiate === "throw") fail("initiate")
    return { id: `scripted_${input.context?.idempotency_key}`, data: { ...(input.data ?? {}), ref: `ref_${input.context?.idempotency_key}` } }
  }

  async updatePayment(input: UpdatePaymentInput): Promise<UpdatePaymentOutput> {
    record("updatePayment", input)
    if (scriptOf(input).update === "throw") fail("update")
    return { data: { ...(input.data ?? {}), amount: String(input.amount) } }
  }

  async authorizePayment(input: AuthorizePaymentInput): Promise<AuthorizePaymentOutput> {
    record("authorizePayment", input)
    const outcome = scriptOf(input).authorize
    if (outcome === "throw") fail("authorize")
    if (outcome === "slow") await new Promise((r) => setTimeout(r, 150))
    const status =
      outcome === "captured"
        ? PaymentSessionStatus.CAPTURED
        : outcome === "pending_authorization"
          ? PaymentSessionStatus.PENDING_AUTHORIZATION
          : outcome === "requires_more"
            ? PaymentSessionStatus.REQUIRES_MORE
            : outcome === "error"
              ? PaymentSessionStatus.ERROR
              : PaymentSessionStatus.AUTHORIZED
    return { status, data: { ...(input.data ?? {}), authorized_with: input.context?.idempotency_key } }
  }

  async capturePayment(input: CapturePaymentInput): Promise<CapturePaymentOutput> {
    record("capturePayment", input)
    if (scriptOf(input).capture === "throw") fail("capture")
    if (scriptOf(input).capture === "not_found") {
      throw new MedusaError(MedusaError.Types.NOT_FOUND, "No such payment: the scripted provider does not know it")
    }
    if (scriptOf(input).capture === "slow") await new Promise((r) => setTimeout(r, 50))
    return { data: { ...(input.data ?? {}), last_capture: input.context?.idempotency_key } }
  }

  async refundPayment(input: RefundPaymentInput): Promise<RefundPaymentOutput> {
    record("refundPayment", input)
    if (scriptOf(input).refund === "throw") fail("refund")
    if (scriptOf(input).refund === "slow") await new Promise((r) => setTimeout(r, 50))
    return { data: { ...(input.data ?? {}), last_refund: input.context?.idempotency_key } }
  }

  async cancelPayment(input: CancelPaymentInput): Promise<CancelPaymentOutput> {
    record("cancelPayment", input)
    if (scriptOf(input).cancel === "throw") fail("cancel")
    return { data: { ...(input.data ?? {}), canceled: true } }
  }

  async deletePayment(input: DeletePaymentInput): Promise<DeletePaymentOutput> {
    record("deletePayment", input)
    return { data: input.data }
  }

  async retrievePayment(input: RetrievePaymentInput): Promise<RetrievePaymentOutput> {
    return { data: input.data }
  }

  async getPaymentStatus(input: GetPaymentStatusInput): Promise<GetPaymentStatusOutput & { payment_failure?: object }> {
    record("getPaymentStatus", input)
    const status = (scriptOf(input).status ?? "authorized") as PaymentSessionStatus
    return status === PaymentSessionStatus.ERROR
      ? { status, data: input.data, payment_failure: { code: "insufficient_funds", message: "Your card has insufficient funds." } }
      : { status, data: input.data }
  }

  async createAccountHolder(input: CreateAccountHolderInput): Promise<CreateAccountHolderOutput> {
    record("createAccountHolder", input)
    return { id: `cus_${input.context.customer.id}`, data: { email: input.context.customer.email } }
  }

  async updateAccountHolder(input: UpdateAccountHolderInput): Promise<UpdateAccountHolderOutput> {
    record("updateAccountHolder", input)
    return { data: { ...(input.context.account_holder?.data ?? {}), updated: true } }
  }

  async deleteAccountHolder(input: DeleteAccountHolderInput): Promise<DeleteAccountHolderOutput> {
    record("deleteAccountHolder", input)
    return { data: {} }
  }

  async listPaymentMethods(input: ListPaymentMethodsInput): Promise<ListPaymentMethodsOutput> {
    record("listPaymentMethods", input)
    return [
      { id: "pm_1", data: { brand: "visa" } },
      { id: "pm_2", data: { brand: "mastercard" } },
    ]
  }

  async savePaymentMethod(input: SavePaymentMethodInput): Promise<SavePaymentMethodOutput> {
    record("savePaymentMethod", input)
    return { id: "pm_saved", data: { ...(input.data ?? {}) } }
  }

  async deletePaymentMethod(input: DeletePaymentMethodInput): Promise<DeletePaymentMethodOutput> {
    record("deletePaymentMethod", input)
    return { data: {} }
  }

  async getWebhookActionAndData(
    payload: ProviderWebhookPayload["payload"]
  ): Promise<WebhookActionResult> {
    record("getWebhookActionAndData", payload)
    const data = payload.data as { session_id?: string; amount?: number; action?: PaymentActions }
    if (!data?.session_id) return { action: PaymentActions.NOT_SUPPORTED }
    return { action: data.action ?? PaymentActions.AUTHORIZED, data: { session_id: data.session_id, amount: data.amount ?? 0 } }
  }
}

export default ModuleProvider(Modules.PAYMENT, { services: [ScriptedProvider] })
