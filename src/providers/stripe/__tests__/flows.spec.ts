import { MathBN, MedusaError } from "@medusajs/framework/utils"
import type Stripe from "stripe"
import { isPaymentOutcomeUnknown } from "../errors"
import type { StripeProviderService } from "../service"
import { startHarness, WEBHOOK_SECRET } from "./local-stripe-harness"

type Harness = Awaited<ReturnType<typeof startHarness>>
type Intent = Stripe.PaymentIntent & Record<string, unknown>

let harness: Harness
let provider: StripeProviderService
let counter = 0

beforeAll(async () => {
  harness = await startHarness()
  provider = harness.provider()
})
afterAll(async () => {
  await harness?.close()
})

function nextId(prefix: string): string {
  counter += 1
  return `${prefix}_flow_${counter}`
}

/** What Medusa's createPaymentSession sends. */
async function initiate(
  amount: unknown,
  currency: string,
  data: Record<string, unknown> = {},
  on: StripeProviderService = provider
) {
  const sessionId = nextId("payses")
  const result = await on.initiatePayment({
    amount: amount as string,
    currency_code: currency,
    data: { ...data, session_id: sessionId },
    context: { idempotency_key: sessionId },
  })
  return { sessionId, ...result, intent: result.data as Intent }
}

async function authorized(amount = "12.34", currency = "usd", on: StripeProviderService = provider) {
  const session = await initiate(amount, currency, { payment_method: "pm_card_visa" }, on)
  const result = await on.authorizePayment({ data: session.data, context: { idempotency_key: session.sessionId } })
  return { ...session, status: result.status, intent: result.data as Intent }
}

function stored(id: string): Intent {
  return harness.localStripe.app.store.paymentIntents.get(id) as unknown as Intent
}

function keysSentFor(intentId: string): string[] {
  return harness.localStripe
    .events()
    .filter((event) => (event.data.object as { id?: string; payment_intent?: string }).id === intentId ||
      (event.data.object as { payment_intent?: string }).payment_intent === intentId)
    .map((event) => event.request.idempotency_key ?? "")
}

describe("Stripe provider against the local Stripe, through the official SDK", () => {
  describe("manual capture", () => {
    it("initiate → authorize → partial capture → refund", async () => {
      const session = await initiate("12.34", "usd", { payment_method: "pm_card_visa" })
      expect(session.id).toMatch(/^pi_/)
      expect(session.status).toBe("pending")
      expect(session.intent).toMatchObject({ amount: 1234, currency: "usd", capture_method: "manual" })
      expect(session.intent.metadata).toMatchObject({ session_id: session.sessionId })
      expect(typeof session.intent.client_secret).toBe("string")

      const auth = await provider.authorizePayment({ data: session.data, context: { idempotency_key: session.sessionId } })
      expect(auth.status).toBe("authorized")
      expect(auth.data).toMatchObject({ id: session.id, status: "requires_capture", amount_capturable: 1234 })

      const capture = await provider.capturePayment({
        data: auth.data,
        amount: "5.01",
        currency_code: "usd",
        context: { idempotency_key: "capt_partial_1" },
      } as never)
      expect(capture.data).toMatchObject({ status: "succeeded", amount_received: 501 })
      expect(stored(session.id).amount_received).toBe(501)

      const refund = await provider.refundPayment({ data: capture.data, amount: "1.5", context: { idempotency_key: "ref_partial_1" } })
      const refunds = refund.data?.refunds as Stripe.Refund[]
      expect(refunds).toHaveLength(1)
      expect(refunds[0]).toMatchObject({ amount: 150, payment_intent: session.id, status: "succeeded" })
      expect(refund.data).toMatchObject({ id: session.id, amount_received: 501 })

      expect(keysSentFor(session.id)).toEqual(
        expect.arrayContaining([
          `${session.sessionId}:initiate`,
          expect.stringMatching(new RegExp(`^${session.sessionId}:authorize:pm_`)),
          "capt_partial_1:capture",
          "ref_partial_1:refund",
        ])
      )
    })

    it("a second capture after a partial one released the rest is Stripe's error, not a silent success", async () => {
      const { intent } = await authorized("10")
      await provider.capturePayment({ data: intent, amount: "4", currency_code: "usd", context: { idempotency_key: nextId("capt") } } as never)
      await expect(
        provider.capturePayment({ data: intent, amount: "6", currency_code: "usd", context: { idempotency_key: nextId("capt") } } as never)
      ).rejects.toMatchObject({ code: "payment_intent_unexpected_state", message: expect.stringContaining("status of succeeded") })
      expect(stored(intent.id).amount_received).toBe(400)
    })

    it("captures the whole amount when no amount is given", async () => {
      const { intent } = await authorized("99.99")
      const capture = await provider.capturePayment({ data: intent, context: { idempotency_key: nextId("capt") } })
      expect(capture.data).toMatchObject({ status: "succeeded", amount_received: 9999 })
    })

    it("refuses a capture amount in another currency than the intent's", async () => {
      const { intent } = await authorized("10")
      await expect(
        provider.capturePayment({ data: intent, amount: "5", currency_code: "eur", context: { idempotency_key: nextId("capt") } } as never)
      ).rejects.toMatchObject({ type: MedusaError.Types.INVALID_DATA })
      expect(stored(intent.id).status).toBe("requires_capture")
    })

    it("a capture larger than what is capturable surfaces Stripe's message and code", async () => {
      const { intent } = await authorized("10")
      await expect(
        provider.capturePayment({ data: intent, amount: "11", currency_code: "usd", context: { idempotency_key: nextId("capt") } } as never)
      ).rejects.toMatchObject({
        type: MedusaError.Types.INVALID_DATA,
        code: "amount_too_large",
        message: expect.stringContaining("must be less than or equal to the amount_capturable"),
      })
    })
  })

  describe("automatic capture", () => {
    it("authorize reports captured, and a later capture call is a no-op success", async () => {
      const automatic = harness.provider({ capture: true })
      const { intent, status } = await authorized("20", "usd", automatic)
      expect(status).toBe("captured")
      expect(intent).toMatchObject({ status: "succeeded", capture_method: "automatic", amount_received: 2000 })
      const capture = await automatic.capturePayment({ data: intent, context: { idempotency_key: nextId("capt") } })
      expect(capture.data).toMatchObject({ status: "succeeded", amount_received: 2000 })
    })
  })

  describe("declines and 3-D Secure", () => {
    it("a decline at initiate keeps the failed intent with status error", async () => {
      const session = await initiate("15", "usd", { payment_method: "pm_card_chargeDeclinedInsufficientFunds", confirm: true })
      expect(session.status).toBe("error")
      expect(session.id).toMatch(/^pi_/)
      expect(session.intent.last_payment_error).toMatchObject({ code: "card_declined", decline_code: "insufficient_funds" })
    })

    it("a decline at authorize returns error; another card then authorizes (not a replay of the decline)", async () => {
      const session = await initiate("15", "usd", { payment_method: "pm_card_chargeDeclined" })
      const declined = await provider.authorizePayment({ data: session.data, context: { idempotency_key: session.sessionId } })
      expect(declined.status).toBe("error")
      expect(declined.data).toMatchObject({ id: session.id, status: "requires_payment_method" })

      // The storefront attaches another card (Stripe.js would do this).
      await harness.sdk.paymentIntents.update(session.id, { payment_method: "pm_card_visa" })
      const retried = await provider.authorizePayment({ data: declined.data, context: { idempotency_key: session.sessionId } })
      expect(retried.status).toBe("authorized")
    })

    it("3-D Secure: requires_more until the customer authenticates, then authorized", async () => {
      const session = await initiate("30", "usd", {
        payment_method: "pm_card_threeDSecure2Required",
        confirm: true,
        return_url: "https://shop.example/return",
      })
      expect(session.status).toBe("requires_more")
      expect(session.intent.next_action).toBeTruthy()

      const before = await provider.authorizePayment({ data: session.data, context: { idempotency_key: session.sessionId } })
      expect(before.status).toBe("requires_more")

      harness.localStripe.authenticate(session.id, "approve")
      const after = await provider.authorizePayment({ data: session.data, context: { idempotency_key: session.sessionId } })
      expect(after.status).toBe("authorized")
    })

    it("keeps a return_url given without confirm for the confirmation at authorize (Stripe refuses it on create)", async () => {
      const session = await initiate("25", "usd", {
        payment_method: "pm_card_threeDSecure2Required",
        return_url: "https://shop.example/return",
      })
      expect(session.status).toBe("pending")
      expect(session.intent.status).toBe("requires_confirmation")
      const confirmed = await provider.authorizePayment({
        data: { ...session.data, return_url: "https://shop.example/return" },
        context: { idempotency_key: session.sessionId },
      })
      expect(confirmed.status).toBe("requires_more")
      expect((confirmed.data as Intent).next_action).toBeTruthy()
    })

    it("3-D Secure failed → back to requires_payment_method with an error", async () => {
      const session = await initiate("30", "usd", {
        payment_method: "pm_card_threeDSecure2Required",
        confirm: true,
        return_url: "https://shop.example/return",
      })
      harness.localStripe.authenticate(session.id, "fail")
      const status = await provider.getPaymentStatus({ data: session.data })
      expect(status.status).toBe("error")
    })
  })

  describe("async payment methods", () => {
    it("SEPA debit in processing is pending_authorization, then captured once settled", async () => {
      const sepa = harness.provider({ asyncPaymentMethodTypes: ["sepa_debit"], capture: true })
      const session = await initiate("40", "eur", { payment_method: "pm_sepa_debit", payment_method_types: ["sepa_debit"], confirm: true }, sepa)
      expect(session.status).toBe("pending_authorization")
      harness.localStripe.settle(session.id, "succeed")
      const settled = await sepa.getPaymentStatus({ data: session.data })
      expect(settled.status).toBe("captured")
    })

    it("without asyncPaymentMethodTypes the same intent is only pending", async () => {
      const session = await initiate("40", "eur", { payment_method: "pm_sepa_debit", payment_method_types: ["sepa_debit"], confirm: true, capture_method: "automatic" })
      expect(session.status).toBe("pending")
    })
  })

  describe("refunds", () => {
    it("keeps every refund in data, and a replayed key refunds once", async () => {
      const { intent } = await authorized("50")
      const captured = (await provider.capturePayment({ data: intent, context: { idempotency_key: nextId("capt") } })).data!
      const first = await provider.refundPayment({ data: captured, amount: "10", context: { idempotency_key: "ref_multi_1" } })
      const second = await provider.refundPayment({ data: first.data, amount: "15.55", context: { idempotency_key: "ref_multi_2" } })
      const replay = await provider.refundPayment({ data: second.data, amount: "15.55", context: { idempotency_key: "ref_multi_2" } })

      const refunds = replay.data?.refunds as Stripe.Refund[]
      expect(refunds.map((r) => r.amount)).toEqual([1000, 1555])
      const atStripe = [...harness.localStripe.app.store.refunds.values()].filter(
        (r) => (r as unknown as Stripe.Refund).payment_intent === intent.id
      )
      expect(atStripe).toHaveLength(2)
    })

    it("refunding more than was captured surfaces Stripe's error", async () => {
      const { intent } = await authorized("5")
      const captured = (await provider.capturePayment({ data: intent, context: { idempotency_key: nextId("capt") } })).data!
      await expect(
        provider.refundPayment({ data: captured, amount: "6", context: { idempotency_key: nextId("ref") } })
      ).rejects.toMatchObject({ type: MedusaError.Types.INVALID_DATA, message: expect.stringMatching(/Stripe refundPayment failed: .+/) })
    })

    it("refuses an amount that rounds to nothing before calling Stripe", async () => {
      const { intent } = await authorized("5")
      const captured = (await provider.capturePayment({ data: intent, context: { idempotency_key: nextId("capt") } })).data!
      const refundsBefore = harness.localStripe.app.store.refunds.size
      await expect(
        provider.refundPayment({ data: captured, amount: "0.004", context: { idempotency_key: nextId("ref") } })
      ).rejects.toMatchObject({
        type: MedusaError.Types.INVALID_DATA,
        message: expect.stringContaining("0.004 USD is less than the smallest amount Stripe can move"),
      })
      expect(harness.localStripe.app.store.refunds.size).toBe(refundsBefore)
    })

    it("rounds a refund finer than a cent half up, and says what it sent", async () => {
      const { intent } = await authorized("5")
      const captured = (await provider.capturePayment({ data: intent, context: { idempotency_key: nextId("capt") } })).data!
      const refunded = await provider.refundPayment({ data: captured, amount: "1.005", context: { idempotency_key: nextId("ref") } })
      expect(refunded.amount_sent).toBe("1.01")
      expect((refunded.data!.refunds as { amount: number }[]).at(-1)!.amount).toBe(101)
    })
  })

  describe("cancel and delete", () => {
    it("cancels an authorized payment, and cancelling again is a success", async () => {
      const { intent } = await authorized("8")
      const canceled = await provider.cancelPayment({ data: intent, context: { idempotency_key: nextId("pay") } })
      expect(canceled.data).toMatchObject({ id: intent.id, status: "canceled", amount_capturable: 0 })
      const again = await provider.cancelPayment({ data: intent, context: { idempotency_key: nextId("pay") } })
      expect(again.data).toMatchObject({ status: "canceled" })
      expect((await provider.getPaymentStatus({ data: intent })).status).toBe("canceled")
    })

    it("refuses to cancel a captured payment", async () => {
      const { intent } = await authorized("8")
      await provider.capturePayment({ data: intent, context: { idempotency_key: nextId("capt") } })
      await expect(provider.cancelPayment({ data: intent, context: { idempotency_key: nextId("pay") } })).rejects.toMatchObject({
        code: "payment_intent_unexpected_state",
      })
    })

    it("deletePayment releases a pending intent; with no intent id it is a no-op", async () => {
      const session = await initiate("8", "usd")
      const deleted = await provider.deletePayment({ data: session.data, context: { idempotency_key: session.sessionId } })
      expect(deleted.data).toMatchObject({ status: "canceled" })
      expect(await provider.deletePayment({ data: { session_id: "x" } })).toEqual({ data: { session_id: "x" } })
    })
  })

  describe("updatePayment", () => {
    it("changes the amount on the SAME intent, never a new one", async () => {
      const session = await initiate("10", "usd")
      const intentsBefore = harness.localStripe.app.store.paymentIntents.size
      const updated = await provider.updatePayment({
        amount: "25.5",
        currency_code: "usd",
        data: session.data,
        context: { idempotency_key: session.sessionId },
      })
      expect(updated.data).toMatchObject({ id: session.id, amount: 2550 })
      expect(updated.status).toBe("pending")
      expect(stored(session.id).amount).toBe(2550)
      expect(harness.localStripe.app.store.paymentIntents.size).toBe(intentsBefore)
    })

    it("10 → 20 → 10 → 20 applies every change (keys carry a revision and the amount)", async () => {
      let session: { data?: Record<string, unknown> } = await initiate("10", "usd")
      const id = session.data!.id as string
      for (const amount of ["20", "10", "20"]) {
        session = await provider.updatePayment({ amount, currency_code: "usd", data: session.data, context: { idempotency_key: `sess_${id}` } })
        expect(stored(id).amount).toBe(Number(amount) * 100)
      }
      expect(stored(id).metadata).toMatchObject({ medusa_amount_revision: "3" })
    })

    it("the same amount makes no call to Stripe", async () => {
      const session = await initiate("10", "usd")
      harness.localStripe.addFault({ match: "POST /v1/payment_intents/*", action: "error", status: 500 })
      try {
        const result = await provider.updatePayment({ amount: "10.00", currency_code: "USD", data: session.data, context: {} })
        expect(result.data).toBe(session.data)
      } finally {
        harness.localStripe.clearFaults()
      }
    })

    it("rounds an amount Stripe cannot carry half up to its step, keeping Medusa's amount in the metadata", async () => {
      const session = await initiate("10", "kwd")
      const updated = await provider.updatePayment({ amount: "5.124", currency_code: "kwd", data: session.data, context: {} })
      expect(updated.amount_sent).toBe("5.12")
      expect(updated.data).toMatchObject({ amount: 5120, currency: "kwd", metadata: { medusa_amount: "5.124" } })
      // The same Medusa amount again: nothing to send.
      const again = await provider.updatePayment({ amount: "5.124", currency_code: "kwd", data: updated.data, context: {} })
      expect(again.data).toBe(updated.data)
    })

    it("refuses what no rounding makes right: above Stripe's maximum, negative", async () => {
      const session = await initiate("10", "usd")
      await expect(
        provider.updatePayment({ amount: "1000000", currency_code: "usd", data: session.data, context: {} })
      ).rejects.toMatchObject({ type: MedusaError.Types.INVALID_DATA, message: expect.stringContaining("Stripe's maximum is 999999.99 USD") })
      await expect(
        provider.updatePayment({ amount: "-1", currency_code: "usd", data: session.data, context: {} })
      ).rejects.toMatchObject({ type: MedusaError.Types.INVALID_DATA, message: expect.stringContaining("cannot be negative") })
    })
  })

  describe("idempotency", () => {
    it("initiating twice with one session id gives one intent", async () => {
      const input = {
        amount: "12",
        currency_code: "usd",
        data: { session_id: "payses_idem_1" },
        context: { idempotency_key: "payses_idem_1" },
      }
      const before = harness.localStripe.app.store.paymentIntents.size
      const first = await provider.initiatePayment(input)
      const second = await provider.initiatePayment(input)
      expect(second.id).toBe(first.id)
      expect(harness.localStripe.app.store.paymentIntents.size).toBe(before + 1)
    })

    it("a lost capture response is 'outcome unknown'; retrying with the same key captures once", async () => {
      const { intent } = await authorized("33")
      // The SDK itself retries a reset connection once (same key), so lose two responses.
      harness.localStripe.addFault({ match: "POST /v1/payment_intents/*/capture", phase: "after", action: "disconnect", times: 2 })
      const lost = await provider
        .capturePayment({ data: intent, context: { idempotency_key: "capt_lost_1" } })
        .then(() => undefined, (error: unknown) => error)
      expect(isPaymentOutcomeUnknown(lost)).toBe(true)
      expect((lost as { idempotency_key: string }).idempotency_key).toBe("capt_lost_1:capture")
      expect(stored(intent.id).status).toBe("succeeded") // the money did move

      const retried = await provider.capturePayment({ data: intent, context: { idempotency_key: "capt_lost_1" } })
      expect(retried.data).toMatchObject({ status: "succeeded", amount_received: 3300 })
      const captures = harness.localStripe.events("charge.captured").filter(
        (e) => (e.data.object as { payment_intent?: string }).payment_intent === intent.id
      )
      expect(captures).toHaveLength(1)
    })

    it("a 500 from Stripe is 'outcome unknown' too", async () => {
      harness.localStripe.addFault({ match: "POST /v1/refunds", phase: "before", action: "error", status: 500 })
      const { intent } = await authorized("7")
      const captured = (await provider.capturePayment({ data: intent, context: { idempotency_key: nextId("capt") } })).data!
      const error = await provider
        .refundPayment({ data: captured, amount: "1", context: { idempotency_key: nextId("ref") } })
        .then(() => undefined, (e: unknown) => e)
      harness.localStripe.clearFaults()
      expect(isPaymentOutcomeUnknown(error)).toBe(true)
    })
  })

  describe("currencies", () => {
    it.each([
      ["5000", "jpy", 5000],
      ["5.12", "kwd", 5120],
      ["150", "isk", 15000],
      ["19.99", "eur", 1999],
    ])("%s %s is sent as %p and reported back exactly", async (amount, currency, minor) => {
      const { intent } = await authorized(amount, currency)
      expect(intent.amount).toBe(minor)
      const captured = (await provider.capturePayment({ data: intent, context: { idempotency_key: nextId("capt") } })).data!
      expect(captured.amount_received).toBe(minor)
    })
  })

  describe("webhooks from the local Stripe", () => {
    it("its signed deliveries verify and map to Medusa actions with exact amounts", async () => {
      harness.webhooks.splice(0)
      const { intent, sessionId } = await authorized("12.34")
      await provider.capturePayment({ data: intent, amount: "10.01", currency_code: "usd", context: { idempotency_key: nextId("capt") } } as never)
      await harness.localStripe.waitForWebhooks(5000)

      const mine = harness.webhooks.filter(
        (w) => ((w.data.data as { object: { id?: string } }).object.id === intent.id)
      )
      const results = await Promise.all(mine.map((w) => provider.getWebhookActionAndData(w)))
      const byAction = Object.fromEntries(
        results.filter((r) => r.action !== "not_supported").map((r) => [r.action, MathBN.convert(r.data!.amount).toFixed()])
      )
      expect(byAction).toMatchObject({ authorized: "12.34", captured: "10.01" })
      for (const result of results.filter((r) => r.action !== "not_supported")) {
        expect(result.data?.session_id).toBe(sessionId)
      }
    })

    it("a delivery with another secret is rejected", async () => {
      const wrong = harness.provider({ webhookSecret: "whsec_not_the_one" })
      const delivery = harness.webhooks[harness.webhooks.length - 1]
      expect(delivery).toBeDefined()
      await expect(wrong.getWebhookActionAndData(delivery)).rejects.toMatchObject({
        type: MedusaError.Types.INVALID_DATA,
        code: "webhook_signature_mismatch",
      })
      // rotation: old and new secrets together accept it
      const rotating = harness.provider({ webhookSecret: ["whsec_not_the_one", WEBHOOK_SECRET] })
      await expect(rotating.getWebhookActionAndData(delivery)).resolves.toHaveProperty("action")
    })
  })

  describe("account holders and payment methods", () => {
    const customer = {
      id: "cus_medusa_1",
      email: "ada@example.com",
      first_name: "Ada",
      last_name: "Lovelace",
      phone: "+4412345678",
      billing_address: { address_1: "1 Main St", city: "London", postal_code: "N1", country_code: "GB" },
    }

    it("creates a Stripe customer once per Medusa customer, updates, saves and lists cards, deletes", async () => {
      const created = await provider.createAccountHolder({ context: { customer, idempotency_key: customer.id } })
      expect(created.id).toMatch(/^cus_/)
      expect(created.data).toMatchObject({ email: "ada@example.com", name: "Ada Lovelace", metadata: { medusa_customer_id: "cus_medusa_1" } })

      const again = await provider.createAccountHolder({ context: { customer, idempotency_key: customer.id } })
      expect(again.id).toBe(created.id)

      const accountHolder = { data: created.data! }
      const known = await provider.createAccountHolder({ context: { customer, account_holder: accountHolder } })
      expect(known.id).toBe(created.id)

      const retrieved = await provider.retrieveAccountHolder({ id: created.id })
      expect(retrieved).toMatchObject({ id: created.id, data: { email: "ada@example.com" } })

      const updated = await provider.updateAccountHolder({
        context: { account_holder: accountHolder, customer: { ...customer, company_name: "Analytical Engines Ltd" } },
      })
      expect(updated.data).toMatchObject({ name: "Analytical Engines Ltd" })

      expect(await provider.listPaymentMethods({ context: { account_holder: accountHolder } })).toEqual([])

      const saved = await provider.savePaymentMethod({
        context: { account_holder: accountHolder },
        data: { payment_method_types: ["card"] },
      })
      expect(saved.id).toMatch(/^seti_/)
      expect(saved.data).toMatchObject({ customer: created.id })
      // The storefront confirms the SetupIntent with a card.
      await harness.sdk.setupIntents.confirm(saved.id, { payment_method: "pm_card_visa" })

      const methods = await provider.listPaymentMethods({ context: { account_holder: accountHolder } })
      expect(methods).toHaveLength(1)
      expect(methods[0].data).toMatchObject({ type: "card", customer: created.id })

      const detached = await provider.deletePaymentMethod({ data: { id: methods[0].id } })
      expect(detached.data).toMatchObject({ id: methods[0].id, customer: null })
      expect(await provider.listPaymentMethods({ context: { account_holder: accountHolder } })).toEqual([])

      const deleted = await provider.deleteAccountHolder({ context: { account_holder: { data: created.data } } })
      expect(deleted.data).toMatchObject({ id: created.id, deleted: true })
      const deletedAgain = await provider.deleteAccountHolder({ context: { account_holder: { external_id: created.id } } })
      expect(deletedAgain.data).toMatchObject({ deleted: true })
      await expect(provider.retrieveAccountHolder({ id: created.id })).rejects.toMatchObject({ type: MedusaError.Types.NOT_FOUND })
    })

    it("initiate attaches the account holder's customer to the intent", async () => {
      const created = await provider.createAccountHolder({ context: { customer: { id: "cus_medusa_2", email: "b@example.com" } } })
      const sessionId = nextId("payses")
      const result = await provider.initiatePayment({
        amount: "10",
        currency_code: "usd",
        data: { session_id: sessionId },
        context: { idempotency_key: sessionId, account_holder: { data: created.data! } },
      })
      expect(result.data).toMatchObject({ customer: created.id })
    })

    it("without an account holder there is nothing to list, and saving is refused", async () => {
      expect(await provider.listPaymentMethods({ context: {} })).toEqual([])
      await expect(provider.savePaymentMethod({ context: {}, data: {} })).rejects.toMatchObject({
        type: MedusaError.Types.INVALID_DATA,
      })
    })
  })
})
