import { invalidRequest } from "./errors"
import { snapshot, Store } from "./store"

const MAX_DEPTH = 4

/**
 * Applies `expand[]` to a response body (already a private copy). Lists expand
 * through `data.`, as in Stripe: `expand[]=data.latest_charge`.
 */
export function applyExpansions(store: Store, body: Record<string, unknown>, paths: string[]): void {
  for (const path of paths) {
    const segments = path.split(".")
    if (segments.length > MAX_DEPTH) {
      throw invalidRequest(
        `You cannot expand more than ${MAX_DEPTH} levels of a property. Property: ${path}`,
        { param: "expand" }
      )
    }
    expandInto(store, body, segments, path)
  }
}

function expandInto(store: Store, target: Record<string, unknown>, segments: string[], fullPath: string): void {
  const [head, ...rest] = segments
  if (target.object === "list" && Array.isArray(target.data) && head === "data") {
    for (const item of target.data as Record<string, unknown>[]) {
      if (rest.length > 0) expandInto(store, item, rest, fullPath)
    }
    return
  }
  if (!(head in target)) throw notExpandable(fullPath)
  let value = target[head]
  if (value === null) return
  if (typeof value === "string") {
    const found = store.find(value)
    if (!found) throw notExpandable(fullPath)
    value = snapshot(found)
    target[head] = value
  }
  if (rest.length === 0) return
  if (typeof value !== "object" || value === null) throw notExpandable(fullPath)
  expandInto(store, value as Record<string, unknown>, rest, fullPath)
}

function notExpandable(path: string) {
  return invalidRequest(`This property cannot be expanded (${path}).`, { param: "expand" })
}
