import http from "http"
import https from "https"
import { newId, nowSeconds } from "./ids"
import { newWebhookSecret, signatureHeader } from "./signing"

export interface WebhookEndpoint {
  id: string
  object: "webhook_endpoint"
  api_version: string | null
  application: null
  created: number
  description: string | null
  enabled_events: string[]
  livemode: false
  metadata: Record<string, string>
  secret: string
  status: "enabled" | "disabled"
  url: string
}

export interface EndpointInput {
  url: string
  secret?: string
  enabled_events?: string[]
  description?: string | null
  metadata?: Record<string, string>
}

export type DeliveryStatus = "succeeded" | "failed" | "dropped"

export interface DeliveryRecord {
  id: string
  event_id: string
  event_type: string
  endpoint_id: string
  url: string
  attempt: number
  duplicate: boolean
  status: DeliveryStatus
  http_status: number | null
  error: string | null
  signature: string | null
  payload: string | null
  at: number
}

export interface WebhookFaults {
  /** Drop (never deliver) the next N matching events. */
  drop: number
  /** Deliver the next N matching events twice. */
  duplicate: number
  /** Hold the next N matching events, then deliver them newest first. */
  reorder: number
  /** Wait this long before each first delivery attempt. */
  delay_ms: number
  /** Restrict the faults above to these event types (null = all). */
  types: string[] | null
}

export interface DelivererConfig {
  maxAttempts: number
  retryBaseMs: number
  timeoutMs: number
}

interface PublishedEvent {
  id: string
  type: string
  payload: string
}

interface Job {
  event: PublishedEvent
  endpoint: WebhookEndpoint
  duplicate: boolean
  generation: number
}

const NO_FAULTS: WebhookFaults = { drop: 0, duplicate: 0, reorder: 0, delay_ms: 0, types: null }

/**
 * Sends events to endpoints the way Stripe does: signed JSON POSTs, retried
 * with exponential backoff until a 2xx or the attempt budget runs out. First
 * attempts go out in order per endpoint so that the reorder fault is the only
 * source of out-of-order delivery, which keeps tests deterministic.
 */
export class WebhookDeliverer {
  private readonly endpoints = new Map<string, WebhookEndpoint>()
  private records: DeliveryRecord[] = []
  private faultState: WebhookFaults = { ...NO_FAULTS }
  private held: PublishedEvent[] = []
  private chains = new Map<string, Promise<void>>()
  private timers = new Set<NodeJS.Timeout>()
  private requests = new Set<http.ClientRequest>()
  private pending = 0
  private idleWaiters: Array<() => void> = []
  // Bumped on reset so jobs scheduled before it quietly stop.
  private generation = 0

  constructor(
    private readonly config: () => DelivererConfig,
    private readonly apiVersion: string
  ) {}

  addEndpoint(input: EndpointInput): WebhookEndpoint {
    assertHttpUrl(input.url)
    const endpoint: WebhookEndpoint = {
      id: newId("we"),
      object: "webhook_endpoint",
      api_version: this.apiVersion,
      application: null,
      created: nowSeconds(),
      description: input.description ?? null,
      enabled_events: input.enabled_events?.length ? input.enabled_events : ["*"],
      livemode: false,
      metadata: input.metadata ?? {},
      secret: input.secret ?? newWebhookSecret(),
      status: "enabled",
      url: input.url,
    }
    this.endpoints.set(endpoint.id, endpoint)
    return endpoint
  }

  getEndpoint(id: string): WebhookEndpoint | undefined {
    return this.endpoints.get(id)
  }

  updateEndpoint(id: string, changes: Partial<Pick<WebhookEndpoint, "url" | "enabled_events" | "status" | "description" | "metadata">>): WebhookEndpoint | undefined {
    const endpoint = this.endpoints.get(id)
    if (!endpoint) return undefined
    if (changes.url !== undefined) assertHttpUrl(changes.url)
    Object.assign(endpoint, changes)
    return endpoint
  }

  removeEndpoint(id: string): boolean {
    return this.endpoints.delete(id)
  }

  listEndpoints(): WebhookEndpoint[] {
    return [...this.endpoints.values()]
  }

  /** How many endpoints would receive this event type (Stripe's pending_webhooks). */
  countTargets(type: string): number {
    return this.targets(type).length
  }

  faults(): WebhookFaults & { held: number } {
    return { ...this.faultState, held: this.held.length }
  }

  setFaults(changes: Partial<WebhookFaults>): WebhookFaults {
    for (const key of ["drop", "duplicate", "reorder", "delay_ms"] as const) {
      const value = changes[key]
      if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
        throw new Error(`${key} must be a non-negative integer`)
      }
    }
    const types = changes.types
    if (types !== undefined && types !== null && !(Array.isArray(types) && types.every((t) => typeof t === "string"))) {
      throw new Error("types must be a list of event types or null")
    }
    this.faultState = { ...this.faultState, ...changes }
    return this.faults()
  }

  /** Clearing faults also releases anything held for reordering. */
  clearFaults(): void {
    this.faultState = { ...NO_FAULTS }
    this.flushHeld()
  }

  /** Releases held events newest first. */
  flushHeld(): number {
    const released = this.held.reverse()
    this.held = []
    for (const event of released) this.dispatch(event, false)
    return released.length
  }

  deliveries(): DeliveryRecord[] {
    return this.records.map((r) => ({ ...r }))
  }

  publish(event: PublishedEvent): void {
    if (this.targets(event.type).length === 0) return
    const f = this.faultState
    const faulted = f.types === null || f.types.includes(event.type)
    if (faulted && f.drop > 0) {
      f.drop -= 1
      this.recordDropped(event)
      return
    }
    const duplicate = faulted && f.duplicate > 0
    if (duplicate) f.duplicate -= 1
    if (faulted && f.reorder > 0) {
      f.reorder -= 1
      this.held.push(event)
      if (duplicate) this.held.push(event)
      if (f.reorder === 0) this.flushHeld()
      return
    }
    this.dispatch(event, duplicate)
  }

  /** Resolves once no delivery is scheduled or in flight (held events excluded). */
  whenIdle(timeoutMs = 10_000): Promise<void> {
    if (this.pending === 0) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done)
        reject(new Error(`webhook deliveries still pending after ${timeoutMs}ms`))
      }, timeoutMs)
      const done = () => {
        clearTimeout(timer)
        resolve()
      }
      this.idleWaiters.push(done)
    })
  }

  /** Forget deliveries, faults and queued work; endpoints stay configured. */
  reset(): void {
    this.generation += 1
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    for (const request of this.requests) request.destroy()
    this.requests.clear()
    this.chains.clear()
    this.held = []
    this.records = []
    this.faultState = { ...NO_FAULTS }
    this.pending = 0
    this.notifyIdle()
  }

  private targets(type: string): WebhookEndpoint[] {
    return [...this.endpoints.values()].filter(
      (e) => e.status === "enabled" && (e.enabled_events.includes("*") || e.enabled_events.includes(type))
    )
  }

  private dispatch(event: PublishedEvent, duplicate: boolean): void {
    for (const endpoint of this.targets(event.type)) {
      this.enqueueFirstAttempt({ event, endpoint, duplicate: false, generation: this.generation })
      if (duplicate) {
        this.enqueueFirstAttempt({ event, endpoint, duplicate: true, generation: this.generation })
      }
    }
  }

  private enqueueFirstAttempt(job: Job): void {
    this.pending += 1
    const delayMs = this.faultState.delay_ms
    const previous = this.chains.get(job.endpoint.id) ?? Promise.resolve()
    const next = previous
      .then(() => (delayMs > 0 ? this.sleep(delayMs) : undefined))
      .then(() => this.attempt(job, 1))
    this.chains.set(job.endpoint.id, next)
  }

  private async attempt(job: Job, attempt: number): Promise<void> {
    if (job.generation !== this.generation) return
    const timestamp = nowSeconds()
    const signature = signatureHeader(job.event.payload, job.endpoint.secret, timestamp)
    let httpStatus: number | null = null
    let error: string | null = null
    try {
      httpStatus = await this.post(job.endpoint.url, job.event.payload, signature)
    } catch (e) {
      error = (e as Error).message
    }
    if (job.generation !== this.generation) return
    const ok = httpStatus !== null && httpStatus >= 200 && httpStatus < 300
    this.records.push({
      id: newId("whdel"),
      event_id: job.event.id,
      event_type: job.event.type,
      endpoint_id: job.endpoint.id,
      url: job.endpoint.url,
      attempt,
      duplicate: job.duplicate,
      status: ok ? "succeeded" : "failed",
      http_status: httpStatus,
      error: error ?? (ok ? null : `endpoint answered ${httpStatus}`),
      signature,
      payload: job.event.payload,
      at: Date.now(),
    })
    const { maxAttempts, retryBaseMs } = this.config()
    if (!ok && attempt < maxAttempts) {
      const backoff = retryBaseMs * 2 ** (attempt - 1)
      this.schedule(backoff, () => this.attempt(job, attempt + 1))
      return
    }
    this.finishJob()
  }

  private schedule(delayMs: number, task: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      void task()
    }, delayMs)
    this.timers.add(timer)
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer)
        resolve()
      }, ms)
      this.timers.add(timer)
    })
  }

  private finishJob(): void {
    this.pending = Math.max(0, this.pending - 1)
    if (this.pending === 0) this.notifyIdle()
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const resolve of waiters) resolve()
  }

  private recordDropped(event: PublishedEvent): void {
    for (const endpoint of this.targets(event.type)) {
      this.records.push({
        id: newId("whdel"),
        event_id: event.id,
        event_type: event.type,
        endpoint_id: endpoint.id,
        url: endpoint.url,
        attempt: 0,
        duplicate: false,
        status: "dropped",
        http_status: null,
        error: "dropped by fault injection",
        signature: null,
        payload: null,
        at: Date.now(),
      })
    }
  }

  private post(url: string, payload: string, signature: string): Promise<number> {
    const target = new URL(url)
    const transport = target.protocol === "https:" ? https : http
    const { timeoutMs } = this.config()
    return new Promise((resolve, reject) => {
      const request = transport.request(
        target,
        {
          method: "POST",
          agent: false,
          headers: {
            "Content-Type": "application/json; charset=utf-8",
            "Content-Length": Buffer.byteLength(payload),
            "Stripe-Signature": signature,
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
          },
        },
        (response) => {
          // Drain so the socket closes; the body is irrelevant to Stripe too.
          response.resume()
          response.on("end", () => resolve(response.statusCode ?? 0))
          response.on("error", reject)
        }
      )
      this.requests.add(request)
      request.on("close", () => this.requests.delete(request))
      request.setTimeout(timeoutMs, () => request.destroy(new Error(`timed out after ${timeoutMs}ms`)))
      request.on("error", reject)
      request.end(payload)
    })
  }
}

function assertHttpUrl(url: string): void {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new Error(`Invalid webhook URL: ${url}`)
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new Error(`Webhook URL must be http(s): ${url}`)
  }
}
