import { ApiHandler, LocalStripeApp } from "../app"
import { invalidRequest, resourceMissing } from "../errors"
import { paginate } from "../list"
import { Router } from "../router"
import { WebhookEndpoint } from "../webhooks"

// The same registry the admin API and startLocalStripe({ webhookUrl }) feed,
// exposed through Stripe's own endpoint so `stripe.webhookEndpoints` works.

function requireEndpoint(app: LocalStripeApp, id: string): WebhookEndpoint {
  const endpoint = app.webhooks.getEndpoint(id)
  if (!endpoint) throw resourceMissing("webhook_endpoint", id)
  return endpoint
}

/** Stripe only reveals the signing secret when the endpoint is created. */
function withoutSecret(endpoint: WebhookEndpoint): Omit<WebhookEndpoint, "secret"> {
  const { secret: _secret, ...rest } = endpoint
  return rest
}

function rethrowAsInvalid<T>(run: () => T, param: string): T {
  try {
    return run()
  } catch (e) {
    throw invalidRequest((e as Error).message, { param })
  }
}

const create: ApiHandler = ({ app, params }) => {
  params.allowOnly(["url", "enabled_events", "description", "metadata", "api_version", "connect"])
  const url = params.requiredString("url")
  const enabledEvents = params.strings("enabled_events")
  if (!enabledEvents || enabledEvents.length === 0) {
    throw invalidRequest("Missing required param: enabled_events.", { code: "parameter_missing", param: "enabled_events" })
  }
  const applyMetadata = params.metadata()
  return rethrowAsInvalid(
    () =>
      app.webhooks.addEndpoint({
        url,
        enabled_events: enabledEvents,
        description: params.string("description") ?? null,
        metadata: applyMetadata ? applyMetadata({}) : {},
      }),
    "url"
  )
}

const retrieve: ApiHandler = ({ app, params, pathParams }) => {
  params.allowOnly([])
  return withoutSecret(requireEndpoint(app, pathParams.id))
}

const update: ApiHandler = ({ app, params, pathParams }) => {
  params.allowOnly(["url", "enabled_events", "description", "metadata", "disabled"])
  const endpoint = requireEndpoint(app, pathParams.id)
  const url = params.string("url") ?? undefined
  const enabledEvents = params.strings("enabled_events")
  const disabled = params.bool("disabled")
  const applyMetadata = params.metadata()
  const description = params.string("description")
  rethrowAsInvalid(
    () =>
      app.webhooks.updateEndpoint(endpoint.id, {
        ...(url ? { url } : {}),
        ...(enabledEvents ? { enabled_events: enabledEvents } : {}),
        ...(disabled !== undefined ? { status: disabled ? "disabled" : "enabled" } : {}),
        ...(applyMetadata ? { metadata: applyMetadata(endpoint.metadata) } : {}),
        ...(description !== undefined ? { description } : {}),
      }),
    "url"
  )
  return withoutSecret(endpoint)
}

const remove: ApiHandler = ({ app, params, pathParams }) => {
  params.allowOnly([])
  const endpoint = requireEndpoint(app, pathParams.id)
  app.webhooks.removeEndpoint(endpoint.id)
  return { id: endpoint.id, object: "webhook_endpoint", deleted: true }
}

const list: ApiHandler = ({ app, params }) => {
  params.allowOnly(["limit", "starting_after", "ending_before"])
  const items = app.webhooks.listEndpoints().reverse().map(withoutSecret)
  return paginate(items, params, "/v1/webhook_endpoints")
}

export function registerWebhookEndpointRoutes(router: Router<ApiHandler>): void {
  router
    .post("/v1/webhook_endpoints", create)
    .get("/v1/webhook_endpoints", list)
    .get("/v1/webhook_endpoints/:id", retrieve)
    .post("/v1/webhook_endpoints/:id", update)
    .delete("/v1/webhook_endpoints/:id", remove)
}
