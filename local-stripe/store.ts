import type Stripe from "stripe"
import { TestProfile } from "./test-cards"

export interface StoredEvent {
  id: string
  object: "event"
  api_version: string
  created: number
  data: { object: Record<string, unknown>; previous_attributes?: Record<string, unknown> }
  livemode: false
  pending_webhooks: number
  request: { id: string | null; idempotency_key: string | null }
  type: string
}

export interface DeletedCustomer {
  id: string
  object: "customer"
  deleted: true
}

/** Facts about a payment method that Stripe knows but never shows. */
export interface PaymentMethodSecrets {
  profile: TestProfile
  savedWithSetup: boolean
}

/** The attempt an intent is waiting on while the cardholder does 3-D Secure. */
export interface PendingAuthentication {
  offSession: boolean
}

export class Store {
  paymentIntents = new Map<string, Stripe.PaymentIntent>()
  setupIntents = new Map<string, Stripe.SetupIntent>()
  charges = new Map<string, Stripe.Charge>()
  refunds = new Map<string, Stripe.Refund>()
  disputes = new Map<string, Stripe.Dispute>()
  customers = new Map<string, Stripe.Customer | DeletedCustomer>()
  paymentMethods = new Map<string, Stripe.PaymentMethod>()
  balanceTransactions = new Map<string, Stripe.BalanceTransaction>()
  events = new Map<string, StoredEvent>()
  paymentMethodSecrets = new Map<string, PaymentMethodSecrets>()
  pendingAuthentications = new Map<string, PendingAuthentication>()

  /** Resolves any id we issue, for `expand[]`. */
  find(id: string): object | undefined {
    for (const map of [
      this.paymentIntents,
      this.setupIntents,
      this.charges,
      this.refunds,
      this.disputes,
      this.customers,
      this.paymentMethods,
      this.balanceTransactions,
      this.events,
    ] as Map<string, object>[]) {
      const found = map.get(id)
      if (found) return found
    }
    return undefined
  }
}

/** Deep copy, so a response or event never changes after it was produced. */
export function snapshot<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}
