import fs from "node:fs"
import path from "node:path"
import type { Browser, Locator, Page } from "playwright-core"
import type { Environment } from "./environment"

// eslint-disable-next-line @typescript-eslint/no-var-requires
const lifecycle = require("../../app/lifecycle.cjs")

/** Where the browser tests keep their screenshots (a CI artifact). */
export const SCREENSHOT_DIR = process.env.E2E_SCREENSHOT_DIR || path.join(lifecycle.root, ".data", "e2e", "screenshots")

/**
 * A new browser context logged in to the dashboard at /app with the seeded admin, as a merchant logs in.
 * The window is tall: the dashboard scrolls inside the page, so a screenshot
 * shows what fits in the window.
 */
export async function logIn(browser: Browser, env: Environment): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 2400 }, locale: "en-US", timezoneId: "UTC" })
  const page = await context.newPage()
  await page.goto(`${env.servers[0].url}/app/login`)
  await page.locator('input[name="email"]').fill(env.seed.admin_email)
  await page.locator('input[name="password"]').fill(env.seed.admin_password)
  await page.locator('button[type="submit"]').click()
  await page.waitForURL(/\/app\/orders/, { timeout: 60_000 })
  return page
}

export async function openOrder(page: Page, env: Environment, orderId: string): Promise<Locator> {
  await page.goto(`${env.servers[0].url}/app/orders/${orderId}`)
  const widget = page.getByTestId("payment-timeline")
  await widget.getByTestId("payment-timeline-payment").first().waitFor({ timeout: 60_000 })
  return widget
}

/** The widget's entries as [subject, event, amount, who], read from the page. */
export async function timelineShown(widget: Locator): Promise<string[][]> {
  return await widget.getByTestId("payment-timeline-entry").evaluateAll((rows) =>
    rows.map((row) => [
      row.getAttribute("data-subject") ?? "",
      row.getAttribute("data-event") ?? "",
      row.getAttribute("data-amount") ?? "",
      row.querySelector("[data-testid=payment-timeline-cause]")?.textContent ?? "",
    ])
  )
}

/** The widget's open movements as [subject, status]. */
export async function openShown(widget: Locator): Promise<string[][]> {
  return await widget.getByTestId("payment-timeline-open-movement").evaluateAll((rows) =>
    rows.map((row) => [row.getAttribute("data-subject") ?? "", row.getAttribute("data-status") ?? ""])
  )
}

/**
 * Opens the "…" menu that offers `item` (the dashboard has one per section)
 * and clicks that item. `within` narrows the search to one section.
 */
export async function chooseFromMenu(page: Page, item: string, within: Locator = page.locator("body")): Promise<void> {
  const buttons = await within.locator('button[aria-haspopup="menu"]').all()
  for (const button of buttons) {
    await button.click()
    const menu = page.getByRole("menu")
    await menu.waitFor({ state: "visible", timeout: 5_000 })
    const entry = menu.getByRole("menuitem", { name: item, exact: true })
    if (await entry.count()) {
      await entry.click()
      return
    }
    await page.keyboard.press("Escape")
    await menu.waitFor({ state: "hidden", timeout: 5_000 })
  }
  throw new Error(`no menu of the page offers "${item}"`)
}

/**
 * The payments section's row of one payment: the nearest element around the
 * payment's short id (the dashboard shows its last 7 characters) that holds a
 * menu button.
 */
export function paymentRow(page: Page, paymentId: string): Locator {
  return page
    .getByText(`#${paymentId.slice(-7)}`, { exact: true })
    .first() // the row's; a capture prompt below it names the payment too
    .locator(`xpath=ancestor::*[.//button[@aria-haspopup="menu"]][1]`)
}

/** The order page's header (the display id, the order's status badges and its menu). */
export function orderHeader(page: Page): Locator {
  return page
    .getByRole("heading", { level: 1, name: /^#\d+$/ })
    .locator(`xpath=ancestor::*[.//button[@aria-haspopup="menu"]][1]`)
}

/** The order page, and the widget alone, as PNG files in SCREENSHOT_DIR. */
export async function screenshot(page: Page, widget: Locator, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true })
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`) })
  await widget.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-widget.png`) })
}
