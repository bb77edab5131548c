import { canonicalJson, decodeForm, FormDecodeError } from "../form"
import { IdempotencyStore } from "../idempotency"
import { Params } from "../params"
import { signatureHeader, verifySignature } from "../signing"
import { assertPaymentIntentTransition, decidePayment, decideSetup } from "../state-machine"
import { profileForCardNumber, profileForToken } from "../test-cards"
import { ApiError } from "../errors"

describe("form decoder", () => {
  it("decodes Stripe bracket notation, indexed and appended lists", () => {
    const form = decodeForm(
      "amount=1000&metadata[session_id]=sess_1&metadata[note]=a+b%26c&expand[0]=latest_charge&expand[1]=customer" +
        "&payment_method_types[]=card&payment_method_data[billing_details][address][city]=Paris"
    )
    expect(form).toEqual({
      amount: "1000",
      metadata: { session_id: "sess_1", note: "a b&c" },
      expand: { "0": "latest_charge", "1": "customer" },
      payment_method_types: ["card"],
      payment_method_data: { billing_details: { address: { city: "Paris" } } },
    })
    expect(new Params(form).strings("expand")).toEqual(["latest_charge", "customer"])
  })

  it("builds lists of hashes from repeated []-keys", () => {
    expect(decodeForm("items[][price]=a&items[][qty]=1&items[][price]=b")).toEqual({
      items: [{ price: "a", qty: "1" }, { price: "b" }],
    })
  })

  it("refuses prototype keys and conflicting shapes", () => {
    expect(() => decodeForm("__proto__[admin]=1")).toThrow(FormDecodeError)
    expect(() => decodeForm("metadata[constructor]=1")).toThrow(FormDecodeError)
    expect(() => decodeForm("a=1&a[b]=2")).toThrow(FormDecodeError)
    expect(({} as Record<string, unknown>).admin).toBeUndefined()
  })

  it("canonical JSON ignores key order", () => {
    expect(canonicalJson(decodeForm("a=1&b[x]=2&b[y]=3"))).toBe(canonicalJson(decodeForm("b[y]=3&b[x]=2&a=1")))
  })
})

describe("params", () => {
  it("applies Stripe's metadata merge rules", () => {
    const merge = new Params(decodeForm("metadata[keep]=&metadata[new]=1")).metadata()!
    expect(merge({ keep: "x", other: "y" })).toEqual({ other: "y", new: "1" })
    expect(new Params(decodeForm("metadata=")).metadata()!({ a: "1" })).toEqual({})
  })

  it("raises Stripe errors naming the nested param", () => {
    const params = new Params(decodeForm("amount=ten&card[number]=42"))
    const error = (() => {
      try {
        params.int("amount")
      } catch (e) {
        return e as ApiError
      }
    })()!
    expect(error.body).toMatchObject({ code: "parameter_invalid_integer", param: "amount" })
    expect(() => params.object("card")!.allowOnly(["token"])).toThrow("Received unknown parameter: card[number]")
  })
})

describe("state machine", () => {
  const visa = profileForToken("pm_card_visa")!
  const threeDS = profileForToken("pm_card_threeDSecure2Required")!
  const onSetup = profileForToken("pm_card_authenticationRequiredOnSetup")!
  const afterAuth = profileForToken("pm_card_authenticationRequiredChargeDeclinedInsufficientFunds")!
  const base = { authenticated: false, offSession: false, savedWithSetup: false }

  it("decides issuer outcomes per test card", () => {
    expect(decidePayment(visa, base)).toEqual({ kind: "succeed" })
    expect(decidePayment(profileForToken("pm_card_chargeDeclined")!, base)).toMatchObject({
      kind: "decline",
      decline: { code: "card_declined", decline_code: "generic_decline" },
    })
    expect(decidePayment(threeDS, base)).toEqual({ kind: "authenticate" })
    expect(decidePayment(threeDS, { ...base, authenticated: true })).toEqual({ kind: "succeed" })
    expect(decidePayment(threeDS, { ...base, offSession: true })).toMatchObject({
      kind: "decline",
      decline: { code: "authentication_required" },
    })
    expect(decidePayment(onSetup, { ...base, offSession: true, savedWithSetup: true })).toEqual({ kind: "succeed" })
    expect(decidePayment(afterAuth, { ...base, authenticated: true })).toMatchObject({
      decline: { decline_code: "insufficient_funds" },
    })
    expect(decidePayment(profileForToken("pm_sepa_debit")!, base)).toEqual({ kind: "process", settlesTo: "succeed" })
    expect(decideSetup(profileForToken("pm_card_chargeCustomerFail")!, { authenticated: false })).toEqual({ kind: "succeed" })
    expect(profileForCardNumber("4000 0000 0000 0002")?.decline?.decline_code).toBe("generic_decline")
  })

  it("rejects transitions out of terminal states", () => {
    expect(() => assertPaymentIntentTransition("succeeded", "canceled")).toThrow("illegal")
    expect(() => assertPaymentIntentTransition("canceled", "requires_confirmation")).toThrow("illegal")
    expect(() => assertPaymentIntentTransition("requires_capture", "requires_action")).toThrow("illegal")
    expect(() => assertPaymentIntentTransition("requires_action", "requires_capture")).not.toThrow()
  })
})

describe("idempotency store and signatures", () => {
  it("scopes keys per API key and detects mismatches and in-flight use", () => {
    const store = new IdempotencyStore()
    const request = { method: "POST", path: "/v1/refunds", fingerprint: "a" }
    expect(store.begin("sk_1", "k", request).kind).toBe("fresh")
    expect(store.begin("sk_1", "k", request).kind).toBe("in_flight")
    expect(store.begin("sk_2", "k", request).kind).toBe("fresh")
    store.complete("sk_1", "k", { status: 200, headers: {}, body: "{}" })
    expect(store.begin("sk_1", "k", request)).toEqual({ kind: "replay", response: { status: 200, headers: {}, body: "{}" } })
    expect(store.begin("sk_1", "k", { ...request, fingerprint: "b" }).kind).toBe("mismatch")
    expect(store.begin("sk_1", "k", { ...request, path: "/v1/customers" }).kind).toBe("mismatch")
  })

  it("signs like Stripe and verifies its own headers", () => {
    const header = signatureHeader('{"id":"evt_1"}', "whsec_test", 1700000000)
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/)
    expect(verifySignature('{"id":"evt_1"}', header, "whsec_test")).toBe(true)
    expect(verifySignature('{"id":"evt_2"}', header, "whsec_test")).toBe(false)
  })
})
