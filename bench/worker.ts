// One benchmark process = one implementation against one database state.
// run.ts forks this file per (target, preload) so that:
//  - RSS/heap figures belong to one implementation only;
//  - module-SDK singletons (MedusaModule) never leak between targets;
//  - a target that cannot load (ours, before it is built) fails alone.
// It receives a WorkerJob as JSON in argv[2] and answers with one IPC message.
import { LevelResult, ScenarioResult, WorkerJob } from "./types"
import { loadPaymentModule } from "./loader"
import { openFloor } from "./floor"
import { Flow, memoryNow, moduleFlow, runLevel, runSequential } from "./workload"
import { openCounter, scaleCounts, SqlCounter } from "./sql-counter"
import { databaseUrl } from "./pg"

const WARM_BEFORE_COUNT = 5

async function main(job: WorkerJob): Promise<ScenarioResult> {
  const dbUrl = databaseUrl(job.databaseUrl, job.dbName)
  const p = job.profile
  const t0 = Date.now()
  let flow: Flow
  let close: () => Promise<void>
  let loadedFrom: string
  if (job.target === "floor" || job.target === "floor_reserve") {
    const floor = await openFloor(dbUrl, job.poolMax, job.target)
    flow = floor.flow
    close = floor.close
    loadedFrom = `bench/floor.ts (pg, hand-written SQL${job.target === "floor_reserve" ? ", reserve then settle" : ""})`
  } else {
    const mod = await loadPaymentModule(job.target, dbUrl, job.poolMax)
    flow = moduleFlow(mod.service)
    close = mod.shutdown
    loadedFrom = mod.loadedFrom
  }
  const bootMs = Date.now() - t0
  ;(global as any).gc?.()
  const memoryAfterBoot = memoryNow()

  if (job.phase === "count") {
    // Counting only: a few flows get first-use work (provider lookup, lazy
    // metadata) out of the window; speed does not matter here.
    await runSequential(flow, WARM_BEFORE_COUNT)
  } else {
    // Warm-up at the highest concurrency: JIT, ORM metadata caches, and every
    // pool connection gets opened here rather than inside a measured level.
    const warm = await runLevel(flow, {
      concurrency: Math.max(...p.concurrency),
      seconds: p.warmupSeconds,
      maxFlows: p.warmupFlows,
      maxErrors: 5,
    })
    if (warm.errors && !warm.flows) throw new Error(`every warm-up flow failed: ${warm.firstError}`)
  }

  let counter: SqlCounter | undefined
  const counting = job.phase !== "time" || job.counter.method === "pg_stat_statements"
  if (counting) counter = await openCounter(job.counter, job.databaseUrl, dbUrl, job.dbName)

  const result: ScenarioResult = {
    target: job.target,
    preloadedPayments: job.preloadedPayments,
    levels: [],
    memoryAfterBoot,
    memoryEnd: memoryAfterBoot,
    loadedFrom,
    bootMs,
  }

  if (job.phase !== "time" && counter) {
    // The headline figure: flows one after another, nothing else running.
    const a = await counter.mark()
    const n = await runSequential(flow, p.countFlows)
    const b = await counter.mark()
    result.statementsPerFlow = scaleCounts(await counter.between(a, b), n)
    result.countedFlows = n
  }

  if (job.phase !== "count") {
    for (const c of p.concurrency) {
      const a = counter ? await counter.mark() : undefined
      const level: LevelResult = await runLevel(flow, { concurrency: c, seconds: p.levelSeconds, maxFlows: p.levelMaxFlows })
      if (counter) {
        // failed flows also sent statements; divide by all flows started
        const counts = await counter.between(a, await counter.mark())
        level.statementsPerFlow = scaleCounts(counts, level.flows + level.errors)
      }
      result.levels.push(level)
      const s = level.statementsPerFlow ? `, ${level.statementsPerFlow.total} stmts/flow` : ""
      log(
        `${job.target} @${job.preloadedPayments}: c=${c} ${level.flowsPerSec} flows/s ` +
          `p50 ${level.p50Ms} ms p99 ${level.p99Ms} ms, ${level.cpuMsPerFlow} cpu ms/flow ` +
          `(${level.flows} flows${level.errors ? `, ${level.errors} errors` : ""}${s}, load ${level.loadAvg1})`
      )
    }
  }
  result.memoryEnd = memoryNow()
  await counter?.close()
  await close()
  return result
}

function log(m: string) {
  process.stderr.write(`  ${m}\n`)
}

const job: WorkerJob = JSON.parse(process.argv[2])
main(job).then(
  (result) => {
    process.send!({ ok: true, result }, () => process.exit(0))
  },
  (e) => {
    const message = e?.expected ? String(e.message) : String(e?.stack ?? e)
    process.send!({ ok: false, message }, () => process.exit(1))
  }
)
