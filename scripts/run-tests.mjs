#!/usr/bin/env node
// `npm test`: the module's suites (unit, integration, money safety, local
// Stripe, providers) and then the end-to-end suites (a real Medusa store),
// each a jest run of its own, ending with one line that totals both.
import { spawnSync } from "node:child_process"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"

const jest = ["--experimental-vm-modules", "node_modules/jest/bin/jest.js", "--runInBand"]
const runs = [
  { name: "module", args: [] },
  { name: "end-to-end", args: ["-c", "e2e/jest.config.js"] },
]
const extra = process.argv.slice(2)

let passed = 0
let failed = 0
let skipped = 0
let exitCode = 0
for (const run of runs) {
  const output = path.join(os.tmpdir(), `payment-plus-${run.name}-${process.pid}.json`)
  process.stdout.write(`\n=== ${run.name} tests ===\n`)
  const result = spawnSync(process.execPath, [...jest, ...run.args, "--json", `--outputFile=${output}`, ...extra], {
    stdio: "inherit",
    env: process.env,
  })
  if (result.status !== 0) exitCode = result.status ?? 1
  try {
    const summary = JSON.parse(fs.readFileSync(output, "utf8"))
    passed += summary.numPassedTests
    failed += summary.numFailedTests + summary.numRuntimeErrorTestSuites
    skipped += summary.numPendingTests
    fs.rmSync(output, { force: true })
  } catch {
    failed += 1
  }
}
process.stdout.write(`\nall tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`)
process.exit(exitCode || (failed > 0 ? 1 : 0))
