import http from "http"
import { buildAdminRouter, handleAdminRequest } from "./admin"
import { buildApiRouter, handleApiRequest } from "./api"
import { LocalStripeApp } from "./app"
import { decodeForm } from "./form"
import { BodyTooLargeError, json, readBody, send } from "./http-util"
import { completeChallenge, renderChallenge } from "./three-ds"

export type Logger = (line: string) => void

/** Splits traffic between the Stripe API, the 3-D Secure pages and the admin API. */
export function createHttpServer(app: LocalStripeApp, log?: Logger): http.Server {
  const apiRouter = buildApiRouter()
  const adminRouter = buildAdminRouter()

  return http.createServer((req, res) => {
    const started = Date.now()
    const method = (req.method ?? "GET").toUpperCase()
    const url = new URL(req.url ?? "/", "http://localhost")
    if (log) res.on("close", () => log(`${method} ${url.pathname} ${res.statusCode}${res.writableFinished ? "" : " (aborted)"} ${Date.now() - started}ms`))

    readBody(req)
      .then(async (body) => {
        if (url.pathname.startsWith("/v1/")) {
          return handleApiRequest(app, apiRouter, req, res, url, body)
        }
        if (url.pathname === "/_admin" || url.pathname.startsWith("/_admin/")) {
          return send(res, handleAdminRequest(app, adminRouter, method, url, body))
        }
        const challenge = /^\/3ds\/([^/]+)$/.exec(url.pathname)
        if (challenge && method === "GET") return send(res, renderChallenge(app, decodeURIComponent(challenge[1])))
        if (challenge && method === "POST") {
          return send(res, completeChallenge(app, decodeURIComponent(challenge[1]), decodeForm(body)))
        }
        if (url.pathname === "/" && method === "GET") {
          return send(res, json(200, { name: "local-stripe", api: `${app.baseUrl}/v1`, admin: `${app.baseUrl}/_admin` }))
        }
        send(res, json(404, { error: { type: "invalid_request_error", message: `Unrecognized request URL (${method}: ${url.pathname}).` } }))
      })
      .catch((error: unknown) => {
        const status = error instanceof BodyTooLargeError ? 413 : 500
        send(res, json(status, { error: { type: "api_error", message: (error as Error).message } }))
      })
  })
}
