// The measured work: one payment "flow" and a closed-loop load generator.
//
// A flow is what a shop does for one paid order with the manual provider:
//   create collection (usd 5000) → create session (pp_system_default)
//   → authorize → capture in full → refund 1000.
// Each step is awaited before the next, as separate API requests would be.
//
// Concurrency c means c flows in flight at all times inside this one Node
// process (c async "users" that start a new flow as soon as theirs ends). A
// level stops starting flows after `seconds` or `maxFlows`, then waits for
// the flows in flight, so every counted statement belongs to a finished flow.
import os from "os"
import { LevelResult, MemorySample } from "./types"

export type Flow = () => Promise<void>

export const FLOW = {
  currency: "usd",
  amount: 5000,
  refund: 1000,
  provider: "pp_system_default",
} as const

/** The flow against any IPaymentModuleService (Medusa's or ours). */
export function moduleFlow(service: any): Flow {
  return async () => {
    const collection = await service.createPaymentCollections({ currency_code: FLOW.currency, amount: FLOW.amount })
    const session = await service.createPaymentSession(collection.id, {
      provider_id: FLOW.provider,
      currency_code: FLOW.currency,
      amount: FLOW.amount,
      data: {},
    })
    const payment = await service.authorizePaymentSession(session.id, {})
    if (!payment?.id) throw new Error("authorizePaymentSession returned no payment")
    await service.capturePayment({ payment_id: payment.id, amount: FLOW.amount })
    await service.refundPayment({ payment_id: payment.id, amount: FLOW.refund })
  }
}

export function memoryNow(): MemorySample {
  const m = process.memoryUsage()
  return { rssMb: round1(m.rss / 1048576), heapUsedMb: round1(m.heapUsed / 1048576) }
}

function round1(n: number) {
  return Math.round(n * 10) / 10
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]
}

export interface LevelOptions {
  concurrency: number
  seconds: number
  maxFlows: number
  /** abort the level when this many flows failed (a broken target should not spin for the whole window) */
  maxErrors?: number
}

export async function runLevel(flow: Flow, opts: LevelOptions): Promise<Omit<LevelResult, "statementsPerFlow">> {
  const latencies: number[] = []
  let started = 0
  let errors = 0
  let firstError: string | undefined
  const maxErrors = opts.maxErrors ?? 20
  const peak: MemorySample = memoryNow()
  const sampler = setInterval(() => {
    const m = memoryNow()
    peak.rssMb = Math.max(peak.rssMb, m.rssMb)
    peak.heapUsedMb = Math.max(peak.heapUsedMb, m.heapUsedMb)
  }, 100)
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const deadline = t0 + opts.seconds * 1000
  const user = async () => {
    while (started < opts.maxFlows && performance.now() < deadline && errors < maxErrors) {
      started++
      const s = performance.now()
      try {
        await flow()
        latencies.push(performance.now() - s)
      } catch (e: any) {
        errors++
        firstError ??= String(e?.stack ?? e).split("\n").slice(0, 4).join(" | ")
      }
    }
  }
  await Promise.all(Array.from({ length: opts.concurrency }, user))
  const seconds = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  clearInterval(sampler)
  const m = memoryNow()
  peak.rssMb = Math.max(peak.rssMb, m.rssMb)
  peak.heapUsedMb = Math.max(peak.heapUsedMb, m.heapUsedMb)
  latencies.sort((a, b) => a - b)
  const r2 = (n: number) => Math.round(n * 100) / 100
  return {
    concurrency: opts.concurrency,
    flows: latencies.length,
    errors,
    firstError,
    seconds: r2(seconds),
    flowsPerSec: r2(latencies.length / seconds),
    p50Ms: r2(percentile(latencies, 50)),
    p99Ms: r2(percentile(latencies, 99)),
    meanMs: r2(latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length)),
    maxMs: r2(latencies[latencies.length - 1] ?? 0),
    cpuMsPerFlow: r2((cpu.user + cpu.system) / 1000 / Math.max(1, latencies.length + errors)),
    loadAvg1: r2(os.loadavg()[0]),
    memoryPeak: peak,
  }
}

/** Sequential flows, for the statement-counting pass: nothing else runs. */
export async function runSequential(flow: Flow, n: number): Promise<number> {
  for (let i = 0; i < n; i++) await flow()
  return n
}
