import { startLocalStripe } from "./index"

// npx ts-node --transpile-only local-stripe/cli.ts [--port 12111] [--host 127.0.0.1]
//   [--webhook-url URL[,URL...]] [--webhook-secret whsec_...] [--quiet]
// Env: LOCAL_STRIPE_PORT, LOCAL_STRIPE_HOST, LOCAL_STRIPE_WEBHOOK_URL, LOCAL_STRIPE_WEBHOOK_SECRET,
//   LOCAL_STRIPE_PROCESSING_DELAY_MS (number or "off"), LOCAL_STRIPE_LATENCY_MS, LOCAL_STRIPE_QUIET=1

function flag(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`)
  return index === -1 ? undefined : process.argv[index + 1]
}

function numberSetting(value: string | undefined, fallback: number | null): number | null {
  if (value === undefined || value === "") return fallback
  if (value === "off") return null
  const parsed = Number(value)
  if (!Number.isFinite(parsed)) throw new Error(`Not a number: ${value}`)
  return parsed
}

async function main(): Promise<void> {
  const port = numberSetting(flag("port") ?? process.env.LOCAL_STRIPE_PORT, 12111)!
  const webhookUrl = flag("webhook-url") ?? process.env.LOCAL_STRIPE_WEBHOOK_URL
  const quiet = process.argv.includes("--quiet") || process.env.LOCAL_STRIPE_QUIET === "1"
  const stripe = await startLocalStripe({
    port,
    host: flag("host") ?? process.env.LOCAL_STRIPE_HOST ?? "127.0.0.1",
    webhookUrl: webhookUrl ? webhookUrl.split(",") : undefined,
    webhookSecret: flag("webhook-secret") ?? process.env.LOCAL_STRIPE_WEBHOOK_SECRET,
    processingDelayMs: numberSetting(process.env.LOCAL_STRIPE_PROCESSING_DELAY_MS, 2000),
    latencyMs: numberSetting(process.env.LOCAL_STRIPE_LATENCY_MS, 0)!,
    log: quiet ? undefined : (line) => console.log(`[local-stripe] ${line}`),
  })
  console.log(`local-stripe listening on ${stripe.url}`)
  console.log(`  SDK:   new Stripe("sk_test_anything", { host: "${stripe.host}", port: ${stripe.port}, protocol: "http" })`)
  console.log(`  admin: ${stripe.url}/_admin`)
  if (stripe.webhookSecret) console.log(`  webhooks → ${webhookUrl} (secret ${stripe.webhookSecret})`)

  const stop = () => {
    void stripe.close().then(() => process.exit(0))
  }
  process.once("SIGINT", stop)
  process.once("SIGTERM", stop)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
