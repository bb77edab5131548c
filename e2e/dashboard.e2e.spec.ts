import type { Browser } from "playwright-core"
import { MathBN } from "@medusajs/framework/utils"
import { itWithChromium } from "../integration-tests/__fixtures__/chromium"
import { currencyExponent } from "../src/utils/currency"
import { launchBrowser } from "./harness/browser"
import { chooseFromMenu, logIn, openOrder, openShown, orderHeader, paymentRow, screenshot, timelineShown } from "./harness/dashboard"
import { eventually, startEnvironment, type Environment } from "./harness/environment"
import { placeOrder } from "./harness/orders"
import { stripeFacts } from "./harness/facts"

// The merchant's side, in a real headless Chromium: Medusa's admin dashboard
// as `npm start` serves it (built once, reused), the order page, Medusa's own
// refund and cancel, the payment timeline widget's partial capture, and what
// the widget then shows, compared with what the local Stripe recorded.

jest.setTimeout(240_000)

const itInChromium = itWithChromium("the dashboard browser tests of dashboard.e2e.spec.ts")

let env: Environment
let browser: Browser | undefined

beforeAll(async () => {
  ;[env, browser] = await Promise.all([startEnvironment({ name: "dashboard", dashboard: true }), launchBrowser()])
}, 600_000)

afterAll(async () => {
  await browser?.close()
  await env?.stop()
})

/** Stripe's amount (minor units) as the ledger writes it: "20.00" for 2000 cents of EUR. */
function stripeAmount(minor: number, currency = "eur"): string {
  const exponent = currencyExponent(currency)
  return MathBN.div(minor, MathBN.convert(10).pow(exponent)).toFixed(exponent)
}

const ADMIN = "by admin@medusa-payment-plus.local"

/** A storefront order paid with `provider`, and its page in the dashboard, logged in as the merchant. */
async function orderPage(provider: "pp_system_default" | "pp_stripe_stripe") {
  const placed = await placeOrder(env, provider)
  const page = await logIn(browser!, env)
  const widget = await openOrder(page, env, placed.orderId)
  return { placed, page, widget }
}

describe("the admin dashboard at /app", () => {
  itInChromium("capture part and refund part of a Stripe order: the widget shows exactly those movements, with Stripe's amounts", async () => {
    const { placed, page, widget } = await orderPage("pp_stripe_stripe")
    expect(await timelineShown(widget)).toEqual([["authorization", "authorized", "35.00", "by the customer at checkout"]])

    // Capture 20 of 35 with the widget (Medusa's own button captures all of it).
    await expect(widget.getByLabel("Amount to capture").getAttribute("placeholder")).resolves.toBe("up to 35.00")
    await widget.getByLabel("Amount to capture").fill("20")
    await widget.getByRole("button", { name: "Capture amount" }).click()
    await eventually(async () => expect(await timelineShown(widget)).toContainEqual(["capture", "succeeded", "20.00", ADMIN]))
    // The order page itself was read again: Medusa's payments section shows the capture.
    await page.getByText("Partially captured").first().waitFor()

    // Refund 5 with Medusa's own refund form, from the payment's menu.
    await chooseFromMenu(page, "Refund", paymentRow(page, placed.paymentId))
    await page.locator('input[name="amount"]').fill("5")
    await page.getByRole("button", { name: "Save" }).click()
    await eventually(async () => expect(await timelineShown(widget)).toContainEqual(["refund", "succeeded", "5.00", ADMIN]))

    const stripe = await stripeFacts(env, placed.intentId!)
    const shown = await timelineShown(widget)
    process.stdout.write(`[e2e] dashboard timeline: ${JSON.stringify(shown)}\n`)
    expect(shown).toEqual([
      ["authorization", "authorized", stripeAmount(stripe.amount), "by the customer at checkout"],
      ["capture", "reserved", "20.00", ADMIN],
      ["capture", "succeeded", stripeAmount(stripe.amount_received), ADMIN],
      ["release", "recorded", stripeAmount(stripe.amount - stripe.amount_received), "by the provider"],
      ["authorization", "fully_captured", "", "by the store"],
      ["refund", "reserved", "5.00", ADMIN],
      ["refund", "succeeded", stripeAmount(stripe.refunds[0].amount), ADMIN],
    ])
    expect(stripe.refunds).toHaveLength(1)
    expect(await openShown(widget)).toEqual([])
    // Nothing left to capture: the widget no longer offers it.
    expect(await widget.getByLabel("Amount to capture").count()).toBe(0)
    await screenshot(page, widget, "order-captured-part-refunded-part")
    await page.context().close()
  })

  itInChromium("the manual provider keeps the rest capturable: 20, then the 15 left, then nothing more is offered; too much is refused with Medusa's message", async () => {
    const { placed, page, widget } = await orderPage("pp_system_default")
    const amount = widget.getByLabel("Amount to capture")
    const capture = widget.getByRole("button", { name: "Capture amount" })

    await amount.fill("20")
    await capture.click()
    await eventually(async () => expect(await amount.getAttribute("placeholder")).toBe("up to 15.00"))
    await amount.fill("15.01")
    await capture.click()
    await expect(widget.getByTestId("payment-timeline-capture-error").innerText()).resolves.toBe(
      "You cannot capture more than the authorized amount substracted by what is already captured."
    )
    await amount.fill("15")
    await capture.click()
    await eventually(async () => expect(await amount.count()).toBe(0))
    const captures = (await timelineShown(widget)).filter(([subject, event]) => subject === "capture" && event === "succeeded")
    expect(captures).toEqual([
      ["capture", "succeeded", "20.00", ADMIN],
      ["capture", "succeeded", "15.00", ADMIN],
    ])
    const [collection] = await env.sql(
      `SELECT captured_amount::text FROM payment_collection pc JOIN payment p ON p.payment_collection_id = pc.id WHERE p.id = $1`,
      [placed.paymentId]
    )
    expect(Number(collection.captured_amount)).toBe(35)
    await page.context().close()
  })

  itInChromium("cancel an authorized Stripe order from the order's menu: the widget shows the cancellation, Stripe's intent is canceled", async () => {
    const { placed, page, widget } = await orderPage("pp_stripe_stripe")
    await chooseFromMenu(page, "Cancel", orderHeader(page))
    await page.getByRole("button", { name: "Continue" }).or(page.getByRole("button", { name: "Confirm" })).first().click()
    // Medusa's order-cancel workflow cancels the payment without saying who asked: the store did it.
    await eventually(async () =>
      expect(await timelineShown(widget)).toEqual([
        ["authorization", "authorized", "35.00", "by the customer at checkout"],
        ["cancellation", "reserved", "", "by the store"],
        ["cancellation", "canceled", "35.00", "by the store"],
        ["cancellation", "succeeded", "", "by the store"],
      ])
    )
    await widget.getByText("Payment canceled").waitFor()
    expect((await stripeFacts(env, placed.intentId!)).status).toBe("canceled")
    expect(await widget.getByLabel("Amount to capture").count()).toBe(0)
    await screenshot(page, widget, "order-canceled")
    await page.context().close()
  })

  itInChromium("a capture whose answer was lost is shown as unknown, with what reconciliation will do, until reconciliation settles it", async () => {
    const { placed, page, widget } = await orderPage("pp_stripe_stripe")
    env.local.addFault({ match: `POST /v1/payment_intents/${placed.intentId}/capture`, phase: "after", action: "disconnect", times: 3 })
    await widget.getByLabel("Amount to capture").fill("12.50")
    await widget.getByRole("button", { name: "Capture amount" }).click()
    // Medusa answers an error; the widget reads the timeline again at once and shows the capture as unknown.
    await eventually(async () => expect(await openShown(widget)).toEqual([["capture", "unknown"]]))
    env.local.clearFaults()
    expect(await timelineShown(widget)).toContainEqual(["capture", "unknown", "12.50", ADMIN])
    await expect(widget.getByTestId("payment-timeline-open-movement").innerText()).resolves.toMatch(/reconciliation asks it again/)
    // Money whose outcome is unknown is not offered again.
    expect(await widget.getByLabel("Amount to capture").count()).toBe(0)
    await screenshot(page, widget, "order-capture-unknown")

    await env.admin().post("/admin/payment-plus/reconcile", {})
    await widget.getByTestId("payment-timeline-refresh").click()
    await eventually(async () => expect(await timelineShown(widget)).toContainEqual(["capture", "succeeded", "12.50", "by reconciliation"]))
    expect(await openShown(widget)).toEqual([])
    expect((await stripeFacts(env, placed.intentId!)).amount_received).toBe(1250)
    await page.context().close()
  })

  it("the timeline's route refuses a caller without an admin session, and answers the admin", async () => {
    const placed = await placeOrder(env, "pp_system_default")
    const route = `/admin/payment-plus/orders/${placed.orderId}/payments`
    expect((await fetch(`${env.servers[0].url}${route}`)).status).toBe(401)
    const answer = await env.admin().get(route)
    expect(answer.payments.map((p: any) => [p.id, p.capturable_amount])).toEqual([[placed.paymentId, "35.00"]])
  })
})
