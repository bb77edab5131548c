import type Stripe from "stripe"
import { AddressInfo } from "net"
import { LocalStripeApp, LocalStripeConfig } from "./app"
import { FaultRule, FaultRuleInput } from "./faults"
import { openDisputeOn } from "./resources/disputes"
import { expireAuthorization, setCaptureBefore, settlePaymentIntent } from "./resources/payment-intents"
import { createHttpServer, Logger } from "./server"
import { StoredEvent } from "./store"
import { authenticate } from "./three-ds"
import { ApiError } from "./errors"
import { DeliveryRecord, EndpointInput, WebhookEndpoint, WebhookFaults } from "./webhooks"

export interface StartOptions extends Partial<LocalStripeConfig> {
  /** 0 (default) picks a free port. */
  port?: number
  host?: string
  /** Endpoint(s) to receive every event, signed with webhookSecret. */
  webhookUrl?: string | string[]
  /** Defaults to a fresh whsec_... (see `webhookSecret` on the handle). */
  webhookSecret?: string
  log?: Logger
}

export interface LocalStripe {
  /** e.g. http://127.0.0.1:54321 */
  url: string
  host: string
  port: number
  /** Secret of the endpoints given as webhookUrl (null when none). */
  webhookSecret: string | null
  /** Options for `new Stripe(key, stripeConfig)`. */
  stripeConfig: { host: string; port: number; protocol: "http" }
  app: LocalStripeApp
  close(): Promise<void>
  reset(): void
  configure(changes: Partial<LocalStripeConfig>): LocalStripeConfig
  addWebhookEndpoint(input: EndpointInput): WebhookEndpoint
  removeWebhookEndpoint(id: string): boolean
  setWebhookFaults(faults: Partial<WebhookFaults>): WebhookFaults
  clearWebhookFaults(): void
  /** Releases events held by the reorder fault, newest first. */
  flushHeldWebhooks(): number
  webhookDeliveries(): DeliveryRecord[]
  /** Resolves when no webhook delivery (or retry) is pending. */
  waitForWebhooks(timeoutMs?: number): Promise<void>
  addFault(rule: FaultRuleInput): FaultRule
  clearFaults(): void
  /** Settles a `processing` PaymentIntent now. */
  settle(paymentIntentId: string, outcome?: "succeed" | "fail"): Stripe.PaymentIntent
  /** Answers a 3-D Secure challenge without a browser. */
  authenticate(intentId: string, outcome: "approve" | "fail"): Stripe.PaymentIntent | Stripe.SetupIntent
  /**
   * The cardholder disputes a captured charge (by PaymentIntent or charge id):
   * charge.dispute.created, then charge.dispute.funds_withdrawn. Defaults:
   * reason "fraudulent", amount = what was captured and not refunded.
   */
  openDispute(paymentIntentId: string, options?: { reason?: string; amount?: number }): Stripe.Dispute
  /**
   * What 7 days without a capture do to a manual-capture authorization:
   * charge.expired, then payment_intent.canceled (cancellation_reason "automatic").
   */
  expireAuthorization(paymentIntentId: string): Stripe.PaymentIntent
  /**
   * Moves the authorization's payment_method_details.card.capture_before; a
   * time already past expires it at once, a future one re-arms the timer.
   */
  setCaptureBefore(paymentIntentId: string, unixSeconds: number): Stripe.Charge
  /** Recorded events, oldest first. */
  events(type?: string): StoredEvent[]
}

export async function startLocalStripe(options: StartOptions = {}): Promise<LocalStripe> {
  const { port = 0, host = "127.0.0.1", webhookUrl, webhookSecret, log, ...config } = options
  const app = new LocalStripeApp(config)
  const server = createHttpServer(app, log)
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(port, host, () => {
      server.off("error", reject)
      resolve()
    })
  })
  const actualPort = (server.address() as AddressInfo).port
  const urlHost = host.includes(":") ? `[${host}]` : host
  app.baseUrl = `http://${urlHost}:${actualPort}`

  const urls = webhookUrl === undefined ? [] : Array.isArray(webhookUrl) ? webhookUrl : [webhookUrl]
  let secret: string | null = webhookSecret ?? null
  for (const url of urls) {
    secret = app.webhooks.addEndpoint({ url, secret: secret ?? undefined }).secret
  }

  let closed = false
  return {
    url: app.baseUrl,
    host,
    port: actualPort,
    webhookSecret: secret,
    stripeConfig: { host, port: actualPort, protocol: "http" },
    app,
    close: async () => {
      if (closed) return
      closed = true
      app.shutdown()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        // Keep-alive sockets from the SDK would otherwise hold close() open.
        server.closeAllConnections()
      })
    },
    reset: () => app.reset(),
    configure: (changes) => app.configure(changes),
    addWebhookEndpoint: (input) => app.webhooks.addEndpoint(input),
    removeWebhookEndpoint: (id) => app.webhooks.removeEndpoint(id),
    setWebhookFaults: (faults) => app.webhooks.setFaults(faults),
    clearWebhookFaults: () => app.webhooks.clearFaults(),
    flushHeldWebhooks: () => app.webhooks.flushHeld(),
    webhookDeliveries: () => app.webhooks.deliveries(),
    waitForWebhooks: (timeoutMs) => app.webhooks.whenIdle(timeoutMs),
    addFault: (rule) => app.faults.add(rule),
    clearFaults: () => app.faults.clear(),
    settle: (id, outcome) => app.withRequest(null, () => settlePaymentIntent(app, id, outcome)),
    authenticate: (id, outcome) =>
      app.withRequest(null, () => {
        const intent = app.store.paymentIntents.get(id) ?? app.store.setupIntents.get(id)
        if (!intent) throw new Error(`No such intent: ${id}`)
        try {
          return authenticate(app, intent, outcome === "approve")
        } catch (e) {
          if (e instanceof ApiError && e.body.type === "card_error") return intent
          throw e
        }
      }),
    openDispute: (id, options) => app.withRequest(null, () => openDisputeOn(app, id, options)),
    expireAuthorization: (id) => app.withRequest(null, () => expireAuthorization(app, id)),
    setCaptureBefore: (id, unixSeconds) => app.withRequest(null, () => setCaptureBefore(app, id, unixSeconds)),
    events: (type) => [...app.store.events.values()].filter((e) => !type || e.type === type),
  }
}

export { LocalStripeApp } from "./app"
export type { LocalStripeConfig } from "./app"
export type { FaultRule, FaultRuleInput } from "./faults"
export type { DeliveryRecord, WebhookEndpoint, WebhookFaults } from "./webhooks"
export type { StoredEvent } from "./store"
export { signatureHeader, verifySignature } from "./signing"
export { testTokenNames } from "./test-cards"
