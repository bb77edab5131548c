import http from "node:http"
import type { Browser } from "playwright-core"
import { chromiumPath, launchChromium } from "../../integration-tests/__fixtures__/chromium"

// eslint-disable-next-line @typescript-eslint/no-var-requires
const lifecycle = require("../../app/lifecycle.cjs")

/** The project's one Chromium launcher (CI installs Debian's chromium). */
export async function launchBrowser(): Promise<Browser | undefined> {
  return chromiumPath() ? await launchChromium() : undefined
}

/**
 * The storefront's "return_url": the page the bank's 3-D Secure challenge
 * sends the shopper back to, with `payment_intent` and `redirect_status`.
 */
export async function startReturnPage(): Promise<{
  url: string
  visits: URLSearchParams[]
  close(): Promise<void>
}> {
  const visits: URLSearchParams[] = []
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost")
    if (url.pathname === "/favicon.ico") {
      res.writeHead(404)
      res.end()
      return
    }
    visits.push(url.searchParams)
    res.writeHead(200, { "content-type": "text/html" })
    res.end(`<!doctype html><title>Order status</title><p id="status">${url.searchParams.get("redirect_status") ?? ""}</p>`)
  })
  const port: number = await lifecycle.freePort()
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve))
  return {
    url: `http://127.0.0.1:${port}/checkout/return`,
    visits,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/**
 * What a shopper does on the 3-D Secure page: opens `challengeUrl` (the
 * intent's next_action.redirect_to_url.url) and presses Approve or Fail.
 * With a return_url the bank sends the browser back to the storefront
 * (`redirect_status` in the query); without one it shows its result page.
 */
export async function answerThreeDSecure(
  browser: Browser,
  challengeUrl: string,
  outcome: "approve" | "fail"
): Promise<{ finalUrl: string; redirectStatus: string | null; challengeText: string }> {
  const context = await browser.newContext()
  try {
    const page = await context.newPage()
    const response = await page.goto(challengeUrl)
    if (!response || response.status() !== 200) {
      throw new Error(`3-D Secure page ${challengeUrl} answered ${response?.status()}: ${await page.content()}`)
    }
    const challengeText = await page.locator("main").innerText()
    const [answer] = await Promise.all([page.waitForNavigation(), page.click(`#${outcome}`)])
    const finalUrl = page.url()
    const redirected = !new URL(finalUrl).pathname.startsWith("/3ds/")
    if (!redirected && answer && answer.status() !== 200) {
      throw new Error(`3-D Secure answer page returned ${answer.status()}: ${await page.content()}`)
    }
    const redirectStatus = redirected
      ? new URL(finalUrl).searchParams.get("redirect_status")
      : await page.locator("#redirect-status").innerText()
    return { finalUrl, redirectStatus, challengeText }
  } finally {
    await context.close()
  }
}
