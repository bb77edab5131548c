import { MedusaError } from "@medusajs/framework/utils"
import { fromStripeAmount, stripeAmount, stripeCurrencyProfile, toStripeAmount } from "../amounts"

function rejection(amount: unknown, currency: string): MedusaError {
  try {
    toStripeAmount(amount, currency)
  } catch (error) {
    return error as MedusaError
  }
  throw new Error(`expected ${String(amount)} ${currency} to be rejected`)
}

describe("toStripeAmount: standard units → Stripe's integer, exact where Stripe can carry it", () => {
  it.each([
    // two-decimal currencies
    [10, "usd", 1000],
    ["100.54", "usd", 10054],
    ["0.54", "USD", 54],
    ["0.1", "eur", 10],
    [0.29, "usd", 29], // 0.29 * 100 is 28.999999999999996 in floats
    ["1.15", "gbp", 115], // 1.15 * 100 is 114.99999999999999 in floats
    ["999999.99", "usd", 99999999],
    ["0", "usd", 0],
    // zero-decimal at Stripe
    [50098, "jpy", 50098],
    ["1000", "krw", 1000],
    ["7", "xof", 7],
    ["250", "mga", 250], // ISO says 2 decimals, Stripe 0
    // three-decimal at Stripe, last digit must be 0
    ["5.12", "kwd", 5120],
    ["5.130", "kwd", 5130],
    ["0.01", "bhd", 10],
    ["12.34", "jod", 12340],
    ["1", "omr", 1000],
    ["3.5", "tnd", 3500],
    // ISK: two decimals on the wire, whole krónur only
    ["150", "isk", 15000],
    [1, "isk", 100],
    // IDR may use twelve digits
    ["9999999999.99", "idr", 999999999999],
    // Medusa raw values and decimal strings with trailing zeros
    [{ value: "12.50", precision: 20 }, "usd", 1250],
    ["12.500000", "usd", 1250],
  ])("%p %s → %p", (amount, currency, expected) => {
    expect(toStripeAmount(amount, currency)).toBe(expected)
  })

  it.each([
    // Medusa's untaxed-rounded totals: half up to what Stripe takes
    ["10.814175", "usd", 1081], // 9.99 + 8.25 % tax
    ["2.675", "usd", 268], // exactly half a cent: up
    ["2.674999", "usd", 267],
    ["0.005", "usd", 1],
    ["0.004999", "usd", 0],
    ["200.129", "usd", 20013],
    ["100.5", "jpy", 101],
    ["100.49", "jpy", 100],
    ["1.5", "mga", 2], // ISO 2 decimals, Stripe 0
    ["5.124", "kwd", 5120], // Stripe takes KWD in steps of 0.01 (×1000 in tens)
    ["5.125", "kwd", 5130],
    ["5.12437", "kwd", 5120],
    ["1.5", "isk", 200], // whole krónur, written ×100
    ["1.49", "isk", 100],
    ["1.234", "iqd", 123], // ISO 3 decimals, Stripe 2
    ["1.2345", "clf", 123], // ISO 4 decimals, Stripe 2
    ["999999.994", "usd", 99999999],
  ])("rounds %p %s half up to %p", (amount, currency, expected) => {
    expect(toStripeAmount(amount, currency)).toBe(expected)
  })

  it("says what was sent beside what was asked, and the difference", () => {
    expect(stripeAmount("10.814175", "usd")).toEqual({
      minorUnits: 1081,
      sent: "10.81",
      requested: "10.814175",
      roundingDifference: "-0.004175",
    })
    expect(stripeAmount("5.125", "kwd")).toMatchObject({ minorUnits: 5130, sent: "5.13", roundingDifference: "0.005" })
    expect(stripeAmount("12.50", "usd")).toMatchObject({ sent: "12.5", requested: "12.5", roundingDifference: "0" })
  })

  it.each([
    ["999999.995", "usd", "maximum is 999999.99"], // rounds to 100000000, one cent over
    ["1000000", "usd", "maximum is 999999.99"],
    ["100000000", "jpy", "maximum is 99999999"],
    ["100000", "kwd", "maximum is 99999.99"],
    ["-1", "usd", "cannot be negative"],
    ["-0.001", "usd", "cannot be negative"],
  ])("refuses %p %s (%s)", (amount, currency, reason) => {
    const error = rejection(amount, currency)
    expect(error).toBeInstanceOf(MedusaError)
    expect(error.type).toBe(MedusaError.Types.INVALID_DATA)
    expect(error.message).toContain(`${amount} ${currency.toUpperCase()}`)
    expect(error.message).toContain(reason)
  })

  it("names the amount and currency when refusing", () => {
    expect(rejection("1000000", "USD").message).toBe(
      "The amount 1000000 USD cannot be sent to Stripe: Stripe's maximum is 999999.99 USD."
    )
  })

  it("refuses unknown currencies through the ISO table", () => {
    const error = rejection("10", "xyz")
    expect(error.type).toBe(MedusaError.Types.INVALID_DATA)
    expect(error.message).toContain("xyz")
  })

  it.each([["abc"], [Number.NaN], [Infinity], [null], [undefined], [{}]])(
    "refuses non-amounts (%p)",
    (amount) => {
      expect(rejection(amount, "usd").type).toBe(MedusaError.Types.INVALID_DATA)
    }
  )
})

describe("fromStripeAmount: Stripe's integer → exact standard units", () => {
  it.each([
    [1005, "usd", "10.05"],
    [29, "usd", "0.29"],
    [99999999, "usd", "999999.99"],
    [50098, "jpy", "50098"],
    [5130, "kwd", "5.13"],
    [1, "bhd", "0.001"],
    [15000, "isk", "150"],
    [0, "eur", "0"],
  ])("%p %s → %p", (minor, currency, expected) => {
    expect(fromStripeAmount(minor, currency)).toBe(expected)
  })

  it.each([[1.5], ["100"], [Number.NaN], [undefined]])("refuses a non-integer %p from Stripe", (minor) => {
    expect(() => fromStripeAmount(minor, "usd")).toThrow(MedusaError)
  })

  it("round-trips every representable amount of each profile", () => {
    for (const currency of ["usd", "jpy", "kwd", "isk", "idr"]) {
      const { granularity } = stripeCurrencyProfile(currency)
      for (const minor of [0, granularity, 7 * granularity, 12345 * granularity, 99999990]) {
        if (minor % granularity !== 0) continue
        expect(toStripeAmount(fromStripeAmount(minor, currency), currency)).toBe(minor)
      }
    }
  })
})

describe("stripeCurrencyProfile", () => {
  it("describes Stripe's special cases", () => {
    expect(stripeCurrencyProfile("jpy")).toMatchObject({ exponent: 0, granularity: 1 })
    expect(stripeCurrencyProfile("kwd")).toMatchObject({ exponent: 3, granularity: 10 })
    expect(stripeCurrencyProfile("isk")).toMatchObject({ exponent: 2, granularity: 100 })
    expect(stripeCurrencyProfile("huf")).toMatchObject({ exponent: 2, granularity: 1 })
    expect(stripeCurrencyProfile("usd")).toMatchObject({ exponent: 2, maxMinorUnits: 99999999 })
    expect(stripeCurrencyProfile("idr")).toMatchObject({ maxMinorUnits: 999999999999 })
  })
})
