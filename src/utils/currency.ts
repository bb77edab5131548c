import { MedusaError } from "@medusajs/framework/utils"

/**
 * ISO 4217 minor units (the number of decimals a currency is quoted in).
 *
 * This table is the only place the module learns a currency's precision.
 * Medusa's own module asks `Intl.NumberFormat`, which depends on the ICU data
 * and the locale of the machine and breaks for zero-decimal currencies; a
 * static table gives the same answer everywhere.
 *
 * Every code not listed under another exponent has two decimals. Codes that
 * ISO has withdrawn recently stay in the table so that stores created with
 * them keep working.
 */
const ZERO_DECIMALS = [
  "BIF", "BYR", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
  "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF",
]

const THREE_DECIMALS = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"]

const FOUR_DECIMALS = ["CLF", "UYW"]

const TWO_DECIMALS = [
  "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN",
  "BAM", "BBD", "BDT", "BGN", "BMD", "BND", "BOB", "BOV", "BRL", "BSD",
  "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHE", "CHF", "CHW", "CNY",
  "COP", "COU", "CRC", "CUC", "CUP", "CVE", "CZK", "DKK", "DOP", "DZD",
  "EEK", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS",
  "GIP", "GMD", "GTQ", "GYD", "HKD", "HNL", "HRK", "HTG", "HUF", "IDR",
  "ILS", "INR", "IRR", "JMD", "KES", "KGS", "KHR", "KPW", "KYD", "KZT",
  "LAK", "LBP", "LKR", "LRD", "LSL", "LTL", "LVL", "MAD", "MDL", "MGA",
  "MKD", "MMK", "MNT", "MOP", "MRO", "MRU", "MUR", "MVR", "MWK", "MXN",
  "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "PAB",
  "PEN", "PGK", "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB", "SAR",
  "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SLL", "SOS", "SRD",
  "SSP", "STD", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TOP",
  "TRY", "TTD", "TWD", "TZS", "UAH", "USD", "USN", "UYU", "UZS", "VED",
  "VEF", "VES", "WST", "XCD", "XCG", "YER", "ZAR", "ZMW", "ZWG", "ZWL",
]

const EXPONENTS: ReadonlyMap<string, number> = new Map([
  ...ZERO_DECIMALS.map((code) => [code, 0] as const),
  ...TWO_DECIMALS.map((code) => [code, 2] as const),
  ...THREE_DECIMALS.map((code) => [code, 3] as const),
  ...FOUR_DECIMALS.map((code) => [code, 4] as const),
])

/** Medusa stores currency codes in lower case; so do we. */
export function normalizeCurrencyCode(code: string): string {
  return code.toLowerCase()
}

export function isKnownCurrency(code: unknown): code is string {
  return typeof code === "string" && EXPONENTS.has(code.toUpperCase())
}

/** The ISO 4217 exponent of a currency; an unknown code is bad input. */
export function currencyExponent(code: string): number {
  const exponent =
    typeof code === "string" ? EXPONENTS.get(code.toUpperCase()) : undefined
  if (exponent === undefined) {
    throw new MedusaError(
      MedusaError.Types.INVALID_DATA,
      `Currency code ${JSON.stringify(code)} is not an ISO 4217 currency.`
    )
  }
  return exponent
}

/** Every code the table knows, upper case (used by tests and providers). */
export function knownCurrencyCodes(): string[] {
  return [...EXPONENTS.keys()]
}
