import { BigNumberInput } from "@medusajs/framework/types"
import { BigNumber, MathBN, MedusaError } from "@medusajs/framework/utils"
import { currencyExponent, isKnownCurrency } from "./currency"

type Decimal = ReturnType<typeof MathBN.convert>

/** bignumber.js is Medusa's, reached through MathBN so that both agree on one copy. */
const DecimalClass = MathBN.convert(0).constructor as unknown as {
  isBigNumber(v: unknown): v is Decimal
  ROUND_HALF_UP: 4
}

/** The one rounding mode of the module: half up, as PostgreSQL's `round()` and Medusa's totals. */
export const ROUND_HALF_UP = DecimalClass.ROUND_HALF_UP

const DECIMAL_STRING = /^[+-]?(\d+(\.\d*)?|\.\d+)$/

/** The largest amount a JS number can carry without losing units (2^53 - 1). */
const MAX_EXACT_NUMBER = Number.MAX_SAFE_INTEGER

function invalid(message: string): MedusaError {
  return new MedusaError(MedusaError.Types.INVALID_DATA, message)
}

/**
 * Turns any amount a caller may send (number, decimal string, BigNumber or
 * Medusa's raw `{ value, precision }`) into an exact decimal, refusing
 * anything that is not a finite number or that a JS number cannot carry
 * without loss. Nothing downstream ever sees a float.
 */
export function parseAmount(input: unknown, field = "amount"): Decimal {
  if (input === null || input === undefined) {
    throw invalid(`The ${field} is required.`)
  }
  if (typeof input === "number") {
    if (!Number.isFinite(input)) {
      throw invalid(`The ${field} must be a finite number, got ${input}.`)
    }
    if (Math.abs(input) > MAX_EXACT_NUMBER) {
      throw invalid(
        `The ${field} ${input} is beyond 2^53 and cannot be represented exactly as a number. ` +
          `The module takes such an amount as a decimal string; Medusa's HTTP routes take numbers only, so it cannot come through them.`
      )
    }
    return MathBN.convert(input)
  }
  if (typeof input === "string") {
    return parseDecimalString(input, field)
  }
  if (input instanceof BigNumber) {
    const raw = input.raw?.value ?? input.numeric
    return parseAmount(raw, field)
  }
  if (typeof input === "object" && input !== null && "value" in input) {
    const value = (input as { value: unknown }).value
    if (typeof value === "string" || typeof value === "number") {
      return parseAmount(value, field)
    }
  }
  if (DecimalClass.isBigNumber(input)) {
    return parseDecimalString(input.toFixed(), field)
  }
  throw invalid(
    `The ${field} must be a number or a decimal string, got ${describe(input)}.`
  )
}

function parseDecimalString(text: string, field: string): Decimal {
  const trimmed = text.trim()
  if (!DECIMAL_STRING.test(trimmed)) {
    throw invalid(
      `The ${field} must be a number or a decimal string, got ${JSON.stringify(text)}.`
    )
  }
  return MathBN.convert(trimmed)
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "an array"
  if (typeof value === "object") return "an object"
  return `${typeof value} ${String(value)}`
}

/** An amount that must move money: strictly positive and exact for the currency. */
export function parseMoneyMovement(
  input: unknown,
  currencyCode: string,
  field: string
): Decimal {
  const amount = parseAmount(input, field)
  if (amount.lte(0)) {
    throw invalid(`The ${field} must be greater than 0, got ${amount.toFixed()}.`)
  }
  assertCurrencyPrecision(amount, currencyCode, field)
  return amount
}

/** An amount that may be zero (a free cart still gets a payment collection). */
export function parseNonNegativeAmount(input: unknown, field: string): Decimal {
  const amount = parseAmount(input, field)
  if (amount.lt(0)) {
    throw invalid(`The ${field} must not be negative, got ${amount.toFixed()}.`)
  }
  return amount
}

export function assertCurrencyPrecision(
  amount: Decimal,
  currencyCode: string,
  field: string
): void {
  const exponent = currencyExponent(currencyCode)
  const decimals = amount.decimalPlaces() ?? 0
  if (decimals > exponent) {
    throw invalid(
      `The ${field} ${amount.toFixed()} has ${decimals} decimals but ${currencyCode.toUpperCase()} has ${exponent}.`
    )
  }
}

/** Rounds half-up to the currency's minor unit (what can move, and how totals compare). */
export function roundToCurrency(
  amount: BigNumberInput | Decimal,
  currencyCode: string
): Decimal {
  return MathBN.convert(amount as BigNumberInput).decimalPlaces(currencyExponent(currencyCode), ROUND_HALF_UP)
}

/** Money shown as the currency writes it (2 decimals for EUR), never fewer digits than it has. */
export function inCurrencyPrecision(amount: BigNumberInput | Decimal, currencyCode: string | null): string {
  const value = MathBN.convert(amount as BigNumberInput)
  if (!currencyCode || !isKnownCurrency(currencyCode)) return value.toFixed()
  const exponent = currencyExponent(currencyCode)
  return value.decimalPlaces()! > exponent ? value.toFixed() : value.toFixed(exponent)
}

/** The exact decimal of a stored BigNumber column (`raw_*` wins over the numeric copy). */
export function storedAmount(raw: unknown, numeric?: unknown): Decimal {
  const value = (raw as { value?: string } | null | undefined)?.value
  return MathBN.convert((value ?? numeric ?? 0) as BigNumberInput)
}

export type { Decimal }
