// The store of `npm run bench:store` (bench/store/run.ts runs `medusa start`
// with this folder as its directory). One file for both variants, so the
// stores differ only where BENCH_STORE_VARIANT says: the payment module (and
// its Stripe provider, registered so the seed's `pp_stripe_stripe` exists;
// the workload only uses `pp_system_default`), and, for this package, its
// Medusa plugin entry.
//
// Plain CommonJS, not TypeScript: the server runs without ts-node, as a
// production store does (Medusa's cli.js registers ts-node when it can, and
// ts-node loads `domain`, which hooks every promise of the process).
const path = require("node:path")
const { defineConfig, Modules } = require("@medusajs/framework/utils")

const variant = process.env.BENCH_STORE_VARIANT
const root = path.resolve(__dirname, "..", "..", "..")
const stripeOptions = {
  // Never called by the workload; both providers only build a client at boot.
  apiKey: process.env.STRIPE_API_KEY || "sk_test_bench_store",
}

const payment = {
  // Medusa's own module with Medusa's own Stripe provider, as a store that
  // has not switched has them.
  medusa: {
    key: Modules.PAYMENT,
    resolve: "@medusajs/payment",
    options: {
      providers: [{ resolve: "@medusajs/medusa/payment-stripe", id: "stripe", options: stripeOptions }],
    },
  },
  // This package from dist/, as medusa-config.ts at the top of the repository
  // (and a store that installed it) loads it.
  ours: {
    key: Modules.PAYMENT,
    resolve: path.join(root, "dist", "index.js"),
    options: {
      providers: [{ resolve: path.join(root, "dist", "providers", "stripe", "index.js"), id: "stripe", options: stripeOptions }],
    },
  },
}[variant]
if (!payment) throw new Error(`BENCH_STORE_VARIANT must be "medusa" or "ours", not ${JSON.stringify(variant)}`)

module.exports = defineConfig({
  projectConfig: {
    databaseUrl: process.env.DATABASE_URL,
    databaseLogging: false,
    // No Redis: one server, Medusa's in-process event bus, workflow engine,
    // locks and cache.
    redisUrl: undefined,
    workerMode: "shared",
    http: {
      storeCors: process.env.STORE_CORS || "http://localhost:8000",
      adminCors: process.env.ADMIN_CORS || "http://localhost:5173",
      authCors: process.env.AUTH_CORS || "http://localhost:5173,http://localhost:8000",
      jwtSecret: process.env.JWT_SECRET || "bench-store-jwt-secret",
      cookieSecret: process.env.COOKIE_SECRET || "bench-store-cookie-secret",
    },
  },
  admin: { disable: true },
  // This package's Medusa plugin entry (its `.medusa/server/src`: API routes,
  // subscribers, jobs, links); Medusa loads nothing from it while that
  // folder does not exist.
  plugins: variant === "ours" ? [{ resolve: root, options: {} }] : [],
  modules: [payment],
})
