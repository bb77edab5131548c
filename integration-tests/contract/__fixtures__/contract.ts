// The machinery of the differential contract test: normalizing answers so
// that two independent runs can be compared (generated ids, timestamps,
// amounts), and diffing the normalized trees field by field.
//
// The normalizer is written so that it cannot hide a real difference:
//  - `null`, `undefined` and a missing key stay three different things;
//  - arrays keep their length; arrays of rows (objects with an `id`) are
//    compared row by row, matched on the row's normalized id;
//  - an id becomes a placeholder that keeps its prefix and is consistent
//    within a run (the first `pay_…` seen is `<pay#1>` in both runs, and every
//    later mention of that id is `<pay#1>` again), so an answer that points at
//    the wrong row is still a difference;
//  - a Date and an ISO string stay different types (`<Date>` vs `<ISO date>`);
//  - a BigNumber object, a number and a numeric string stay different types;
//    only the internal representation of a BigNumber (and the spelling of a
//    raw amount's `value`, "1000" vs "1000.00") is reduced to its numeric value.

export const MISSING = "<missing>"
export const UNDEFINED = "<undefined>"

/** Medusa's ids: `<prefix>_<ULID>` (e.g. pay_col_01J…); also any UUID. */
const ID_IN_TEXT = /\b([a-z][a-z0-9]*(?:_[a-z][a-z0-9]*)*)_([0-9A-HJKMNP-TV-Z]{26})\b/g
const UUID_IN_TEXT = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/
const ISO_DATE_IN_TEXT = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})\b/g
const DECIMAL = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** Medusa's BigNumber (utils) or a bignumber.js instance. */
function bigNumberValue(value: unknown): string | undefined {
  if (value === null || typeof value !== "object" || isPlainObject(value)) return undefined
  const v = value as any
  if (v._isBigNumber === true || v.constructor?.name === "BigNumber") {
    if (v.bigNumber && typeof v.bigNumber.toFixed === "function") return canonicalDecimal(v.bigNumber.toFixed())
    if (typeof v.toFixed === "function") return canonicalDecimal(v.toFixed())
    if (v.raw?.value !== undefined) return canonicalDecimal(String(v.raw.value))
    if (v.numeric !== undefined) return canonicalDecimal(String(v.numeric))
  }
  return undefined
}

/** "1000.00" → "1000", "-0.50" → "-0.5": the same number written one way. */
export function canonicalDecimal(text: string): string {
  if (!DECIMAL.test(text) || /e/i.test(text)) return text
  let [int, frac = ""] = text.split(".")
  frac = frac.replace(/0+$/, "")
  const negative = int.startsWith("-")
  int = int.replace(/^-/, "").replace(/^0+(?=\d)/, "")
  const out = frac ? `${int}.${frac}` : int
  return negative && out !== "0" ? `-${out}` : out
}

/** A raw amount as Medusa stores it: `{ value: "1000", precision: 20 }`. */
function isRawAmount(value: Record<string, unknown>): boolean {
  const keys = Object.keys(value).sort()
  return (
    keys.length === 2 && keys[0] === "precision" && keys[1] === "value" &&
    typeof value.value === "string" && DECIMAL.test(value.value)
  )
}

/**
 * Turns one run's answers into comparable trees; one instance per run.
 *
 * An id's placeholder names the step where the run first saw it and its rank
 * among the ids of that kind first seen in that step: `<pay_col@s12#1>`. So
 * an extra row one implementation writes in one step (or an id quoted in an
 * error message) never shifts the names of later rows.
 */
export class Normalizer {
  private ids = new Map<string, string>()
  private counters = new Map<string, number>()
  private step = 0

  /** Starts the next step: ids first seen from now on are named after it. */
  nextStep(step: number) {
    this.step = step
  }

  private placeholder(raw: string, prefix: string): string {
    let name = this.ids.get(raw)
    if (!name) {
      const key = `${prefix}@s${this.step}`
      const n = (this.counters.get(key) ?? 0) + 1
      this.counters.set(key, n)
      name = `<${key}#${n}>`
      this.ids.set(raw, name)
    }
    return name
  }

  private text(value: string): string {
    if (ISO_DATE.test(value)) return "<ISO date>"
    return value
      .replace(ISO_DATE_IN_TEXT, "<ISO date>")
      .replace(ID_IN_TEXT, (whole, prefix: string) => this.placeholder(whole, prefix))
      .replace(UUID_IN_TEXT, (whole) => this.placeholder(whole.toLowerCase(), "uuid"))
  }

  /**
   * Gives placeholders to the ids of `value` in an order that does not depend
   * on how either implementation orders keys or rows: breadth first, keys
   * sorted, rows of an array by `created_at`, then by their other plain
   * fields (rows inserted by one statement share `created_at`), then by
   * position.
   */
  private register(value: unknown) {
    let level: unknown[] = [value]
    const seen = new Set<unknown>()
    while (level.length) {
      const next: unknown[] = []
      for (const item of level) {
        if (item === null || typeof item !== "object" || seen.has(item)) continue
        seen.add(item)
        if (item instanceof Date || bigNumberValue(item) !== undefined) continue
        if (Array.isArray(item)) {
          const rows = item.map((row, index) => ({ row, index }))
          const content = new Map(rows.map((r) => [r.row, contentKey(r.row)]))
          rows.sort(
            (a, b) =>
              createdAt(a.row) - createdAt(b.row) ||
              content.get(a.row)!.localeCompare(content.get(b.row)!) ||
              a.index - b.index
          )
          for (const { row } of rows) {
            if (row && typeof row === "object" && typeof (row as any).id === "string") this.text((row as any).id)
          }
          next.push(...rows.map((r) => r.row))
          continue
        }
        const obj = item as Record<string, unknown>
        if (typeof obj.id === "string") this.text(obj.id)
        for (const key of Object.keys(obj).sort()) next.push(obj[key])
      }
      level = next
    }
  }

  normalize(value: unknown): unknown {
    this.register(value)
    return this.walk(value, new Set())
  }

  private walk(value: unknown, stack: Set<unknown>): unknown {
    if (value === undefined) return UNDEFINED
    if (value === null) return null
    if (typeof value === "string") return this.text(value)
    if (typeof value === "number") return Number.isNaN(value) ? "<NaN>" : value
    if (typeof value === "boolean") return value
    if (typeof value === "bigint") return { "<bigint>": value.toString() }
    if (typeof value === "function") return "<function>"
    if (typeof value === "symbol") return "<symbol>"
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? "<Invalid Date>" : "<Date>"
    const big = bigNumberValue(value)
    if (big !== undefined) return { "<BigNumber>": big }
    if (stack.has(value)) return "<circular>"
    stack.add(value)
    try {
      if (Array.isArray(value)) return value.map((v) => this.walk(v, stack))
      const obj = value as Record<string, unknown>
      const out: Record<string, unknown> = {}
      const raw = isRawAmount(obj)
      for (const key of Object.keys(obj).sort()) {
        out[key] = raw && key === "value" ? canonicalDecimal(obj.value as string) : this.walk(obj[key], stack)
      }
      if (!isPlainObject(value)) out["<class>"] = (value as object).constructor?.name ?? "<null prototype>"
      return out
    } finally {
      stack.delete(value)
    }
  }
}

/** A row's plain fields that do not depend on the run (no ids, no timestamps). */
function contentKey(row: unknown): string {
  if (!row || typeof row !== "object") return ""
  const fields: [string, unknown][] = []
  for (const key of Object.keys(row).sort()) {
    const value = (row as any)[key]
    if (key === "id" || key.endsWith("_at")) continue
    if (typeof value === "string" && (ISO_DATE.test(value) || new RegExp(ID_IN_TEXT.source).test(value))) continue
    if (value === null || ["string", "number", "boolean"].includes(typeof value)) fields.push([key, value])
  }
  return JSON.stringify(fields)
}

function createdAt(row: unknown): number {
  const value = row && typeof row === "object" ? (row as any).created_at : undefined
  const time = value instanceof Date ? value.getTime() : typeof value === "string" ? Date.parse(value) : NaN
  return Number.isNaN(time) ? Number.MAX_SAFE_INTEGER : time
}

export interface Difference {
  path: string
  medusa: unknown
  ours: unknown
}

function isRows(value: unknown[]): boolean {
  const ids = new Set<string>()
  for (const row of value) {
    if (!isPlainObject(row) || typeof row.id !== "string" || ids.has(row.id)) return false
    ids.add(row.id)
  }
  return value.length > 0
}

function typeOf(value: unknown): string {
  if (value === null) return "null"
  if (Array.isArray(value)) return "array"
  return typeof value
}

/** Every difference between two normalized trees, with a path to each. */
export function diff(medusa: unknown, ours: unknown, path = "", out: Difference[] = []): Difference[] {
  const at = (p: string) => p || "(answer)"
  if (Array.isArray(medusa) && Array.isArray(ours)) {
    if (medusa.length !== ours.length) out.push({ path: `${path}.length`.replace(/^\./, ""), medusa: medusa.length, ours: ours.length })
    if ((isRows(medusa) || medusa.length === 0) && (isRows(ours) || ours.length === 0) && medusa.length + ours.length > 0) {
      // rows: matched on their (normalized) id, wherever they are in the array
      const mine = new Map(ours.map((row: any) => [row.id as string, row]))
      const theirs = new Map(medusa.map((row: any) => [row.id as string, row]))
      for (const id of [...new Set([...theirs.keys(), ...mine.keys()])].sort()) {
        const p = `${path}{${id}}`
        if (!mine.has(id)) out.push({ path: p, medusa: theirs.get(id), ours: MISSING })
        else if (!theirs.has(id)) out.push({ path: p, medusa: MISSING, ours: mine.get(id) })
        else diff(theirs.get(id), mine.get(id), p, out)
      }
      return out
    }
    const n = Math.max(medusa.length, ours.length)
    for (let i = 0; i < n; i++) {
      const p = `${path}[${i}]`
      if (i >= ours.length) out.push({ path: p, medusa: medusa[i], ours: MISSING })
      else if (i >= medusa.length) out.push({ path: p, medusa: MISSING, ours: ours[i] })
      else diff(medusa[i], ours[i], p, out)
    }
    return out
  }
  if (isPlainObject(medusa) && isPlainObject(ours)) {
    const keys = [...new Set([...Object.keys(medusa), ...Object.keys(ours)])].sort()
    for (const key of keys) {
      const p = path ? `${path}.${key}` : key
      if (!(key in ours)) out.push({ path: p, medusa: medusa[key], ours: MISSING })
      else if (!(key in medusa)) out.push({ path: p, medusa: MISSING, ours: ours[key] })
      else diff(medusa[key], ours[key], p, out)
    }
    return out
  }
  if (typeOf(medusa) !== typeOf(ours) || !Object.is(medusa, ours)) out.push({ path: at(path), medusa, ours })
  return out
}

/** Deep equality of normalized trees (used by KNOWN_DIFFERENCES' optional value checks). */
export function same(a: unknown, b: unknown): boolean {
  return diff(a, b).length === 0
}

/** `*` matches within one path segment, `**` across segments; the rest is literal. */
export function pathPattern(glob: string): RegExp {
  let source = ""
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]
    if (c === "*" && glob[i + 1] === "*") {
      source += ".*"
      i++
    } else if (c === "*") source += "[^.{}\\[\\]]*"
    else source += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
  }
  return new RegExp(`^${source}$`)
}

/** A value short enough for a one-line report. */
export function brief(value: unknown, max = 160): string {
  const text = value === MISSING ? "(missing)" : JSON.stringify(value)
  if (text === undefined) return String(value)
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

/** What a refused call records instead of an answer. */
export const THROWN = "<thrown>"

export function thrown(error: any) {
  return {
    [THROWN]: {
      type: error?.type ?? MISSING,
      message: typeof error?.message === "string" ? error.message : String(error),
    },
  }
}

function isThrown(value: unknown): boolean {
  return isPlainObject(value) && Object.keys(value).length === 1 && THROWN in value
}

/**
 * Two outcomes of one call: when one implementation refused and the other
 * answered, that is one difference (path `(outcome)`), not one per field.
 */
export function diffOutcome(medusa: unknown, ours: unknown): Difference[] {
  if (isThrown(medusa) !== isThrown(ours)) return [{ path: "(outcome)", medusa, ours }]
  return diff(medusa, ours)
}

/**
 * The events of one call as multisets (their order is not part of the
 * contract): matched on name and the id they carry, path `<events>{name id}`.
 */
export function diffEvents(medusa: unknown[], ours: unknown[]): Difference[] {
  const key = (e: any) =>
    `${e?.name} ${e?.data && typeof e.data.id === "string" ? e.data.id : JSON.stringify(e?.data)}`
  const group = (events: unknown[]) => {
    const map = new Map<string, unknown[]>()
    for (const e of events) map.set(key(e), [...(map.get(key(e)) ?? []), e])
    return map
  }
  const theirs = group(medusa)
  const mine = group(ours)
  const out: Difference[] = []
  for (const k of [...new Set([...theirs.keys(), ...mine.keys()])].sort()) {
    const a = theirs.get(k) ?? []
    const b = mine.get(k) ?? []
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const p = `<events>{${k}}${i ? `[${i}]` : ""}`
      if (i >= b.length) out.push({ path: p, medusa: a[i], ours: MISSING })
      else if (i >= a.length) out.push({ path: p, medusa: MISSING, ours: b[i] })
      else diff(a[i], b[i], p, out)
    }
  }
  return out
}
