import path from "path"
import { IPaymentModuleService, PaymentDTO } from "@medusajs/framework/types"
import { MedusaError } from "@medusajs/framework/utils"
import type { Browser } from "playwright-core"
import { itWithChromium, launchChromiumIfAny } from "../__fixtures__/chromium"
import { bootModule, connectToDatabase, query } from "../__fixtures__/module"
import { startHarness, WEBHOOK_SECRET } from "../../src/providers/stripe/__tests__/local-stripe-harness"

jest.setTimeout(120000)

const STRIPE_PROVIDER = path.resolve(__dirname, "..", "..", "src", "providers", "stripe")
const MANUAL_CAPTURE = "pp_stripe_stripe"
const AUTOMATIC_CAPTURE = "pp_stripe_auto"

type Harness = Awaited<ReturnType<typeof startHarness>>

/** Only the 3-D Secure test needs a browser: without Chromium it alone is skipped. */
const itInChromium = itWithChromium("the 3-D Secure test of stripe-flow.spec.ts")

/**
 * The whole payment flow through the module, with the Stripe provider on
 * the official SDK talking to the local Stripe, on a real PostgreSQL.
 */
describe("the module with the Stripe provider against the local Stripe", () => {
  let harness: Harness
  let service: IPaymentModuleService
  let shutdown: () => Promise<void>
  let browser: Browser | undefined
  let db: Awaited<ReturnType<typeof connectToDatabase>>

  beforeAll(async () => {
    harness = await startHarness()
    const options = { apiKey: "sk_test_flows", apiBaseUrl: harness.localStripe.url, webhookSecret: WEBHOOK_SECRET, maxNetworkRetries: 0 }
    const booted = await bootModule("payment_plus_stripe_flow", {
      providers: [
        { resolve: STRIPE_PROVIDER, id: "stripe", options },
        { resolve: STRIPE_PROVIDER, id: "auto", options: { ...options, capture: true } },
      ],
    })
    service = booted.service
    shutdown = booted.shutdown
    db = await connectToDatabase("payment_plus_stripe_flow")
    browser = await launchChromiumIfAny()
  })

  afterAll(async () => {
    await browser?.close()
    await shutdown?.()
    await db?.close()
    await harness?.close()
  })

  const intentOf = (data: Record<string, unknown> | null | undefined) =>
    harness.localStripe.app.store.paymentIntents.get((data as { id: string }).id) as any

  async function startCheckout(provider: string, amount: string, paymentMethod: string) {
    const collection = await service.createPaymentCollections({ currency_code: "usd", amount })
    const session = await service.createPaymentSession(collection.id, {
      provider_id: provider, currency_code: "usd", amount, data: { payment_method: paymentMethod },
    })
    return { collection, session }
  }

  it("authorizes, captures in two parts and refunds, and Stripe agrees with the module to the cent", async () => {
    const { collection, session } = await startCheckout(MANUAL_CAPTURE, "50.00", "pm_card_visa")
    expect(intentOf(session.data)).toMatchObject({ amount: 5000, currency: "usd", capture_method: "manual" })
    expect(intentOf(session.data).metadata.session_id).toBe(session.id)

    const payment = (await service.authorizePaymentSession(session.id, {}))!
    expect(intentOf(payment.data)).toMatchObject({ status: "requires_capture", amount_capturable: 5000 })

    await service.capturePayment({ payment_id: payment.id, amount: "20.00" })
    // A partial capture releases the rest of the hold at Stripe: the module
    // records the 30 released as a movement of its own and stops offering it.
    expect(intentOf(payment.data)).toMatchObject({ status: "succeeded", amount_received: 2000 })
    const [afterCapture] = await service.listPayments({ id: payment.id })
    expect(afterCapture.captured_at).not.toBeNull()
    // A later capture request for the released money (Medusa's webhook
    // workflow sends one) has nothing to do, and asks Stripe for nothing.
    const again = await service.capturePayment({ payment_id: payment.id, amount: "30.00" })
    expect(again.captures).toEqual([]) // a no-op answers with no capture (README, "differs on purpose")
    expect((await service.listCaptures({ payment_id: payment.id })).map((c) => Number(c.amount))).toEqual([20])
    await service.refundPayment({ payment_id: payment.id, amount: "5.25" })

    const totals = await service.retrievePaymentCollection(collection.id)
    expect(totals).toMatchObject({ captured_amount: 20, refunded_amount: 5.25, status: "partially_captured" })
    const charge = harness.localStripe.app.store.charges.get(intentOf(payment.data).latest_charge) as any
    expect(charge.amount_captured).toBe(2000)
    const refunds = [...harness.localStripe.app.store.refunds.values()].filter((r: any) => r.payment_intent === intentOf(payment.data).id)
    expect(refunds.map((r: any) => r.amount)).toEqual([525])

    const movements = await query(db, `SELECT kind, status, amount::text FROM payment_movement WHERE payment_id = ? ORDER BY created_at, id`, [payment.id])
    expect(movements).toEqual([
      { kind: "capture", status: "succeeded", amount: "20" },
      { kind: "release", status: "succeeded", amount: "30" },
      { kind: "refund", status: "succeeded", amount: "5.25" },
    ])
    const released = await query(db, `SELECT subject, event, raw_amount->>'value' AS amount FROM payment_ledger_entry WHERE payment_id = ? AND subject = 'release'`, [payment.id])
    expect(released).toEqual([{ subject: "release", event: "recorded", amount: "30" }])
    expect(await (service as any).verifyLedger()).toEqual([])
  })

  it("a partial capture of a taxed total (10.814175 USD): what is released is what Stripe held, 5.81", async () => {
    const { session } = await startCheckout(MANUAL_CAPTURE, "10.814175", "pm_card_visa")
    const payment = (await service.authorizePaymentSession(session.id, {}))!
    const captured = await service.capturePayment({ payment_id: payment.id, amount: "5.00" })
    expect(captured.captures!.map((c) => Number(c.amount))).toEqual([5])
    const movements = await query(db, `SELECT kind, amount::text FROM payment_movement WHERE payment_id = ? ORDER BY created_at, id`, [payment.id])
    expect(movements).toEqual([
      { kind: "capture", amount: "5" },
      { kind: "release", amount: "5.81" },
    ])
    expect(intentOf(payment.data)).toMatchObject({ amount: 1081, amount_received: 500 })
    expect(await (service as any).verifyLedger()).toEqual([])
  })

  it("a refund made in Stripe's dashboard: its webhook records it once as a refund of the payment; the module's own refunds are never recorded twice", async () => {
    const { collection, session } = await startCheckout(MANUAL_CAPTURE, "40.00", "pm_card_visa")
    const payment = (await service.authorizePaymentSession(session.id, {}))!
    await service.capturePayment({ payment_id: payment.id })
    await service.refundPayment({ payment_id: payment.id, amount: "10.00" })
    const before = harness.webhooks.length
    const dashboard = await harness.sdk.refunds.create({ payment_intent: intentOf(payment.data).id, amount: 700 })
    await harness.localStripe.waitForWebhooks()
    const deliveries = harness.webhooks
      .slice(before)
      .filter((w) => ["charge.refunded", "refund.created"].includes((w.data as any).type))
    expect(deliveries.length).toBeGreaterThanOrEqual(2)

    // Every delivery, twice, and in reverse order: one refund recorded.
    for (const delivery of [...deliveries, ...deliveries].reverse()) {
      const answer = await service.getWebhookActionAndData({
        provider: "stripe_stripe",
        payload: { data: delivery.data, rawData: delivery.rawData, headers: delivery.headers },
      })
      // Medusa's answer shape: no action for a refund, the provider's facts not passed on.
      expect(answer).toEqual({ action: "not_supported", data: { session_id: session.id, amount: expect.anything() } })
    }
    const refunds = await service.listRefunds({ payment_id: payment.id })
    expect(refunds.map((r) => [r.id.startsWith(`ref_${dashboard.id}`), Number(r.amount)]).sort()).toEqual([
      [false, 10],
      [true, 7],
    ])
    expect(await service.retrievePaymentCollection(collection.id)).toMatchObject({ captured_amount: 40, refunded_amount: 17 })
    expect(await (service as any).verifyLedger()).toEqual([])
    // What is left to refund is what Stripe has left: 23, not 30.
    const over = await service.refundPayment({ payment_id: payment.id, amount: "23.01" }).catch((e) => e)
    expect(over).toMatchObject({ type: MedusaError.Types.INVALID_DATA })
    await service.refundPayment({ payment_id: payment.id, amount: "23.00" })
  })

  it("a store that switched from @medusajs/payment: its earlier refunds (no movement id, not in the payment's data) are not counted again by a dashboard refund's webhook", async () => {
    const { collection, session } = await startCheckout(MANUAL_CAPTURE, "40.00", "pm_card_visa")
    const payment = (await service.authorizePaymentSession(session.id, {}))!
    await service.capturePayment({ payment_id: payment.id })
    await service.refundPayment({ payment_id: payment.id, amount: "10.00" })
    // Make that refund look like one @medusajs/payment-stripe made before the switch.
    const intentId = intentOf(payment.data).id
    for (const refund of harness.localStripe.app.store.refunds.values() as Iterable<any>) {
      if (refund.payment_intent === intentId) refund.metadata = {}
    }
    await query(db, `UPDATE payment SET data = data - 'refunds' WHERE id = ?`, [payment.id])

    const before = harness.webhooks.length
    const dashboard = await harness.sdk.refunds.create({ payment_intent: intentId, amount: 700 })
    await deliverWebhooks(before, (type) => ["charge.refunded", "refund.created"].includes(type))
    const refunds = await service.listRefunds({ payment_id: payment.id })
    expect(refunds.map((r) => Number(r.amount)).sort()).toEqual([10, 7])
    expect(refunds.find((r) => Number(r.amount) === 7)!.id).toBe(`ref_${dashboard.id}`)
    expect(await service.retrievePaymentCollection(collection.id)).toMatchObject({ refunded_amount: 17 })
    expect(await (service as any).verifyLedger()).toEqual([])
  })

  it("an authorization nearing Stripe's 7 days is reported; past them, once Stripe has let it go, the payment and session are canceled", async () => {
    const { collection, session } = await startCheckout(MANUAL_CAPTURE, "12.00", "pm_card_visa")
    const payment = (await service.authorizePaymentSession(session.id, {}))!
    const day = 24 * 60 * 60 * 1000
    const authorizedAgo = (ms: number) =>
      query(db, `UPDATE payment SET created_at = now() - (? || ' milliseconds')::interval WHERE id = ?`, [String(ms), payment.id])
    const check = () => (service as any).checkAuthorizations()

    await authorizedAgo(5 * day)
    expect((await check()).expiring.map((e: any) => e.payment_id)).not.toContain(payment.id)
    await authorizedAgo(6.5 * day)
    const near = (await check()).expiring.find((e: any) => e.payment_id === payment.id)
    expect(near).toMatchObject({ provider_id: MANUAL_CAPTURE })
    expect(Math.abs(new Date(near.expires_at).getTime() - (Date.now() + 0.5 * day))).toBeLessThan(60_000)

    // Past 7 days but still capturable at Stripe: reported, not canceled.
    await authorizedAgo(8 * day)
    expect((await check()).expiring.map((e: any) => e.payment_id)).toContain(payment.id)
    expect((await service.listPayments({ id: payment.id }))[0].canceled_at).toBeNull()

    // Stripe lets it go (as its expiry does): the next check cancels it here, once.
    await harness.sdk.paymentIntents.cancel(intentOf(payment.data).id)
    expect((await check()).expired).toEqual([payment.id])
    expect((await check()).expired).toEqual([])
    expect((await service.listPayments({ id: payment.id }))[0].canceled_at).not.toBeNull()
    expect((await service.retrievePaymentSession(session.id)).status).toBe("canceled")
    expect(await service.retrievePaymentCollection(collection.id)).toMatchObject({ authorized_amount: 0 })
    const movements = await query(db, `SELECT kind, status, created_by, note FROM payment_movement WHERE payment_id = ?`, [payment.id])
    expect(movements).toEqual([{ kind: "cancel", status: "succeeded", created_by: "provider", note: "Authorization expired at the provider" }])
    expect(await (service as any).verifyLedger()).toEqual([])
  })

  it("a payment_intent.canceled webhook (canceled or expired at Stripe) cancels the payment and its session", async () => {
    const { session } = await startCheckout(MANUAL_CAPTURE, "13.00", "pm_card_visa")
    const payment = (await service.authorizePaymentSession(session.id, {}))!
    const before = harness.webhooks.length
    await harness.sdk.paymentIntents.cancel(intentOf(payment.data).id, { cancellation_reason: "abandoned" })
    await harness.localStripe.waitForWebhooks()
    const delivery = harness.webhooks.slice(before).find((w) => (w.data as any).type === "payment_intent.canceled")!
    const payload = { data: delivery.data, rawData: delivery.rawData, headers: delivery.headers }
    // Medusa's answer is unchanged (Medusa's workflow ignores "canceled").
    expect(await service.getWebhookActionAndData({ provider: "stripe_stripe", payload })).toMatchObject({
      action: "canceled",
      data: { session_id: session.id },
    })
    await service.getWebhookActionAndData({ provider: "stripe_stripe", payload }) // again: nothing more
    expect((await service.listPayments({ id: payment.id }))[0].canceled_at).not.toBeNull()
    expect((await service.retrievePaymentSession(session.id)).status).toBe("canceled")
    const movements = await query(db, `SELECT kind, note FROM payment_movement WHERE payment_id = ?`, [payment.id])
    expect(movements).toEqual([{ kind: "cancel", note: "Authorization abandoned at the provider" }])
    // A capture now is refused, as for any canceled payment.
    await expect(service.capturePayment({ payment_id: payment.id })).rejects.toBeDefined()
  })

  /** Hands every webhook Stripe delivered since `from` (or of `types`) to the module, as Medusa's subscriber does. */
  async function deliverWebhooks(from: number, types: (type: string) => boolean) {
    await harness.localStripe.waitForWebhooks()
    for (const w of harness.webhooks.slice(from).filter((w) => types((w.data as any).type))) {
      await service.getWebhookActionAndData({ provider: "stripe_stripe", payload: { data: w.data, rawData: w.rawData, headers: w.headers } })
    }
  }

  it("disputes: each status recorded once on the payment and in the ledger, with events; a lost one is money out, a won one is not", async () => {
    const dispute = async (evidence: "winning_evidence" | "losing_evidence", amount: string) => {
      const { collection, session } = await startCheckout(MANUAL_CAPTURE, amount, "pm_card_createDispute")
      const payment = (await service.authorizePaymentSession(session.id, {}))!
      const before = harness.webhooks.length
      await service.capturePayment({ payment_id: payment.id })
      const isDispute = (type: string) => type.startsWith("charge.dispute.")
      await deliverWebhooks(before, isDispute)
      await deliverWebhooks(before, isDispute) // every delivery twice: nothing twice
      const [opened] = (await harness.sdk.disputes.list({ payment_intent: intentOf(payment.data).id })).data
      expect(opened).toMatchObject({ status: "needs_response" })
      const afterOpen = (await service.listPayments({ id: payment.id }))[0]
      expect((afterOpen as { metadata?: unknown }).metadata).toMatchObject({ disputes: { [opened.id]: { status: "needs_response", amount: amount.replace(/\.?0+$/, "") } } })

      const closing = harness.webhooks.length
      await harness.sdk.disputes.update(opened.id, { evidence: { uncategorized_text: evidence } })
      await deliverWebhooks(closing, isDispute)
      await deliverWebhooks(closing, isDispute)
      const ledger = await query(
        db,
        `SELECT event, from_status, to_status FROM payment_ledger_entry WHERE subject = 'dispute' AND subject_id = ? ORDER BY id`,
        [opened.id]
      )
      return { collection, payment, opened, ledger }
    }

    const lost = await dispute("losing_evidence", "30.00")
    expect(lost.ledger).toEqual([
      { event: "needs_response", from_status: null, to_status: "needs_response" },
      { event: "lost", from_status: "needs_response", to_status: "lost" },
    ])
    // Money out: a refund of the payment, once.
    expect((await service.listRefunds({ payment_id: lost.payment.id })).map((r) => [r.id, Number(r.amount), r.note])).toEqual([
      [`ref_${lost.opened.id}`, 30, `Dispute lost (${lost.opened.id}, fraudulent)`],
    ])
    expect(await service.retrievePaymentCollection(lost.collection.id)).toMatchObject({ captured_amount: 30, refunded_amount: 30 })

    const won = await dispute("winning_evidence", "31.00")
    expect(won.ledger.map((e: any) => e.to_status)).toEqual(["needs_response", "won"])
    expect(await service.listRefunds({ payment_id: won.payment.id })).toEqual([])
    expect(((await service.listPayments({ id: won.payment.id }))[0] as { metadata?: unknown }).metadata).toMatchObject({
      disputes: { [won.opened.id]: { status: "won" } },
    })
    expect(await (service as any).verifyLedger()).toEqual([])
  })

  it("multicapture: partial captures keep the rest capturable until the final one; nothing is released", async () => {
    const collection = await service.createPaymentCollections({ currency_code: "usd", amount: "35" })
    const session = await service.createPaymentSession(collection.id, {
      provider_id: MANUAL_CAPTURE,
      currency_code: "usd",
      amount: "35",
      data: { payment_method: "pm_card_visa", payment_method_options: { card: { request_multicapture: "if_available" } } },
    })
    const payment = (await service.authorizePaymentSession(session.id, {}))!
    await service.capturePayment({ payment_id: payment.id, amount: "10" })
    await service.capturePayment({ payment_id: payment.id, amount: "10" })
    expect(intentOf(payment.data)).toMatchObject({ status: "requires_capture", amount_received: 2000, amount_capturable: 1500 })
    expect((await service.listPayments({ id: payment.id }))[0].captured_at).toBeNull()
    await service.capturePayment({ payment_id: payment.id, amount: "15" })
    expect(intentOf(payment.data)).toMatchObject({ status: "succeeded", amount_received: 3500 })
    const movements = await query(db, `SELECT kind, amount::text FROM payment_movement WHERE payment_id = ? ORDER BY created_at, id`, [payment.id])
    expect(movements).toEqual([
      { kind: "capture", amount: "10" },
      { kind: "capture", amount: "10" },
      { kind: "capture", amount: "15" },
    ])
    expect(await service.retrievePaymentCollection(collection.id)).toMatchObject({ captured_amount: 35, status: "completed" })
  })

  const roundingEntries = (paymentId: string) =>
    query(
      db,
      `SELECT subject, subject_id, raw_amount->>'value' AS amount FROM payment_ledger_entry
        WHERE payment_id = ? AND event = 'provider_rounding' ORDER BY id`,
      [paymentId]
    )

  it("a taxed total (10.814175 USD): Stripe is asked for 1081, the ledger books the 0.004175, a full capture completes", async () => {
    const { collection, session } = await startCheckout(MANUAL_CAPTURE, "10.814175", "pm_card_visa")
    expect(intentOf(session.data)).toMatchObject({ amount: 1081, metadata: { medusa_amount: "10.814175" } })
    expect(session.amount).toBe(10.814175)

    const payment = (await service.authorizePaymentSession(session.id, {}))!
    expect(await roundingEntries(payment.id)).toEqual([
      { subject: "authorization", subject_id: payment.id, amount: "-0.004175" },
    ])
    const captured = await service.capturePayment({ payment_id: payment.id })
    expect(captured.captures!.map((c) => c.amount)).toEqual([10.81])
    expect(intentOf(payment.data)).toMatchObject({ status: "succeeded", amount_received: 1081 })
    expect(await service.retrievePaymentCollection(collection.id)).toMatchObject({ status: "completed", captured_amount: 10.81 })
    // Nothing was rounded at capture: no second entry.
    expect(await roundingEntries(payment.id)).toHaveLength(1)
    expect(await (service as any).verifyLedger({ payment_collection_id: collection.id })).toEqual([])
  })

  it("a capture finer than Stripe's step (KWD in hundredths) books what Stripe moved beside what the module records", async () => {
    const collection = await service.createPaymentCollections({ currency_code: "kwd", amount: "5.124" })
    const session = await service.createPaymentSession(collection.id, {
      provider_id: MANUAL_CAPTURE, currency_code: "kwd", amount: "5.124", data: { payment_method: "pm_card_visa" },
    })
    expect(intentOf(session.data).amount).toBe(5120)
    const payment = (await service.authorizePaymentSession(session.id, {}))!
    const captured = await service.capturePayment({ payment_id: payment.id })
    const captureId = captured.captures![0].id
    expect(captured.captures!.map((c) => c.amount)).toEqual([5.124])
    expect(intentOf(payment.data)).toMatchObject({ amount_received: 5120 })
    expect(await roundingEntries(payment.id)).toEqual([
      { subject: "authorization", subject_id: payment.id, amount: "-0.004" },
      { subject: "capture", subject_id: captureId, amount: "-0.004" },
    ])
  })

  it("what the merchant's timeline offers to capture follows the books: after a capture Stripe rounded, after a release, through multicapture", async () => {
    const capturable = async (paymentId: string) => ((await (service as any).listPaymentTimelines({ payment_id: paymentId }))[0].capturable_amount)
    const multicapture = { payment_method: "pm_card_visa", payment_method_options: { card: { request_multicapture: "if_available" } } }

    // KWD has 3 decimals, Stripe moves hundredths: 5.005 asked, 5.01 sent, a rounding entry beside it.
    const kwdCollection = await service.createPaymentCollections({ currency_code: "kwd", amount: "10" })
    const kwdSession = await service.createPaymentSession(kwdCollection.id, { provider_id: MANUAL_CAPTURE, currency_code: "kwd", amount: "10", data: multicapture })
    const kwd = (await service.authorizePaymentSession(kwdSession.id, {}))!
    expect(await capturable(kwd.id)).toBe("10.000")
    await service.capturePayment({ payment_id: kwd.id, amount: "5.005" })
    expect((await roundingEntries(kwd.id)).filter((e: any) => e.subject === "capture")).toHaveLength(1)
    expect(await capturable(kwd.id)).toBe("4.995")

    // Without multicapture Stripe releases the rest of a partial capture: nothing is left.
    const { session } = await startCheckout(MANUAL_CAPTURE, "35", "pm_card_visa")
    const released = (await service.authorizePaymentSession(session.id, {}))!
    await service.capturePayment({ payment_id: released.id, amount: "20" })
    expect(await capturable(released.id)).toBe("0.00")

    // With it, the rest stays capturable until the final capture.
    const usdCollection = await service.createPaymentCollections({ currency_code: "usd", amount: "35" })
    const usdSession = await service.createPaymentSession(usdCollection.id, { provider_id: MANUAL_CAPTURE, currency_code: "usd", amount: "35", data: multicapture })
    const usd = (await service.authorizePaymentSession(usdSession.id, {}))!
    await service.capturePayment({ payment_id: usd.id, amount: "10" })
    expect(await capturable(usd.id)).toBe("25.00")
    await service.capturePayment({ payment_id: usd.id, amount: "25" })
    expect(await capturable(usd.id)).toBe("0.00")
  })

  itInChromium("runs 3-D Secure: requires_more, the challenge page approved in Chromium, then authorized", async () => {
    const { session } = await startCheckout(MANUAL_CAPTURE, "30.00", "pm_card_threeDSecure2Required")
    expect(await service.authorizePaymentSession(session.id, {})).toBeNull()
    const waiting = await service.retrievePaymentSession(session.id)
    expect(waiting.status).toBe("requires_more")
    const challengeUrl = (waiting.data as any).next_action.redirect_to_url.url
    expect(challengeUrl).toContain(`/3ds/${(waiting.data as any).id}`)

    const page = await browser!.newPage()
    await page.goto(challengeUrl)
    await page.getByRole("button", { name: "Approve" }).click()
    await page.waitForLoadState("load")
    await page.close()

    const payment = (await service.authorizePaymentSession(session.id, {}))!
    expect(payment.id).toMatch(/^pay_/)
    expect(intentOf(payment.data).status).toBe("requires_capture")
    await service.capturePayment({ payment_id: payment.id })
    expect(intentOf(payment.data)).toMatchObject({ status: "succeeded", amount_received: 3000 })
  })

  it("records a card decline as the session's error, with Stripe's decline code", async () => {
    const { session } = await startCheckout(MANUAL_CAPTURE, "10.00", "pm_card_chargeDeclined")
    await expect(service.authorizePaymentSession(session.id, {})).rejects.toMatchObject({ type: "not_allowed" })
    const after = await service.retrievePaymentSession(session.id)
    expect(after.status).toBe("error")
    expect((after.data as any).last_payment_error.decline_code).toBe("generic_decline")
  })

  it("updates the amount on the same PaymentIntent instead of creating another", async () => {
    const { session } = await startCheckout(MANUAL_CAPTURE, "10.00", "pm_card_visa")
    const updated = await service.updatePaymentSession({ id: session.id, amount: "12.50", currency_code: "usd", data: {} })
    expect((updated.data as any).id).toBe((session.data as any).id)
    expect(intentOf(updated.data).amount).toBe(1250)
  })

  /** What Medusa's processPaymentWorkflow does with a webhook's action. */
  async function applyWebhook(delivery: { data: any; rawData: Buffer; headers: any }): Promise<string> {
    const { action, data } = await service.getWebhookActionAndData({
      provider: "stripe_auto",
      payload: { data: delivery.data, rawData: delivery.rawData, headers: delivery.headers },
    })
    if (action === "captured" || action === "authorized") {
      const [existing] = await service.listPayments({ payment_session_id: data!.session_id })
      const payment: PaymentDTO = existing ?? (await service.authorizePaymentSession(data!.session_id, {}))!
      if (action === "captured") {
        await service.capturePayment({ payment_id: payment.id, amount: data!.amount })
      }
    }
    return action
  }

  it("with automatic capture, the synchronous answer and every webhook delivery — duplicated, reordered — make one capture", async () => {
    harness.localStripe.setWebhookFaults({ duplicate: 10, reorder: 2 })
    const before = harness.webhooks.length
    const { collection, session } = await startCheckout(AUTOMATIC_CAPTURE, "42.00", "pm_card_visa")
    const payment = (await service.authorizePaymentSession(session.id, {}))!
    harness.localStripe.flushHeldWebhooks()
    await harness.localStripe.waitForWebhooks()
    harness.localStripe.clearWebhookFaults()

    const ours = harness.webhooks.slice(before).filter((w) => (w.data as any).data.object.metadata?.session_id === session.id)
    expect(ours.filter((w) => (w.data as any).type === "payment_intent.succeeded").length).toBeGreaterThanOrEqual(2)
    const actions = []
    for (const delivery of [...ours, ...ours.slice().reverse()]) {
      actions.push(await applyWebhook(delivery))
    }
    expect(actions).toContain("captured")

    const captures = await service.listCaptures({ payment_id: payment.id })
    expect(captures.map((c) => c.amount)).toEqual([42])
    expect(await service.retrievePaymentCollection(collection.id)).toMatchObject({ status: "completed", captured_amount: 42 })
    expect(intentOf(payment.data).amount_received).toBe(4200)
    expect(await service.listPayments({ payment_session_id: session.id })).toHaveLength(1)
  })

  it("rejects forged, tampered and unsigned webhooks before they can move anything", async () => {
    const { session } = await startCheckout(AUTOMATIC_CAPTURE, "7.00", "pm_card_visa")
    await service.authorizePaymentSession(session.id, {})
    await harness.localStripe.waitForWebhooks()
    const genuine = harness.webhooks.find((w) => (w.data as any).data.object.metadata?.session_id === session.id)!
    const tampered = Buffer.from(genuine.rawData.toString("utf8").replace(/"amount":\s*700\b/, '"amount": 70000'))
    expect(tampered.equals(genuine.rawData)).toBe(false)
    // The genuine delivery itself verifies.
    await expect(
      service.getWebhookActionAndData({ provider: "stripe_auto", payload: { data: genuine.data, rawData: genuine.rawData, headers: genuine.headers } })
    ).resolves.toMatchObject({ data: { session_id: session.id } })
    const forgedHeader = { ...genuine.headers, "stripe-signature": `t=${Math.floor(Date.now() / 1000)},v1=${"0".repeat(64)}` }
    for (const payload of [
      { data: genuine.data, rawData: tampered, headers: genuine.headers },
      { data: genuine.data, rawData: genuine.rawData, headers: forgedHeader },
      { data: genuine.data, rawData: genuine.rawData, headers: {} },
    ]) {
      const error = await service.getWebhookActionAndData({ provider: "stripe_auto", payload }).catch((e) => e)
      expect(MedusaError.isMedusaError(error)).toBe(true)
      expect(error.type).toBe(MedusaError.Types.INVALID_DATA)
      expect(error.message).toMatch(/signature/i)
      // The plugin's webhook door asks the same question alone, and gets the same refusal.
      const refusal = await (service as any).verifyWebhook({ provider: "stripe_auto", payload }).catch((e: unknown) => e)
      expect(refusal).toMatchObject({ type: MedusaError.Types.INVALID_DATA, message: error.message })
    }
    await expect(
      (service as any).verifyWebhook({ provider: "stripe_auto", payload: { data: genuine.data, rawData: genuine.rawData, headers: genuine.headers } })
    ).resolves.toEqual({ verified: true })
  })
})
