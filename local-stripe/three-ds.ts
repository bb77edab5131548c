import type Stripe from "stripe"
import { LocalStripeApp } from "./app"
import { ApiError } from "./errors"
import { FormObject } from "./form"
import { escapeHtml, html, HttpResponse } from "./http-util"
import { completePaymentAuthentication } from "./resources/payment-intents"
import { completeSetupAuthentication } from "./resources/setup-intents"

// The 3-D Secure challenge a cardholder would see at their bank. It is plain
// HTML with two forms so a headless browser (or curl) can drive it.

type Intent = Stripe.PaymentIntent | Stripe.SetupIntent

function findIntent(app: LocalStripeApp, id: string): Intent | undefined {
  return app.store.paymentIntents.get(id) ?? app.store.setupIntents.get(id)
}

function page(title: string, content: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
  body { font-family: system-ui, sans-serif; background: #f6f9fc; display: flex; justify-content: center; padding-top: 4rem; }
  main { background: white; border-radius: 8px; box-shadow: 0 2px 8px rgba(0,0,0,.1); padding: 2rem; width: 24rem; }
  h1 { font-size: 1.2rem; } dl { display: grid; grid-template-columns: auto 1fr; gap: .3rem 1rem; }
  form { display: inline-block; margin-right: .5rem; }
  button { font-size: 1rem; padding: .5rem 1.2rem; border-radius: 4px; border: 0; cursor: pointer; }
  #approve { background: #635bff; color: white; } #fail { background: #e3e8ee; }
</style>
</head>
<body><main>${content}</main></body>
</html>`
}

function describe(intent: Intent): string {
  const amount =
    intent.object === "payment_intent"
      ? `${(intent.amount / 100).toFixed(2)} ${intent.currency.toUpperCase()}`
      : "Save card for later"
  return `<dl>
  <dt>Merchant</dt><dd>Local Stripe test merchant</dd>
  <dt>Amount</dt><dd id="amount">${escapeHtml(amount)}</dd>
  <dt>Reference</dt><dd id="intent-id">${escapeHtml(intent.id)}</dd>
</dl>`
}

export function renderChallenge(app: LocalStripeApp, id: string): HttpResponse {
  const intent = findIntent(app, id)
  if (!intent) return html(404, page("Not found", `<h1>Unknown payment</h1><p>No intent ${escapeHtml(id)}.</p>`))
  if (intent.status !== "requires_action") {
    return html(
      409,
      page(
        "Nothing to authenticate",
        `<h1>Nothing to authenticate</h1>${describe(intent)}<p>Status: <span id="status">${escapeHtml(intent.status)}</span></p>`
      )
    )
  }
  const action = `/3ds/${encodeURIComponent(intent.id)}`
  return html(
    200,
    page(
      "3D Secure authentication",
      `<h1>3D Secure 2 test authentication</h1>
${describe(intent)}
<p>Approve or fail this test authentication.</p>
<form method="post" action="${action}"><input type="hidden" name="outcome" value="approve"><button id="approve" type="submit">Approve</button></form>
<form method="post" action="${action}"><input type="hidden" name="outcome" value="fail"><button id="fail" type="submit">Fail</button></form>`
    )
  )
}

/** Stripe's redirect_status query value for the page the customer returns to. */
function redirectStatus(intent: Intent): string {
  if (intent.status === "succeeded" || intent.status === "requires_capture") return "succeeded"
  if (intent.status === "processing") return "processing"
  return "failed"
}

export function completeChallenge(app: LocalStripeApp, id: string, form: FormObject): HttpResponse {
  const intent = findIntent(app, id)
  if (!intent) return renderChallenge(app, id)
  const outcome = form.outcome
  if (outcome !== "approve" && outcome !== "fail") {
    return html(400, page("Bad request", `<h1>outcome must be approve or fail</h1>`))
  }
  const returnUrl = intent.next_action?.redirect_to_url?.return_url ?? null
  try {
    authenticate(app, intent, outcome === "approve")
  } catch (e) {
    // A card declined after authentication already updated the intent; any
    // other error means the challenge was stale.
    if (!(e instanceof ApiError)) throw e
    if (e.body.type !== "card_error") return renderChallenge(app, id)
  }
  const status = redirectStatus(intent)
  if (returnUrl) {
    const target = safeUrl(returnUrl)
    if (target) {
      const prefix = intent.object === "payment_intent" ? "payment_intent" : "setup_intent"
      target.searchParams.set(prefix, intent.id)
      target.searchParams.set(`${prefix}_client_secret`, intent.client_secret ?? "")
      target.searchParams.set("redirect_status", status)
      return { status: 303, headers: { Location: target.toString() }, body: "" }
    }
  }
  const result = resultMessage(intent, outcome === "approve")
  return html(
    200,
    page(
      result.title,
      `<h1>${escapeHtml(result.title)}</h1>${describe(intent)}
<p id="result-detail">${escapeHtml(result.detail)}</p>
<p>Status: <span id="status">${escapeHtml(intent.status)}</span></p>
<p>Result: <span id="redirect-status">${status}</span></p>`
    )
  )
}

/**
 * What the result page says happened: the cardholder failed the challenge,
 * or passed it and the payment then went through, is processing, was
 * declined by the card, or the intent was canceled meanwhile.
 */
function resultMessage(intent: Intent, approved: boolean): { title: string; detail: string } {
  const payment = intent.object === "payment_intent"
  if (!approved) {
    return {
      title: "Authentication failed",
      detail: payment ? "The cardholder failed authentication: no payment was made." : "The cardholder failed authentication: the card was not saved.",
    }
  }
  switch (intent.status) {
    case "succeeded":
      return { title: "Authentication complete", detail: payment ? "The payment succeeded." : "The card was saved." }
    case "requires_capture":
      return { title: "Authentication complete", detail: "The payment was authorized." }
    case "processing":
      return { title: "Authentication complete", detail: "The payment is processing." }
    case "canceled":
      return { title: payment ? "Payment canceled" : "Setup canceled", detail: `The ${payment ? "payment" : "setup"} was canceled.` }
    default: {
      const error = payment ? intent.last_payment_error : intent.last_setup_error
      const reason = error?.message ? ` ${error.message}` : ""
      return { title: "Authentication complete, card declined", detail: `The card was declined after authentication.${reason}` }
    }
  }
}

export function authenticate(app: LocalStripeApp, intent: Intent, approved: boolean): Intent {
  return intent.object === "payment_intent"
    ? completePaymentAuthentication(app, intent.id, approved)
    : completeSetupAuthentication(app, intent.id, approved)
}

function safeUrl(text: string): URL | null {
  try {
    return new URL(text)
  } catch {
    return null
  }
}
