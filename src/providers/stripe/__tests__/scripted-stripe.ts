import { createServer, IncomingMessage, Server, ServerResponse } from "http"
import { AddressInfo } from "net"

/** One request as the scripted server saw it. */
export type SeenRequest = {
  method: string
  path: string
  idempotencyKey: string | undefined
  body: URLSearchParams
}

export type Reply =
  | { status: number; body: unknown }
  | { hangUp: true }
  | { delayMs: number; status: number; body: unknown }

/**
 * A tiny HTTP server that answers each request with the next scripted
 * reply. It lets the error-mapping tests put the SDK in front of exact
 * Stripe failure shapes (402 with a failed intent, 500, a dropped
 * connection) without depending on a full Stripe emulator.
 */
export async function startScriptedStripe(): Promise<{
  url: string
  seen: SeenRequest[]
  reply(...replies: Reply[]): void
  close(): Promise<void>
}> {
  const queue: Reply[] = []
  const seen: SeenRequest[] = []
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = ""
    req.on("data", (chunk) => (raw += chunk))
    req.on("end", () => {
      const [path, query] = (req.url ?? "").split("?")
      seen.push({
        method: req.method ?? "",
        path,
        idempotencyKey: req.headers["idempotency-key"] as string | undefined,
        body: new URLSearchParams(raw || query || ""),
      })
      const next = queue.shift() ?? { status: 500, body: { error: { type: "api_error", message: "script exhausted" } } }
      if ("hangUp" in next) {
        req.socket.destroy()
        return
      }
      const send = () => {
        res.writeHead(next.status, { "content-type": "application/json", "request-id": `req_${seen.length}` })
        res.end(JSON.stringify(next.body))
      }
      if ("delayMs" in next) setTimeout(send, next.delayMs)
      else send()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    reply: (...replies) => queue.push(...replies),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.()
        server.close(() => resolve())
      }),
  }
}
