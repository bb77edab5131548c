// Shapes shared by the orchestrator (run.ts), the per-target child process
// (worker.ts) and the reporters. Kept in one place so the JSON written to
// bench/results/latest.json has a single, documented schema.

export type TargetName = "medusa" | "ours" | "floor" | "floor_reserve"
/** Every target, in the order tables and charts show them. */
export const TARGETS: TargetName[] = ["medusa", "ours", "floor", "floor_reserve"]

/** Statement counts by kind, as seen by PostgreSQL (not by the client). */
export interface StatementCounts {
  total: number
  select: number
  insert: number
  update: number
  delete: number
  /** BEGIN / START TRANSACTION / COMMIT / END / ROLLBACK */
  transaction: number
  /** SAVEPOINT / RELEASE / ROLLBACK TO */
  savepoint: number
  /** anything else (SET, SHOW, locks, DDL ...) */
  other: number
}

export interface MemorySample {
  rssMb: number
  heapUsedMb: number
}

export interface LevelResult {
  concurrency: number
  flows: number
  errors: number
  firstError?: string
  seconds: number
  flowsPerSec: number
  p50Ms: number
  p99Ms: number
  meanMs: number
  maxMs: number
  /**
   * CPU time (user+system) of the benchmark process per finished flow. Unlike
   * flows/s it barely moves when other programs compete for the CPU, so it is
   * the steadier figure on a shared machine.
   */
  cpuMsPerFlow: number
  /** 1-minute load average of the machine when the level ended (noise indicator) */
  loadAvg1: number
  /** per flow; only when the counter can observe the timed run (pg_stat_statements) */
  statementsPerFlow?: StatementCounts
  memoryPeak: MemorySample
}

export interface ScenarioResult {
  target: TargetName
  /** rows pre-loaded in each table before this scenario (payments, sessions, ...) */
  preloadedPayments: number
  /** from the dedicated sequential counting pass */
  statementsPerFlow?: StatementCounts
  countedFlows?: number
  levels: LevelResult[]
  memoryAfterBoot: MemorySample
  memoryEnd: MemorySample
  /** what was loaded, e.g. "@medusajs/payment@2.21.2 (…/dist/index.js)" */
  loadedFrom: string
  bootMs: number
}

export interface RunResult {
  startedAt: string
  finishedAt: string
  profile: string
  machine: { cpus: number; cpuModel: string; totalMemMb: number; node: string; platform: string }
  postgres: { version: string; mode: "local" | "embedded"; url: string }
  counter: { method: string; note: string }
  settings: {
    poolMax: number
    warmupFlows: number
    warmupSeconds: number
    countFlows: number
    levelSeconds: number
    levelMaxFlows: number
    concurrency: number[]
    preloads: number[]
  }
  scenarios: ScenarioResult[]
  failures: { target: TargetName; preloadedPayments?: number; message: string }[]
}

/** The bounds of one benchmark run, decided by --quick / default / --full. */
export interface Profile {
  name: string
  warmupFlows: number
  warmupSeconds: number
  countFlows: number
  levelSeconds: number
  levelMaxFlows: number
  concurrency: number[]
  preloads: number[]
}

/** Message the parent sends to a worker (as JSON in argv). */
export interface WorkerJob {
  target: TargetName
  databaseUrl: string
  dbName: string
  preloadedPayments: number
  poolMax: number
  profile: Profile
  /** "count": only the counting pass (statement-log mode needs its own process); "time": levels; "both" */
  phase: "count" | "time" | "both"
  counter: CounterConfig
}

export interface CounterConfig {
  method: "pg_stat_statements" | "log"
  /** log mode: path of the server log as the server sees it */
  logFile?: string
}
