import { createHmac } from "crypto"
import { createServer, IncomingMessage, ServerResponse } from "http"
import type { AddressInfo, Socket } from "net"
import { clone, LocalPaymentsState, ServiceError, type Data, type StoredEvent } from "./state"

/**
 * A local stand-in for Medusa Cloud's payments API, the endpoint the
 * Medusa Payments provider (`pp_medusa-payments_default`) talks to: the
 * routes that provider uses, its API key and handle headers, idempotency
 * keys, and webhooks signed as the provider verifies them.
 *
 * ```ts
 * const local = await startLocalMedusaPayments()
 * // module options: { cloud: { api_key: local.apiKey, endpoint: local.url,
 * //   webhook_secret: local.webhookSecret, environment_handle: local.environmentHandle } }
 * local.confirm(paymentId)            // the customer pays (the payment element's part)
 * local.delivery(local.events.at(-1)) // a signed webhook for the provider
 * await local.close()
 * ```
 */
export type LocalMedusaPaymentsOptions = {
  /** 0 (default) picks a free port. */
  port?: number
  host?: string
  apiKey?: string
  webhookSecret?: string
  /** The handle requests must carry in `x-medusa-environment-handle`… */
  environmentHandle?: string
  /** …or in `x-medusa-sandbox-handle` (when set, instead of the environment's). */
  sandboxHandle?: string
}

/** A request as it arrived, for tests to compare with what a provider meant to send. */
export type RecordedRequest = {
  method: string
  /** Path and query, below the endpoint. */
  path: string
  headers: {
    authorization?: string
    "content-type"?: string
    "x-medusa-environment-handle"?: string
    "x-medusa-sandbox-handle"?: string
  }
  /** The JSON body, parsed; undefined when there was none. */
  body?: unknown
}

/**
 * What the next matching request meets instead of a normal answer:
 * `answer` replies with that status and body, `drop` closes the connection
 * without a reply, `hang` never replies. With `afterHandling` the request
 * takes effect first (the answer is what gets lost).
 */
export type Fault = {
  path?: string | RegExp
  afterHandling?: boolean
} & ({ answer: { status: number; body: Data } } | { drop: true } | { hang: true })

export type WebhookDelivery = { data: Data; rawData: Buffer; headers: Record<string, string> }

export interface LocalMedusaPayments {
  url: string
  apiKey: string
  webhookSecret: string
  environmentHandle?: string
  sandboxHandle?: string
  state: LocalPaymentsState
  /** Every API request received, oldest first. */
  requests: RecordedRequest[]
  /** Events emitted so far, oldest first. */
  readonly events: StoredEvent[]
  confirm(paymentId: string, paymentMethod?: string): Data
  authenticate(paymentId: string, outcome: "approve" | "fail"): Data
  completePaymentMethodSession(sessionId: string): Data
  failNext(fault: Fault): void
  /** A delivery of `event`, signed with the webhook secret (or `secret`) at `timestamp`. */
  delivery(event: StoredEvent, options?: { secret?: string; timestamp?: number }): WebhookDelivery
  /** Forgets every object, event, request, idempotency key and fault. */
  reset(): void
  close(): Promise<void>
}

export const SIGNATURE_HEADER = "medusa-payments-signature"

export function signDelivery(rawBody: string, secret: string, timestamp: number): string {
  const v1 = createHmac("sha256", secret).update(`${timestamp}.${rawBody}`, "utf8").digest("hex")
  return `t=${timestamp},v1=${v1}`
}

type Answer = { status: number; body: Data }
type Route = {
  method: string
  pattern: RegExp
  handle: (state: LocalPaymentsState, params: string[], body: Data, query: URLSearchParams) => Data
}

const ROUTES: Route[] = [
  { method: "POST", pattern: /^\/payments$/, handle: (s, _, body) => ({ payment: s.createPayment(body) }) },
  { method: "GET", pattern: /^\/payments\/([^/]+)$/, handle: (s, [id]) => ({ payment: s.payment(id) }) },
  { method: "POST", pattern: /^\/payments\/([^/]+)$/, handle: (s, [id], body) => ({ payment: s.updatePayment(id, body) }) },
  { method: "POST", pattern: /^\/payments\/([^/]+)\/capture$/, handle: (s, [id]) => ({ payment: s.capture(id) }) },
  { method: "POST", pattern: /^\/payments\/([^/]+)\/cancel$/, handle: (s, [id]) => ({ payment: s.cancel(id) }) },
  { method: "POST", pattern: /^\/payments\/([^/]+)\/refund$/, handle: (s, [id], body) => ({ refund: s.refund(id, body) }) },
  { method: "POST", pattern: /^\/account-holders$/, handle: (s, _, body) => ({ account_holder: s.createAccountHolder(body) }) },
  { method: "GET", pattern: /^\/account-holders\/([^/]+)$/, handle: (s, [id]) => ({ account_holder: s.accountHolder(id) }) },
  {
    method: "POST",
    pattern: /^\/account-holders\/([^/]+)$/,
    handle: (s, [id], body) => ({ account_holder: s.updateAccountHolder(id, body) }),
  },
  { method: "DELETE", pattern: /^\/account-holders\/([^/]+)$/, handle: (s, [id]) => s.deleteAccountHolder(id) },
  {
    method: "GET",
    pattern: /^\/payment-methods$/,
    handle: (s, _, __, query) => ({ payment_methods: s.paymentMethodsOf(query.get("account_holder_id")) }),
  },
  {
    method: "POST",
    pattern: /^\/payment-methods$/,
    handle: (s, _, body) => ({ payment_method_session: s.createPaymentMethodSession(body) }),
  },
  { method: "DELETE", pattern: /^\/payment-methods\/([^/]+)$/, handle: (s, [id]) => ({ payment_method: s.deletePaymentMethod(id) }) },
]

/** The customer's side, for a browser or a script (no API key): what the payment element would do. */
const CUSTOMER_ROUTES: Route[] = [
  {
    method: "POST",
    pattern: /^\/_local\/payments\/([^/]+)\/confirm$/,
    handle: (s, [id], body) => ({ payment: s.confirm(id, body.payment_method ?? "pm_card_visa") }),
  },
  {
    method: "POST",
    pattern: /^\/_local\/payments\/([^/]+)\/authenticate$/,
    handle: (s, [id], body) => ({ payment: s.authenticate(id, body.outcome === "fail" ? "fail" : "approve") }),
  },
  {
    method: "POST",
    pattern: /^\/_local\/payment-method-sessions\/([^/]+)\/complete$/,
    handle: (s, [id]) => ({ payment_method: s.completePaymentMethodSession(id) }),
  },
]

export async function startLocalMedusaPayments(options: LocalMedusaPaymentsOptions = {}): Promise<LocalMedusaPayments> {
  const apiKey = options.apiKey ?? "mp_test_local_key"
  const webhookSecret = options.webhookSecret ?? "mp_whsec_local"
  const sandboxHandle = options.sandboxHandle
  const environmentHandle = options.environmentHandle ?? (sandboxHandle ? undefined : "local-environment")
  let url = ""
  const state = new LocalPaymentsState(() => url)
  const requests: RecordedRequest[] = []
  const idempotency = new Map<string, { fingerprint: string; answer: Answer }>()
  let faults: Fault[] = []
  const sockets = new Set<Socket>()

  function authenticated(req: IncomingMessage): boolean {
    const environment = req.headers["x-medusa-environment-handle"]
    const sandbox = req.headers["x-medusa-sandbox-handle"]
    const handleMatches = sandboxHandle ? sandbox === sandboxHandle : environment === environmentHandle
    return req.headers.authorization === `Basic ${apiKey}` && handleMatches
  }

  /** Runs the route; a repeated idempotency key with the same body replays the first answer. */
  function answer(route: Route, params: string[], body: Data, query: URLSearchParams, scope: string): Answer {
    const key = typeof body.idempotency_key === "string" ? body.idempotency_key : undefined
    const { idempotency_key: _, ...parameters } = body
    const fingerprint = stableJson(parameters)
    const stored = key ? idempotency.get(`${scope} ${key}`) : undefined
    if (stored) {
      return stored.fingerprint === fingerprint
        ? stored.answer
        : errorAnswer(
            new ServiceError(
              400,
              "MedusaIdempotencyError",
              `Keys for idempotent requests can only be used with the same parameters they were first used with (${key}).`
            )
          )
    }
    let result: Answer
    try {
      result = { status: 200, body: clone(route.handle(state, params, parameters, query)) }
    } catch (error) {
      result = errorAnswer(error)
    }
    if (key && result.status < 500) idempotency.set(`${scope} ${key}`, { fingerprint, answer: result })
    return result
  }

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await readBody(req)
    const target = new URL(req.url ?? "/", "http://local")
    const method = req.method ?? "GET"
    let body: Data | undefined
    try {
      body = raw === "" ? undefined : (JSON.parse(raw) as Data)
    } catch {
      return send(res, errorAnswer(new ServiceError(400, "MedusaInvalidRequestError", "The request body is not JSON.")))
    }
    const customerRoute = match(CUSTOMER_ROUTES, method, target.pathname)
    if (customerRoute) {
      return send(res, answer(customerRoute.route, customerRoute.params, body ?? {}, target.searchParams, "customer"))
    }
    requests.push({
      method,
      path: target.pathname + target.search,
      headers: pickHeaders(req),
      body,
    })
    if (!authenticated(req)) {
      return send(res, errorAnswer(new ServiceError(401, "MedusaAuthenticationError", "Invalid API key or handle provided.")))
    }
    const found = match(ROUTES, method, target.pathname)
    if (!found) {
      return send(res, errorAnswer(new ServiceError(404, "MedusaInvalidRequestError", `Unrecognized request URL (${method}: ${target.pathname}).`)))
    }
    const faultIndex = faults.findIndex((fault) => matchesPath(fault.path, target.pathname))
    const fault = faultIndex >= 0 ? faults.splice(faultIndex, 1)[0] : undefined
    if (fault && !fault.afterHandling && "answer" in fault) return send(res, fault.answer)
    if (fault && "hang" in fault) return
    if (fault && "drop" in fault && !fault.afterHandling) return req.socket.destroy()
    const result = answer(found.route, found.params, body ?? {}, target.searchParams, `${method} ${target.pathname}`)
    if (fault && "drop" in fault) return req.socket.destroy()
    send(res, fault && "answer" in fault ? fault.answer : result)
  })
  server.on("connection", (socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve())
  })
  const address = server.address() as AddressInfo
  url = `http://${address.address.includes(":") ? `[${address.address}]` : address.address}:${address.port}`

  return {
    url,
    apiKey,
    webhookSecret,
    environmentHandle,
    sandboxHandle,
    state,
    requests,
    get events() {
      return state.events
    },
    confirm: (paymentId, paymentMethod = "pm_card_visa") => clone(state.confirm(paymentId, paymentMethod)),
    authenticate: (paymentId, outcome) => clone(state.authenticate(paymentId, outcome)),
    completePaymentMethodSession: (sessionId) => clone(state.completePaymentMethodSession(sessionId)),
    failNext: (fault) => {
      faults.push(fault)
    },
    delivery: (event, { secret = webhookSecret, timestamp = Math.floor(Date.now() / 1000) } = {}) => {
      const rawBody = JSON.stringify(event)
      return {
        data: JSON.parse(rawBody) as Data,
        rawData: Buffer.from(rawBody, "utf8"),
        headers: { "content-type": "application/json", [SIGNATURE_HEADER]: signDelivery(rawBody, secret, timestamp) },
      }
    },
    reset: () => {
      state.reset()
      requests.length = 0
      idempotency.clear()
      faults = []
    },
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function match(routes: Route[], method: string, pathname: string): { route: Route; params: string[] } | undefined {
  for (const route of routes) {
    const found = route.method === method ? route.pattern.exec(pathname) : null
    if (found) return { route, params: found.slice(1).map(decodeURIComponent) }
  }
  return undefined
}

function matchesPath(pattern: string | RegExp | undefined, pathname: string): boolean {
  if (pattern === undefined) return true
  return typeof pattern === "string" ? pathname === pattern : pattern.test(pathname)
}

function errorAnswer(error: unknown): Answer {
  if (error instanceof ServiceError) {
    return {
      status: error.status,
      body: { type: error.type, originalType: error.originalType, message: error.message, data: error.data },
    }
  }
  return { status: 500, body: { type: "MedusaAPIError", message: (error as Error)?.message ?? String(error) } }
}

function send(res: ServerResponse, { status, body }: Answer): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
  res.end(text)
}

function pickHeaders(req: IncomingMessage): RecordedRequest["headers"] {
  const picked: Record<string, string> = {}
  for (const name of ["authorization", "content-type", "x-medusa-environment-handle", "x-medusa-sandbox-handle"]) {
    const value = req.headers[name]
    if (typeof value === "string") picked[name] = value
  }
  return picked
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    req.on("error", reject)
  })
}

/** JSON with sorted keys: two bodies with the same fields in another order are the same request. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`
  if (value && typeof value === "object") {
    const entries = Object.keys(value as Data)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stableJson((value as Data)[key])}`)
    return `{${entries.join(",")}}`
  }
  return JSON.stringify(value) ?? "null"
}

export { LocalPaymentsState, ServiceError, type StoredEvent }
