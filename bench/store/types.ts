// The shape of bench/results/store-latest.json.
import type { Step } from "./workload"

export type Variant = "medusa" | "ours"
export const VARIANTS: Variant[] = ["medusa", "ours"]
export const VARIANT_LABELS: Record<Variant, string> = {
  medusa: "@medusajs/payment 2.21.2",
  ours: "medusa-payment-plus",
}

/** What instrumentation.js reports for one request. */
export type RequestSample = {
  method: string
  route: string
  status: number
  ms: number
  paymentMs: number
  calls: number
  methods: Record<string, number>
}

export type StepResult = {
  /** requests of this step in the level */
  n: number
  /** latency seen by the shopper (client side, ms, nearest rank) */
  p50Ms: number
  p99Ms: number
  meanMs: number
  /** the same requests measured in the server: from Medusa's HTTP handler to the response's end */
  serverMeanMs: number
  /** time inside the payment module's service per request (union of its outermost calls) */
  paymentMeanMs: number
  paymentP50Ms: number
  /** Σ payment time / Σ server time of these requests */
  paymentShare: number
  /** median of each request's own share */
  paymentShareP50: number
  /** outermost calls into the payment module per request, and which */
  callsPerRequest: number
  methods: Record<string, number>
}

export type LevelResult = {
  concurrency: number
  seconds: number
  flows: number
  failedFlows: number
  firstError?: string
  /** full shopper flows (cart → refund) per second */
  flowsPerSec: number
  /** carts completed into an order per second */
  cartsPerSec: number
  /** CPU time of the `medusa start` process per flow (user + system; PostgreSQL's not included) */
  serverCpuMsPerFlow: number
  /** Σ payment time / Σ server time over every request of the flows */
  flowPaymentShare: number
  steps: Record<Step, StepResult>
  /** requests the server saw that are not a step (should be 0) */
  otherRequests: number
  /** payment-module time outside any request (jobs, subscribers after a response) */
  outsideRequestsMs: number
  /** payment-module time and calls that requests left running after their response (e.g. event subscribers) */
  afterResponseMs: number
  afterResponseCalls: number
  loadAvg1: number
}

export type VariantResult = {
  variant: Variant
  label: string
  resolve: string
  /** the registered service's class and the public methods that were timed */
  serviceClass: string | null
  wrappedMethods: number
  prepareSeconds: number
  bootSeconds: number
  levels: LevelResult[]
}

export type StoreRunResult = {
  startedAt: string
  finishedAt: string
  profile: "quick" | "default"
  machine: { cpus: number; cpuModel: string; totalMemGb: number; node: string; platform: string }
  postgres: { version: string; embedded: boolean }
  settings: { concurrency: number[]; warmupSeconds: number; levelSeconds: number; refundAmount: number; nodeEnv: string }
  variants: VariantResult[]
}
