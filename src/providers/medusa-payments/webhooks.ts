import { createHmac, timingSafeEqual } from "crypto"
import type { PaymentActions, ProviderWebhookPayload, WebhookActionResult } from "@medusajs/framework/types"
import { BigNumber, MedusaError } from "@medusajs/framework/utils"
import { fromWireAmount } from "./amounts"

/**
 * Medusa Payments signs each delivery as Stripe does, in its own header:
 *
 *   medusa-payments-signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]
 *   v1 = hex(HMAC-SHA256(webhook_secret, `${t}.${raw body}`))
 *
 * A delivery passes when one `v1` matches and `t` is within five minutes of
 * our clock (either way: a timestamp from the future is refused too).
 */
export const SIGNATURE_HEADER = "medusa-payments-signature"
export const SIGNATURE_TOLERANCE_SECONDS = 300

type Payload = ProviderWebhookPayload["payload"]
type Data = Record<string, any>

function rejected(code: string, reason: string): MedusaError {
  return new MedusaError(MedusaError.Types.INVALID_DATA, `Medusa Payments webhook rejected: ${reason}`, code)
}

export function signWebhookBody(body: string | Buffer, secret: string, timestamp: number): string {
  return createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest("hex")
}

/** The header a genuine delivery of `body` carries (for tests and local stand-ins). */
export function webhookSignatureHeader(body: string | Buffer, secret: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${signWebhookBody(body, secret, timestamp)}`
}

/** The bytes that were signed: Medusa passes them as a Buffer or string (or a serialized Buffer after the event bus). */
function rawBodyOf(rawData: unknown): Buffer {
  if (Buffer.isBuffer(rawData)) return rawData
  if (typeof rawData === "string") return Buffer.from(rawData, "utf8")
  if (rawData instanceof Uint8Array) return Buffer.from(rawData)
  const serialized = rawData as { type?: unknown; data?: unknown } | null
  if (serialized?.type === "Buffer" && Array.isArray(serialized.data)) return Buffer.from(serialized.data as number[])
  throw rejected("webhook_raw_body_missing", "the raw request body is missing.")
}

function signatureHeaderOf(headers: Record<string, unknown> | undefined): string | undefined {
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== SIGNATURE_HEADER) continue
    if (typeof value === "string") return value
    if (Array.isArray(value) && value.length === 1 && typeof value[0] === "string") return value[0]
  }
  return undefined
}

function sameHex(expected: string, candidate: string): boolean {
  const a = Buffer.from(expected)
  const b = Buffer.from(candidate)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** Checks the signature over the raw bytes and returns the event parsed from THOSE bytes. */
export function verifiedEvent(payload: Payload, secret: string, nowSeconds = Math.floor(Date.now() / 1000)): Data {
  const body = rawBodyOf(payload?.rawData)
  const header = signatureHeaderOf(payload?.headers)
  if (!header) {
    throw rejected("webhook_signature_missing", `the ${SIGNATURE_HEADER} header is missing.`)
  }
  let timestamp: number | undefined
  const signatures: string[] = []
  for (const item of header.split(",")) {
    const [key, ...rest] = item.split("=")
    const value = rest.join("=").trim()
    if (key.trim() === "t" && /^\d{1,12}$/.test(value)) timestamp = Number(value)
    if (key.trim() === "v1") signatures.push(value)
  }
  if (timestamp === undefined || signatures.length === 0) {
    throw rejected("webhook_signature_malformed", `the ${SIGNATURE_HEADER} header has no timestamp or no v1 signature.`)
  }
  const expected = signWebhookBody(body, secret, timestamp)
  if (!signatures.some((candidate) => sameHex(expected, candidate))) {
    throw rejected("webhook_signature_mismatch", "no v1 signature matches the body.")
  }
  if (Math.abs(nowSeconds - timestamp) > SIGNATURE_TOLERANCE_SECONDS) {
    throw rejected(
      "webhook_signature_expired",
      `the signature's timestamp is ${nowSeconds - timestamp} s away from now (tolerance ${SIGNATURE_TOLERANCE_SECONDS} s).`
    )
  }
  let event: unknown
  try {
    event = JSON.parse(body.toString("utf8"))
  } catch {
    throw rejected("webhook_body_invalid", "the signed body is not JSON.")
  }
  if (typeof event !== "object" || event === null || typeof (event as Data).type !== "string") {
    throw rejected("webhook_body_invalid", "the signed body is not an event.")
  }
  return event as Data
}

/** Which action an event type is, and which of the payment's amounts it reports. */
const EVENT_ACTIONS: Record<string, { action: PaymentActions; amountOf: (payment: Data) => unknown }> = {
  "payment_intent.created": { action: "pending", amountOf: (p) => p.amount },
  "payment_intent.processing": { action: "pending", amountOf: (p) => p.amount },
  "payment_intent.canceled": { action: "canceled", amountOf: (p) => p.amount },
  "payment_intent.payment_failed": { action: "failed", amountOf: (p) => p.amount },
  "payment_intent.requires_action": { action: "requires_more", amountOf: (p) => p.amount },
  "payment_intent.amount_capturable_updated": { action: "authorized", amountOf: (p) => p.amount_capturable },
  "payment_intent.partially_funded": {
    action: "requires_more",
    amountOf: (p) => p.next_action?.display_bank_transfer_instructions?.amount_remaining ?? p.amount,
  },
  "payment_intent.succeeded": { action: "captured", amountOf: (p) => p.amount_received },
}

/**
 * The verified event → what Medusa does with it. Amounts leave in standard
 * units, exact. An event about a payment without a session id (not created
 * by this store) or of a type Medusa does not act on is `not_supported`.
 */
export function webhookActionOf(event: Data): WebhookActionResult {
  const rule = EVENT_ACTIONS[event.type]
  const payment = event.data?.object as Data | undefined
  const sessionId = payment?.metadata?.session_id
  if (!rule || typeof sessionId !== "string" || sessionId === "") {
    return { action: "not_supported" }
  }
  return {
    action: rule.action,
    data: {
      session_id: sessionId,
      amount: new BigNumber(fromWireAmount(rule.amountOf(payment!), payment!.currency)),
    },
  }
}
