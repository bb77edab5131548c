import { MedusaError } from "@medusajs/framework/utils"
import { MANUAL, paymentModuleSuite } from "../../../../integration-tests/__fixtures__/module"
import { startLocalMedusaPayments, type LocalMedusaPayments } from "../../../../local-medusa-payments"

/**
 * The module loaded by Medusa's module runner with `cloud` options, as a
 * store configures Medusa Payments, on a real PostgreSQL, its provider
 * talking to the local stand-in.
 */

const PROVIDER = "pp_medusa-payments_default"

// The runner reads this object when it boots the module (before each test);
// the stand-in's URL is filled in first.
const cloud = {
  api_key: "mp_test_module_key",
  endpoint: "",
  webhook_secret: "mp_whsec_module",
  environment_handle: "env_module",
}

let local: LocalMedusaPayments

beforeAll(async () => {
  local = await startLocalMedusaPayments({
    apiKey: cloud.api_key,
    webhookSecret: cloud.webhook_secret,
    environmentHandle: cloud.environment_handle,
  })
  cloud.endpoint = local.url
})

afterAll(async () => {
  await local?.close()
})

const atService = (data: unknown) => local.state.payment((data as { id: string }).id)

paymentModuleSuite(
  ({ service }) => {
    async function authorizedPayment(amount: string, currency = "usd") {
      const collection = await service.createPaymentCollections({ currency_code: currency, amount })
      const session = await service.createPaymentSession(collection.id, {
        provider_id: PROVIDER,
        currency_code: currency,
        amount,
        data: {},
      })
      // The customer pays in the storefront's payment element.
      local.confirm(session.data.id as string)
      const payment = (await service.authorizePaymentSession(session.id, {}))!
      return { collection, session, payment }
    }

    it("lists pp_medusa-payments_default, enabled, beside the manual provider", async () => {
      const providers = await service.listPaymentProviders({}, { order: { id: "ASC" } })
      expect(providers.map((p) => [p.id, p.is_enabled])).toEqual([
        [PROVIDER, true],
        [MANUAL, true],
      ])
    })

    it("collection → session → the customer pays → authorize → capture → two refunds, the service agreeing to the cent", async () => {
      const collection = await service.createPaymentCollections({ currency_code: "usd", amount: "10.814175" })
      const session = await service.createPaymentSession(collection.id, {
        provider_id: PROVIDER,
        currency_code: "usd",
        amount: "10.814175",
        data: { payment_description: "Order #1" },
      })
      const created = local.requests.find((r) => r.method === "POST" && r.path === "/payments" && (r.body as any).metadata.session_id === session.id)
      expect(created?.body).toEqual({
        amount: 1081,
        currency: "usd",
        metadata: { session_id: session.id },
        idempotency_key: session.id,
        description: "Order #1",
      })
      expect(session.status).toBe("pending")

      expect(await service.authorizePaymentSession(session.id, {}).catch((e) => e)).toMatchObject({
        type: MedusaError.Types.NOT_ALLOWED,
      })
      local.confirm(session.data.id as string)
      const payment = (await service.authorizePaymentSession(session.id, {}))!
      expect(payment.data).toMatchObject({ id: session.data.id, status: "requires_capture", amount: 1081 })

      const captured = await service.capturePayment({ payment_id: payment.id })
      expect(captured.captures!.map((c) => c.amount)).toEqual([10.81])
      expect(atService(payment.data)).toMatchObject({ status: "succeeded", amount_received: 1081 })

      await service.refundPayment({ payment_id: payment.id, amount: "5.25" })
      // The payment keeps its id in data, so a second refund reaches the same payment.
      await service.refundPayment({ payment_id: payment.id, amount: "1" })
      expect(atService(payment.data)).toMatchObject({ amount_refunded: 625 })
      const refundRequests = local.requests.filter((r) => r.path === `/payments/${payment.data!.id}/refund`)
      expect(refundRequests.map((r) => (r.body as any).amount)).toEqual([525, 100])
      // Each refund under its own key (the module's refund id).
      expect(new Set(refundRequests.map((r) => (r.body as any).idempotency_key)).size).toBe(2)

      const totals = await service.retrievePaymentCollection(collection.id)
      expect(totals).toMatchObject({ captured_amount: 10.81, refunded_amount: 6.25 })
    })

    it("a partial capture is refused before anything reaches the service; the whole amount then captures", async () => {
      const { payment } = await authorizedPayment("20.00")
      const before = local.requests.length
      await expect(service.capturePayment({ payment_id: payment.id, amount: "5" })).rejects.toMatchObject({
        type: MedusaError.Types.NOT_ALLOWED,
      })
      expect(local.requests.slice(before).filter((r) => r.path.endsWith("/capture"))).toEqual([])
      expect(atService(payment.data)).toMatchObject({ status: "requires_capture", amount_received: 0 })

      const captured = await service.capturePayment({ payment_id: payment.id })
      expect(captured.captures!.map((c) => c.amount)).toEqual([20])
      expect(atService(payment.data)).toMatchObject({ status: "succeeded", amount_received: 2000 })
    })

    it("cancelPayment voids the authorization at the service", async () => {
      const { payment } = await authorizedPayment("7.50", "eur")
      await service.cancelPayment(payment.id)
      expect(atService(payment.data)).toMatchObject({ status: "canceled", amount_capturable: 0 })
    })

    it("a capture whose answer is lost is recorded as unknown, not undone; the money did move", async () => {
      const { payment } = await authorizedPayment("3.00")
      local.failNext({ path: /\/capture$/, drop: true, afterHandling: true })
      const error = await service.capturePayment({ payment_id: payment.id }).catch((e) => e)
      expect(error).toMatchObject({ outcome_unknown: true })
      expect(atService(payment.data)).toMatchObject({ status: "succeeded", amount_received: 300 })
    })

    it("a verified webhook reaches the module as the session's action; a forged one is refused", async () => {
      const { session } = await authorizedPayment("4.00")
      const event = local.events.find(
        (e) => e.type === "payment_intent.amount_capturable_updated" && e.data.object.id === session.data.id
      )!
      const result = await service.getWebhookActionAndData({ provider: "medusa-payments_default", payload: local.delivery(event) })
      expect(result).toMatchObject({ action: "authorized", data: { session_id: session.id } })
      expect(Number(result.data!.amount)).toBe(4)

      const forged = local.delivery(event, { secret: "not_the_secret" })
      await expect(
        service.getWebhookActionAndData({ provider: "medusa-payments_default", payload: forged })
      ).rejects.toMatchObject({ type: MedusaError.Types.INVALID_DATA })
    })
  },
  { cloud }
)

describe("without complete cloud options", () => {
  paymentModuleSuite(
    ({ service }) => {
      it("Medusa Payments is not registered (no handle: Medusa's rule)", async () => {
        const providers = await service.listPaymentProviders({})
        expect(providers.map((p) => p.id)).toEqual([MANUAL])
      })
    },
    { cloud: { api_key: "mp_key", endpoint: "http://127.0.0.1:9", webhook_secret: "mp_whsec" } }
  )
})
