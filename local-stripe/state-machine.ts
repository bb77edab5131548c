import type Stripe from "stripe"
import { Decline, TestProfile } from "./test-cards"

// The PaymentIntent / SetupIntent lifecycles, kept free of I/O so the rules can
// be read (and tested) in one place. Services ask this module what may happen
// and what the issuer says; they then apply the effects.

export type PaymentIntentStatus = Stripe.PaymentIntent.Status
export type SetupIntentStatus = Stripe.SetupIntent.Status

const PAYMENT_INTENT_TRANSITIONS: Record<PaymentIntentStatus, readonly PaymentIntentStatus[]> = {
  requires_payment_method: ["requires_confirmation", "requires_action", "processing", "requires_capture", "succeeded", "canceled"],
  requires_confirmation: ["requires_payment_method", "requires_action", "processing", "requires_capture", "succeeded", "canceled"],
  requires_action: ["requires_payment_method", "requires_confirmation", "requires_action", "processing", "requires_capture", "succeeded", "canceled"],
  processing: ["requires_payment_method", "requires_capture", "succeeded"],
  requires_capture: ["succeeded", "canceled"],
  succeeded: [],
  canceled: [],
}

const SETUP_INTENT_TRANSITIONS: Record<SetupIntentStatus, readonly SetupIntentStatus[]> = {
  requires_payment_method: ["requires_confirmation", "requires_action", "processing", "succeeded", "canceled"],
  requires_confirmation: ["requires_payment_method", "requires_action", "processing", "succeeded", "canceled"],
  requires_action: ["requires_payment_method", "requires_confirmation", "requires_action", "processing", "succeeded", "canceled"],
  processing: ["requires_payment_method", "succeeded"],
  succeeded: [],
  canceled: [],
}

/** Statuses from which each public operation is allowed, as Stripe documents them. */
export const PAYMENT_INTENT_RULES = {
  confirm: ["requires_payment_method", "requires_confirmation", "requires_action"],
  capture: ["requires_capture"],
  cancel: ["requires_payment_method", "requires_capture", "requires_confirmation", "requires_action"],
  /** amount, currency, payment method and friends; metadata is always editable. */
  updatePayment: ["requires_payment_method", "requires_confirmation", "requires_action"],
} as const satisfies Record<string, readonly PaymentIntentStatus[]>

export const SETUP_INTENT_RULES = {
  confirm: ["requires_payment_method", "requires_confirmation", "requires_action"],
  cancel: ["requires_payment_method", "requires_confirmation", "requires_action"],
} as const satisfies Record<string, readonly SetupIntentStatus[]>

export function isAllowed<S extends string>(status: S, allowed: readonly S[]): boolean {
  return allowed.includes(status)
}

/** Guards our own code: an illegal transition is a bug here, not a client error. */
export function assertPaymentIntentTransition(from: PaymentIntentStatus, to: PaymentIntentStatus): void {
  if (from !== to && !PAYMENT_INTENT_TRANSITIONS[from].includes(to)) {
    throw new Error(`illegal PaymentIntent transition ${from} → ${to}`)
  }
}

export function assertSetupIntentTransition(from: SetupIntentStatus, to: SetupIntentStatus): void {
  if (from !== to && !SETUP_INTENT_TRANSITIONS[from].includes(to)) {
    throw new Error(`illegal SetupIntent transition ${from} → ${to}`)
  }
}

export type CaptureMethod = Stripe.PaymentIntent.CaptureMethod

/** Where an intent lands once the issuer approved the money. */
export function statusAfterAuthorization(captureMethod: CaptureMethod): "requires_capture" | "succeeded" {
  return captureMethod === "manual" ? "requires_capture" : "succeeded"
}

export type AttemptOutcome =
  | { kind: "succeed" }
  | { kind: "decline"; decline: Decline }
  | { kind: "authenticate" }
  | { kind: "process"; settlesTo: "succeed" | "fail" }

export const AUTHENTICATION_REQUIRED: Decline = {
  code: "authentication_required",
  decline_code: "authentication_required",
  message: "Your card was declined. This transaction requires authentication.",
  on: "always",
}

export interface PaymentAttemptContext {
  /** The cardholder already passed 3-D Secure for this attempt. */
  authenticated: boolean
  offSession: boolean
  /** The card was saved through a SetupIntent (exempts "setup"-only 3DS cards). */
  savedWithSetup: boolean
}

export function decidePayment(profile: TestProfile, ctx: PaymentAttemptContext): AttemptOutcome {
  if (profile.decline) return { kind: "decline", decline: profile.decline }
  const needsAuthentication =
    profile.authentication === "always" ||
    (profile.authentication === "setup" && !ctx.savedWithSetup)
  if (needsAuthentication && !ctx.authenticated) {
    return ctx.offSession
      ? { kind: "decline", decline: AUTHENTICATION_REQUIRED }
      : { kind: "authenticate" }
  }
  if (ctx.authenticated && profile.declineAfterAuthentication) {
    return { kind: "decline", decline: profile.declineAfterAuthentication }
  }
  if (profile.async) return { kind: "process", settlesTo: profile.async }
  return { kind: "succeed" }
}

export function decideSetup(profile: TestProfile, ctx: { authenticated: boolean }): AttemptOutcome {
  if (profile.decline && profile.decline.on === "always") {
    return { kind: "decline", decline: profile.decline }
  }
  if (profile.authentication && !ctx.authenticated) return { kind: "authenticate" }
  return { kind: "succeed" }
}
