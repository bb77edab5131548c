import Medusa from "@medusajs/js-sdk"

// The widget's client of the Medusa server, configured as the dashboard
// configures its own, so a request carries the same credentials: the session
// cookie, or with ADMIN_AUTH_TYPE=jwt the token the dashboard keeps in
// localStorage. The dashboard's build defines these three names; a build
// without them (a test, another bundler) falls back to Medusa's defaults.
declare const __BACKEND_URL__: string | undefined
declare const __AUTH_TYPE__: "session" | "jwt" | undefined
declare const __JWT_TOKEN_STORAGE_KEY__: string | undefined

function defined<T>(read: () => T): T | undefined {
  try {
    return read()
  } catch {
    return undefined // not defined by this build
  }
}

export const sdk = new Medusa({
  baseUrl: defined(() => __BACKEND_URL__) || "/",
  auth: {
    type: defined(() => __AUTH_TYPE__) ?? "session",
    jwtTokenStorageKey: defined(() => __JWT_TOKEN_STORAGE_KEY__) || undefined,
  },
})
