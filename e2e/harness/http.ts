/**
 * A small JSON client for Medusa's HTTP API: what a storefront (publishable
 * key) or the admin (bearer token) sends, nothing else.
 */
export class HttpError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly body: any
  ) {
    super(`${method} ${url} → ${status}: ${typeof body === "string" ? body : JSON.stringify(body)}`)
  }
}

export type Client = {
  baseUrl: string
  get<T = any>(path: string): Promise<T>
  post<T = any>(path: string, body?: unknown): Promise<T>
  delete<T = any>(path: string): Promise<T>
  /** The raw response, for tests that look at status codes. */
  raw(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; text: string }>
}

export function client(baseUrl: string, headers: () => Record<string, string> = () => ({})): Client {
  const raw = async (method: string, path: string, body?: unknown, extra: Record<string, string> = {}) => {
    const response = await fetch(baseUrl + path, {
      method,
      headers: {
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers(),
        ...extra,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    })
    const text = await response.text()
    let parsed: any = text
    try {
      parsed = text ? JSON.parse(text) : undefined
    } catch {
      // not JSON
    }
    return { status: response.status, body: parsed, text }
  }
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await raw(method, path, body)
    if (response.status >= 400) throw new HttpError(method, baseUrl + path, response.status, response.body)
    return response.body
  }
  return {
    baseUrl,
    get: (path) => call("GET", path),
    post: (path, body) => call("POST", path, body ?? {}),
    delete: (path) => call("DELETE", path),
    raw,
  }
}

export function storeClient(baseUrl: string, publishableKey: string): Client {
  return client(baseUrl, () => ({ "x-publishable-api-key": publishableKey }))
}

export async function adminClient(baseUrl: string, email: string, password: string): Promise<Client> {
  const auth = client(baseUrl)
  const { token } = await auth.post<{ token: string }>("/auth/user/emailpass", { email, password })
  return client(baseUrl, () => ({ authorization: `Bearer ${token}` }))
}
