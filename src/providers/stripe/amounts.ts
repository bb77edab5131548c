import { MathBN, MedusaError } from "@medusajs/framework/utils"
import { parseAmount, type Decimal } from "../../utils/amount"
import { currencyExponent } from "../../utils/currency"

/**
 * Stripe's "wire profile" of a currency: how Stripe wants an amount written.
 *
 * Stripe takes integers in what it calls the smallest unit, and its idea of
 * that unit is not always ISO 4217's (src/utils/currency.ts):
 *   - `exponent`: the power of ten between a standard amount and Stripe's integer;
 *   - `granularity`: the Stripe integer must be a multiple of this;
 *   - `maxMinorUnits`: the largest integer Stripe accepts.
 *
 * Source: docs.stripe.com/currencies (zero-decimal, three-decimal and special
 * cases, and the 8-digit limit).
 */
export type StripeCurrencyProfile = {
  currency: string
  exponent: number
  granularity: number
  maxMinorUnits: number
}

/** Stripe passes these as whole units. MGA is 2 decimals in ISO but 0 at Stripe. */
const STRIPE_ZERO_DECIMAL = new Set([
  "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF",
  "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
])

/**
 * ×1000 with a last digit of 0: Stripe's card partners only settle these to
 * a hundredth. IQD and LYD (3 decimals in ISO) are not on Stripe's list and
 * so fall back to Stripe's default of two decimals.
 */
const STRIPE_THREE_DECIMAL = new Set(["BHD", "JOD", "KWD", "OMR", "TND"])

/**
 * ISK is zero-decimal in ISO, but Stripe keeps it two-decimal on the wire and
 * since 2023 only accepts whole krónur, i.e. multiples of 100.
 *
 * HUF and TWD also have a "divisible by 100" rule at Stripe, but only for
 * payouts; charges and refunds may carry two decimals, so no rule here.
 */
const STRIPE_WHOLE_UNITS_IN_TWO_DECIMALS = new Set(["ISK"])

/** "The amount value supports up to eight digits" … */
const DEFAULT_MAX_MINOR_UNITS = 99_999_999
/** … "and up to twelve digits for IDR". */
const MAX_MINOR_UNITS_OVERRIDES: Record<string, number> = { IDR: 999_999_999_999 }

export function stripeCurrencyProfile(currencyCode: string): StripeCurrencyProfile {
  // Unknown codes are refused by the module-wide ISO table first, so Stripe's
  // table can only refine what ISO knows, never invent a currency.
  currencyExponent(currencyCode)
  const currency = currencyCode.toUpperCase()
  const maxMinorUnits = MAX_MINOR_UNITS_OVERRIDES[currency] ?? DEFAULT_MAX_MINOR_UNITS

  if (STRIPE_ZERO_DECIMAL.has(currency)) {
    return { currency, exponent: 0, granularity: 1, maxMinorUnits }
  }
  if (STRIPE_THREE_DECIMAL.has(currency)) {
    return { currency, exponent: 3, granularity: 10, maxMinorUnits }
  }
  if (STRIPE_WHOLE_UNITS_IN_TWO_DECIMALS.has(currency)) {
    return { currency, exponent: 2, granularity: 100, maxMinorUnits }
  }
  return { currency, exponent: 2, granularity: 1, maxMinorUnits }
}

function unrepresentable(amount: Decimal, currency: string, why: string): MedusaError {
  return new MedusaError(
    MedusaError.Types.INVALID_DATA,
    `The amount ${amount.toFixed()} ${currency} cannot be sent to Stripe: ${why}`,
    "amount_not_representable"
  )
}

/**
 * Standard units → Stripe's integer, exactly. An amount Stripe cannot carry
 * as is (too many decimals, not a multiple of the required step, too large,
 * negative) is refused: rounding here would charge or refund a different sum
 * than the one the module recorded.
 */
export function toStripeAmount(amount: unknown, currencyCode: string): number {
  const profile = stripeCurrencyProfile(currencyCode)
  const decimal = parseAmount(amount)
  const { currency, exponent, granularity, maxMinorUnits } = profile

  if (decimal.lt(0)) {
    throw unrepresentable(decimal, currency, "amounts sent to Stripe cannot be negative.")
  }
  const minor = MathBN.mult(decimal, MathBN.convert(10).pow(exponent))
  if (!minor.isInteger()) {
    throw unrepresentable(
      decimal,
      currency,
      `Stripe takes ${currency} with ${exponent} decimal${exponent === 1 ? "" : "s"}.`
    )
  }
  if (!minor.mod(granularity).isZero()) {
    const step = fromStripeAmount(granularity, currency)
    throw unrepresentable(decimal, currency, `Stripe only accepts ${currency} in steps of ${step}.`)
  }
  if (minor.gt(maxMinorUnits)) {
    const max = fromStripeAmount(maxMinorUnits, currency)
    throw unrepresentable(decimal, currency, `Stripe's maximum is ${max} ${currency}.`)
  }
  return minor.toNumber()
}

/**
 * Stripe's integer → the exact standard amount as a decimal string
 * (`1005` USD → `"10.05"`, `5130` KWD → `"5.13"`). A non-integer coming back
 * from Stripe means the data is not what we think it is, so it is refused.
 */
export function fromStripeAmount(minorUnits: unknown, currencyCode: string): string {
  const { currency, exponent } = stripeCurrencyProfile(currencyCode)
  if (typeof minorUnits !== "number" || !Number.isSafeInteger(minorUnits)) {
    throw new MedusaError(
      MedusaError.Types.UNEXPECTED_STATE,
      `Stripe returned an amount that is not a whole number of ${currency} minor units: ${JSON.stringify(minorUnits)}.`
    )
  }
  return MathBN.div(minorUnits, MathBN.convert(10).pow(exponent)).toFixed()
}
