import http from "http"
import { AddressInfo } from "net"
import type { Browser } from "playwright-core"
import { itWithChromium, launchChromiumIfAny } from "../../integration-tests/__fixtures__/chromium"
import Stripe from "stripe"
import { Harness, startHarness } from "./helpers"

// Drives the challenge page in a real headless Chromium, as a shopper would;
// what the result page says is also checked over plain HTTP, so that runs
// without Chromium too.

/** The tests that drive a browser: without Chromium only they are skipped. */
const itInChromium = itWithChromium("the 3-D Secure browser tests of three-d-secure.spec.ts")

describe("3-D Secure", () => {
  let h: Harness
  let browser: Browser | undefined
  let shop: http.Server
  let shopUrl: string
  const returns: URL[] = []

  beforeAll(async () => {
    h = await startHarness()
    browser = await launchChromiumIfAny()
    // The merchant's return_url: records where the shopper came back to.
    shop = http.createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://shop")
      if (url.pathname === "/checkout/complete") returns.push(url)
      res.setHeader("Content-Type", "text/html")
      res.end("<h1 id='thanks'>Back at the shop</h1>")
    })
    await new Promise<void>((resolve) => shop.listen(0, "127.0.0.1", resolve))
    shopUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}/checkout/complete`
  }, 30_000)

  afterAll(async () => {
    await browser?.close()
    await new Promise<void>((resolve) => {
      shop.close(() => resolve())
      shop.closeAllConnections()
    })
    await h.server.close()
  })

  async function challenge(url: string, button: "Approve" | "Fail") {
    const page = await browser!.newPage()
    try {
      await page.goto(url)
      await page.getByRole("button", { name: button }).click()
      await page.waitForLoadState("load")
      return { url: page.url(), title: await page.title(), text: await page.textContent("body") }
    } finally {
      await page.close()
    }
  }

  describe("3-D Secure challenge page", () => {
    itInChromium("approve → intent authorised, shopper redirected to return_url", async () => {
      const pi = await h.stripe.paymentIntents.create({
        amount: 4200,
        currency: "usd",
        capture_method: "manual",
        confirm: true,
        payment_method: "pm_card_threeDSecure2Required",
        return_url: shopUrl,
      })
      expect(pi.status).toBe("requires_action")
      expect(pi.next_action?.type).toBe("redirect_to_url")

      const page = await browser!.newPage()
      await page.goto(pi.next_action!.redirect_to_url!.url!)
      expect(await page.textContent("#amount")).toBe("42.00 USD")
      expect(await page.textContent("#intent-id")).toBe(pi.id)
      await page.getByRole("button", { name: "Approve" }).click()
      await page.waitForURL((url) => url.pathname === "/checkout/complete")
      expect(await page.textContent("#thanks")).toBe("Back at the shop")
      await page.close()

      const back = returns[returns.length - 1]
      expect(back.searchParams.get("payment_intent")).toBe(pi.id)
      expect(back.searchParams.get("payment_intent_client_secret")).toBe(pi.client_secret)
      expect(back.searchParams.get("redirect_status")).toBe("succeeded")

      const after = await h.stripe.paymentIntents.retrieve(pi.id)
      expect(after).toMatchObject({ status: "requires_capture", amount_capturable: 4200, next_action: null })
      const captured = await h.stripe.paymentIntents.capture(pi.id)
      expect(captured.status).toBe("succeeded")
    })

    itInChromium("fail → requires_payment_method with authentication failure; result page without return_url", async () => {
      const pi = await h.stripe.paymentIntents.create({
        amount: 1000,
        currency: "eur",
        confirm: true,
        payment_method: "pm_card_authenticationRequired",
      })
      const result = await challenge(pi.next_action!.redirect_to_url!.url!, "Fail")
      expect(result.url).toBe(`${h.server.url}/3ds/${pi.id}`)
      expect(result.title).toBe("Authentication failed")
      expect(result.text).toContain("Authentication failed")
      expect(result.text).not.toContain("Authentication complete")
      expect(result.text).toContain("requires_payment_method")

      const after = await h.stripe.paymentIntents.retrieve(pi.id)
      expect(after.status).toBe("requires_payment_method")
      expect(after.last_payment_error).toMatchObject({
        code: "payment_intent_authentication_failure",
        type: "invalid_request_error",
      })
      expect(h.server.events("payment_intent.payment_failed").some((e) => (e.data.object as { id: string }).id === pi.id)).toBe(true)

      // A stale challenge offers nothing to click, and a forged answer changes nothing.
      const page = await browser!.newPage()
      const response = await page.goto(`${h.server.url}/3ds/${pi.id}`)
      expect(response?.status()).toBe(409)
      expect(await page.textContent("h1")).toBe("Nothing to authenticate")
      expect(await page.getByRole("button").count()).toBe(0)
      await page.close()
      const forged = await fetch(`${h.server.url}/3ds/${pi.id}`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: "outcome=approve",
      })
      expect(forged.status).toBe(409)
      expect((await h.stripe.paymentIntents.retrieve(pi.id)).status).toBe("requires_payment_method")
    })

    itInChromium("approve on automatic capture → succeeded; SetupIntent challenges work the same way", async () => {
      const pi = await h.stripe.paymentIntents.create({
        amount: 1999,
        currency: "usd",
        capture_method: "automatic",
        confirm: true,
        payment_method: "pm_card_threeDSecureRequired",
      })
      const result = await challenge(pi.next_action!.redirect_to_url!.url!, "Approve")
      expect(result.text).toContain("succeeded")
      expect((await h.stripe.paymentIntents.retrieve(pi.id)).status).toBe("succeeded")

      const customer = await h.stripe.customers.create({ email: "3ds@example.com" })
      const si = await h.stripe.setupIntents.create({
        customer: customer.id,
        payment_method: "pm_card_authenticationRequiredOnSetup",
        confirm: true,
        return_url: shopUrl,
      })
      expect(si.status).toBe("requires_action")
      const saved = await challenge(si.next_action!.redirect_to_url!.url!, "Approve")
      expect(new URL(saved.url).searchParams.get("setup_intent")).toBe(si.id)
      const setUp = await h.stripe.setupIntents.retrieve(si.id)
      expect(setUp.status).toBe("succeeded")

      // Saved through a SetupIntent, this card now pays off-session without a challenge.
      const offSession = await h.stripe.paymentIntents.create({
        amount: 500,
        currency: "usd",
        customer: customer.id,
        payment_method: setUp.payment_method as string,
        confirm: true,
        off_session: true,
      })
      expect(offSession.status).toBe("succeeded")
      const methods = await h.stripe.customers.listPaymentMethods(customer.id)
      expect(methods.data.map((m: Stripe.PaymentMethod) => m.id)).toEqual([setUp.payment_method])
    })
  })

  describe("the result page says what happened (plain HTTP, no browser)", () => {
    /** What a shopper's browser does without a return_url: posts the answer and reads the result page. */
    async function answer(id: string, outcome: "approve" | "fail") {
      const response = await fetch(`${h.server.url}/3ds/${id}`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: `outcome=${outcome}`,
        redirect: "manual",
      })
      const body = await response.text()
      const text = (pattern: RegExp) => body.match(pattern)?.[1]
      return {
        status: response.status,
        title: text(/<title>([^<]*)<\/title>/),
        heading: text(/<h1>([^<]*)<\/h1>/),
        detail: text(/<p id="result-detail">([^<]*)<\/p>/),
        intentStatus: text(/<span id="status">([^<]*)<\/span>/),
        redirectStatus: text(/<span id="redirect-status">([^<]*)<\/span>/),
        body,
      }
    }

    const challenged = (payment_method: string) =>
      h.stripe.paymentIntents.create({ amount: 1000, currency: "eur", capture_method: "manual", confirm: true, payment_method })

    it("a failed authentication says it failed, never 'complete'", async () => {
      const pi = await challenged("pm_card_authenticationRequired")
      expect(pi.status).toBe("requires_action")
      const page = await answer(pi.id, "fail")
      expect(page).toMatchObject({
        status: 200,
        title: "Authentication failed",
        heading: "Authentication failed",
        detail: "The cardholder failed authentication: no payment was made.",
        intentStatus: "requires_payment_method",
        redirectStatus: "failed",
      })
      expect(page.body).not.toContain("Authentication complete")
    })

    it("an approved authentication says it is complete and the payment authorized", async () => {
      const pi = await challenged("pm_card_threeDSecure2Required")
      expect(await answer(pi.id, "approve")).toMatchObject({
        status: 200,
        title: "Authentication complete",
        heading: "Authentication complete",
        detail: "The payment was authorized.",
        intentStatus: "requires_capture",
        redirectStatus: "succeeded",
      })
    })

    it("a card declined after a passed authentication says so, not that authentication failed", async () => {
      const pi = await challenged("pm_card_authenticationRequiredChargeDeclinedInsufficientFunds")
      const page = await answer(pi.id, "approve")
      expect(page).toMatchObject({
        status: 200,
        title: "Authentication complete, card declined",
        heading: "Authentication complete, card declined",
        intentStatus: "requires_payment_method",
        redirectStatus: "failed",
      })
      expect(page.detail).toMatch(/^The card was declined after authentication\. .*insufficient funds/i)
      expect(page.body).not.toContain("Authentication failed")
    })

    it("a failed SetupIntent authentication says the card was not saved", async () => {
      const customer = await h.stripe.customers.create({ email: "3ds-fail@example.com" })
      const si = await h.stripe.setupIntents.create({
        customer: customer.id,
        payment_method: "pm_card_authenticationRequiredOnSetup",
        confirm: true,
      })
      expect(si.status).toBe("requires_action")
      expect(await answer(si.id, "fail")).toMatchObject({
        status: 200,
        title: "Authentication failed",
        heading: "Authentication failed",
        detail: "The cardholder failed authentication: the card was not saved.",
        intentStatus: "requires_payment_method",
        redirectStatus: "failed",
      })
    })
  })
})
