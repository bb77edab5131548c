import { createHmac, timingSafeEqual } from "crypto"
import { randomToken } from "./ids"

export function newWebhookSecret(): string {
  return `whsec_${randomToken(32)}`
}

/** Same scheme as Stripe: HMAC-SHA256 over "<timestamp>.<raw body>". */
export function signatureHeader(payload: string, secret: string, timestamp: number): string {
  const signature = createHmac("sha256", secret).update(`${timestamp}.${payload}`, "utf8").digest("hex")
  return `t=${timestamp},v1=${signature}`
}

/** Used by our own tests and the CLI echo receiver; integrations use the SDK. */
export function verifySignature(payload: string, header: string, secret: string): boolean {
  const parts = new Map<string, string[]>()
  for (const item of header.split(",")) {
    const [k, v] = item.split("=", 2)
    parts.set(k, [...(parts.get(k) ?? []), v])
  }
  const timestamp = Number(parts.get("t")?.[0])
  if (!Number.isFinite(timestamp)) return false
  const expected = Buffer.from(signatureHeader(payload, secret, timestamp).split("v1=")[1], "hex")
  return (parts.get("v1") ?? []).some((candidate) => {
    const given = Buffer.from(candidate, "hex")
    return given.length === expected.length && timingSafeEqual(given, expected)
  })
}
