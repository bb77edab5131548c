import {
  AuthorizePaymentInput,
  CancelPaymentInput,
  CapturePaymentInput,
  DeletePaymentInput,
  InitiatePaymentInput,
  RefundPaymentInput,
  UpdatePaymentInput,
} from "@medusajs/framework/types"
import { ModuleProvider, Modules } from "@medusajs/framework/utils"
import { StripeProviderService } from "../../../src/providers/stripe/service"

/**
 * The real Stripe provider, except that the next call of a method armed
 * with `answerGarbageOnce` — after Stripe has done what was asked — returns
 * the given nonsense instead of the provider's answer: a proxy that
 * mangled the body, a provider bug. Registered as `pp_garbled_<id>`.
 */
type Method = "initiatePayment" | "updatePayment" | "authorizePayment" | "capturePayment" | "refundPayment" | "cancelPayment" | "deletePayment"

// On globalThis: the module's loader and the test may load this file as two module instances.
const armed = (): Map<Method, unknown> => {
  const store = globalThis as { __garbledAnswers?: Map<Method, unknown> }
  store.__garbledAnswers ??= new Map()
  return store.__garbledAnswers
}

export function answerGarbageOnce(method: Method, garbage: unknown): void {
  armed().set(method, garbage)
}

export function disarmGarbage(): void {
  armed().clear()
}

export class GarbledStripeProvider extends StripeProviderService {
  static identifier = "garbled"

  private garble<T>(method: Method, answer: T): T {
    if (!armed().has(method)) return answer
    const garbage = armed().get(method)
    armed().delete(method)
    return garbage as T
  }

  async initiatePayment(input: InitiatePaymentInput) {
    return this.garble("initiatePayment", await super.initiatePayment(input))
  }

  async updatePayment(input: UpdatePaymentInput) {
    return this.garble("updatePayment", await super.updatePayment(input))
  }

  async authorizePayment(input: AuthorizePaymentInput) {
    return this.garble("authorizePayment", await super.authorizePayment(input))
  }

  async capturePayment(input: CapturePaymentInput) {
    return this.garble("capturePayment", await super.capturePayment(input))
  }

  async refundPayment(input: RefundPaymentInput) {
    return this.garble("refundPayment", await super.refundPayment(input))
  }

  async cancelPayment(input: CancelPaymentInput) {
    return this.garble("cancelPayment", await super.cancelPayment(input))
  }

  async deletePayment(input: DeletePaymentInput) {
    return this.garble("deletePayment", await super.deletePayment(input))
  }
}

export default ModuleProvider(Modules.PAYMENT, { services: [GarbledStripeProvider] })
