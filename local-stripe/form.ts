// Decoder for Stripe's form encoding: `a[b][c]=x`, `list[]=x`, `list[0]=x`.
// Indexed entries stay objects keyed "0", "1"... here; `Params.list` turns them
// into arrays, because only the endpoint knows whether `metadata[0]` is a list
// index or a metadata key.

export type FormValue = string | FormValue[] | FormObject
export interface FormObject {
  [key: string]: FormValue
}

export class FormDecodeError extends Error {
  constructor(message: string, readonly param: string) {
    super(message)
  }
}

// These would let a request body reach Object.prototype.
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"])

export function decodeForm(encoded: string): FormObject {
  const root: FormObject = {}
  for (const pair of encoded.split("&")) {
    if (pair === "") continue
    const eq = pair.indexOf("=")
    const rawKey = eq === -1 ? pair : pair.slice(0, eq)
    const rawValue = eq === -1 ? "" : pair.slice(eq + 1)
    const key = decodeComponent(rawKey)
    if (key === "") continue
    assignPath(root, parseKeyPath(key), decodeComponent(rawValue), key)
  }
  return root
}

function decodeComponent(text: string): string {
  const spaced = text.replace(/\+/g, " ")
  try {
    return decodeURIComponent(spaced)
  } catch {
    throw new FormDecodeError(`Invalid URL encoding: ${text}`, text)
  }
}

/** `a[b][]` → ["a", "b", ""]. A key that is not well formed is taken literally. */
export function parseKeyPath(key: string): string[] {
  const open = key.indexOf("[")
  if (open <= 0) return [key]
  const segments = [key.slice(0, open)]
  let rest = key.slice(open)
  while (rest.length > 0) {
    const match = /^\[([^\[\]]*)\]/.exec(rest)
    if (!match) return [key]
    segments.push(match[1])
    rest = rest.slice(match[0].length)
  }
  return segments
}

function assignPath(root: FormObject, path: string[], value: string, fullKey: string): void {
  for (const segment of path) {
    if (FORBIDDEN_KEYS.has(segment)) {
      throw new FormDecodeError(`Invalid parameter name: ${fullKey}`, fullKey)
    }
  }
  let container: FormObject | FormValue[] = root
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]
    const last = i === path.length - 1
    if (Array.isArray(container)) {
      container = stepIntoArray(container, segment, path[i + 1], last, value, fullKey)
      if (last) return
      continue
    }
    if (segment === "") {
      throw new FormDecodeError(`Invalid parameter name: ${fullKey}`, fullKey)
    }
    if (last) {
      if (segment in container && typeof container[segment] !== "string") {
        throw conflict(fullKey)
      }
      container[segment] = value
      return
    }
    const wantArray = path[i + 1] === ""
    const existing: FormValue | undefined = container[segment]
    if (existing === undefined) {
      const created: FormObject | FormValue[] = wantArray ? [] : {}
      container[segment] = created
      container = created
    } else if (typeof existing === "string" || Array.isArray(existing) !== wantArray) {
      throw conflict(fullKey)
    } else {
      container = existing
    }
  }
}

// Only reached for `[]` segments: `list[]=a` appends; `list[][k]=v` fills the
// last element until a key repeats, then starts a new one (qs behaves the same).
function stepIntoArray(
  list: FormValue[],
  segment: string,
  next: string | undefined,
  last: boolean,
  value: string,
  fullKey: string
): FormObject | FormValue[] {
  if (segment !== "") throw conflict(fullKey)
  if (last) {
    list.push(value)
    return list
  }
  if (next === "") throw new FormDecodeError(`Nested lists are not supported: ${fullKey}`, fullKey)
  const tail = list[list.length - 1]
  if (tail && typeof tail === "object" && !Array.isArray(tail) && next !== undefined && !(next in tail)) {
    return tail
  }
  const fresh: FormObject = {}
  list.push(fresh)
  return fresh
}

function conflict(fullKey: string): FormDecodeError {
  return new FormDecodeError(`Invalid value for ${fullKey}: conflicting types`, fullKey)
}

/** Order-independent serialisation, used to compare idempotent requests. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`
  if (value && typeof value === "object") {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
    return `{${entries.join(",")}}`
  }
  return JSON.stringify(value)
}
