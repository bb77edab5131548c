// Benchmark harness entry point:
//   npm run bench -- [--targets medusa,ours,floor] [--full] [--quick]
// See bench/README.md for what is measured and how.
//
// For each target: a fresh database bench_<target>, then for each pre-load
// step (empty, 100k, [1M]) one child process (worker.ts) boots the
// implementation, warms up, counts statements per flow, and runs every
// concurrency level. Pre-loading happens here, between children, in SQL.
import { fork } from "child_process"
import os from "os"
import path from "path"
import { parseArgs } from "./options"
import { databaseUrl, recreateDatabase, redactUrl, serverVersion, startServer, withClient } from "./pg"
import { detectCounter, disableCounting, enableCounting } from "./sql-counter"
import { topUpPayments } from "./seed"
import { formatReport, writeResults } from "./report"
import { CounterConfig, RunResult, ScenarioResult, TargetName, WorkerJob } from "./types"

function say(m: string) {
  process.stderr.write(m + "\n")
}

/** Run worker.ts in a child process and wait for its single answer. */
function runWorker(job: WorkerJob): Promise<ScenarioResult> {
  const p = job.profile
  // generous ceiling so a hung target cannot stall the whole run
  const budgetMs =
    (120 + 3 * (p.warmupSeconds + p.concurrency.length * p.levelSeconds) + p.countFlows * 2) * 1000
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, "worker.ts"), [JSON.stringify(job)], {
      // BENCH_WORKER_NODE_ARGS: extra Node flags for the workers only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
      execArgv: ["-r", path.join(__dirname, "register-ts.js"), "--expose-gc", ...workerNodeArgs()],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    })
    let answered = false
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`worker exceeded ${budgetMs / 1000}s and was killed`))
    }, budgetMs)
    child.on("message", (m: any) => {
      answered = true
      clearTimeout(timer)
      if (m.ok) resolve(m.result)
      else reject(new Error(m.message))
    })
    child.on("exit", (code, signal) => {
      clearTimeout(timer)
      if (!answered) reject(new Error(`worker exited (${signal ?? code}) without a result`))
    })
  })
}

async function runTarget(
  target: TargetName,
  adminUrl: string,
  counter: CounterConfig,
  opts: ReturnType<typeof parseArgs>,
  run: RunResult
) {
  const dbName = `bench_${target}`
  const dbUrl = databaseUrl(adminUrl, dbName)
  await recreateDatabase(adminUrl, dbName)
  if (counter.method === "pg_stat_statements") await enableCounting(counter, adminUrl, dbUrl, dbName)
  for (const preload of opts.profile.preloads) {
    const t0 = Date.now()
    try {
      if (preload > 0) {
        say(`  ${target}: pre-loading up to ${preload.toLocaleString("en")} payments…`)
        const r = await topUpPayments(dbUrl, preload)
        say(`  ${target}: +${r.inserted.toLocaleString("en")} payments (with their sessions, collections, captures, refunds and, for ours, ledger entries) in ${(r.ms / 1000).toFixed(1)} s`)
      }
      const job: WorkerJob = {
        target,
        databaseUrl: adminUrl,
        dbName,
        preloadedPayments: preload,
        poolMax: opts.poolMax,
        profile: opts.profile,
        phase: "both",
        counter,
      }
      let counted: ScenarioResult | undefined
      if (counter.method === "log") {
        // logging slows the server: count in one process, time in another
        await enableCounting(counter, adminUrl, dbUrl, dbName)
        try {
          counted = await runWorker({ ...job, phase: "count" })
        } finally {
          await disableCounting(counter, adminUrl, dbName)
        }
        job.phase = "time"
      }
      const result = await runWorker(job)
      if (counted) {
        result.statementsPerFlow = counted.statementsPerFlow
        result.countedFlows = counted.countedFlows
      }
      run.scenarios.push(result)
      say(
        `  ${target} @${preload}: ${result.statementsPerFlow?.total ?? "?"} statements/flow, ` +
          `${((Date.now() - t0) / 1000).toFixed(1)} s`
      )
    } catch (e: any) {
      const message = String(e?.message ?? e)
      run.failures.push({ target, preloadedPayments: preload, message })
      say(`  ${target} @${preload}: FAILED: ${message}`)
      break // later steps need this one's tables
    }
  }
  if (!opts.keepDb) {
    await withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)).catch(() => {})
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  const started = new Date()
  const server = await startServer(opts.pg)
  const stop = async () => {
    await server.stop().catch(() => {})
  }
  process.once("SIGINT", () => void stop().then(() => process.exit(130)))
  try {
    const counter = await detectCounter(server.adminUrl, opts.counter)
    const version = await serverVersion(server.adminUrl)
    say(
      `bench: ${opts.targets.join(", ")} · profile ${opts.profile.name} · PostgreSQL ${version} (${server.mode}) · ` +
        `counting with ${counter.method}`
    )
    const cpus = os.cpus()
    const run: RunResult = {
      startedAt: started.toISOString(),
      finishedAt: "",
      profile: opts.profile.name,
      machine: {
        cpus: cpus.length,
        cpuModel: cpus[0]?.model ?? "?",
        totalMemMb: Math.round(os.totalmem() / 1048576),
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
      },
      postgres: { version, mode: server.mode, url: redactUrl(server.adminUrl) },
      counter: { method: counter.method, note: counter.note },
      settings: {
        poolMax: opts.poolMax,
        warmupFlows: opts.profile.warmupFlows,
        warmupSeconds: opts.profile.warmupSeconds,
        countFlows: opts.profile.countFlows,
        levelSeconds: opts.profile.levelSeconds,
        levelMaxFlows: opts.profile.levelMaxFlows,
        concurrency: opts.profile.concurrency,
        preloads: opts.profile.preloads,
      },
      scenarios: [],
      failures: [],
    }
    const { note: _note, ...counterConfig } = counter
    for (const target of opts.targets) {
      say(`${target}:`)
      await runTarget(target, server.adminUrl, counterConfig, opts, run)
    }
    run.finishedAt = new Date().toISOString()
    const files = writeResults(run, opts.out ? path.resolve(opts.out) : path.join(__dirname, "results"))
    process.stdout.write("\n" + formatReport(run) + "\n\n")
    say(
      `wrote ${path.relative(process.cwd(), files.json)} and ${path.relative(process.cwd(), files.svg)} ` +
        `in ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s`
    )
    if (run.failures.length) process.exitCode = 1
  } finally {
    await stop()
  }
}

main().catch((e) => {
  say(`bench failed: ${e?.stack ?? e}`)
  process.exit(1)
})

function workerNodeArgs(): string[] {
  return (process.env.BENCH_WORKER_NODE_ARGS ?? "").split(/\s+/).filter(Boolean)
}
