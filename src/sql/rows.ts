import { randomFillSync } from "crypto"
import { BigNumber } from "@medusajs/framework/utils"

/**
 * Rows read by hand-written SQL, shaped like the DTOs the ORM's serializer
 * gives for the same rows — so that the hot path and the generated methods
 * answer alike. The shape is read from the DML model itself, not written out
 * per model: a field added to a model shows up here without a second edit.
 *
 * Rows come from `RETURNING *` (dates as Date, numerics as strings) or from
 * `to_jsonb(row)` (dates as ISO strings, numerics as JSON numbers); money is
 * always taken from the exact `raw_*` column, never from the numeric copy.
 */
type DmlEntity = { name: string; schema: Record<string, { parse(name: string): any }> }

type Field =
  | { name: string; kind: "plain" | "bigNumber" | "date" }
  | { name: string; kind: "belongsTo"; column: string }
  | { name: string; kind: "collection" | "single" }

const fieldsByEntity = new WeakMap<DmlEntity, Field[]>()

function fieldsOf(entity: DmlEntity): Field[] {
  let fields = fieldsByEntity.get(entity)
  if (fields) return fields
  fields = Object.entries(entity.schema).flatMap(([name, property]): Field[] => {
    const parsed = property.parse(name)
    const dataType = parsed.dataType?.name
    if (dataType === "bigNumber") return [{ name, kind: "bigNumber" }]
    if (dataType === "dateTime") return [{ name, kind: "date" }]
    if (dataType) return [{ name, kind: "plain" }]
    if (parsed.type === "belongsTo") return [{ name, kind: "belongsTo", column: `${name}_id` }]
    if (parsed.type === "hasMany" || parsed.type === "manyToMany") return [{ name, kind: "collection" }]
    if (parsed.type === "hasOne") return [{ name, kind: "single" }]
    return []
  })
  fieldsByEntity.set(entity, fields)
  return fields
}

export type RowShapeOptions = {
  /** a row just inserted: its relations to other rows are known to be empty, as on a new ORM entity */
  fresh?: boolean
}

export function rowToDto<T>(entity: DmlEntity, row: Record<string, any>, options: RowShapeOptions = {}): T {
  const dto: Record<string, unknown> = {}
  for (const field of fieldsOf(entity)) {
    switch (field.kind) {
      case "plain":
        dto[field.name] = row[field.name] ?? null
        break
      case "date":
        dto[field.name] = asDate(row[field.name])
        break
      case "bigNumber": {
        const raw = row[`raw_${field.name}`]
        dto[field.name] = raw ? new BigNumber(raw).numeric : null
        break
      }
      case "belongsTo": {
        const id = row[field.column] ?? null
        dto[field.column] = id
        dto[field.name] = id === null ? null : { id }
        break
      }
      case "collection":
        if (options.fresh) dto[field.name] = []
        break
      case "single":
        if (options.fresh) dto[field.name] = null
        break
    }
  }
  return dto as T
}

function asDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null
  return value instanceof Date ? value : new Date(value as string)
}

const idPrefixes = new WeakMap<DmlEntity, string>()

/**
 * A new primary key for a row of `entity`, with the prefix its model declares
 * (`pay_col_…`, `capt_…`): the same `<prefix>_<ULID>` form as Medusa's
 * `generateEntityId`, which asks the system for one random byte per
 * character (about 80 µs an id, several ids a payment). Here the 80 random
 * bits come from a pooled buffer refilled 4 KiB at a time.
 */
export function newId(entity: DmlEntity): string {
  let prefix = idPrefixes.get(entity)
  if (prefix === undefined) {
    prefix = entity.schema.id.parse("id").dataType?.options?.prefix as string
    idPrefixes.set(entity, prefix)
  }
  return `${prefix}_${ulid()}`
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
const pool = Buffer.alloc(4096)
let poolOffset = pool.length

function randomBytes10(): Buffer {
  if (poolOffset + 10 > pool.length) {
    randomFillSync(pool)
    poolOffset = 0
  }
  poolOffset += 10
  return pool.subarray(poolOffset - 10, poolOffset)
}

/** 48-bit millisecond time then 80 random bits, each as Crockford base32 (26 characters, sortable by time). */
export function ulid(now = Date.now()): string {
  let time = ""
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[now % 32] + time
    now = Math.floor(now / 32)
  }
  const bytes = randomBytes10()
  let random = ""
  // 80 bits = 16 groups of 5, read from two 40-bit halves that fit a JS number exactly
  for (const half of [0, 5]) {
    let bits = 0
    for (let i = 0; i < 5; i++) bits = bits * 256 + bytes[half + i]
    let chunk = ""
    for (let i = 0; i < 8; i++) {
      chunk = CROCKFORD[bits % 32] + chunk
      bits = Math.floor(bits / 32)
    }
    random += chunk
  }
  return time + random
}
