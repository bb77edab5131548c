import { LocalStripeApp, LocalStripeConfig } from "./app"
import { ApiError } from "./errors"
import { FaultRuleInput } from "./faults"
import { HttpResponse, json } from "./http-util"
import { openDisputeOn } from "./resources/disputes"
import { expireAuthorization, setCaptureBefore, settlePaymentIntent } from "./resources/payment-intents"
import { Router } from "./router"
import { testTokenNames } from "./test-cards"
import { authenticate } from "./three-ds"
import { WebhookFaults } from "./webhooks"

// Control plane for tests and humans: JSON in, JSON out, no auth (the server
// listens on loopback). Everything here is also on the programmatic handle.

export interface AdminContext {
  app: LocalStripeApp
  body: Record<string, unknown>
  pathParams: Record<string, string>
  query: URLSearchParams
}

type AdminHandler = (ctx: AdminContext) => unknown

const CONFIG_KEYS: Record<string, keyof LocalStripeConfig> = {
  latency_ms: "latencyMs",
  processing_delay_ms: "processingDelayMs",
  webhook_max_attempts: "webhookMaxAttempts",
  webhook_retry_base_ms: "webhookRetryBaseMs",
  webhook_timeout_ms: "webhookTimeoutMs",
  strict_params: "strictParams",
}

function configChanges(body: Record<string, unknown>): Partial<LocalStripeConfig> {
  const changes: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(body)) {
    const setting = CONFIG_KEYS[key] ?? (Object.values(CONFIG_KEYS).includes(key as keyof LocalStripeConfig) ? key : undefined)
    if (!setting) throw new Error(`Unknown setting: ${key}`)
    changes[setting] = value
  }
  return changes as Partial<LocalStripeConfig>
}

function requireString(body: Record<string, unknown>, key: string): string {
  const value = body[key]
  if (typeof value !== "string" || value === "") throw new Error(`${key} is required`)
  return value
}

export function buildAdminRouter(): Router<AdminHandler> {
  const router = new Router<AdminHandler>()
  router.get("/_admin", ({ app }) => ({
    config: app.config,
    counts: {
      payment_intents: app.store.paymentIntents.size,
      setup_intents: app.store.setupIntents.size,
      customers: app.store.customers.size,
      refunds: app.store.refunds.size,
      disputes: app.store.disputes.size,
      events: app.store.events.size,
    },
    webhook_endpoints: app.webhooks.listEndpoints(),
    webhook_faults: app.webhooks.faults(),
    faults: app.faults.list(),
    test_payment_methods: testTokenNames(),
  }))
  router.post("/_admin/reset", ({ app }) => {
    app.reset()
    return { reset: true }
  })
  router.post("/_admin/config", ({ app, body }) => app.configure(configChanges(body)))

  router.get("/_admin/faults", ({ app }) => app.faults.list())
  router.post("/_admin/faults", ({ app, body }) => app.faults.add(body as FaultRuleInput))
  router.delete("/_admin/faults", ({ app }) => {
    app.faults.clear()
    return { cleared: true }
  })

  router.get("/_admin/webhooks/endpoints", ({ app }) => app.webhooks.listEndpoints())
  router.post("/_admin/webhooks/endpoints", ({ app, body }) =>
    app.webhooks.addEndpoint({
      url: requireString(body, "url"),
      secret: typeof body.secret === "string" ? body.secret : undefined,
      enabled_events: Array.isArray(body.enabled_events) ? (body.enabled_events as string[]) : undefined,
    })
  )
  router.delete("/_admin/webhooks/endpoints/:id", ({ app, pathParams }) => ({
    id: pathParams.id,
    deleted: app.webhooks.removeEndpoint(pathParams.id),
  }))
  router.get("/_admin/webhooks/faults", ({ app }) => app.webhooks.faults())
  router.post("/_admin/webhooks/faults", ({ app, body }) => app.webhooks.setFaults(body as Partial<WebhookFaults>))
  router.delete("/_admin/webhooks/faults", ({ app }) => {
    app.webhooks.clearFaults()
    return app.webhooks.faults()
  })
  router.post("/_admin/webhooks/flush", ({ app }) => ({ released: app.webhooks.flushHeld() }))
  router.get("/_admin/webhooks/deliveries", ({ app, query }) => {
    const eventId = query.get("event_id")
    const status = query.get("status")
    return app.webhooks
      .deliveries()
      .filter((d) => (!eventId || d.event_id === eventId) && (!status || d.status === status))
  })

  router.post("/_admin/payment_intents/:id/settle", ({ app, body, pathParams }) => {
    const outcome = body.outcome
    if (outcome !== undefined && outcome !== "succeed" && outcome !== "fail") {
      throw new Error("outcome must be succeed or fail")
    }
    return settlePaymentIntent(app, pathParams.id, outcome)
  })
  router.post("/_admin/payment_intents/:id/expire", ({ app, pathParams }) => expireAuthorization(app, pathParams.id))
  router.post("/_admin/payment_intents/:id/capture_before", ({ app, body, pathParams }) => {
    if (typeof body.capture_before !== "number") throw new Error("capture_before (unix seconds) is required")
    return setCaptureBefore(app, pathParams.id, body.capture_before)
  })
  router.post("/_admin/payment_intents/:id/dispute", ({ app, body, pathParams }) => {
    if (body.reason !== undefined && typeof body.reason !== "string") throw new Error("reason must be a string")
    if (body.amount !== undefined && typeof body.amount !== "number") throw new Error("amount must be a number")
    return openDisputeOn(app, pathParams.id, { reason: body.reason as string | undefined, amount: body.amount as number | undefined })
  })
  router.post("/_admin/intents/:id/authenticate", ({ app, body, pathParams }) => {
    const outcome = body.outcome ?? "approve"
    if (outcome !== "approve" && outcome !== "fail") throw new Error("outcome must be approve or fail")
    const intent = app.store.paymentIntents.get(pathParams.id) ?? app.store.setupIntents.get(pathParams.id)
    if (!intent) throw new Error(`No such intent: ${pathParams.id}`)
    try {
      return authenticate(app, intent, outcome === "approve")
    } catch (e) {
      // A decline after authentication is a result, not an admin failure.
      if (e instanceof ApiError && e.body.type === "card_error") return intent
      throw e
    }
  })
  return router
}

export function handleAdminRequest(
  app: LocalStripeApp,
  router: Router<AdminHandler>,
  method: string,
  url: URL,
  body: string
): HttpResponse {
  const match = router.match(method, url.pathname)
  if (!match) return json(404, { error: { message: `No admin route ${method} ${url.pathname}` } })
  try {
    const parsed = body.trim() === "" ? {} : JSON.parse(body)
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new Error("Admin requests take a JSON object body")
    }
    const result = app.withRequest(null, () =>
      match.handler({ app, body: parsed, pathParams: match.pathParams, query: url.searchParams })
    )
    return json(200, result ?? { ok: true })
  } catch (e) {
    const message = e instanceof ApiError ? e.body.message : (e as Error).message
    return json(400, { error: { message } })
  }
}
