import http from "http"
import { AddressInfo } from "net"
import Stripe from "stripe"
import { LocalStripe, startLocalStripe, StartOptions } from "../index"

export interface Harness {
  server: LocalStripe
  stripe: Stripe
  /** A client that never retries, to observe raw failures. */
  noRetry: Stripe
}

export const API_KEY = "sk_test_local_stripe_suite"

export function client(server: LocalStripe, options: Partial<Stripe.StripeConfig> = {}, key = API_KEY): Stripe {
  return new Stripe(key, { ...server.stripeConfig, telemetry: false, ...options })
}

export async function startHarness(options: StartOptions = {}): Promise<Harness> {
  const server = await startLocalStripe({ processingDelayMs: null, webhookRetryBaseMs: 20, ...options })
  return { server, stripe: client(server), noRetry: client(server, { maxNetworkRetries: 0 }) }
}

export interface ReceivedWebhook {
  body: string
  signature: string
  at: number
}

export interface Receiver {
  url: string
  received: ReceivedWebhook[]
  /** Decides the HTTP status per delivery (1-based count); default 200. */
  respond: (count: number, delivery: ReceivedWebhook) => number
  close(): Promise<void>
}

/** A stand-in for the integration's webhook route: keeps raw bodies as sent. */
export async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = {
    url: "",
    received: [],
    respond: () => 200,
    close: async () => undefined,
  }
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const delivery = {
        body: Buffer.concat(chunks).toString("utf8"),
        signature: String(req.headers["stripe-signature"] ?? ""),
        at: Date.now(),
      }
      receiver.received.push(delivery)
      res.statusCode = receiver.respond(receiver.received.length, delivery)
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  return receiver
}

/** Polls until the check passes; for state that changes on timers. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  while (Date.now() < deadline) {
    try {
      return await check()
    } catch (e) {
      lastError = e
      await new Promise((r) => setTimeout(r, 20))
    }
  }
  throw lastError
}

/** Raw HTTP call, for byte-level assertions the SDK would hide. */
export function rawRequest(
  server: LocalStripe,
  method: string,
  path: string,
  body = "",
  headers: Record<string, string> = {}
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: server.host,
        port: server.port,
        method,
        path,
        agent: false,
        headers: {
          Authorization: `Bearer ${API_KEY}`,
          "Content-Type": "application/x-www-form-urlencoded",
          "Content-Length": Buffer.byteLength(body),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on("data", (c: Buffer) => chunks.push(c))
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") })
        )
      }
    )
    req.on("error", reject)
    req.end(body)
  })
}

/** Captures the thrown error of a promise that must reject. */
export async function rejectionOf(promise: Promise<unknown>): Promise<any> {
  try {
    await promise
  } catch (e) {
    return e
  }
  throw new Error("expected the call to fail, but it succeeded")
}

/**
 * For a spec file: a local Stripe delivering signed webhooks (secret
 * `webhookSecret`) to a receiver, started before its tests and stopped after.
 * The returned object holds both once `beforeAll` has run.
 */
export function harnessWithReceiver(webhookSecret: string): { h: Harness; receiver: Receiver } {
  const context = {} as { h: Harness; receiver: Receiver }
  beforeAll(async () => {
    context.receiver = await startReceiver()
    context.h = await startHarness({ webhookUrl: context.receiver.url, webhookSecret })
  })
  afterAll(async () => {
    await context.h.server.close()
    await context.receiver.close()
  })
  return context
}

/** The events about one PaymentIntent (it, or an object carrying its id), oldest first. */
export function eventsOfIntent(h: Harness, paymentIntentId: string): ReturnType<Harness["server"]["events"]> {
  return h.server.events().filter((e) => {
    const object = e.data.object as { id?: string; payment_intent?: string }
    return object.id === paymentIntentId || object.payment_intent === paymentIntentId
  })
}

