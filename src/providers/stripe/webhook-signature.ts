import { createHmac, timingSafeEqual } from "crypto"
import { MedusaError } from "@medusajs/framework/utils"

/**
 * Stripe webhook signatures, checked by hand so the rules are visible and
 * tested here rather than hidden in the SDK:
 *
 *   Stripe-Signature: t=<unix seconds>,v1=<hex>,v1=<hex>,v0=<hex>
 *   v1 = hex(HMAC-SHA256(key = endpoint secret as UTF-8, message = `${t}.${raw body}`))
 *
 * - Only `v1` counts; every other scheme (v0 in test mode, future ones) is
 *   ignored, so a sender cannot downgrade us to a weaker scheme.
 * - Several `v1` values are normal while Stripe rotates an endpoint secret;
 *   several configured secrets are normal while WE rotate. A delivery passes
 *   if any configured secret produced any `v1`.
 * - The timestamp must be within `toleranceSeconds` of our clock in BOTH
 *   directions. Stripe's SDK only rejects old timestamps; we also reject
 *   ones from the future, because a signature minted ahead of time could
 *   otherwise be replayed for as long as it is "in the future". The default
 *   of 300 s leaves room for clock skew.
 *
 * Every failure throws a MedusaError of type INVALID_DATA (the HTTP layer
 * answers 400, which is what Stripe expects for a delivery it should not
 * retry as is) with a `code` telling which check failed:
 * `webhook_signature_missing`, `webhook_signature_malformed`,
 * `webhook_signature_mismatch`, `webhook_signature_expired`,
 * `webhook_secret_missing`.
 */

export const SIGNATURE_HEADER = "stripe-signature"

export type ParsedSignatureHeader = {
  timestamp: number
  v1: string[]
}

export type VerifySignatureInput = {
  /** The exact bytes Stripe sent, before any JSON parsing. */
  rawBody: string | Buffer
  /** The `Stripe-Signature` header value. */
  header: string | undefined
  /** Every secret currently accepted. */
  secrets: readonly string[]
  toleranceSeconds: number
  /** Our clock, in unix seconds; injectable for tests. */
  nowSeconds?: number
}

function signatureError(code: string, message: string): MedusaError {
  return new MedusaError(
    MedusaError.Types.INVALID_DATA,
    `Stripe webhook rejected: ${message}`,
    code
  )
}

/** Splits `t=…,v1=…,v1=…` on commas, then each item on its first `=`. */
export function parseSignatureHeader(header: string | undefined): ParsedSignatureHeader {
  if (typeof header !== "string" || header.trim() === "") {
    throw signatureError("webhook_signature_missing", "the Stripe-Signature header is missing.")
  }
  let timestamp: number | undefined
  const v1: string[] = []
  for (const item of header.split(",")) {
    const separator = item.indexOf("=")
    if (separator <= 0) continue
    const key = item.slice(0, separator).trim()
    const value = item.slice(separator + 1).trim()
    if (key === "t") {
      if (timestamp !== undefined || !/^\d{1,12}$/.test(value)) {
        throw signatureError("webhook_signature_malformed", "the Stripe-Signature timestamp is invalid.")
      }
      timestamp = Number(value)
    } else if (key === "v1") {
      v1.push(value)
    }
  }
  if (timestamp === undefined) {
    throw signatureError("webhook_signature_malformed", "the Stripe-Signature header has no timestamp.")
  }
  if (v1.length === 0) {
    throw signatureError("webhook_signature_malformed", "the Stripe-Signature header has no v1 signature.")
  }
  return { timestamp, v1 }
}

export function computeSignature(rawBody: string | Buffer, timestamp: number, secret: string): string {
  return createHmac("sha256", secret)
    .update(`${timestamp}.`, "utf8")
    .update(typeof rawBody === "string" ? Buffer.from(rawBody, "utf8") : rawBody)
    .digest("hex")
}

/** Constant-time comparison; lengths are public, so checking them first leaks nothing. */
function sameSignature(expected: string, candidate: string): boolean {
  const a = Buffer.from(expected, "utf8")
  const b = Buffer.from(candidate, "utf8")
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * Throws unless `header` carries a valid, fresh v1 signature of `rawBody`
 * by one of `secrets`. Returns the signed timestamp.
 */
export function verifyStripeSignature(input: VerifySignatureInput): number {
  if (input.secrets.length === 0) {
    throw signatureError(
      "webhook_secret_missing",
      "no webhookSecret is configured for this provider, so no delivery can be trusted."
    )
  }
  const { timestamp, v1 } = parseSignatureHeader(input.header)

  let matched = false
  for (const secret of input.secrets) {
    const expected = computeSignature(input.rawBody, timestamp, secret)
    // No early exit: the time taken does not tell which secret matched.
    for (const candidate of v1) {
      matched = sameSignature(expected, candidate) || matched
    }
  }
  if (!matched) {
    throw signatureError(
      "webhook_signature_mismatch",
      "no v1 signature matches the payload for any configured secret."
    )
  }

  const now = input.nowSeconds ?? Math.floor(Date.now() / 1000)
  if (Math.abs(now - timestamp) > input.toleranceSeconds) {
    throw signatureError(
      "webhook_signature_expired",
      `the signature timestamp ${timestamp} is ${now - timestamp} s away from now (tolerance ${input.toleranceSeconds} s).`
    )
  }
  return timestamp
}

/**
 * Builds a `Stripe-Signature` header the way Stripe does: one `v1` per
 * secret (as during a rotation). Used by tests, the conformance kit, and
 * anyone replaying a webhook to a Medusa store.
 */
export function signStripePayload(input: {
  payload: string | Buffer
  secrets: string | readonly string[]
  timestamp?: number
}): string {
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000)
  const secrets = typeof input.secrets === "string" ? [input.secrets] : input.secrets
  const signatures = secrets.map((secret) => `v1=${computeSignature(input.payload, timestamp, secret)}`)
  return [`t=${timestamp}`, ...signatures].join(",")
}
