import { ApiHandler } from "../app"
import { invalidRequest, resourceMissing } from "../errors"
import { paginate } from "../list"
import { Router } from "../router"

const retrieve: ApiHandler = ({ app, params, pathParams }) => {
  params.allowOnly([])
  const event = app.store.events.get(pathParams.id)
  if (!event) throw resourceMissing("event", pathParams.id)
  return event
}

const list: ApiHandler = ({ app, params }) => {
  params.allowOnly(["type", "types", "limit", "starting_after", "ending_before", "created", "delivery_success"])
  const type = params.string("type")
  const types = params.strings("types")
  if (type && types) throw invalidRequest("You may only specify one of these parameters: type, types.")
  const matches = (eventType: string): boolean => {
    if (types) return types.includes(eventType)
    if (!type) return true
    // Stripe allows one trailing wildcard: type=payment_intent.*
    return type.endsWith("*") ? eventType.startsWith(type.slice(0, -1)) : eventType === type
  }
  return paginate(app.eventsNewestFirst().filter((e) => matches(e.type)), params, "/v1/events")
}

export function registerEventRoutes(router: Router<ApiHandler>): void {
  router.get("/v1/events", list).get("/v1/events/:id", retrieve)
}
