import http from "http"

const MAX_BODY_BYTES = 1024 * 1024

export class BodyTooLargeError extends Error {}

export function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLargeError(`Request body larger than ${MAX_BODY_BYTES} bytes`))
        req.destroy()
        return
      }
      chunks.push(chunk)
    })
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    req.on("error", reject)
  })
}

export interface HttpResponse {
  status: number
  headers: Record<string, string>
  body: string
}

export function send(res: http.ServerResponse, response: HttpResponse): void {
  if (res.headersSent || res.destroyed) return
  res.writeHead(response.status, {
    ...response.headers,
    "Content-Length": String(Buffer.byteLength(response.body)),
  })
  res.end(response.body)
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    status,
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(value, null, 2),
  }
}

export function html(status: number, body: string, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: { "Content-Type": "text/html; charset=utf-8", ...headers }, body }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;")
}
