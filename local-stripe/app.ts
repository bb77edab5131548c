import { ApiVersion } from "./api-version"
import { FaultInjector } from "./faults"
import { IdempotencyStore } from "./idempotency"
import { newId, nowSeconds } from "./ids"
import { Params } from "./params"
import { snapshot, Store, StoredEvent } from "./store"
import { WebhookDeliverer } from "./webhooks"

export interface LocalStripeConfig {
  /** Added before every /v1 request is handled. */
  latencyMs: number
  /** Async payments settle on their own after this long; null = only via admin. */
  processingDelayMs: number | null
  webhookMaxAttempts: number
  webhookRetryBaseMs: number
  webhookTimeoutMs: number
  /** Reject unknown parameters like Stripe does. */
  strictParams: boolean
}

export const DEFAULT_CONFIG: LocalStripeConfig = {
  latencyMs: 0,
  processingDelayMs: 2000,
  webhookMaxAttempts: 5,
  webhookRetryBaseMs: 500,
  webhookTimeoutMs: 10_000,
  strictParams: true,
}

const isCount = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v >= 0

// Settings arrive from JSON (admin API) and env vars, so check them at the door.
const SETTING_CHECKS: Record<keyof LocalStripeConfig, (value: unknown) => boolean> = {
  latencyMs: isCount,
  processingDelayMs: (v) => v === null || isCount(v),
  webhookMaxAttempts: (v) => isCount(v) && (v as number) >= 1,
  webhookRetryBaseMs: isCount,
  webhookTimeoutMs: (v) => isCount(v) && (v as number) >= 1,
  strictParams: (v) => typeof v === "boolean",
}

export interface RequestInfo {
  id: string | null
  idempotency_key: string | null
}

export interface ApiContext {
  app: LocalStripeApp
  params: Params
  pathParams: Record<string, string>
  apiKey: string
}

export type ApiHandler = (ctx: ApiContext) => object

/**
 * Everything stateful about one local Stripe: objects, events, webhooks,
 * idempotency keys, faults and timers. The HTTP layer is a thin shell over it.
 */
export class LocalStripeApp {
  readonly store = new Store()
  readonly idempotency = new IdempotencyStore()
  readonly faults = new FaultInjector()
  readonly webhooks: WebhookDeliverer
  readonly config: LocalStripeConfig
  baseUrl = "http://127.0.0.1"
  private currentRequest: RequestInfo | null = null
  private readonly timers = new Map<string, NodeJS.Timeout>()
  private depth = 0
  private deferred: Array<() => void> = []

  constructor(config: Partial<LocalStripeConfig> = {}) {
    this.config = { ...DEFAULT_CONFIG }
    this.configure(config)
    this.webhooks = new WebhookDeliverer(
      () => ({
        maxAttempts: this.config.webhookMaxAttempts,
        retryBaseMs: this.config.webhookRetryBaseMs,
        timeoutMs: this.config.webhookTimeoutMs,
      }),
      ApiVersion
    )
  }

  /** Handlers are synchronous, so events they emit can name the request that caused them. */
  withRequest<T>(request: RequestInfo | null, run: () => T): T {
    const previous = this.currentRequest
    this.currentRequest = request
    this.depth += 1
    try {
      return run()
    } finally {
      this.currentRequest = previous
      this.depth -= 1
      if (this.depth === 0) this.runDeferred()
    }
  }

  /**
   * Work Stripe does on its own right after a request (a test card's dispute
   * opening once the charge is captured). It runs once the outermost
   * withRequest finished, so the response shows the state the request left,
   * and its events name no request, as Stripe's do.
   */
  defer(task: () => void): void {
    this.deferred.push(task)
    if (this.depth === 0) this.runDeferred()
  }

  private runDeferred(): void {
    while (this.deferred.length > 0) {
      const task = this.deferred.shift()!
      try {
        this.withRequest(null, task)
      } catch (e) {
        console.error("[local-stripe] deferred task failed", e)
      }
    }
  }

  emit(type: string, object: object, previousAttributes?: Record<string, unknown>): StoredEvent {
    const event: StoredEvent = {
      id: newId("evt"),
      object: "event",
      api_version: ApiVersion,
      created: nowSeconds(),
      data: { object: snapshot(object) as Record<string, unknown> },
      livemode: false,
      pending_webhooks: this.webhooks.countTargets(type),
      request: this.currentRequest
        ? { ...this.currentRequest }
        : { id: null, idempotency_key: null },
      type,
    }
    if (previousAttributes) event.data.previous_attributes = snapshot(previousAttributes)
    this.store.events.set(event.id, event)
    this.webhooks.publish({ id: event.id, type, payload: JSON.stringify(event, null, 2) })
    return event
  }

  /** Events newest first, like GET /v1/events. */
  eventsNewestFirst(): StoredEvent[] {
    return [...this.store.events.values()].reverse()
  }

  schedule(key: string, delayMs: number, task: () => void): void {
    this.cancelScheduled(key)
    // setTimeout fires at once beyond ~24.8 days; such timers are left to lazy checks.
    if (delayMs > 2 ** 31 - 1) return
    const timer = setTimeout(() => {
      this.timers.delete(key)
      // Timer-driven changes were caused by no API request.
      this.withRequest(null, task)
    }, delayMs)
    timer.unref()
    this.timers.set(key, timer)
  }

  cancelScheduled(key: string): void {
    const timer = this.timers.get(key)
    if (timer) clearTimeout(timer)
    this.timers.delete(key)
  }

  configure(changes: Partial<LocalStripeConfig>): LocalStripeConfig {
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) continue
      const valid = SETTING_CHECKS[key as keyof LocalStripeConfig]
      if (!valid) throw new Error(`Unknown setting: ${key}`)
      if (!valid(value)) throw new Error(`Invalid value for ${key}: ${JSON.stringify(value)}`)
      ;(this.config as unknown as Record<string, unknown>)[key] = value
    }
    return { ...this.config }
  }

  /** Back to an empty account; webhook endpoints and settings are kept. */
  reset(): void {
    for (const timer of this.timers.values()) clearTimeout(timer)
    this.timers.clear()
    this.deferred = []
    const fresh = new Store()
    Object.assign(this.store, fresh)
    this.idempotency.clear()
    this.faults.clear()
    this.webhooks.reset()
  }

  shutdown(): void {
    for (const timer of this.timers.values()) clearTimeout(timer)
    this.timers.clear()
    this.webhooks.reset()
  }
}
