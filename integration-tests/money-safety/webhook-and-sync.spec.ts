import { createServer, Server } from "http"
import { AddressInfo } from "net"
import path from "path"
import Stripe from "stripe"
import { PaymentCollectionDTO, PaymentDTO, PaymentSessionDTO } from "@medusajs/framework/types"
import { MedusaError } from "@medusajs/framework/utils"
import { TestDatabaseUtils } from "@medusajs/test-utils"
import { LocalStripe, startLocalStripe } from "../../local-stripe"
import { bootModule, runScoped } from "../__fixtures__/module"
import { expectInvariants, MoneySafeService, moneySafe, sql } from "./__fixtures__/money"

jest.setTimeout(60_000)

/**
 * The same fact reaches the module twice: from the storefront or admin
 * (the synchronous answer) and from the provider's webhook (Medusa's
 * processPaymentWorkflow) — in either order, at the same time, late, or
 * twice. It must have one effect, and a late or duplicate fact must never
 * move a payment backwards.
 *
 * Webhooks are real deliveries of the local Stripe (signed, to a receiver of
 * ours); `processWebhook` does what processPaymentWorkflow does with the
 * module for them (Medusa 2.21: captured → capture with the webhook's
 * amount, authorizing first if there is no payment; authorized → authorize;
 * every other action is ignored).
 */

const DATABASE = "payment_plus_webhook_sync"
const WEBHOOK_SECRET = "whsec_webhook_and_sync"
const MANUAL_CAPTURE = "pp_stripe_stripe"
const AUTO_CAPTURE = "pp_stripe_auto"

type Delivery = { type: string; intent: string; payload: { data: Record<string, unknown>; rawData: Buffer; headers: Record<string, unknown> } }

describe("webhook and synchronous answer for the same fact", () => {
  const url = TestDatabaseUtils.getDatabaseURL(runScoped(DATABASE))
  let local: LocalStripe
  let receiver: Server
  let service: MoneySafeService
  let shutdown: () => Promise<void>
  const deliveries: Delivery[] = []

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on("data", (chunk: Buffer) => chunks.push(chunk))
      req.on("end", () => {
        const rawData = Buffer.concat(chunks)
        const data = JSON.parse(rawData.toString("utf8"))
        deliveries.push({ type: data.type, intent: data.data.object.id, payload: { data, rawData, headers: { ...req.headers } } })
        res.writeHead(200).end()
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve))
    local = await startLocalStripe({
      processingDelayMs: null,
      webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/payment`,
      webhookSecret: WEBHOOK_SECRET,
    })
    const stripe = (id: string, extra: Record<string, unknown> = {}) => ({
      resolve: path.join(__dirname, "..", "..", "src", "providers", "stripe"),
      id,
      options: { apiKey: "sk_test_webhooks", apiBaseUrl: local.url, webhookSecret: WEBHOOK_SECRET, maxNetworkRetries: 0, ...extra },
    })
    const booted = await bootModule(DATABASE, { providers: [stripe("stripe"), stripe("auto", { capture: true })] })
    service = moneySafe(booted.service)
    shutdown = booted.shutdown
  })

  afterAll(async () => {
    await shutdown?.()
    await local?.close()
    await new Promise<void>((resolve) => {
      receiver?.closeAllConnections?.()
      receiver?.close(() => resolve())
    })
  })

  afterEach(() => local.clearFaults())

  async function session(provider: string): Promise<{ collection: PaymentCollectionDTO; session: PaymentSessionDTO; intent: string }> {
    const collection = await service.createPaymentCollections({ currency_code: "eur", amount: "49.90" })
    const created = await service.createPaymentSession(collection.id, {
      provider_id: provider, currency_code: "eur", amount: "49.90", data: { payment_method: "pm_card_visa" },
    })
    return { collection, session: created, intent: created.data!.id as string }
  }

  /** The one delivery of that event for that intent, once it has arrived. */
  async function delivery(type: string, intent: string): Promise<Delivery> {
    const deadline = Date.now() + 5_000
    let found: Delivery[] = []
    while (found.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20))
      await local.waitForWebhooks(5_000)
      found = deliveries.filter((d) => d.type === type && d.intent === intent)
    }
    expect(found).toHaveLength(1)
    return found[0]
  }

  /** What Medusa's processPaymentWorkflow does with the module for one webhook delivery. */
  async function processWebhook(provider: string, { payload }: Delivery): Promise<PaymentDTO | undefined> {
    const { action, data } = await service.getWebhookActionAndData({ provider: provider.replace(/^pp_/, ""), payload })
    if (!data) return undefined
    const [existing] = await service.listPayments({ payment_session_id: data.session_id })
    if (action === "captured") {
      const payment = existing ?? (await service.authorizePaymentSession(data.session_id, {}))!
      return await service.capturePayment({ payment_id: payment.id, amount: data.amount })
    }
    if (action === "authorized") {
      return (await service.authorizePaymentSession(data.session_id, {})) ?? undefined
    }
    return undefined
  }

  /**
   * The payment's captures: each capture movement with its status, and whether Medusa's capture row exists for
   * it (a row is written only once the movement succeeded). No capture row may exist without its movement.
   */
  const captures = async (paymentId: string) => {
    const orphans = await sql(
      url,
      `SELECT c.id FROM capture c WHERE c.payment_id = $1 AND c.deleted_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM payment_movement m WHERE m.id = c.id AND m.kind = 'capture')`,
      [paymentId]
    )
    expect(orphans).toEqual([])
    return await sql(
      url,
      `SELECT m.raw_amount->>'value' AS amount, m.status,
              EXISTS (SELECT 1 FROM capture c WHERE c.id = m.id AND c.deleted_at IS NULL AND c.raw_amount = m.raw_amount) AS row
         FROM payment_movement m WHERE m.payment_id = $1 AND m.kind = 'capture' AND m.deleted_at IS NULL ORDER BY m.created_at, m.id`,
      [paymentId]
    )
  }
  const intent = (id: string) => local.app.store.paymentIntents.get(id) as Stripe.PaymentIntent
  const stripeCaptures = (id: string) => local.events("payment_intent.succeeded").filter((e) => (e.data.object as { id: string }).id === id)
  const ledgerSize = async (collectionId: string) =>
    (await sql(url, `SELECT count(*)::int AS n FROM payment_ledger_entry WHERE payment_collection_id = $1`, [collectionId]))[0].n

  describe("automatic capture (Medusa issue #13301: cart completion and payment_intent.succeeded both capture)", () => {
    it("storefront first, webhook second: one payment, one capture", async () => {
      const { collection, session: s, intent: id } = await session(AUTO_CAPTURE)
      const payment = (await service.authorizePaymentSession(s.id, {}))!
      const fromWebhook = await processWebhook(AUTO_CAPTURE, await delivery("payment_intent.succeeded", id))
      expect(fromWebhook!.id).toBe(payment.id)
      expect(await captures(payment.id)).toEqual([{ amount: "49.9", status: "succeeded", row: true }])
      expect(await service.retrievePaymentCollection(collection.id)).toMatchObject({ status: "completed", captured_amount: 49.9 })
      expect(stripeCaptures(id)).toHaveLength(1)
      await expectInvariants(url, service, collection.id)
    })

    it("webhook while the storefront's authorization is still waiting for Stripe's answer: both get the one payment, captured once", async () => {
      const { collection, session: s, intent: id } = await session(AUTO_CAPTURE)
      // Stripe confirms (and captures) at once; its answer to the storefront takes a while.
      local.addFault({ match: "POST /v1/payment_intents/*/confirm", phase: "after", action: "delay", delay_ms: 700 })
      const storefront = service.authorizePaymentSession(s.id, {})
      await new Promise((r) => setTimeout(r, 100))
      const fromWebhook = await processWebhook(AUTO_CAPTURE, await delivery("payment_intent.succeeded", id))
      const fromStorefront = await storefront
      expect(fromStorefront!.id).toBe(fromWebhook!.id)
      expect(await service.listPayments({ payment_session_id: s.id })).toHaveLength(1)
      expect(await captures(fromWebhook!.id)).toEqual([{ amount: "49.9", status: "succeeded", row: true }])
      expect(local.events("payment_intent.succeeded").filter((e) => (e.data.object as { id: string }).id === id)).toHaveLength(1)
      await expectInvariants(url, service, collection.id)
    })

    it("the same webhook delivered twice, and the storefront after both: one capture", async () => {
      const { collection, session: s, intent: id } = await session(AUTO_CAPTURE)
      // The intent is confirmed by Stripe.js in the browser; only webhooks tell the module.
      await new Stripe("sk_test_webhooks", { ...local.stripeConfig, maxNetworkRetries: 0 }).paymentIntents.confirm(id)
      const succeeded = await delivery("payment_intent.succeeded", id)
      const first = await processWebhook(AUTO_CAPTURE, succeeded)
      const second = await processWebhook(AUTO_CAPTURE, succeeded)
      const storefront = await service.authorizePaymentSession(s.id, {})
      expect(new Set([first!.id, second!.id, storefront!.id]).size).toBe(1)
      expect(await captures(first!.id)).toEqual([{ amount: "49.9", status: "succeeded", row: true }])
      await expectInvariants(url, service, collection.id)
    })
  })

  describe("manual capture", () => {
    async function authorized() {
      const created = await session(MANUAL_CAPTURE)
      const payment = (await service.authorizePaymentSession(created.session.id, {}))!
      return { ...created, payment }
    }

    it("the succeeded webhook arrives while the admin's capture is still waiting for Stripe's answer: a no-op, not an error", async () => {
      const { collection, payment, intent: id } = await authorized()
      local.addFault({ match: "POST /v1/payment_intents/*/capture", phase: "after", action: "delay", delay_ms: 700 })
      const admin = service.capturePayment({ payment_id: payment.id })
      const succeeded = await delivery("payment_intent.succeeded", id)
      // reserved and counted, not yet a capture row
      expect(await captures(payment.id)).toEqual([{ amount: "49.9", status: "pending", row: false }])
      const fromWebhook = await processWebhook(MANUAL_CAPTURE, succeeded)
      expect(fromWebhook!.id).toBe(payment.id)
      await admin
      expect(await captures(payment.id)).toEqual([{ amount: "49.9", status: "succeeded", row: true }])
      expect(intent(id)).toMatchObject({ status: "succeeded", amount_received: 4990 })
      expect(stripeCaptures(id)).toHaveLength(1)
      await expectInvariants(url, service, collection.id)
    })

    it("the webhook after the admin's capture, and twice: no-ops", async () => {
      const { collection, payment, intent: id } = await authorized()
      await service.capturePayment({ payment_id: payment.id })
      const succeeded = await delivery("payment_intent.succeeded", id)
      await processWebhook(MANUAL_CAPTURE, succeeded)
      await processWebhook(MANUAL_CAPTURE, succeeded)
      expect(await captures(payment.id)).toEqual([{ amount: "49.9", status: "succeeded", row: true }])
      await expectInvariants(url, service, collection.id)
    })

    it("concurrent authorizations (storefront and the authorized webhook) give one payment, confirmed once", async () => {
      const { collection, session: s, intent: id } = await session(MANUAL_CAPTURE)
      local.addFault({ match: "POST /v1/payment_intents/*/confirm", phase: "after", action: "delay", delay_ms: 500 })
      const storefront = service.authorizePaymentSession(s.id, {})
      const fromWebhook = await processWebhook(MANUAL_CAPTURE, await delivery("payment_intent.amount_capturable_updated", id))
      expect((await storefront)!.id).toBe(fromWebhook!.id)
      expect(await service.listPayments({ payment_session_id: s.id })).toHaveLength(1)
      expect(local.events("payment_intent.amount_capturable_updated").filter((e) => (e.data.object as { id: string }).id === id)).toHaveLength(1)
      await expectInvariants(url, service, collection.id)
    })
  })

  describe("a late or repeated fact never moves a payment backwards", () => {
    it("an authorized webhook processed after the capture changes nothing", async () => {
      const { collection, session: s, intent: id } = await session(MANUAL_CAPTURE)
      const payment = (await service.authorizePaymentSession(s.id, {}))!
      const late = await delivery("payment_intent.amount_capturable_updated", id)
      await service.capturePayment({ payment_id: payment.id })
      const entries = await ledgerSize(collection.id)

      const fromWebhook = await processWebhook(MANUAL_CAPTURE, late)
      expect(fromWebhook!.id).toBe(payment.id)
      expect(fromWebhook!.captured_at).toEqual(expect.any(Date))
      expect(await service.retrievePaymentCollection(collection.id)).toMatchObject({ status: "completed", captured_amount: 49.9 })
      expect((await service.retrievePaymentSession(s.id)).status).toBe("authorized")
      expect(await ledgerSize(collection.id)).toBe(entries)
      await expectInvariants(url, service, collection.id)
    })

    it("a cancel after a capture is refused and changes nothing", async () => {
      const { collection, session: s } = await session(MANUAL_CAPTURE)
      const payment = (await service.authorizePaymentSession(s.id, {}))!
      await service.capturePayment({ payment_id: payment.id })
      const entries = await ledgerSize(collection.id)
      await expect(service.cancelPayment(payment.id)).rejects.toMatchObject({ type: MedusaError.Types.NOT_ALLOWED })
      expect((await service.retrievePayment(payment.id)).canceled_at).toBeNull()
      expect(await service.retrievePaymentCollection(collection.id)).toMatchObject({ status: "completed", captured_amount: 49.9 })
      expect(await ledgerSize(collection.id)).toBe(entries)
      await expectInvariants(url, service, collection.id)
    })

    it("after a cancel, a late authorization returns the canceled payment and a late capture is refused", async () => {
      const { collection, session: s, intent: id } = await session(MANUAL_CAPTURE)
      const payment = (await service.authorizePaymentSession(s.id, {}))!
      const late = await delivery("payment_intent.amount_capturable_updated", id)
      await service.cancelPayment(payment.id)
      const entries = await ledgerSize(collection.id)

      const again = await processWebhook(MANUAL_CAPTURE, late)
      expect(again).toMatchObject({ id: payment.id, canceled_at: expect.any(Date) })
      await expect(service.capturePayment({ payment_id: payment.id, amount: "49.90" })).rejects.toMatchObject({
        type: MedusaError.Types.INVALID_DATA, message: `The payment: ${payment.id} has been canceled.`,
      })
      expect((await service.retrievePaymentSession(s.id)).status).toBe("canceled")
      expect(await service.retrievePaymentCollection(collection.id)).toMatchObject({ authorized_amount: 0, captured_amount: 0 })
      expect(await ledgerSize(collection.id)).toBe(entries)
      await expectInvariants(url, service, collection.id)
    })

    it("updating a canceled session does not bring back the authorization its stale provider data describes", async () => {
      const { collection, session: s } = await session(MANUAL_CAPTURE)
      const payment = (await service.authorizePaymentSession(s.id, {}))!
      await service.cancelPayment(payment.id)
      // Same amount: the Stripe provider answers from the session's data — the intent as it was at authorization.
      const updated = await service.updatePaymentSession({ id: s.id, amount: "49.90", currency_code: "eur", data: {} })
      expect(updated.status).toBe("canceled")
      expect(await service.retrievePaymentCollection(collection.id)).toMatchObject({ authorized_amount: 0 })
      await expectInvariants(url, service, collection.id)
    })

    it("a session that became a payment keeps its status: a caller cannot set it back to pending", async () => {
      const { collection, session: s } = await session(MANUAL_CAPTURE)
      const payment = (await service.authorizePaymentSession(s.id, {}))!
      await service.capturePayment({ payment_id: payment.id })
      await expect(
        service.updatePaymentSession({ id: s.id, amount: "49.90", currency_code: "eur", data: {}, status: "pending" as any })
      ).rejects.toMatchObject({ type: MedusaError.Types.NOT_ALLOWED })
      expect((await service.retrievePaymentSession(s.id)).status).toBe("authorized")
      await expectInvariants(url, service, collection.id)
    })
  })
})
