import type { PaymentActions, WebhookActionResult } from "@medusajs/framework/types"
import { BigNumber, MedusaError } from "@medusajs/framework/utils"
import type Stripe from "stripe"
import { fromStripeAmount } from "./amounts"
import { SIGNATURE_HEADER } from "./webhook-signature"

/**
 * The raw body as bytes. Medusa hands it over as a Buffer, a string, or —
 * after a trip through the event bus — as `{ type: "Buffer", data: [...] }`.
 * Anything else means the raw body was lost, and the signature cannot be
 * checked; we refuse rather than re-serialize the parsed JSON.
 */
export function rawBodyBytes(rawData: unknown): Buffer {
  if (Buffer.isBuffer(rawData)) return rawData
  if (typeof rawData === "string") return Buffer.from(rawData, "utf8")
  if (rawData instanceof Uint8Array) return Buffer.from(rawData)
  if (
    typeof rawData === "object" &&
    rawData !== null &&
    (rawData as { type?: unknown }).type === "Buffer" &&
    Array.isArray((rawData as { data?: unknown }).data)
  ) {
    return Buffer.from((rawData as { data: number[] }).data)
  }
  throw new MedusaError(
    MedusaError.Types.INVALID_DATA,
    "Stripe webhook rejected: the raw request body is missing (enable preserveRawBody on the webhook route).",
    "webhook_raw_body_missing"
  )
}

/** Node lower-cases header names, but a caller may not have. */
export function signatureHeaderOf(headers: Record<string, unknown> | undefined): string | undefined {
  if (!headers) return undefined
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== SIGNATURE_HEADER) continue
    if (typeof value === "string") return value
    if (Array.isArray(value) && value.length === 1 && typeof value[0] === "string") {
      return value[0]
    }
    return undefined
  }
  return undefined
}

/** Parses the verified bytes; the parsed `data` Medusa also passes is never trusted. */
export function parseVerifiedEvent(body: Buffer): Stripe.Event {
  let event: unknown
  try {
    event = JSON.parse(body.toString("utf8"))
  } catch {
    throw new MedusaError(
      MedusaError.Types.INVALID_DATA,
      "Stripe webhook rejected: the signed body is not JSON.",
      "webhook_body_invalid"
    )
  }
  if (
    typeof event !== "object" ||
    event === null ||
    typeof (event as { type?: unknown }).type !== "string"
  ) {
    throw new MedusaError(
      MedusaError.Types.INVALID_DATA,
      "Stripe webhook rejected: the signed body is not a Stripe event.",
      "webhook_body_invalid"
    )
  }
  return event as Stripe.Event
}

/** Which Stripe amount field an action reports. */
type AmountSource = (intent: Stripe.PaymentIntent) => number

const amountOf: AmountSource = (intent) => intent.amount

/** What is still owed on a partially funded bank transfer, else the total. */
const amountRemaining: AmountSource = (intent) =>
  intent.next_action?.display_bank_transfer_instructions?.amount_remaining ?? intent.amount

type EventRule = {
  action: PaymentActions | "pending_or_pending_authorization"
  amount: AmountSource
}

const PAYMENT_INTENT_RULES: Record<string, EventRule> = {
  "payment_intent.amount_capturable_updated": {
    action: "authorized",
    amount: (intent) => intent.amount_capturable,
  },
  "payment_intent.succeeded": { action: "captured", amount: (intent) => intent.amount_received },
  "payment_intent.payment_failed": { action: "failed", amount: amountOf },
  "payment_intent.requires_action": { action: "requires_more", amount: amountOf },
  "payment_intent.canceled": { action: "canceled", amount: amountOf },
  "payment_intent.created": { action: "pending_or_pending_authorization", amount: amountOf },
  "payment_intent.processing": { action: "pending_or_pending_authorization", amount: amountOf },
  "payment_intent.partially_funded": { action: "requires_more", amount: amountRemaining },
}

/**
 * Maps a verified Stripe event to the Medusa action and the session it is
 * about. `paymentMethodTypeOf` answers whether the intent's method is one of
 * the asynchronous ones (it may have to ask Stripe).
 */
export async function webhookActionForEvent(
  event: Stripe.Event,
  isAsyncPaymentMethod: (intent: Stripe.PaymentIntent) => Promise<boolean>
): Promise<WebhookActionResult> {
  const rule = PAYMENT_INTENT_RULES[event.type]
  if (!rule) {
    return { action: "not_supported" }
  }
  const intent = event.data?.object as Stripe.PaymentIntent | undefined
  const sessionId = intent?.metadata?.session_id
  if (!intent || typeof sessionId !== "string" || sessionId === "") {
    // Not an intent this Medusa created (another app on the same account).
    return { action: "not_supported" }
  }

  const action =
    rule.action === "pending_or_pending_authorization"
      ? (await isAsyncPaymentMethod(intent))
        ? "pending_authorization"
        : "pending"
      : rule.action

  return {
    action,
    data: {
      session_id: sessionId,
      amount: new BigNumber(fromStripeAmount(rule.amount(intent), intent.currency)),
    },
  }
}
