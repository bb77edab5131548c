import assert from "node:assert/strict"
import type {
  IPaymentProvider,
  PaymentSessionStatus,
  ProviderWebhookPayload,
} from "@medusajs/framework/types"
import { MathBN } from "@medusajs/framework/utils"
import { currencyExponent, normalizeCurrencyCode } from "../utils/currency"
import type { PaymentRecordAtProvider, PaymentRecordReader } from "../types"

type Data = Record<string, unknown>
type WebhookPayload = ProviderWebhookPayload["payload"]

export const SESSION_STATUSES: readonly PaymentSessionStatus[] = [
  "authorized",
  "captured",
  "pending",
  "requires_more",
  "error",
  "canceled",
  "pending_authorization",
]

export const WEBHOOK_ACTIONS = [
  "authorized",
  "captured",
  "failed",
  "pending",
  "requires_more",
  "canceled",
  "not_supported",
  "pending_authorization",
] as const

/** A session the kit created, as handed to the `drive` and `webhook` hooks. */
export type ConformanceSession = {
  /** The provider's id for it (`initiatePayment().id`). */
  id: string
  /** The Medusa session id the kit made up (sent as data.session_id). */
  sessionId: string
  data: Data
  /** Standard units, as a decimal string. */
  amount: string
  /** What the provider said it asked its service for (`amount_sent`), when it said. */
  amountSent?: string
  currency: string
}

export type ProviderConformanceOptions<P extends IPaymentProvider = IPaymentProvider> = {
  /** Shown in the describe block. */
  name: string
  /** Called once per suite (after `setup`). */
  createProvider: () => P | Promise<P>
  /** ISO 4217 code the suite pays in. */
  currency: string
  /**
   * Standard-unit decimal strings. Defaults: 12.34 / 5.67 / 1.11 (or 1234 /
   * 567 / 111 for zero-decimal currencies). Pick values your provider can
   * represent exactly.
   */
  amounts?: { total?: string; partialCapture?: string; refund?: string }
  /** Extra `data` sent with every initiatePayment (a test card, a return URL…). */
  initiateData?: () => Data
  /** Start and stop whatever the provider talks to (a local API, a database). */
  setup?: () => Promise<void> | void
  teardown?: () => Promise<void> | void
  /** Hooks that let the kit observe or push the provider, where it can. */
  drive?: {
    /**
     * Does the customer's part between initiate and authorize (a 3-D Secure
     * page, a redirect). Return new session data if it changed.
     */
    completeCustomerStep?: (provider: P, session: ConformanceSession) => Promise<Data | void>
    /**
     * What the provider holds as captured for the payment whose data is
     * given, in standard units. Enables the exactness and "one effect per
     * idempotency key" checks for captures.
     */
    capturedAmount?: (provider: P, data: Data) => Promise<string>
    /** Same for refunds. */
    refundedAmount?: (provider: P, data: Data) => Promise<string>
    /**
     * The amount the provider's service was asked to collect for the session
     * (read from the service, or its fake), in standard units. Enables the
     * checks that initiate and update ask for the session's amount.
     */
    initiatedAmount?: (provider: P, session: ConformanceSession) => Promise<string>
  }
  /**
   * For payments the customer finishes before the money arrives (bank
   * transfer, SEPA debit, OXXO and other vouchers): the provider answers
   * `pending_authorization` until the money is there, then a verified
   * webhook authorizes (or captures) the session. With this, the kit checks
   * that waiting state and drives every other check through it.
   */
  deferred?: {
    /**
     * Makes the money arrive at the provider's service for the session (the
     * transfer lands, the voucher is paid) and returns the genuine, signed
     * webhook delivery the service sends about it.
     */
    moneyArrives: (provider: P, session: ConformanceSession) => Promise<WebhookPayload> | WebhookPayload
  }
  /**
   * Fail (instead of only warning) when a hook the kit needs for a value
   * check is missing. Default false.
   */
  requireAllHooks?: boolean
  /**
   * For providers that verify webhooks: a genuine delivery about the session,
   * signed as the real sender signs it. The kit derives forgeries from it.
   */
  webhook?: {
    deliveryFor: (session: ConformanceSession) => Promise<WebhookPayload> | WebhookPayload
  }
  /** Switch off checks your provider cannot meet, and say why in your test. */
  capabilities?: {
    /** Two initiates with one idempotency key give one payment (same id). Default true. */
    idempotentInitiate?: boolean
    /** capturePayment honours `amount` (standard units). Default true. */
    partialCapture?: boolean
    /** Refuses amounts finer than the currency, or rounds them and reports `amount_sent`. Default true. */
    rejectsUnrepresentableAmounts?: boolean
    /**
     * An authorized payment can be canceled. Default true; false for payments
     * captured the moment they arrive (a bank transfer), whose cancel is
     * tested while they wait (`deferred`).
     */
    cancelAfterAuthorization?: boolean
    /**
     * `getPaymentStatus` reads back what happened to the payment. Default
     * true; false for a provider that keeps no state (Medusa's manual one).
     */
    reportsStatus?: boolean
    /**
     * updatePayment works after the customer's step (`drive.completeCustomerStep`).
     * Default true; false for a provider whose customer confirms the payment
     * at its service (a payment element), after which the service keeps the
     * amount (as Stripe does): the update checks then use a session before
     * that step, and an update after it must be refused — never answered as
     * if the amount had changed.
     */
    updatesAfterCustomerStep?: boolean
  }
}

type TestApi = {
  describe: (name: string, body: () => void) => void
  it: (name: string, body: () => Promise<void> | void, timeout?: number) => void
  beforeAll: (body: () => Promise<void> | void, timeout?: number) => void
  afterAll: (body: () => Promise<void> | void, timeout?: number) => void
}

/** jest's (or vitest's) globals; the kit does not import a test runner. */
function testApi(): TestApi {
  const g = globalThis as unknown as Partial<TestApi>
  if (!g.describe || !g.it || !g.beforeAll || !g.afterAll) {
    throw new Error(
      "runProviderConformanceSuite must be called from a test file (it needs describe/it/beforeAll/afterAll globals)."
    )
  }
  return g as TestApi
}

function defaultAmounts(currency: string) {
  return currencyExponent(currency) === 0
    ? { total: "1234", partialCapture: "567", refund: "111" }
    : { total: "12.34", partialCapture: "5.67", refund: "1.11" }
}

let sequence = 0
function uniqueId(prefix: string): string {
  sequence += 1
  return `${prefix}_conf_${Date.now().toString(36)}_${process.pid}_${sequence}`
}

/**
 * Registers describe/it blocks that check a Medusa payment provider against
 * the contract the module relies on. Call it at the top level of a test file:
 *
 * ```ts
 * runProviderConformanceSuite({
 *   name: "acme-pay",
 *   createProvider: () => new AcmePayProvider({}, { apiKey: "test" }),
 *   currency: "eur",
 * })
 * ```
 */
export function runProviderConformanceSuite<P extends IPaymentProvider>(
  options: ProviderConformanceOptions<P>
): void {
  const { describe, it, beforeAll, afterAll } = testApi()
  const currency = normalizeCurrencyCode(options.currency)
  const amounts = { ...defaultAmounts(currency), ...options.amounts }
  const capabilities = {
    idempotentInitiate: true,
    partialCapture: true,
    rejectsUnrepresentableAmounts: true,
    cancelAfterAuthorization: true,
    reportsStatus: true,
    updatesAfterCustomerStep: true,
    ...options.capabilities,
  }
  let provider: P

  /** initiate → (customer step) → a session ready to authorize. */
  async function newSession(
    amount: unknown = amounts.total,
    { customerStep = true }: { customerStep?: boolean } = {}
  ): Promise<ConformanceSession> {
    const sessionId = uniqueId("payses")
    const result = await provider.initiatePayment({
      amount: amount as string,
      currency_code: currency,
      data: { ...(options.initiateData?.() ?? {}), session_id: sessionId },
      context: { idempotency_key: sessionId },
    })
    assertValidInitiate(result)
    const session: ConformanceSession = {
      id: result.id,
      sessionId,
      data: result.data ?? {},
      amount: MathBN.convert(amount as string).toFixed(),
      amountSent: (result as { amount_sent?: string }).amount_sent,
      currency,
    }
    const changed = customerStep ? await options.drive?.completeCustomerStep?.(provider, session) : undefined
    if (changed) session.data = changed
    return session
  }

  /** A session for the update checks: after the customer's step, unless the provider cannot update then. */
  function sessionToUpdate(): Promise<ConformanceSession> {
    return newSession(amounts.total, { customerStep: capabilities.updatesAfterCustomerStep })
  }

  /** updatePayment to the partial-capture amount; the answer, and the session as it now stands. */
  async function updatedSession(session: ConformanceSession) {
    const result = await provider.updatePayment({
      amount: amounts.partialCapture,
      currency_code: currency,
      data: session.data,
      context: { idempotency_key: session.sessionId },
    })
    assertOptionalStatus(result.status, "updatePayment")
    assertSerializableData(result.data, "updatePayment")
    const updated: ConformanceSession = {
      ...session,
      data: result.data ?? session.data,
      amount: amounts.partialCapture,
      amountSent: (result as { amount_sent?: string }).amount_sent,
    }
    return { result, updated }
  }

  /** With the hook: the service holds the session's (updated) amount. */
  async function assertAmountAtService(session: ConformanceSession, what: string): Promise<void> {
    if (!options.drive?.initiatedAmount) return
    assertSameValue(await options.drive.initiatedAmount(provider, session), expectedAmount(session), currency, what)
  }

  /** Deferred providers: the money arrives, and its webhook must say so with the session's amount. */
  async function moneyArrived(session: ConformanceSession): Promise<void> {
    const delivery = await options.deferred!.moneyArrives(provider, session)
    const result = await provider.getWebhookActionAndData(delivery)
    assert.ok(
      result.action === "authorized" || result.action === "captured",
      `the webhook for the money arriving maps to ${String(result.action)}, not authorized or captured`
    )
    assert.equal(result.data?.session_id, session.sessionId, "the money-arrived webhook names another session")
    assertSameValue(result.data?.amount, expectedAmount(session), currency, "the money-arrived webhook amount")
  }

  async function authorizedPayment(amount?: string): Promise<{ session: ConformanceSession; data: Data }> {
    const session = await newSession(amount)
    if (options.deferred) {
      // The customer confirms (the session waits), then the money arrives.
      const waiting = await provider.authorizePayment({ data: session.data, context: { idempotency_key: session.sessionId } })
      session.data = waiting.data ?? session.data
      await moneyArrived(session)
    }
    const result = await provider.authorizePayment({
      data: session.data,
      context: { idempotency_key: session.sessionId },
    })
    assert.ok(
      result.status === "authorized" || result.status === "captured",
      `authorizePayment after the customer step should authorize, got status ${String(result.status)}`
    )
    assertSerializableData(result.data, "authorizePayment")
    return { session, data: result.data ?? session.data }
  }

  async function capturedPayment(): Promise<{ session: ConformanceSession; data: Data }> {
    const { session, data } = await authorizedPayment()
    const captured = await provider.capturePayment({
      data,
      context: { idempotency_key: uniqueId("capt") },
    })
    assertSerializableData(captured.data, "capturePayment")
    return { session, data: captured.data ?? data }
  }

  const missingHooks = missingValueHooks(options)
  if (missingHooks.length) {
    console.warn(
      `\n⚠  payment provider conformance (${options.name}): ${missingHooks.length} value check(s) are SKIPPED ` +
        `because a hook is missing:\n${missingHooks.map((m) => `   - ${m}`).join("\n")}\n` +
        `   Give the hooks (or requireAllHooks: true to make this a failure).\n`
    )
  }

  describe(`payment provider conformance: ${options.name}`, () => {
    if (options.requireAllHooks) {
      it("every value check has the hook it needs", () => {
        assert.deepEqual(missingHooks, [], `missing hooks:\n${missingHooks.join("\n")}`)
      })
    }

    beforeAll(async () => {
      await options.setup?.()
      provider = await options.createProvider()
    })
    afterAll(async () => {
      await options.teardown?.()
    })

    describe("identity", () => {
      it("has an identifier", () => {
        const identifier = provider.getIdentifier()
        assert.equal(typeof identifier, "string")
        assert.ok(identifier.length > 0, "getIdentifier() must not be empty")
      })
    })

    describe("sessions", () => {
      it("initiatePayment returns an id, a valid status and JSON data", async () => {
        const session = await newSession()
        assert.ok(session.id.length > 0)
      })

      if (options.drive?.initiatedAmount) {
        it("initiatePayment asks its service for the session's amount", async () => {
          await assertAmountAtService(await newSession(), "the amount initiated at the service")
        })

        it("updatePayment asks its service for the new amount", async () => {
          const { updated } = await updatedSession(await sessionToUpdate())
          await assertAmountAtService(updated, "the amount at the service after updatePayment")
        })
      }

      it("initiatePayment accepts every amount shape Medusa sends (number, string, raw BigNumber)", async () => {
        for (const amount of [Number(amounts.total), amounts.total, { value: amounts.total, precision: 20 }]) {
          await newSession(amount)
        }
      })

      it("updatePayment returns a valid status and JSON data", async () => {
        await updatedSession(await sessionToUpdate())
      })

      if (!capabilities.updatesAfterCustomerStep && options.drive?.completeCustomerStep) {
        it("updatePayment after the customer's step is refused, never answered as if the amount had changed", async () => {
          const session = await newSession()
          const error = await errorOf(() => updatedSession(session))
          assert.ok(error, "updatePayment after the customer's step answered as if it had changed the amount")
          assertUsefulError(error)
        })
      }

      it("authorizePayment returns a valid PaymentSessionStatus", async () => {
        const session = await newSession()
        const result = await provider.authorizePayment({
          data: session.data,
          context: { idempotency_key: session.sessionId },
        })
        assertStatus(result.status, "authorizePayment")
        assertSerializableData(result.data, "authorizePayment")
      })

      it("getPaymentStatus and retrievePayment answer for an authorized payment", async () => {
        const { data } = await authorizedPayment()
        const status = await provider.getPaymentStatus({ data })
        assertStatus(status.status, "getPaymentStatus")
        assert.ok(status.status === "authorized" || status.status === "captured")
        const retrieved = await provider.retrievePayment({ data })
        assertSerializableData(retrieved.data, "retrievePayment")
      })

      it("deletePayment of a fresh session returns data", async () => {
        const session = await newSession()
        const result = await provider.deletePayment({
          data: session.data,
          context: { idempotency_key: session.sessionId },
        })
        assertSerializableData(result.data, "deletePayment")
      })

      if (capabilities.idempotentInitiate) {
        it("initiatePayment twice with one idempotency key creates one payment", async () => {
          const sessionId = uniqueId("payses")
          const input = {
            amount: amounts.total,
            currency_code: currency,
            data: { ...(options.initiateData?.() ?? {}), session_id: sessionId },
            context: { idempotency_key: sessionId },
          }
          const first = await provider.initiatePayment(input)
          const second = await provider.initiatePayment(input)
          assert.equal(second.id, first.id, "the same idempotency key must give the same payment")
        })
      }
    })

    describe("money movements", () => {
      it("capturePayment returns JSON data", async () => {
        await capturedPayment()
      })

      if (options.drive?.capturedAmount) {
        const capturedAmount = options.drive.capturedAmount
        it("capturePayment captures exactly the authorized amount", async () => {
          const { data } = await capturedPayment()
          assertSameAmount(await capturedAmount(provider, data), amounts.total, "captured amount")
        })
      }

      if (capabilities.partialCapture) {
        it("capturePayment honours a partial amount (exactly, when observable)", async () => {
          const { data } = await authorizedPayment()
          const result = await provider.capturePayment({
            data,
            amount: amounts.partialCapture,
            currency_code: currency,
            context: { idempotency_key: uniqueId("capt") },
          } as Parameters<P["capturePayment"]>[0])
          assertSerializableData(result.data, "capturePayment")
          if (options.drive?.capturedAmount) {
            const captured = await options.drive.capturedAmount(provider, result.data ?? data)
            assertSameAmount(captured, amounts.partialCapture, "partially captured amount")
          }
        })
      }

      it("capturePayment twice with one idempotency key succeeds (and captures once, when observable)", async () => {
        const { data } = await authorizedPayment()
        const key = uniqueId("capt")
        const first = await provider.capturePayment({ data, context: { idempotency_key: key } })
        const second = await provider.capturePayment({ data, context: { idempotency_key: key } })
        assertSerializableData(first.data, "capturePayment")
        assertSerializableData(second.data, "capturePayment (replay)")
        if (options.drive?.capturedAmount) {
          const captured = await options.drive.capturedAmount(provider, second.data ?? data)
          assertOneEffect(captured, amounts.total, "capture", key, currency)
        }
      })

      it("refundPayment returns JSON data (and refunds exactly, when observable)", async () => {
        const { data } = await capturedPayment()
        const result = await provider.refundPayment({
          data,
          amount: amounts.refund,
          context: { idempotency_key: uniqueId("ref") },
        })
        assertSerializableData(result.data, "refundPayment")
        if (options.drive?.refundedAmount) {
          const refunded = await options.drive.refundedAmount(provider, result.data ?? data)
          assertSameAmount(refunded, amounts.refund, "refunded amount")
        }
      })

      it("refundPayment twice with one idempotency key succeeds (and refunds once, when observable)", async () => {
        const { data } = await capturedPayment()
        const key = uniqueId("ref")
        const first = await provider.refundPayment({ data, amount: amounts.refund, context: { idempotency_key: key } })
        const second = await provider.refundPayment({
          data: first.data ?? data,
          amount: amounts.refund,
          context: { idempotency_key: key },
        })
        assertSerializableData(second.data, "refundPayment (replay)")
        if (options.drive?.refundedAmount) {
          const refunded = await options.drive.refundedAmount(provider, second.data ?? data)
          assertOneEffect(refunded, amounts.refund, "refund", key, currency)
        }
      })

      // Optional; the audit (npx medusa-payment-plus audit) holds it against the module's books and the orders.
      it("getPaymentRecord, when the provider has one, says exactly what was received, refunded and is still capturable", async () => {
        const recordReader = provider as unknown as PaymentRecordReader
        if (recordReader.getPaymentRecord === undefined) return
        assert.equal(typeof recordReader.getPaymentRecord, "function", "getPaymentRecord must be a method")
        const { data: authorized } = await authorizedPayment()
        const held = await recordReader.getPaymentRecord!({ data: authorized })
        assertPaymentRecord(held, currency)
        const capturedNow = MathBN.convert(held.amount_received)
        assert.ok(
          MathBN.eq(MathBN.add(capturedNow, held.amount_capturable), amounts.total),
          `an authorized payment's record must hold the whole amount, received or capturable (got ${held.amount_received} received, ${held.amount_capturable} capturable)`
        )
        const { data: captured } = await capturedPayment()
        const refunded = await provider.refundPayment({ data: captured, amount: amounts.refund, context: { idempotency_key: uniqueId("ref") } })
        const record = await recordReader.getPaymentRecord!({ data: refunded.data ?? captured })
        assertPaymentRecord(record, currency)
        assertSameAmount(record.amount_received, amounts.total, "getPaymentRecord's amount_received after a full capture")
        assertSameAmount(record.amount_refunded, amounts.refund, "getPaymentRecord's amount_refunded after a refund")
        assertSameAmount(record.amount_capturable, "0", "getPaymentRecord's amount_capturable after a full capture")
      })

      if (capabilities.cancelAfterAuthorization) {
        it("cancelPayment of an authorized payment returns data and the payment reads canceled", async () => {
          const { data } = await authorizedPayment()
          const canceled = await provider.cancelPayment({ data, context: { idempotency_key: uniqueId("pay") } })
          assertSerializableData(canceled.data, "cancelPayment")
          if (capabilities.reportsStatus) {
            const status = await provider.getPaymentStatus({ data: canceled.data ?? data })
            assert.equal(status.status, "canceled")
          }
        })
      }
    })

    describe("amounts and errors", () => {
      it("a non-amount is refused with an Error that has a message, or ignored", async () => {
        const error = await errorOf(() => newSession("not-a-number"))
        if (capabilities.rejectsUnrepresentableAmounts) {
          assert.ok(error, "initiatePayment accepted the amount \"not-a-number\"")
        }
        if (error) assertUsefulError(error)
      })

      if (capabilities.rejectsUnrepresentableAmounts) {
        it("a total with more decimals than the currency has is refused, or rounded and reported as amount_sent", async () => {
          // Medusa's totals are not rounded (taxes): a provider either refuses
          // them or rounds them and says what it sent, so the module can book
          // the difference. Silently charging another amount is the defect.
          const exponent = currencyExponent(currency)
          const tooPrecise = MathBN.add(amounts.total, MathBN.div(4, MathBN.convert(10).pow(exponent + 1))).toFixed()
          let answer: ConformanceSession | undefined
          const error = await errorOf(async () => {
            answer = await newSession(tooPrecise)
          })
          if (error) {
            assertUsefulError(error)
            return
          }
          const sent = answer!.amountSent
          assert.ok(
            typeof sent === "string",
            `initiatePayment accepted ${tooPrecise} ${currency.toUpperCase()} without saying what it sent (amount_sent)`
          )
          const minorUnit = MathBN.div(1, MathBN.convert(10).pow(exponent))
          assert.ok(
            MathBN.lt(MathBN.abs(MathBN.sub(sent as string, tooPrecise)), minorUnit),
            `initiatePayment was given ${tooPrecise} and sent ${sent} ${currency.toUpperCase()}: more than rounding`
          )
        })

        it("a refund too small to move is refused", async () => {
          const { data } = await capturedPayment()
          const exponent = currencyExponent(currency)
          const tooSmall = MathBN.div(4, MathBN.convert(10).pow(exponent + 1)).toFixed()
          const error = await errorOf(() =>
            provider.refundPayment({ data, amount: tooSmall, context: { idempotency_key: uniqueId("ref") } })
          )
          assert.ok(error, `refundPayment accepted ${tooSmall} ${currency.toUpperCase()}`)
          assertUsefulError(error)
        })
      }
    })

    if (options.deferred) {
      describe("deferred payments (the customer is done, the money is not there yet)", () => {
        /** A session whose customer step is done, and whose money has not arrived. */
        async function waitingSession(): Promise<ConformanceSession> {
          const session = await newSession()
          const result = await provider.authorizePayment({ data: session.data, context: { idempotency_key: session.sessionId } })
          assert.equal(
            result.status,
            "pending_authorization",
            `authorizePayment before the money arrived answered ${String(result.status)}: only pending_authorization ` +
              `lets Medusa complete the cart without claiming money it does not have (authorized would let the store ` +
              `capture a payment that may never come; pending makes the module refuse the authorization)`
          )
          return { ...session, data: result.data ?? session.data }
        }

        it("authorizePayment answers pending_authorization until the money arrives", async () => {
          await waitingSession()
        })

        it("getPaymentStatus reads pending_authorization while waiting", async () => {
          const session = await waitingSession()
          assert.equal((await provider.getPaymentStatus({ data: session.data })).status, "pending_authorization")
        })

        it("the money arriving is a verified webhook that authorizes the session with its exact amount", async () => {
          const session = await waitingSession()
          await moneyArrived(session)
          const result = await provider.authorizePayment({ data: session.data, context: { idempotency_key: session.sessionId } })
          assert.ok(
            result.status === "authorized" || result.status === "captured",
            `authorizePayment after the money arrived answered ${String(result.status)}`
          )
        })

        it("a forged money-arrived webhook is rejected", async () => {
          const session = await waitingSession()
          const genuine = await options.deferred!.moneyArrives(provider, session)
          const error = await errorOf(() =>
            provider.getWebhookActionAndData({ ...genuine, rawData: tamperBody(genuine.rawData, session.sessionId) })
          )
          assert.ok(error, "a tampered money-arrived webhook was accepted")
          assertUsefulError(error)
        })

        it("updatePayment while waiting keeps the session waiting (and asks for the new amount, when observable)", async () => {
          const { result, updated } = await updatedSession(await waitingSession())
          assert.ok(
            result.status === undefined || result.status === "pending_authorization" || result.status === "pending",
            `updatePayment of a waiting session answered ${String(result.status)}`
          )
          await assertAmountAtService(updated, "the amount at the service after updatePayment")
        })

        it("deletePayment while waiting returns data and the payment reads canceled", async () => {
          const session = await waitingSession()
          const deleted = await provider.deletePayment({ data: session.data, context: { idempotency_key: session.sessionId } })
          assertSerializableData(deleted.data, "deletePayment")
          assert.equal((await provider.getPaymentStatus({ data: deleted.data ?? session.data })).status, "canceled")
        })

        it("cancelPayment while waiting returns data and the payment reads canceled", async () => {
          const session = await waitingSession()
          const canceled = await provider.cancelPayment({ data: session.data, context: { idempotency_key: uniqueId("pay") } })
          assertSerializableData(canceled.data, "cancelPayment")
          assert.equal((await provider.getPaymentStatus({ data: canceled.data ?? session.data })).status, "canceled")
        })
      })
    }

    describe("webhooks", () => {
      if (options.webhook) {
        const webhook = options.webhook

        it("a genuine delivery maps to a known action with exact data", async () => {
          const session = await newSession()
          const result = await provider.getWebhookActionAndData(await webhook.deliveryFor(session))
          assert.ok(
            (WEBHOOK_ACTIONS as readonly string[]).includes(result.action),
            `unknown webhook action ${String(result.action)}`
          )
          if (result.action !== "not_supported") {
            assert.ok(result.data, "a money action must carry data")
            assert.equal(result.data.session_id, session.sessionId)
            assertExactAmount(result.data.amount, currency, "webhook amount")
            assertSameValue(result.data.amount, expectedAmount(session), currency, "webhook amount")
          }
        })

        it("a delivery with a tampered body is rejected", async () => {
          const session = await newSession()
          const genuine = await webhook.deliveryFor(session)
          const tampered = tamperBody(genuine.rawData, session.sessionId)
          const error = await errorOf(() => provider.getWebhookActionAndData({ ...genuine, rawData: tampered }))
          assert.ok(error, "a tampered webhook body was accepted")
          assertUsefulError(error)
        })

        it("a delivery without its signature headers is rejected", async () => {
          const session = await newSession()
          const genuine = await webhook.deliveryFor(session)
          const error = await errorOf(() => provider.getWebhookActionAndData({ ...genuine, headers: {} }))
          assert.ok(error, "an unsigned webhook was accepted")
          assertUsefulError(error)
        })
      } else {
        it("an unsigned payload never yields a money action", async () => {
          const session = await newSession()
          const body = JSON.stringify({ type: "payment.captured", session_id: session.sessionId, amount: session.amount })
          const outcome = await provider
            .getWebhookActionAndData({ data: JSON.parse(body), rawData: body, headers: {} })
            .then((result) => result, (error: unknown) => error)
          if (outcome instanceof Error) {
            assertUsefulError(outcome)
          } else {
            assert.equal((outcome as { action: string }).action, "not_supported")
          }
        })
      }
    })
  })
}

// ------------------------------------------------------------------ checks

/** What the provider should have asked its service for: what it says it sent, else the session's amount. */
function expectedAmount(session: ConformanceSession): string {
  return session.amountSent ?? session.amount
}

/** The value checks each hook enables, named for the warning when it is missing. */
function missingValueHooks(options: ProviderConformanceOptions<any>): string[] {
  const missing: string[] = []
  if (!options.drive?.capturedAmount) {
    missing.push("drive.capturedAmount: captures exact, and a replayed capture captures once")
  }
  if (!options.drive?.refundedAmount) {
    missing.push("drive.refundedAmount: refunds exact, and a replayed refund refunds once")
  }
  if (!options.drive?.initiatedAmount) {
    missing.push("drive.initiatedAmount: initiate and update ask the service for the session's amount")
  }
  if (!options.webhook) {
    missing.push("webhook.deliveryFor: webhooks verified, and their amount is the session's")
  }
  return missing
}

/**
 * The same amount in standard units, or a failure that says what went
 * wrong: an amount off by a power of ten is almost always minor units
 * (cents) where standard units were due, or the reverse.
 */
function assertSameValue(actual: unknown, expected: string, currency: string, what: string): void {
  const value = MathBN.convert(actual as string)
  if (value.eq(MathBN.convert(expected))) return
  const scale = MathBN.convert(10).pow(currencyExponent(currency))
  const hint = value.eq(MathBN.mult(expected, scale))
    ? ` — it looks like minor units; the module works in standard units (${expected} ${currency.toUpperCase()})`
    : value.eq(MathBN.div(expected, scale))
      ? ` — it looks divided once too often by 10^${currencyExponent(currency)}`
      : ""
  assert.fail(`${what} is ${value.toFixed()}, the session's is ${expected} ${currency.toUpperCase()}${hint}`)
}

/** A replayed movement must not move money again; when it did, say so in those words. */
function assertOneEffect(actual: unknown, once: string, movement: "capture" | "refund", key: string, currency: string): void {
  const value = MathBN.convert(actual as string)
  if (value.eq(MathBN.convert(once))) return
  const times = value.div(once)
  if (times.isInteger() && times.gt(1)) {
    assert.fail(
      `the ${movement} was made ${times.toFixed()} times for one idempotency key (${key}): ` +
        `${value.toFixed()} ${currency.toUpperCase()} ${movement === "capture" ? "captured" : "refunded"} for one ${movement} of ${once}. ` +
        `Send input.context.idempotency_key to your service with every ${movement}, so a retry replays the first one.`
    )
  }
  assertSameAmount(value.toFixed(), once, `amount after a replayed ${movement}`)
}

function assertValidInitiate(result: { id?: unknown; status?: unknown; data?: unknown }): void {
  assert.equal(typeof result.id, "string", "initiatePayment must return an id")
  assert.ok((result.id as string).length > 0, "initiatePayment returned an empty id")
  assertOptionalStatus(result.status, "initiatePayment")
  assertSerializableData(result.data, "initiatePayment")
}

function assertStatus(status: unknown, method: string): void {
  assert.ok(
    SESSION_STATUSES.includes(status as PaymentSessionStatus),
    `${method} returned ${JSON.stringify(status)}, not a PaymentSessionStatus`
  )
}

function assertOptionalStatus(status: unknown, method: string): void {
  if (status !== undefined) assertStatus(status, method)
}

/** The module stores `data` as JSON: it must be an object JSON can carry without loss. */
function assertSerializableData(data: unknown, method: string): void {
  if (data === undefined) return
  assert.ok(typeof data === "object" && data !== null && !Array.isArray(data), `${method} data must be an object`)
  JSON.stringify(data, (_key, value: unknown) => {
    const lossy =
      typeof value === "bigint" ||
      typeof value === "function" ||
      typeof value === "symbol" ||
      (typeof value === "number" && !Number.isFinite(value))
    assert.ok(!lossy, `${method} data holds ${String(value)} (${typeof value}), which JSON cannot store`)
    return value
  })
}

function assertPaymentRecord(record: PaymentRecordAtProvider, currency: string): void {
  assert.ok(record && typeof record.status === "string", "getPaymentRecord must answer an object with a status")
  assert.equal(String(record.currency_code).toLowerCase(), currency.toLowerCase(), "getPaymentRecord's currency_code")
  for (const field of ["amount_received", "amount_refunded", "amount_lost_to_disputes", "amount_capturable"] as const) {
    assert.ok(typeof record[field] === "string" && /^\d+(\.\d+)?$/.test(record[field]), `getPaymentRecord's ${field} must be a decimal string in standard units, got ${JSON.stringify(record[field])}`)
    assertExactAmount(record[field], currency, `getPaymentRecord's ${field}`)
  }
}

function assertSameAmount(actual: unknown, expected: string, what: string): void {
  assert.equal(MathBN.convert(actual as string).toFixed(), MathBN.convert(expected).toFixed(), `${what} is not exact`)
}

function assertExactAmount(amount: unknown, currency: string, what: string): void {
  const value = MathBN.convert(amount as string)
  assert.ok(value.isFinite(), `${what} is not a finite number`)
  const decimals = value.decimalPlaces() ?? 0
  assert.ok(
    decimals <= currencyExponent(currency),
    `${what} ${value.toFixed()} has more decimals than ${currency.toUpperCase()} allows`
  )
}

function assertUsefulError(error: unknown): void {
  assert.ok(error instanceof Error, `expected an Error, got ${typeof error}: ${String(error)}`)
  assert.ok(typeof error.message === "string" && error.message.trim().length > 0, "the error has no message")
}

/** The error a call throws, or undefined; a thrown non-Error is kept as is for the checks to see. */
async function errorOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run()
    return undefined
  } catch (error) {
    return error === undefined || error === null ? `thrown value ${String(error)}` : error
  }
}

/** Changes the body the way an attacker would: redirect it to another session. */
function tamperBody(rawData: string | Buffer, sessionId: string): string | Buffer {
  const text = Buffer.isBuffer(rawData) ? rawData.toString("utf8") : String(rawData)
  const tampered = text.includes(sessionId) ? text.split(sessionId).join(`${sessionId}x`) : `${text} `
  return Buffer.isBuffer(rawData) ? Buffer.from(tampered, "utf8") : tampered
}
