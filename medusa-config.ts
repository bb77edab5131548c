import path from "node:path"
import { defineConfig, loadEnv, Modules } from "@medusajs/framework/utils"

// A Medusa 2.21 store whose payment module is this repository's package.
// `npm start` (scripts/start.mjs) sets every variable below; the fallbacks
// make `npx medusa <command>` work by hand too, against the local Stripe.

loadEnv(process.env.NODE_ENV || "development", process.cwd())

/** The local Stripe (local-stripe/) accepts any sk_test_ key. */
export const LOCAL_STRIPE_API_KEY = "sk_test_medusa_payment_plus_local"
export const LOCAL_STRIPE_WEBHOOK_SECRET = "whsec_medusa_payment_plus_local"
export const LOCAL_STRIPE_URL = "http://127.0.0.1:12111"

/**
 * Medusa resolves `resolve` strings from its own packages, where this
 * repository's self-reference (`medusa-payment-plus` → ./dist, via
 * package.json "exports") does not apply. Resolving here, inside the
 * package, gives the same files a store gets from `npm install`. In a store
 * that installed the package, write the plain names instead.
 */
const pkg = (subpath = ""): string => require.resolve(`medusa-payment-plus${subpath}`)

const realStripe = !!process.env.STRIPE_API_KEY
const stripeOptions: Record<string, unknown> = {
  apiKey: process.env.STRIPE_API_KEY || LOCAL_STRIPE_API_KEY,
  webhookSecret:
    process.env.STRIPE_WEBHOOK_SECRET || (realStripe ? undefined : LOCAL_STRIPE_WEBHOOK_SECRET),
  capture: process.env.STRIPE_CAPTURE === "automatic" ? "automatic" : "manual",
}
if (!realStripe || process.env.STRIPE_API_BASE_URL) {
  stripeOptions.apiBaseUrl = process.env.STRIPE_API_BASE_URL || LOCAL_STRIPE_URL
}

/**
 * With REDIS_URL, everything that must be shared between several server
 * processes lives in Redis: events (BullMQ), workflow executions, locks
 * (the cart lock of complete-cart and of the payment webhook) and the cache.
 * Without it, Medusa's in-process defaults serve one process.
 */
const redisUrl = process.env.REDIS_URL
const namespace = process.env.MEDUSA_REDIS_NAMESPACE || "medusa-payment-plus"
const redisModules = redisUrl
  ? [
      {
        resolve: "@medusajs/medusa/event-bus-redis",
        options: { redisUrl, queueName: `${namespace}-events` },
      },
      {
        resolve: "@medusajs/medusa/workflow-engine-redis",
        options: {
          redis: {
            redisUrl,
            queueName: `${namespace}-workflows`,
            jobQueueName: `${namespace}-workflow-jobs`,
          },
        },
      },
      {
        resolve: "@medusajs/medusa/locking",
        options: {
          providers: [
            {
              resolve: "@medusajs/medusa/locking-redis",
              id: "locking-redis",
              is_default: true,
              options: { redisUrl, namespace: `${namespace}:lock:` },
            },
          ],
        },
      },
      {
        resolve: "@medusajs/medusa/cache-redis",
        options: { redisUrl, namespace: `${namespace}:cache` },
      },
    ]
  : []

const localOrigins = (ports: number[]): string =>
  ports.flatMap((port) => [`http://localhost:${port}`, `http://127.0.0.1:${port}`]).join(",")
const serverPort = Number(process.env.PORT || 9000)

export default defineConfig({
  projectConfig: {
    databaseUrl: process.env.DATABASE_URL,
    databaseLogging: false,
    redisUrl,
    ...(redisUrl ? { redisPrefix: `${namespace}:` } : {}),
    workerMode: (process.env.MEDUSA_WORKER_MODE as "shared" | "worker" | "server") || "shared",
    http: {
      // A storefront on :8000 (Medusa's Next.js starter) and this server itself.
      storeCors: process.env.STORE_CORS || localOrigins([8000, serverPort]),
      adminCors: process.env.ADMIN_CORS || localOrigins([serverPort, 5173, 7001]),
      authCors: process.env.AUTH_CORS || localOrigins([8000, serverPort, 5173, 7001]),
      // scripts/start.mjs generates both once per checkout (.data/store/secrets.json).
      jwtSecret: process.env.JWT_SECRET || "supersecret",
      cookieSecret: process.env.COOKIE_SECRET || "supersecret",
    },
    // In production Medusa marks the dashboard's session cookie Secure, and a
    // browser on plain http (this store on localhost) then never gets one:
    // `npm start` sets SESSION_COOKIE_SECURE=false. Behind HTTPS, leave it unset.
    ...(process.env.SESSION_COOKIE_SECURE === "false" ? { cookieOptions: { secure: false } } : {}),
  },
  // Medusa's admin dashboard at /app, with this package's payment timeline
  // widget on the order page. `npm start` builds it once into public/admin
  // (scripts/build-dashboard.mjs; again only when an input changes) and turns
  // it on with MEDUSA_ADMIN=true; `medusa start` then serves that build. Off
  // for every other server of this repository (tests, benchmarks): they do not
  // build it.
  admin: {
    disable: process.env.MEDUSA_ADMIN !== "true",
    path: "/app",
  },
  // The plugin half of the package: one money-moving admin request at a time
  // per order, and webhooks checked before Medusa queues them. In a store:
  // `plugins: [{ resolve: "medusa-payment-plus", options: {} }]`.
  // orphanedPaymentMinutes: how long a session of a cart without an order waits before the
  // reconciliation job asks its provider, then completes the cart or gives the money back.
  plugins: [
    {
      resolve: path.dirname(pkg("/package.json")),
      options: process.env.ORPHANED_PAYMENT_MINUTES ? { orphanedPaymentMinutes: Number(process.env.ORPHANED_PAYMENT_MINUTES) } : {},
    },
  ],
  modules: [
    {
      key: Modules.PAYMENT,
      resolve: pkg(),
      options: {
        // How long a provider call may take before its outcome counts as unknown (default 120 s).
        ...(process.env.PROVIDER_TIMEOUT_MS ? { provider_timeout_ms: Number(process.env.PROVIDER_TIMEOUT_MS) } : {}),
        // pp_system_default (the manual provider) is always registered.
        providers: [
          {
            resolve: pkg("/providers/stripe"),
            id: "stripe", // → pp_stripe_stripe, webhook /hooks/payment/stripe_stripe
            options: stripeOptions,
          },
        ],
      },
    },
    ...redisModules,
  ],
})
