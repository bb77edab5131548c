// Stripe's idempotency layer, per API key: the first request with a key runs,
// its response is stored verbatim, later requests with the same key and the
// same parameters get those exact bytes back.

export interface StoredResponse {
  status: number
  headers: Record<string, string>
  body: string
}

interface Entry {
  method: string
  path: string
  fingerprint: string
  createdAt: number
  response?: StoredResponse
}

export type IdempotencyOutcome =
  | { kind: "fresh" }
  | { kind: "replay"; response: StoredResponse }
  | { kind: "in_flight" }
  | { kind: "mismatch"; message: string }

// Stripe prunes keys after 24 hours; a key reused later starts over.
const KEY_TTL_MS = 24 * 60 * 60 * 1000

export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>()

  begin(
    apiKey: string,
    key: string,
    request: { method: string; path: string; fingerprint: string }
  ): IdempotencyOutcome {
    const slot = this.slot(apiKey, key)
    const existing = this.entries.get(slot)
    if (existing && Date.now() - existing.createdAt > KEY_TTL_MS) {
      this.entries.delete(slot)
    } else if (existing) {
      if (existing.method !== request.method || existing.path !== request.path) {
        return {
          kind: "mismatch",
          message:
            `Keys for idempotent requests can only be used for the same endpoint they were first used for ` +
            `('${existing.method} ${existing.path}' vs '${request.method} ${request.path}'). ` +
            `Try using a key other than '${key}' if you meant to execute a different request.`,
        }
      }
      if (existing.fingerprint !== request.fingerprint) {
        return {
          kind: "mismatch",
          message:
            `Keys for idempotent requests can only be used with the same parameters they were first used with. ` +
            `Try using a key other than '${key}' if you meant to execute a different request.`,
        }
      }
      return existing.response ? { kind: "replay", response: existing.response } : { kind: "in_flight" }
    }
    this.entries.set(slot, { ...request, createdAt: Date.now() })
    return { kind: "fresh" }
  }

  complete(apiKey: string, key: string, response: StoredResponse): void {
    const entry = this.entries.get(this.slot(apiKey, key))
    if (entry) entry.response = response
  }

  /** Nothing was executed, so nothing is remembered: a retry runs for real. */
  abandon(apiKey: string, key: string): void {
    const slot = this.slot(apiKey, key)
    if (this.entries.get(slot)?.response === undefined) this.entries.delete(slot)
  }

  clear(): void {
    this.entries.clear()
  }

  private slot(apiKey: string, key: string): string {
    return `${apiKey}\u0000${key}`
  }
}
