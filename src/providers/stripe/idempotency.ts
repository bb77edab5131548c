import { createHash, randomUUID } from "crypto"

/**
 * Idempotency keys for Stripe, built from OUR ids so that a retry of the
 * same operation — by the SDK, by a workflow re-run, by a reconciler after
 * an "outcome unknown" — hits the same key and Stripe replays the first
 * result instead of moving money twice.
 *
 *   `<base>:<operation>[:<detail>]`
 *
 * - base: the module's `context.idempotency_key` (session id for initiate
 *   and authorize, capture id, refund id, payment id for cancel, customer id
 *   for account holders), else the id we can find in the data;
 * - operation: always present, so two operations on the same base (initiate
 *   and update of one session) never share a key — Stripe would replay the
 *   wrong response or refuse the parameters;
 * - detail: whatever makes one request of that operation differ from
 *   another (new amount, a fingerprint of the parameters).
 *
 * Stripe caps keys at 255 characters; a longer key is shortened with a hash
 * rather than cut, so it stays unique.
 */
const STRIPE_MAX_KEY_LENGTH = 255

export function buildIdempotencyKey(
  base: string | undefined,
  operation: string,
  ...details: Array<string | number>
): string {
  // Without any id of ours a key still protects the SDK's own retries of
  // this one call; it just cannot survive a process restart.
  const root = base && base.trim() !== "" ? base : `random-${randomUUID()}`
  const key = [root, operation, ...details.map(String)].join(":")
  if (key.length <= STRIPE_MAX_KEY_LENGTH) {
    return key
  }
  return `${operation}:sha256-${sha256(key)}`
}

/** A short, stable fingerprint of request parameters. */
export function fingerprint(value: unknown): string {
  return sha256(stableStringify(value)).slice(0, 16)
}

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex")
}

/** JSON with sorted keys, so `{a,b}` and `{b,a}` give the same fingerprint. */
function stableStringify(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(stableStringify).join(",")}]`
  }
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(",")}}`
  }
  return JSON.stringify(value) ?? "null"
}
