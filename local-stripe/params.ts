import { FormObject, FormValue } from "./form"
import { invalidRequest, missingParameter, unknownParameter } from "./errors"

export type Metadata = Record<string, string>

/**
 * Typed, Stripe-flavoured access to decoded request parameters. Every getter
 * raises the same 400 that Stripe would, naming the full bracketed param, so
 * an integration bug surfaces here just as it would against the real API.
 */
export class Params {
  constructor(
    readonly raw: FormObject,
    private readonly prefix = "",
    /** Off only when the server runs with strictParams=false. */
    private readonly strict = true
  ) {}

  private name(key: string): string {
    return this.prefix ? `${this.prefix}[${key}]` : key
  }

  has(key: string): boolean {
    return this.raw[key] !== undefined
  }

  keys(): string[] {
    return Object.keys(this.raw)
  }

  /** Stripe rejects parameters it does not know instead of ignoring them. */
  allowOnly(allowed: readonly string[]): this {
    if (!this.strict) return this
    for (const key of this.keys()) {
      if (key !== "expand" && !allowed.includes(key)) throw unknownParameter(this.name(key))
    }
    return this
  }

  value(key: string): FormValue | undefined {
    return this.raw[key]
  }

  /** undefined when absent, null when sent empty (Stripe's "unset"). */
  string(key: string): string | null | undefined {
    const value = this.raw[key]
    if (value === undefined) return undefined
    if (typeof value !== "string") {
      throw invalidRequest(`Invalid string: ${this.name(key)} must be a string`, {
        param: this.name(key),
      })
    }
    return value === "" ? null : value
  }

  requiredString(key: string): string {
    const value = this.string(key)
    if (value === undefined || value === null) throw missingParameter(this.name(key))
    return value
  }

  int(key: string, bounds: { min?: number; max?: number } = {}): number | undefined {
    const value = this.string(key)
    if (value === undefined || value === null) return undefined
    if (!/^-?\d+$/.test(value)) {
      throw invalidRequest(`Invalid integer: ${value}`, {
        code: "parameter_invalid_integer",
        param: this.name(key),
      })
    }
    const parsed = Number(value)
    if (bounds.min !== undefined && parsed < bounds.min) {
      throw invalidRequest(`This value must be greater than or equal to ${bounds.min}.`, {
        code: "parameter_invalid_integer",
        param: this.name(key),
      })
    }
    if (bounds.max !== undefined && parsed > bounds.max) {
      throw invalidRequest(`This value must be less than or equal to ${bounds.max}.`, {
        code: "parameter_invalid_integer",
        param: this.name(key),
      })
    }
    return parsed
  }

  requiredInt(key: string, bounds: { min?: number; max?: number } = {}): number {
    const value = this.int(key, bounds)
    if (value === undefined) throw missingParameter(this.name(key))
    return value
  }

  bool(key: string): boolean | undefined {
    const value = this.string(key)
    if (value === undefined || value === null) return undefined
    if (value === "true") return true
    if (value === "false") return false
    throw invalidRequest(`Invalid boolean: ${value}`, { param: this.name(key) })
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T | null | undefined {
    const value = this.string(key)
    if (value === undefined || value === null) return value
    if (!(allowed as readonly string[]).includes(value)) {
      throw invalidRequest(
        `Invalid ${this.name(key)}: must be one of ${allowed.join(", ")}`,
        { param: this.name(key) }
      )
    }
    return value as T
  }

  object(key: string): Params | undefined {
    const value = this.raw[key]
    if (value === undefined || value === "") return undefined
    if (typeof value !== "object" || Array.isArray(value)) {
      throw invalidRequest(`Invalid object: ${this.name(key)} must be a hash`, {
        param: this.name(key),
      })
    }
    return new Params(value, this.name(key), this.strict)
  }

  /** Accepts both `k[]=a` and the SDK's `k[0]=a` forms. */
  list(key: string): FormValue[] | undefined {
    const value = this.raw[key]
    if (value === undefined) return undefined
    if (value === "") return []
    if (Array.isArray(value)) return value
    if (typeof value === "object") {
      const indices = Object.keys(value)
      if (indices.every((k) => /^\d+$/.test(k))) {
        return indices.sort((a, b) => Number(a) - Number(b)).map((k) => value[k])
      }
    }
    throw invalidRequest(`Invalid array: ${this.name(key)} must be an array`, {
      param: this.name(key),
    })
  }

  strings(key: string): string[] | undefined {
    const list = this.list(key)
    if (list === undefined) return undefined
    return list.map((item, index) => {
      if (typeof item !== "string") {
        throw invalidRequest(`Invalid string: ${this.name(key)}[${index}]`, {
          param: `${this.name(key)}[${index}]`,
        })
      }
      return item
    })
  }

  /**
   * Metadata follows Stripe's merge rules: `metadata=` clears everything,
   * `metadata[k]=` deletes one key, anything else sets it.
   */
  metadata(key = "metadata"): ((current: Metadata) => Metadata) | undefined {
    const value = this.raw[key]
    if (value === undefined) return undefined
    if (value === "") return () => ({})
    if (typeof value !== "object" || Array.isArray(value)) {
      throw invalidRequest("Invalid metadata: must be a hash", { param: this.name(key) })
    }
    const updates: Array<[string, string]> = []
    for (const [k, v] of Object.entries(value)) {
      if (typeof v !== "string") {
        throw invalidRequest(`Invalid value for metadata[${k}]: must be a string`, {
          param: `${this.name(key)}[${k}]`,
        })
      }
      if (k.length > 40) {
        throw invalidRequest("Metadata keys can have a maximum length of 40 characters.", {
          param: `${this.name(key)}[${k}]`,
        })
      }
      if (v.length > 500) {
        throw invalidRequest("Metadata values can have a maximum length of 500 characters.", {
          param: `${this.name(key)}[${k}]`,
        })
      }
      updates.push([k, v])
    }
    return (current) => {
      const next = { ...current }
      for (const [k, v] of updates) {
        if (v === "") delete next[k]
        else next[k] = v
      }
      if (Object.keys(next).length > 50) {
        throw invalidRequest("Metadata can have a maximum of 50 keys.", { param: this.name(key) })
      }
      return next
    }
  }

  /** Free-form nested hashes (shipping, address...) are stored as sent. */
  passthrough(key: string): FormObject | null | undefined {
    const value = this.raw[key]
    if (value === undefined) return undefined
    if (value === "") return null
    if (typeof value !== "object" || Array.isArray(value)) {
      throw invalidRequest(`Invalid object: ${this.name(key)} must be a hash`, {
        param: this.name(key),
      })
    }
    return value
  }

  expand(): string[] {
    return this.strings("expand") ?? []
  }
}
