import { setTimeout as sleep } from "timers/promises"
import type { MedusaPaymentsOptions } from "./options"

/** One request to the payments API: a path below `endpoint`, and a JSON body for POST and DELETE. */
export type CloudRequest = {
  method: "GET" | "POST" | "DELETE"
  path: string
  body?: Record<string, unknown>
}

/**
 * Medusa Payments answered with an error status. Its body says what went
 * wrong (`type`, `message`), and for some refusals carries the payment as it
 * now is (`data`).
 */
export class CloudRefusal extends Error {
  constructor(
    readonly status: number,
    readonly type: string | undefined,
    readonly originalType: string | undefined,
    readonly data: unknown,
    message: string
  ) {
    super(message)
    this.name = "CloudRefusal"
  }
}

/**
 * No answer: the connection failed or the time ran out. `sent` says whether
 * the request may have reached the service (false only when the connection
 * was never made).
 */
export class CloudUnreachable extends Error {
  constructor(readonly sent: boolean, message: string, readonly cause?: unknown) {
    super(message)
    this.name = "CloudUnreachable"
  }
}

/** A 2xx whose body is not a JSON object: the request may have worked, but we cannot tell what it did. */
export class CloudGarbledAnswer extends Error {
  constructor(readonly status: number, message: string) {
    super(message)
    this.name = "CloudGarbledAnswer"
  }
}

export type ClientSettings = {
  /** A request without an answer after this long is abandoned; its outcome is unknown. */
  timeoutMs: number
  /** How many times a request the service could not handle right now is sent again. */
  retries: number
  /** The first wait before sending again; each later wait doubles, each with jitter. */
  retryBaseDelayMs: number
}

/**
 * Medusa's retry rule (three more attempts, waits of 1, 2, 4 s, each scaled
 * by a random 0.5–1) and a time limit under the module's own 120 s provider
 * timeout, so the provider reports the unknown outcome itself.
 */
export const DEFAULT_CLIENT_SETTINGS: ClientSettings = {
  timeoutMs: 60_000,
  retries: 3,
  retryBaseDelayMs: 1_000,
}

/** The service's "try again" answers: it could not reach the processor, or it is rate limiting us. */
const RETRYABLE_TYPES = new Set(["MedusaConnectionError", "MedusaRateLimitError"])

/** Connection errors that happen before a single byte of the request is sent. */
const NOT_SENT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT"])

export class MedusaPaymentsClient {
  constructor(
    private readonly options: MedusaPaymentsOptions,
    private readonly settings: ClientSettings
  ) {}

  /** Sends the request, again after the service's retryable refusals, and returns the answer's JSON body. */
  async send(request: CloudRequest): Promise<Record<string, unknown>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.sendOnce(request)
      } catch (error) {
        const retryable =
          error instanceof CloudRefusal && RETRYABLE_TYPES.has(error.type ?? "") && attempt <= this.settings.retries
        if (!retryable) throw error
        const jitter = 0.5 + Math.random() * 0.5
        await sleep(this.settings.retryBaseDelayMs * 2 ** (attempt - 1) * jitter)
      }
    }
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = {
      "Content-Type": "application/json",
      Authorization: `Basic ${this.options.api_key}`,
    }
    if (this.options.environment_handle) {
      headers["x-medusa-environment-handle"] = this.options.environment_handle
    }
    if (this.options.sandbox_handle) {
      headers["x-medusa-sandbox-handle"] = this.options.sandbox_handle
    }
    return headers
  }

  private async sendOnce(request: CloudRequest): Promise<Record<string, unknown>> {
    let response: Response
    let text: string
    try {
      response = await fetch(`${this.options.endpoint}${request.path}`, {
        method: request.method,
        headers: this.headers(),
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      })
      text = await response.text()
    } catch (error) {
      throw unreachable(error, this.settings.timeoutMs)
    }
    const body = parseObject(text)
    if (!response.ok) {
      throw new CloudRefusal(
        response.status,
        stringField(body, "type"),
        stringField(body, "originalType"),
        body?.data,
        stringField(body, "message") ?? `Medusa Payments answered HTTP ${response.status}`
      )
    }
    if (!body) {
      throw new CloudGarbledAnswer(response.status, `the answer (HTTP ${response.status}) is not a JSON object`)
    }
    return body
  }
}

function unreachable(error: unknown, timeoutMs: number): CloudUnreachable {
  const name = (error as { name?: string })?.name
  if (name === "TimeoutError" || name === "AbortError") {
    return new CloudUnreachable(true, `no answer within ${timeoutMs} ms`, error)
  }
  const cause = (error as { cause?: { code?: unknown; message?: string } })?.cause
  const code = typeof cause?.code === "string" ? cause.code : undefined
  const message = cause?.message ?? (error as Error)?.message ?? String(error)
  return new CloudUnreachable(!(code && NOT_SENT_CODES.has(code)), code ? `${code}: ${message}` : message, error)
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

function stringField(body: Record<string, unknown> | undefined, field: string): string | undefined {
  const value = body?.[field]
  return typeof value === "string" && value !== "" ? value : undefined
}
