import { MathBN, MedusaError } from "@medusajs/framework/utils"
import { parseAmount, ROUND_HALF_UP } from "../../utils/amount"
import { currencyExponent } from "../../utils/currency"

/**
 * How Medusa Payments writes an amount on the wire: an integer in the
 * currency's smallest unit, by Medusa's own table (the one Stripe uses),
 * which is not always ISO 4217's: MGA is whole units there (ISO: 2 decimals),
 * ISK two decimals (ISO: 0), IQD three like ISO but, as the other
 * three-decimal currencies, only in steps of ten (0.010).
 */
type WireUnit = {
  /** Power of ten between a standard amount and the wire integer. */
  exponent: number
  /** The wire integer must be a multiple of this. */
  step: number
}

const WHOLE_UNIT_CURRENCIES = new Set([
  "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF",
  "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
])

const THOUSANDTHS_IN_TENS_CURRENCIES = new Set(["BHD", "IQD", "JOD", "KWD", "OMR", "TND"])

export function wireUnitOf(currencyCode: string): WireUnit {
  // A code the module's ISO table does not know is refused here, never
  // guessed to have two decimals.
  currencyExponent(currencyCode)
  const currency = currencyCode.toUpperCase()
  if (WHOLE_UNIT_CURRENCIES.has(currency)) return { exponent: 0, step: 1 }
  if (THOUSANDTHS_IN_TENS_CURRENCIES.has(currency)) return { exponent: 3, step: 10 }
  return { exponent: 2, step: 1 }
}

/** One amount on its way to Medusa Payments. */
export type WireAmount = {
  /** The integer sent. */
  minorUnits: number
  /** The same amount in standard units, exact: what the service will move. */
  sent: string
}

function notSendable(amount: string, currency: string, why: string): MedusaError {
  return new MedusaError(
    MedusaError.Types.INVALID_DATA,
    `The amount ${amount} ${currency.toUpperCase()} cannot be sent to Medusa Payments: ${why}`,
    "amount_not_representable"
  )
}

/**
 * Standard units → the wire integer, rounded half up to the currency's step
 * (10.814175 USD → 1081, 5.125 KWD → 5130, 5.124 KWD → 5120). Exact decimal
 * arithmetic throughout; negatives and integers beyond 2^53 are refused.
 */
export function toWireAmount(amount: unknown, currencyCode: string, field = "amount"): WireAmount {
  const { exponent, step } = wireUnitOf(currencyCode)
  const requested = parseAmount(amount, field)
  if (requested.lt(0)) {
    throw notSendable(requested.toFixed(), currencyCode, "it is negative.")
  }
  const scaled = MathBN.mult(requested, MathBN.convert(10).pow(exponent))
  const minor = scaled.div(step).integerValue(ROUND_HALF_UP).times(step)
  if (minor.gt(Number.MAX_SAFE_INTEGER)) {
    throw notSendable(requested.toFixed(), currencyCode, "it is too large.")
  }
  const minorUnits = minor.toNumber()
  return { minorUnits, sent: fromWireAmount(minorUnits, currencyCode) }
}

/** The wire integer → the exact standard amount as a decimal string (1081 USD → "10.81"). */
export function fromWireAmount(minorUnits: unknown, currencyCode: string): string {
  const { exponent } = wireUnitOf(currencyCode)
  if (typeof minorUnits !== "number" || !Number.isSafeInteger(minorUnits)) {
    throw new MedusaError(
      MedusaError.Types.UNEXPECTED_STATE,
      `Medusa Payments returned an amount that is not a whole number of ${currencyCode.toUpperCase()} minor units: ${JSON.stringify(minorUnits)}.`
    )
  }
  return MathBN.div(minorUnits, MathBN.convert(10).pow(exponent)).toFixed()
}
