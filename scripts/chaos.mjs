#!/usr/bin/env node
// `npm run chaos [-- --seed N] [--checkouts N]`: the long chaos run
// (e2e/chaos.e2e.spec.ts) — by default 40 checkouts and a new seed, printed
// first so that `--seed` replays the run. `npm test` runs the short form
// (12 checkouts, a fixed seed) with the other end-to-end suites.
import { spawnSync } from "node:child_process"

const args = process.argv.slice(2)
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback
}
const seed = String(Number(flag("seed", String(Math.floor(Math.random() * 2 ** 31)))))
const checkouts = String(Number(flag("checkouts", "40")))
if (seed === "NaN" || checkouts === "NaN" || Number(checkouts) < 1) {
  process.stderr.write("Usage: npm run chaos [-- --seed <integer>] [--checkouts <count>]\n")
  process.exit(1)
}
process.stdout.write(`chaos: seed ${seed}, ${checkouts} checkouts (npm run chaos -- --seed ${seed} --checkouts ${checkouts} replays it)\n`)
const run = spawnSync(
  process.execPath,
  ["scripts/with-postgres.mjs", process.execPath, "node_modules/jest/bin/jest.js", "-c", "e2e/jest.config.js", "--runInBand", "e2e/chaos.e2e.spec.ts"],
  { stdio: "inherit", env: { ...process.env, CHAOS_SEED: seed, CHAOS_CHECKOUTS: checkouts } }
)
process.exit(run.status ?? 1)
