import { MathBN, MedusaError } from "@medusajs/framework/utils"
import { parseAmount, ROUND_HALF_UP, type Decimal } from "../../utils/amount"
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

/** What one amount becomes on its way to Stripe. */
export type StripeAmount = {
  /** Stripe's integer, in its smallest unit (what goes on the wire). */
  minorUnits: number
  /** The same amount in standard units, exact (`"10.81"`): what Stripe will move. */
  sent: string
  /** The amount asked for, exact (`"10.814175"`). */
  requested: string
  /** `sent - requested`: negative when rounding took a fraction off, zero when nothing changed. */
  roundingDifference: string
}

/**
 * Standard units → what Stripe can take, by one rule: **round half up to the
 * smallest step Stripe accepts** for the currency (a cent for USD, a whole
 * yen, 0.01 KWD written as ×1000 in tens, a whole króna for ISK).
 *
 * Medusa computes taxes without rounding (9.99 + 8.25 % is 10.814175 USD),
 * so a store's totals routinely carry more decimals than any card network
 * can charge. Half up, because it is what `@medusajs/payment-stripe` does for
 * two-decimal currencies (a customer is charged the same as with Medusa's
 * provider), what PostgreSQL's `round()` and the module's own total
 * comparisons do, so a collection of 10.814175 is "complete" at exactly the
 * 10.81 Stripe was asked for. Half-even would move a half-cent case by one
 * cent away from both. (Medusa's provider rounds the three-decimal currencies
 * UP to the next ten; half up here: the customer is never charged more than
 * the nearest amount to the order total.)
 *
 * Refused, because no rounding makes them right: negatives, anything not a
 * finite decimal, and amounts above Stripe's maximum for the currency.
 */
export function stripeAmount(amount: unknown, currencyCode: string): StripeAmount {
  const { currency, exponent, granularity, maxMinorUnits } = stripeCurrencyProfile(currencyCode)
  const requested = parseAmount(amount)
  if (requested.lt(0)) {
    throw unrepresentable(requested, currency, "amounts sent to Stripe cannot be negative.")
  }
  const exact = MathBN.mult(requested, MathBN.convert(10).pow(exponent))
  const steps = exact.div(granularity).integerValue(ROUND_HALF_UP)
  const minor = steps.times(granularity)
  if (minor.gt(maxMinorUnits)) {
    const max = fromStripeAmount(maxMinorUnits, currency)
    throw unrepresentable(requested, currency, `Stripe's maximum is ${max} ${currency}.`)
  }
  const minorUnits = minor.toNumber()
  const sent = fromStripeAmount(minorUnits, currency)
  return {
    minorUnits,
    sent,
    requested: requested.toFixed(),
    roundingDifference: MathBN.sub(sent, requested).toFixed(),
  }
}

/** Standard units → Stripe's integer, rounded as `stripeAmount` says. */
export function toStripeAmount(amount: unknown, currencyCode: string): number {
  return stripeAmount(amount, currencyCode).minorUnits
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
