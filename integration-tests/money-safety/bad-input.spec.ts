import path from "path"
import { MedusaError } from "@medusajs/framework/utils"
import { TestDatabaseUtils } from "@medusajs/test-utils"
import { signStripePayload } from "../../src/providers/stripe/webhook-signature"
import { DEFAULT_PROVIDER_TIMEOUT_MS, providerTimeoutOption } from "../../src/providers/gateway"
import { bootModule, MANUAL, runScoped, SCRIPTED, SCRIPTED_PROVIDER } from "../__fixtures__/module"
import { MoneySafeService, moneySafe, sql, tableCounts } from "./__fixtures__/money"

jest.setTimeout(60_000)

/**
 * Every public method × every kind of bad input: the right MedusaError
 * type, and nothing written — neither a row (in any table, the ledger and
 * the idempotency records included) nor a changed value.
 */

const DATABASE = "payment_plus_bad_input"
const WEBHOOK_SECRET = "whsec_bad_input"
const { INVALID_DATA, NOT_FOUND, NOT_ALLOWED, CONFLICT } = MedusaError.Types

type Fixtures = {
  /** usd 100: authorized, 40 captured, 10 refunded */
  collection: string
  session: string
  payment: string
  /** a second, unauthorized session of the same collection */
  pendingSession: string
  /** jpy 5000, authorized */
  yenPayment: string
  /** usd 20, canceled */
  canceledPayment: string
  holder: string
}

/** The kinds of bad amount, with how each must be refused. */
const BAD_AMOUNTS: [string, unknown][] = [
  ["negative", -5],
  ["NaN", NaN],
  ["Infinity", Infinity],
  ["-Infinity", -Infinity],
  ["a non-numeric string", "ten"],
  ["an exponent string", "1e3"],
  ["an empty string", ""],
  ["a number beyond 2^53", 2 ** 53 + 2],
  ["a boolean", true],
  ["an object without a value", { amount: 5 }],
  ["a raw amount holding garbage", { value: "abc", precision: 20 }],
  ["an array", [5]],
]

type Row = [method: string, input: string, call: (s: MoneySafeService, f: Fixtures) => Promise<unknown>, type: string, message?: RegExp]

const rows: Row[] = [
  // ---------------------------------------------------------------- collections
  ...BAD_AMOUNTS.map(([what, amount]): Row => [
    "createPaymentCollections", `amount ${what}`, (s) => s.createPaymentCollections({ currency_code: "usd", amount: amount as any }), INVALID_DATA,
  ]),
  ["createPaymentCollections", "an unknown currency", (s) => s.createPaymentCollections({ currency_code: "xyz", amount: 1 }), INVALID_DATA, /ISO 4217/],
  ["createPaymentCollections", "a numeric currency", (s) => s.createPaymentCollections({ currency_code: 978 as any, amount: 1 }), INVALID_DATA],
  ["createPaymentCollections", "no input", (s) => s.createPaymentCollections(null as any), INVALID_DATA],
  ["createPaymentCollections", "one bad item in a batch", (s) => s.createPaymentCollections([{ currency_code: "usd", amount: 1 }, { currency_code: "usd", amount: -1 }]), INVALID_DATA],
  ["updatePaymentCollections", "an unknown id", (s) => s.updatePaymentCollections("pay_col_missing", { amount: 1 }), NOT_FOUND],
  ["updatePaymentCollections", "a negative amount", (s, f) => s.updatePaymentCollections(f.collection, { amount: -1 }), INVALID_DATA],
  ["updatePaymentCollections", "a captured amount (derived, not updatable)", (s, f) => s.updatePaymentCollections(f.collection, { captured_amount: 100 } as any), INVALID_DATA, /captured_amount/],
  ["updatePaymentCollections", "an unknown currency", (s, f) => s.updatePaymentCollections(f.collection, { currency_code: "abc" }), INVALID_DATA],
  ["upsertPaymentCollections", "an unknown id", (s) => s.upsertPaymentCollections([{ id: "pay_col_missing", amount: 1 } as any]), NOT_FOUND],
  ["upsertPaymentCollections", "a negative amount", (s) => s.upsertPaymentCollections([{ currency_code: "usd", amount: -3 }]), INVALID_DATA],
  ["completePaymentCollections", "an unknown id", (s) => s.completePaymentCollections("pay_col_missing"), NOT_FOUND],
  ["completePaymentCollections", "a collection not fully captured", (s, f) => s.completePaymentCollections(f.collection), NOT_ALLOWED, /40 of 100 usd/],

  // ---------------------------------------------------------------- sessions
  ...BAD_AMOUNTS.map(([what, amount]): Row => [
    "createPaymentSession", `amount ${what}`,
    (s, f) => s.createPaymentSession(f.collection, { provider_id: SCRIPTED, currency_code: "usd", amount: amount as any, data: {} }), INVALID_DATA,
  ]),
  ["createPaymentSession", "an unknown collection", (s) => s.createPaymentSession("pay_col_missing", { provider_id: SCRIPTED, currency_code: "usd", amount: 1, data: {} }), NOT_FOUND],
  ["createPaymentSession", "an unknown provider", (s, f) => s.createPaymentSession(f.collection, { provider_id: "pp_nope_nope", currency_code: "usd", amount: 1, data: {} }), NOT_FOUND],
  ["createPaymentSession", "a currency other than the collection's", (s, f) => s.createPaymentSession(f.collection, { provider_id: SCRIPTED, currency_code: "eur", amount: 1, data: {} }), INVALID_DATA],
  ["createPaymentSession", "no provider", (s, f) => s.createPaymentSession(f.collection, { currency_code: "usd", amount: 1, data: {} } as any), INVALID_DATA],
  ["createPaymentSession", "a numeric collection id", (s) => s.createPaymentSession(42 as any, { provider_id: SCRIPTED, currency_code: "usd", amount: 1, data: {} }), INVALID_DATA],
  ["updatePaymentSession", "an unknown id", (s) => s.updatePaymentSession({ id: "payses_missing", amount: 1, currency_code: "usd", data: {} }), NOT_FOUND],
  ["updatePaymentSession", "no id", (s) => s.updatePaymentSession({ amount: 1, currency_code: "usd", data: {} } as any), INVALID_DATA],
  ["updatePaymentSession", "a negative amount", (s, f) => s.updatePaymentSession({ id: f.pendingSession, amount: -1, currency_code: "usd", data: {} }), INVALID_DATA],
  ["updatePaymentSession", "a non-numeric amount", (s, f) => s.updatePaymentSession({ id: f.pendingSession, amount: "lots", currency_code: "usd", data: {} }), INVALID_DATA],
  ["updatePaymentSession", "another currency", (s, f) => s.updatePaymentSession({ id: f.pendingSession, amount: 1, currency_code: "eur", data: {} }), INVALID_DATA],
  ["updatePaymentSession", "a new amount for an authorized session", (s, f) => s.updatePaymentSession({ id: f.session, amount: 90, currency_code: "usd", data: {} }), NOT_ALLOWED],
  ["updatePaymentSession", "a new status for an authorized session", (s, f) => s.updatePaymentSession({ id: f.session, amount: 100, currency_code: "usd", data: {}, status: "pending" as any }), NOT_ALLOWED],
  ["deletePaymentSession", "an unknown id", (s) => s.deletePaymentSession("payses_missing"), NOT_FOUND],
  ["deletePaymentSession", "an empty id", (s) => s.deletePaymentSession(""), INVALID_DATA],
  ["deletePaymentSession", "a numeric id", (s) => s.deletePaymentSession(7 as any), INVALID_DATA],
  ["authorizePaymentSession", "an unknown id", (s) => s.authorizePaymentSession("payses_missing", {}), NOT_FOUND],
  ["authorizePaymentSession", "no id", (s) => s.authorizePaymentSession(undefined as any, {}), INVALID_DATA],
  ["authorizePaymentSession", "a numeric idempotency key", (s, f) => s.authorizePaymentSession(f.pendingSession, { idempotency_key: 7 }), INVALID_DATA],
  ["authorizePaymentSession", "a key already used for another session", (s, f) => s.authorizePaymentSession(f.pendingSession, { idempotency_key: "auth-key" }), CONFLICT],

  // ---------------------------------------------------------------- payments
  ...BAD_AMOUNTS.map(([what, amount]): Row => [
    "capturePayment", `amount ${what}`, (s, f) => s.capturePayment({ payment_id: f.payment, amount: amount as any }), INVALID_DATA,
  ]),
  ["capturePayment", "zero", (s, f) => s.capturePayment({ payment_id: f.payment, amount: 0 }), INVALID_DATA, /greater than 0/],
  ["capturePayment", "less than a cent of USD", (s, f) => s.capturePayment({ payment_id: f.payment, amount: "0.004" }), INVALID_DATA, /0.004 is less than the smallest unit of USD/],
  ["capturePayment", "less than a yen", (s, f) => s.capturePayment({ payment_id: f.yenPayment, amount: "0.4" }), INVALID_DATA, /less than the smallest unit of JPY/],
  ["capturePayment", "more than is left", (s, f) => s.capturePayment({ payment_id: f.payment, amount: 60.01 }), INVALID_DATA, /^You cannot capture more than the authorized amount substracted by what is already captured\.$/],
  ["capturePayment", "an exact string beyond 2^53", (s, f) => s.capturePayment({ payment_id: f.payment, amount: "9007199254740993" }), INVALID_DATA],
  ["capturePayment", "an unknown payment", (s) => s.capturePayment({ payment_id: "pay_missing", amount: 1 }), NOT_FOUND],
  ["capturePayment", "no payment id", (s) => s.capturePayment({ amount: 1 } as any), INVALID_DATA],
  ["capturePayment", "a canceled payment", (s, f) => s.capturePayment({ payment_id: f.canceledPayment }), INVALID_DATA, /has been canceled/],
  ["capturePayment", "an empty idempotency key", (s, f) => s.capturePayment({ payment_id: f.payment, amount: 1, idempotency_key: "" } as any), INVALID_DATA],
  ["capturePayment", "a key reused for another amount", (s, f) => s.capturePayment({ payment_id: f.payment, amount: 6, idempotency_key: "cap-key" } as any), CONFLICT],
  ["capturePayment", "a key reused for another payment", (s, f) => s.capturePayment({ payment_id: f.yenPayment, amount: 5, idempotency_key: "cap-key" } as any), CONFLICT],
  ...BAD_AMOUNTS.map(([what, amount]): Row => [
    "refundPayment", `amount ${what}`, (s, f) => s.refundPayment({ payment_id: f.payment, amount: amount as any }), INVALID_DATA,
  ]),
  ["refundPayment", "zero", (s, f) => s.refundPayment({ payment_id: f.payment, amount: 0 }), INVALID_DATA],
  ["refundPayment", "less than a cent of USD", (s, f) => s.refundPayment({ payment_id: f.payment, amount: "0.001" }), INVALID_DATA, /0.001 is less than the smallest unit of USD/],
  ["refundPayment", "more than is refundable", (s, f) => s.refundPayment({ payment_id: f.payment, amount: 30.01 }), INVALID_DATA, /^You cannot refund more than what is captured on the payment\.$/],
  ["refundPayment", "an uncaptured payment", (s, f) => s.refundPayment({ payment_id: f.yenPayment, amount: 1 }), INVALID_DATA],
  ["refundPayment", "an unknown payment", (s) => s.refundPayment({ payment_id: "pay_missing", amount: 1 }), NOT_FOUND],
  ["refundPayment", "an unknown refund reason", (s, f) => s.refundPayment({ payment_id: f.payment, amount: 1, refund_reason_id: "refr_missing" }), NOT_FOUND],
  ["refundPayment", "a key reused for another amount", (s, f) => s.refundPayment({ payment_id: f.payment, amount: 2, idempotency_key: "ref-key" } as any), CONFLICT],
  ["cancelPayment", "an unknown payment", (s) => s.cancelPayment("pay_missing"), NOT_FOUND],
  ["cancelPayment", "a captured payment", (s, f) => s.cancelPayment(f.payment), NOT_ALLOWED, /40 usd is already captured/],
  ["cancelPayment", "a numeric payment id", (s) => s.cancelPayment({ payment_id: 42 } as any), INVALID_DATA],
  ["cancelPayment", "a key used for another payment", (s, f) => s.cancelPayment({ payment_id: f.yenPayment, idempotency_key: "cancel-key" } as any), CONFLICT],
  ["updatePayment", "an unknown payment", (s) => s.updatePayment({ id: "pay_missing" }), NOT_FOUND],
  ["updatePayment", "no id", (s) => s.updatePayment({} as any), INVALID_DATA],
  ["updatePayment", "a new authorized amount", (s, f) => s.updatePayment({ id: f.payment, amount: 1000 } as any), INVALID_DATA, /amount/],
  ["updatePayment", "a capture date", (s, f) => s.updatePayment({ id: f.payment, captured_at: new Date() } as any), INVALID_DATA, /captured_at/],
  ["updatePayment", "a cancel date", (s, f) => s.updatePayment({ id: f.payment, canceled_at: new Date() } as any), INVALID_DATA, /canceled_at/],
  ["updatePayments (generated)", "a new authorized amount", (s, f) => (s as any).updatePayments({ id: f.payment, amount: 1000 }), INVALID_DATA, /amount/],
  ["updatePayments (generated)", "a captured date for many", (s, f) => (s as any).updatePayments([{ id: f.payment, metadata: {} }, { id: f.yenPayment, captured_at: new Date() }]), INVALID_DATA, /captured_at/],
  ["updatePayments (generated)", "a currency by selector", (s, f) => (s as any).updatePayments({ selector: { id: f.payment }, data: { currency_code: "eur" } }), INVALID_DATA, /currency_code/],
  ["reconcilePayments", "a negative stale_after_ms", (s) => s.reconcilePayments({ stale_after_ms: -1 }), INVALID_DATA],
  ["reconcilePayments", "a NaN stale_after_ms", (s) => s.reconcilePayments({ stale_after_ms: NaN }), INVALID_DATA],
  ["reconcilePayments", "a string stale_after_ms", (s) => s.reconcilePayments({ stale_after_ms: "soon" as any }), INVALID_DATA],
  ["reconcilePayments", "a numeric payment id", (s) => s.reconcilePayments({ payment_id: 42 as any }), INVALID_DATA],
  ["reconcilePayments", "an empty payment id list", (s) => s.reconcilePayments({ payment_id: [] }), INVALID_DATA],
  ["verifyLedger", "an unknown collection", (s) => s.verifyLedger({ payment_collection_id: "pay_col_missing" }), NOT_FOUND],
  ["verifyLedger", "a numeric collection id", (s) => s.verifyLedger({ payment_collection_id: 42 as any }), INVALID_DATA],

  // ---------------------------------------------------------------- account holders, payment methods
  ["createAccountHolder", "no provider", (s) => s.createAccountHolder({ context: { customer: { id: "c1" } } } as any), INVALID_DATA],
  ["createAccountHolder", "no customer", (s) => s.createAccountHolder({ provider_id: SCRIPTED, context: {} } as any), INVALID_DATA],
  ["createAccountHolder", "an unknown provider", (s) => s.createAccountHolder({ provider_id: "pp_nope", context: { customer: { id: "c1" } } } as any), NOT_FOUND],
  ["updateAccountHolder", "no holder in the context", (s, f) => s.updateAccountHolder({ id: f.holder, provider_id: SCRIPTED, context: {} } as any), INVALID_DATA],
  ["updateAccountHolder", "an unknown holder", (s) => s.updateAccountHolder({ id: "acchld_missing", provider_id: SCRIPTED, context: { account_holder: { data: {} } } } as any), NOT_FOUND],
  ["deleteAccountHolder", "an unknown holder", (s) => s.deleteAccountHolder("acchld_missing"), NOT_FOUND],
  ["deleteAccountHolder", "an empty id", (s) => s.deleteAccountHolder(""), INVALID_DATA],
  ["listPaymentMethods", "no provider", (s) => s.listPaymentMethods({ context: {} } as any), NOT_FOUND, /Unable to retrieve the payment provider with id: undefined/],
  ["listPaymentMethods", "an unknown provider", (s) => s.listPaymentMethods({ provider_id: "pp_nope", context: {} } as any), NOT_FOUND],
  ["createPaymentMethods", "an unknown provider", (s) => s.createPaymentMethods({ provider_id: "pp_nope", data: {}, context: {} } as any), NOT_FOUND],
  ["deletePaymentMethods", "no method id", (s) => s.deletePaymentMethods({ provider_id: SCRIPTED, context: {} } as any), INVALID_DATA],

  // ---------------------------------------------------------------- webhooks
  ...webhookRows(),
]

function webhookRows(): Row[] {
  const body = JSON.stringify({ id: "evt_1", type: "payment_intent.succeeded", data: { object: { id: "pi_1", object: "payment_intent", metadata: {} } } })
  const signed = (payload: string, secret = WEBHOOK_SECRET, timestamp?: number) => ({
    "stripe-signature": signStripePayload({ payload, secrets: secret, timestamp }),
  })
  const hook = (payload: Record<string, unknown>, provider: unknown = "stripe_stripe") => (s: MoneySafeService) =>
    s.getWebhookActionAndData({ provider: provider as string, payload: payload as any })
  return [
    ["getWebhookActionAndData", "an unknown provider", hook({ data: {}, rawData: body, headers: signed(body) }, "nope_nope"), NOT_FOUND],
    ["getWebhookActionAndData", "a numeric provider", hook({ data: {}, rawData: body, headers: signed(body) }, 123), INVALID_DATA],
    ["getWebhookActionAndData", "no payload", (s) => s.getWebhookActionAndData({ provider: "stripe_stripe" } as any), INVALID_DATA],
    ["getWebhookActionAndData", "no signature header", hook({ data: {}, rawData: body, headers: {} }), INVALID_DATA, /signature/i],
    ["getWebhookActionAndData", "a malformed signature header", hook({ data: {}, rawData: body, headers: { "stripe-signature": "t=abc,v1" } }), INVALID_DATA],
    ["getWebhookActionAndData", "a signature by another secret", hook({ data: {}, rawData: body, headers: signed(body, "whsec_forger") }), INVALID_DATA],
    ["getWebhookActionAndData", "a signature from an hour ago", hook({ data: {}, rawData: body, headers: signed(body, WEBHOOK_SECRET, Math.floor(Date.now() / 1000) - 3600) }), INVALID_DATA],
    ["getWebhookActionAndData", "a body changed after signing", hook({ data: {}, rawData: body.replace("evt_1", "evt_2"), headers: signed(body) }), INVALID_DATA],
    ["getWebhookActionAndData", "a signed body that is not JSON", hook({ data: {}, rawData: "<xml/>", headers: signed("<xml/>") }), INVALID_DATA, /not JSON/],
    ["getWebhookActionAndData", "a signed body that is not an event", hook({ data: {}, rawData: "[1,2]", headers: signed("[1,2]") }), INVALID_DATA],
    ["getWebhookActionAndData", "no raw body", hook({ data: JSON.parse(body), headers: signed(body) }), INVALID_DATA, /raw request body/],
  ]
}

describe("bad input", () => {
  const url = TestDatabaseUtils.getDatabaseURL(runScoped(DATABASE))
  let service: MoneySafeService
  let shutdown: () => Promise<void>
  const f = {} as Fixtures

  beforeAll(async () => {
    const booted = await bootModule(DATABASE, {
      providers: [
        { resolve: SCRIPTED_PROVIDER, id: "test" },
        // Only for webhook verification: nothing here calls the Stripe API.
        {
          resolve: path.join(__dirname, "..", "..", "src", "providers", "stripe"), id: "stripe",
          options: { apiKey: "sk_test_bad_input", apiBaseUrl: "http://127.0.0.1:9", webhookSecret: WEBHOOK_SECRET, maxNetworkRetries: 0 },
        },
      ],
    })
    service = moneySafe(booted.service)
    shutdown = booted.shutdown

    const collection = await service.createPaymentCollections({ currency_code: "usd", amount: 100 })
    const session = await service.createPaymentSession(collection.id, { provider_id: SCRIPTED, currency_code: "usd", amount: 100, data: {} })
    const payment = (await service.authorizePaymentSession(session.id, { idempotency_key: "auth-key" }))!
    await service.capturePayment({ payment_id: payment.id, amount: 5, idempotency_key: "cap-key" } as any)
    await service.capturePayment({ payment_id: payment.id, amount: 35 })
    await service.refundPayment({ payment_id: payment.id, amount: 1, idempotency_key: "ref-key" } as any)
    await service.refundPayment({ payment_id: payment.id, amount: 9 })
    const pending = await service.createPaymentSession(collection.id, { provider_id: SCRIPTED, currency_code: "usd", amount: 5, data: {} })

    const yen = await service.createPaymentCollections({ currency_code: "jpy", amount: 5000 })
    const yenSession = await service.createPaymentSession(yen.id, { provider_id: SCRIPTED, currency_code: "jpy", amount: 5000, data: {} })
    const yenPayment = (await service.authorizePaymentSession(yenSession.id, {}))!

    const toCancel = await service.createPaymentCollections({ currency_code: "usd", amount: 20 })
    const toCancelSession = await service.createPaymentSession(toCancel.id, { provider_id: SCRIPTED, currency_code: "usd", amount: 20, data: {} })
    const canceled = (await service.authorizePaymentSession(toCancelSession.id, {}))!
    await service.cancelPayment({ payment_id: canceled.id, idempotency_key: "cancel-key" } as any)

    const holder = await service.createAccountHolder({ provider_id: SCRIPTED, context: { customer: { id: "cus_bad_input", email: "b@example.com" } } as any })
    Object.assign(f, {
      collection: collection.id, session: session.id, payment: payment.id, pendingSession: pending.id,
      yenPayment: yenPayment.id, canceledPayment: canceled.id, holder: holder.id,
    })
  })

  afterAll(async () => {
    await shutdown?.()
  })

  /** Every row of every table the module writes, as one fingerprint: any changed value changes it. */
  const digest = async () =>
    (
      await sql(
        url,
        `SELECT md5(string_agg(t, '|' ORDER BY t)) AS digest FROM (
           SELECT 'collection' || row(id, status, raw_amount, raw_authorized_amount, raw_captured_amount, raw_refunded_amount, currency_code, metadata, completed_at, deleted_at)::text AS t FROM payment_collection
           UNION ALL SELECT 'session' || row(id, status, raw_amount, data, currency_code, authorized_at, metadata, deleted_at)::text FROM payment_session
           UNION ALL SELECT 'payment' || row(id, raw_amount, canceled_at, captured_at, data, metadata, deleted_at)::text FROM payment
           -- every capture, refund and cancel with its status: the payment's settled and open totals, its unknown
           -- movements and a cancel in flight (once hidden columns of payment) are all read from these rows
           UNION ALL SELECT 'movement' || row(id, kind, payment_id, raw_amount, status, idempotency_key, refund_reason_id, settled_at, deleted_at)::text FROM payment_movement
           UNION ALL SELECT 'capture' || row(id, payment_id, raw_amount, deleted_at)::text FROM capture
           UNION ALL SELECT 'refund' || row(id, payment_id, raw_amount, refund_reason_id, deleted_at)::text FROM refund
           UNION ALL SELECT 'key' || row(id, operation, key, fingerprint, result_id, deleted_at)::text FROM idempotency_record
           UNION ALL SELECT 'holder' || row(id, data, metadata, deleted_at)::text FROM account_holder
         ) everything`
      )
    )[0].digest

  // Objects, not arrays: jest would pass a `done` callback for a row without a message.
  const cases = rows.map(([method, input, call, type, message]) => ({ method, input, call, type, message }))
  it.each(cases)("$method with $input", async ({ call, type, message }) => {
    const before = { counts: await tableCounts(url), digest: await digest() }
    const error = await call(service, f).then(
      (value) => ({ resolved: value }),
      (e) => e
    )
    expect({ isMedusaError: MedusaError.isMedusaError(error), type: error?.type, message: error?.message }).toEqual({
      isMedusaError: true, type, message: message ? expect.stringMatching(message) : expect.any(String),
    })
    expect({ counts: await tableCounts(url), digest: await digest() }).toEqual(before)
  })

  it("still updates a payment's data and metadata", async () => {
    const updated = await service.updatePayment({ id: f.payment, metadata: { note: "kept" } } as any)
    expect((updated as unknown as { metadata: unknown }).metadata).toEqual({ note: "kept" })
  })

  it.each([0, -1, NaN, Infinity, "1000", true])("refuses the module option provider_timeout_ms = %p with INVALID_DATA (the module does not boot)", (value) => {
    expect(() => providerTimeoutOption(value)).toThrow(expect.objectContaining({ type: INVALID_DATA }))
  })

  it("defaults provider_timeout_ms to a generous 120 s", () => {
    expect(providerTimeoutOption(undefined)).toBe(DEFAULT_PROVIDER_TIMEOUT_MS)
    expect(DEFAULT_PROVIDER_TIMEOUT_MS).toBe(120_000)
  })

  it("leaves the books balanced after all of it", async () => {
    expect(await service.verifyLedger()).toEqual([])
  })
})
