import http from "http"
import { ApiVersion } from "./api-version"
import { ApiHandler, LocalStripeApp } from "./app"
import { ApiError, authenticationError, idempotencyKeyInUse, idempotencyMismatch, internalError, invalidRequest } from "./errors"
import { applyExpansions } from "./expand"
import { FaultRule } from "./faults"
import { canonicalJson, decodeForm, FormDecodeError, FormObject } from "./form"
import { HttpResponse, json, send, sleep } from "./http-util"
import { newId } from "./ids"
import { Params } from "./params"
import { registerChargeRoutes } from "./resources/charges"
import { registerCustomerRoutes } from "./resources/customers"
import { registerDisputeRoutes } from "./resources/disputes"
import { registerEventRoutes } from "./resources/events"
import { registerPaymentIntentRoutes } from "./resources/payment-intents"
import { registerPaymentMethodRoutes } from "./resources/payment-methods"
import { registerRefundRoutes } from "./resources/refunds"
import { registerSetupIntentRoutes } from "./resources/setup-intents"
import { registerWebhookEndpointRoutes } from "./resources/webhook-endpoints"
import { Router } from "./router"
import { snapshot } from "./store"

export function buildApiRouter(): Router<ApiHandler> {
  const router = new Router<ApiHandler>()
  registerPaymentIntentRoutes(router)
  registerSetupIntentRoutes(router)
  registerPaymentMethodRoutes(router)
  registerCustomerRoutes(router)
  registerChargeRoutes(router)
  registerRefundRoutes(router)
  registerDisputeRoutes(router)
  registerEventRoutes(router)
  registerWebhookEndpointRoutes(router)
  return router
}

interface Outcome {
  response: HttpResponse
  /** Whether Stripe would store this result under the idempotency key. */
  remember: boolean
}

interface Pending {
  method: string
  path: string
  apiKey: string
  idempotencyKey: string | null
  requestId: string
  baseHeaders: Record<string, string>
}

/**
 * One /v1 request, in the order Stripe processes it: authenticate, consult the
 * idempotency layer, run the endpoint, remember the result, answer. Faults hook
 * in just before and just after the endpoint runs.
 */
export async function handleApiRequest(
  app: LocalStripeApp,
  router: Router<ApiHandler>,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  body: string
): Promise<void> {
  const method = (req.method ?? "GET").toUpperCase()
  const requestId = newId("req")
  const idempotencyKey = method === "POST" ? headerValue(req, "idempotency-key") : null
  const baseHeaders: Record<string, string> = {
    "Request-Id": requestId,
    "Stripe-Version": headerValue(req, "stripe-version") ?? ApiVersion,
    "Cache-Control": "no-cache, no-store",
    "Access-Control-Allow-Origin": "*",
    ...(idempotencyKey ? { "Idempotency-Key": idempotencyKey } : {}),
  }
  const fail = (error: ApiError) => send(res, errorResponse(error, baseHeaders))

  let apiKey: string
  let raw: FormObject
  try {
    apiKey = authenticate(req)
    raw = decodeForm(method === "POST" && body !== "" ? body : url.search.slice(1))
  } catch (e) {
    return fail(asApiError(e))
  }
  const match = router.match(method, url.pathname)
  if (!match) {
    return fail(
      invalidRequest(
        `Unrecognized request URL (${method}: ${url.pathname}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
        { status: 404 }
      )
    )
  }

  const pending: Pending = { method, path: url.pathname, apiKey, idempotencyKey, requestId, baseHeaders }
  let replay: HttpResponse | null = null
  if (idempotencyKey) {
    const seen = app.idempotency.begin(apiKey, idempotencyKey, {
      method,
      path: url.pathname,
      fingerprint: canonicalJson(raw),
    })
    if (seen.kind === "in_flight") return fail(idempotencyKeyInUse(idempotencyKey))
    if (seen.kind === "mismatch") return fail(idempotencyMismatch(seen.message))
    if (seen.kind === "replay") replay = replayed(seen.response, requestId)
  }

  // Faults and latency apply to replays as well: on the wire a replay is just
  // another call that can be slow, fail or lose its response.
  const fresh = replay === null
  try {
    const before = app.faults.take("before", method, url.pathname)
    if (before && (await applyBeforeFault(before, res, pending, app, fresh))) return
    if (app.config.latencyMs > 0) await sleep(app.config.latencyMs)

    let outcome: Outcome
    if (replay) {
      outcome = { response: replay, remember: false }
    } else {
      outcome = execute(app, match.handler, match.pathParams, raw, pending)
      remember(app, pending, outcome)
    }

    const after = app.faults.take("after", method, url.pathname)
    if (after && (await applyAfterFault(after, res, pending, app, fresh && outcome.remember))) return
    send(res, outcome.response)
  } catch (e) {
    if (idempotencyKey && fresh) app.idempotency.abandon(apiKey, idempotencyKey)
    fail(asApiError(e))
  }
}

function execute(
  app: LocalStripeApp,
  handler: ApiHandler,
  pathParams: Record<string, string>,
  raw: FormObject,
  pending: Pending
): Outcome {
  const params = new Params(raw, "", app.config.strictParams)
  try {
    // The body is copied inside withRequest: work deferred by the handler runs
    // after it, as Stripe's asynchronous follow-ups land after the response.
    const body = app.withRequest({ id: pending.requestId, idempotency_key: pending.idempotencyKey }, () => {
      const copy = snapshot(handler({ app, params, pathParams, apiKey: pending.apiKey })) as Record<string, unknown>
      applyExpansions(app.store, copy, params.expand())
      return copy
    })
    return { response: json(200, body, pending.baseHeaders), remember: true }
  } catch (e) {
    const error = asApiError(e)
    // An unexpected exception may have changed state half-way; Stripe keeps
    // 500s under the key too, so a retry cannot run the endpoint twice.
    const remember = error.afterEffect || error.status >= 500
    return { response: errorResponse(error, pending.baseHeaders), remember }
  }
}

function remember(app: LocalStripeApp, pending: Pending, outcome: Outcome): void {
  if (!pending.idempotencyKey) return
  if (outcome.remember) app.idempotency.complete(pending.apiKey, pending.idempotencyKey, outcome.response)
  else app.idempotency.abandon(pending.apiKey, pending.idempotencyKey)
}

/** Returns true when the fault already answered (or killed) the request. */
async function applyBeforeFault(
  rule: FaultRule,
  res: http.ServerResponse,
  pending: Pending,
  app: LocalStripeApp,
  fresh: boolean
): Promise<boolean> {
  if (rule.action === "delay") {
    await sleep(rule.delay_ms)
    return false
  }
  // Nothing ran, so nothing is remembered: a retry with the same key runs for real.
  if (pending.idempotencyKey && fresh) app.idempotency.abandon(pending.apiKey, pending.idempotencyKey)
  if (rule.action === "disconnect") {
    res.socket?.destroy()
    return true
  }
  send(res, errorResponse(injectedError(rule), pending.baseHeaders))
  return true
}

async function applyAfterFault(
  rule: FaultRule,
  res: http.ServerResponse,
  pending: Pending,
  app: LocalStripeApp,
  storedFreshResult: boolean
): Promise<boolean> {
  if (rule.action === "delay") {
    await sleep(rule.delay_ms)
    return false
  }
  if (rule.action === "disconnect") {
    // The real result stays stored: a retry with the same key gets it back.
    res.socket?.destroy()
    return true
  }
  // Stripe stores a 500 under the key like any other result, so retrying with
  // the same key replays this error; tell the SDK not to bother.
  const response = errorResponse(injectedError(rule), { ...pending.baseHeaders, "Stripe-Should-Retry": "false" })
  if (pending.idempotencyKey && storedFreshResult) {
    app.idempotency.complete(pending.apiKey, pending.idempotencyKey, response)
  }
  send(res, response)
  return true
}

function injectedError(rule: FaultRule): ApiError {
  const error = internalError(rule.message ?? `Injected fault (${rule.phase} effect) for ${rule.method ?? "*"} ${rule.path}`)
  return new ApiError(rule.status, error.body)
}

function replayed(stored: HttpResponse, requestId: string): HttpResponse {
  return {
    status: stored.status,
    headers: {
      ...stored.headers,
      "Idempotent-Replayed": "true",
      "Original-Request": stored.headers["Request-Id"] ?? "",
      "Request-Id": requestId,
    },
    body: stored.body,
  }
}

function errorResponse(error: ApiError, headers: Record<string, string>): HttpResponse {
  return json(error.status, error.toJSON(), { ...headers, ...error.headers })
}

function asApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e
  if (e instanceof FormDecodeError) return invalidRequest(e.message, { param: e.param })
  // A bug in this server, surfaced the way Stripe surfaces its own.
  console.error("[local-stripe] unexpected error", e)
  return internalError(`Unexpected error in local-stripe: ${(e as Error)?.message ?? String(e)}`)
}

function headerValue(req: http.IncomingMessage, name: string): string | null {
  const value = req.headers[name]
  if (Array.isArray(value)) return value[0] ?? null
  return value ?? null
}

/** Any test-mode key works; keys also scope idempotency, as accounts do at Stripe. */
function authenticate(req: http.IncomingMessage): string {
  const header = headerValue(req, "authorization")
  if (!header) {
    throw authenticationError(
      "You did not provide an API key. You need to provide your API key in the Authorization header, using " +
        "Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
    )
  }
  let key = ""
  if (/^bearer /i.test(header)) {
    key = header.slice(7).trim()
  } else if (/^basic /i.test(header)) {
    key = Buffer.from(header.slice(6).trim(), "base64").toString("utf8").split(":")[0]
  }
  if (!/^(sk|rk)_test_\w+/.test(key)) {
    const masked = key.length > 8 ? `${key.slice(0, 8)}${"*".repeat(Math.max(0, key.length - 12))}${key.slice(-4)}` : key
    throw authenticationError(`Invalid API Key provided: ${masked}. local-stripe only accepts test keys (sk_test_...).`)
  }
  return key
}
