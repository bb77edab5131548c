import { MedusaError } from "@medusajs/framework/utils"
import Stripe from "stripe"
import {
  computeSignature,
  parseSignatureHeader,
  signStripePayload,
  verifyStripeSignature,
} from "../webhook-signature"

const SECRET = "whsec_test_secret_123"
const OLD_SECRET = "whsec_old_secret_456"
const NOW = 1_700_000_000
const BODY =
  '{"id":"evt_test_1","object":"event","type":"payment_intent.succeeded","data":{"object":{"id":"pi_test_1","object":"payment_intent","amount":1000,"currency":"usd","status":"succeeded"}}}'

const sdk = new Stripe("sk_test_unused")

function verify(header: string | undefined, overrides: Partial<Parameters<typeof verifyStripeSignature>[0]> = {}) {
  return verifyStripeSignature({
    rawBody: BODY,
    header,
    secrets: [SECRET],
    toleranceSeconds: 300,
    nowSeconds: NOW,
    ...overrides,
  })
}

function failure(run: () => unknown): MedusaError {
  try {
    run()
  } catch (error) {
    return error as MedusaError
  }
  throw new Error("expected the signature to be rejected")
}

describe("Stripe webhook signature verification", () => {
  it("matches the published test vector", () => {
    expect(computeSignature(BODY, NOW, SECRET)).toBe(
      "33741d3112245608611207ac963ad1913cb7b9c723a2da05ff2ab649dc9c881e"
    )
    expect(computeSignature(BODY, NOW, OLD_SECRET)).toBe(
      "bfe2d37542c6ade809d8ea42c254e2ba7688c5ade16a811e360ab9de54b342dc"
    )
  })

  it("accepts a valid signature and returns the signed timestamp", () => {
    const header = signStripePayload({ payload: BODY, secrets: SECRET, timestamp: NOW })
    expect(header).toBe(`t=${NOW},v1=33741d3112245608611207ac963ad1913cb7b9c723a2da05ff2ab649dc9c881e`)
    expect(verify(header)).toBe(NOW)
  })

  it("accepts a Buffer body with the same bytes", () => {
    const header = signStripePayload({ payload: BODY, secrets: SECRET, timestamp: NOW })
    expect(verify(header, { rawBody: Buffer.from(BODY, "utf8") })).toBe(NOW)
  })

  it("accepts when one of several v1 signatures is valid (Stripe rotating its secret)", () => {
    const good = computeSignature(BODY, NOW, SECRET)
    const header = `t=${NOW},v1=${"0".repeat(64)},v1=${good},v1=deadbeef`
    expect(verify(header)).toBe(NOW)
  })

  it("accepts a signature by any configured secret (store rotating its secret)", () => {
    const signedWithOld = signStripePayload({ payload: BODY, secrets: OLD_SECRET, timestamp: NOW })
    expect(verify(signedWithOld, { secrets: [SECRET, OLD_SECRET] })).toBe(NOW)
    expect(failure(() => verify(signedWithOld, { secrets: [SECRET] })).code).toBe(
      "webhook_signature_mismatch"
    )
  })

  it("accepts the rotation header of the reference (two v1, one per secret)", () => {
    const header = signStripePayload({ payload: BODY, secrets: [SECRET, OLD_SECRET], timestamp: NOW })
    expect(header).toBe(
      `t=${NOW},v1=33741d3112245608611207ac963ad1913cb7b9c723a2da05ff2ab649dc9c881e,v1=bfe2d37542c6ade809d8ea42c254e2ba7688c5ade16a811e360ab9de54b342dc`
    )
    expect(verify(header, { secrets: [OLD_SECRET] })).toBe(NOW)
  })

  it("rejects a stale timestamp", () => {
    const header = signStripePayload({ payload: BODY, secrets: SECRET, timestamp: NOW - 301 })
    const error = failure(() => verify(header))
    expect(error).toBeInstanceOf(MedusaError)
    expect(error.type).toBe(MedusaError.Types.INVALID_DATA)
    expect(error.code).toBe("webhook_signature_expired")
    // …but accepts one at the edge of the tolerance
    const edge = signStripePayload({ payload: BODY, secrets: SECRET, timestamp: NOW - 300 })
    expect(verify(edge)).toBe(NOW - 300)
  })

  it("rejects a timestamp too far in the future, within tolerance is fine", () => {
    const future = signStripePayload({ payload: BODY, secrets: SECRET, timestamp: NOW + 301 })
    expect(failure(() => verify(future)).code).toBe("webhook_signature_expired")
    const skewed = signStripePayload({ payload: BODY, secrets: SECRET, timestamp: NOW + 120 })
    expect(verify(skewed)).toBe(NOW + 120)
  })

  it("honours a configured tolerance", () => {
    const header = signStripePayload({ payload: BODY, secrets: SECRET, timestamp: NOW - 60 })
    expect(failure(() => verify(header, { toleranceSeconds: 30 })).code).toBe("webhook_signature_expired")
    expect(verify(header, { toleranceSeconds: 90 })).toBe(NOW - 60)
  })

  it("rejects a forged signature (wrong secret)", () => {
    const forged = signStripePayload({ payload: BODY, secrets: "whsec_attacker", timestamp: NOW })
    const error = failure(() => verify(forged))
    expect(error.type).toBe(MedusaError.Types.INVALID_DATA)
    expect(error.code).toBe("webhook_signature_mismatch")
  })

  it("rejects a tampered body", () => {
    const header = signStripePayload({ payload: BODY, secrets: SECRET, timestamp: NOW })
    const tampered = BODY.replace('"amount":1000', '"amount":1')
    expect(failure(() => verify(header, { rawBody: tampered })).code).toBe("webhook_signature_mismatch")
  })

  it("rejects a re-timestamped signature (t changed, v1 kept)", () => {
    const good = computeSignature(BODY, NOW - 1000, SECRET)
    expect(failure(() => verify(`t=${NOW},v1=${good}`)).code).toBe("webhook_signature_mismatch")
  })

  it.each([[undefined], [""], ["   "]])("rejects a missing header (%p)", (header) => {
    expect(failure(() => verify(header)).code).toBe("webhook_signature_missing")
  })

  it("ignores v0 and other schemes: a v0-only header is rejected", () => {
    const v0 = computeSignature(BODY, NOW, SECRET)
    expect(failure(() => verify(`t=${NOW},v0=${v0}`)).code).toBe("webhook_signature_malformed")
    expect(failure(() => verify(`t=${NOW},v2=${v0}`)).code).toBe("webhook_signature_malformed")
    // a valid v1 next to an unknown scheme still passes
    expect(verify(`t=${NOW},v0=${"f".repeat(64)},v1=${v0}`)).toBe(NOW)
  })

  it.each([
    ["v1=abc"],
    [`t=abc,v1=${"0".repeat(64)}`],
    [`t=${NOW},t=${NOW},v1=${"0".repeat(64)}`],
    ["garbage"],
  ])("rejects a malformed header %p", (header) => {
    expect(failure(() => verify(header)).code).toBe("webhook_signature_malformed")
  })

  it("refuses every delivery when no secret is configured", () => {
    const header = signStripePayload({ payload: BODY, secrets: SECRET, timestamp: NOW })
    expect(failure(() => verify(header, { secrets: [] })).code).toBe("webhook_secret_missing")
  })

  it("parses t and every v1", () => {
    expect(parseSignatureHeader(`t=${NOW}, v1=aa ,v0=bb,v1=cc`)).toEqual({ timestamp: NOW, v1: ["aa", "cc"] })
  })
})

describe("interoperability with the official stripe SDK", () => {
  it("verifies headers made by stripe.webhooks.generateTestHeaderString", () => {
    const now = Math.floor(Date.now() / 1000)
    const header = sdk.webhooks.generateTestHeaderString({ payload: BODY, secret: SECRET, timestamp: now })
    expect(verifyStripeSignature({ rawBody: BODY, header, secrets: [SECRET], toleranceSeconds: 300 })).toBe(now)
  })

  it("rejects SDK headers made with another secret", () => {
    const header = sdk.webhooks.generateTestHeaderString({ payload: BODY, secret: "whsec_other" })
    expect(() =>
      verifyStripeSignature({ rawBody: BODY, header, secrets: [SECRET], toleranceSeconds: 300 })
    ).toThrow(MedusaError)
  })

  it("produces headers that stripe.webhooks.constructEvent accepts", () => {
    const header = signStripePayload({ payload: BODY, secrets: SECRET })
    const event = sdk.webhooks.constructEvent(BODY, header, SECRET)
    expect(event.id).toBe("evt_test_1")
    // the SDK accepts our rotation header too
    const rotated = signStripePayload({ payload: BODY, secrets: [OLD_SECRET, SECRET] })
    expect(sdk.webhooks.constructEvent(BODY, rotated, SECRET).type).toBe("payment_intent.succeeded")
  })

  it("agrees with the SDK on a tampered body", () => {
    const header = signStripePayload({ payload: BODY, secrets: SECRET })
    const tampered = BODY.replace("pi_test_1", "pi_test_2")
    expect(() => sdk.webhooks.constructEvent(tampered, header, SECRET)).toThrow()
    expect(() =>
      verifyStripeSignature({ rawBody: tampered, header, secrets: [SECRET], toleranceSeconds: 300 })
    ).toThrow(MedusaError)
  })
})
