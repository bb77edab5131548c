import { invalidRequest } from "./errors"
import { Params } from "./params"

export interface ListObject<T> {
  object: "list"
  data: T[]
  has_more: boolean
  url: string
}

/** Cursor pagination over items already sorted newest first, as Stripe lists are. */
export function paginate<T extends { id: string }>(items: T[], params: Params, url: string): ListObject<T> {
  const limit = params.int("limit", { min: 1, max: 100 }) ?? 10
  const startingAfter = params.string("starting_after")
  const endingBefore = params.string("ending_before")
  if (startingAfter && endingBefore) {
    throw invalidRequest("You may only specify one of these parameters: ending_before, starting_after.")
  }
  let window = items
  if (startingAfter) {
    window = items.slice(indexOfCursor(items, startingAfter, "starting_after") + 1)
  } else if (endingBefore) {
    const before = items.slice(0, indexOfCursor(items, endingBefore, "ending_before"))
    const page = before.slice(Math.max(0, before.length - limit))
    return { object: "list", data: page, has_more: before.length > limit, url }
  }
  return { object: "list", data: window.slice(0, limit), has_more: window.length > limit, url }
}

function indexOfCursor(items: Array<{ id: string }>, id: string, param: string): number {
  const index = items.findIndex((item) => item.id === id)
  if (index === -1) {
    throw invalidRequest(`No such object: '${id}'`, { code: "resource_missing", param, status: 404 })
  }
  return index
}

export function newestFirst<T extends { created: number }>(items: Iterable<T>): T[] {
  // Map iteration order is insertion order, which breaks ties within one second.
  return [...items].reverse().sort((a, b) => b.created - a.created)
}
