#!/usr/bin/env node
import { spawnSync } from "node:child_process"
import path from "node:path"
import { newProvider } from "./new-provider"

const USAGE = `Usage: npx medusa-payment-plus new-provider <name> [--dir <folder>] [--plus <dependency spec>]
       npx medusa-payment-plus audit [--from <ISO date>] [--to <ISO date>] [--json]

  new-provider   writes a payment provider package (TypeScript, a fake of its service, signed webhooks,
                 tests that run the conformance kit, a README) into ./medusa-payment-<name>
                 --dir   another folder (must not exist, or be empty)
                 --plus  the medusa-payment-plus dependency to write (default: this version)
  audit          run in a Medusa store's folder: compares the payment provider's records, this module's
                 books and the orders for the payment sessions of a period (default the last 30 days);
                 prints every disagreement with what to do, and exits 2 when there is one (read-only)`

function main(argv: string[]): number {
  const [command, ...rest] = argv
  if (command === "audit") return audit(rest)
  if (command !== "new-provider") {
    process.stderr.write(`${command ? `Unknown command "${command}".\n` : ""}${USAGE}\n`)
    return command === "--help" || command === "-h" ? 0 : 1
  }
  const flags: Record<string, string> = {}
  const positional: string[] = []
  for (let i = 0; i < rest.length; i++) {
    if (rest[i].startsWith("--")) {
      flags[rest[i].slice(2)] = rest[++i]
    } else {
      positional.push(rest[i])
    }
  }
  if (positional.length !== 1) {
    process.stderr.write(`new-provider takes one name.\n${USAGE}\n`)
    return 1
  }
  try {
    const { directory, files } = newProvider({ name: positional[0], directory: flags.dir, plusDependency: flags.plus })
    process.stdout.write(
      `Wrote ${directory}:\n${files.map((f) => `  ${f}`).join("\n")}\n\n` +
        `Next:\n  cd ${directory}\n  npm install\n  npm test      # the conformance kit, green as generated\n`
    )
    return 0
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`)
    return 1
  }
}

/** The audit runs inside the store, through Medusa's own `medusa exec` (the store's config, database and modules). */
function audit(args: string[]): number {
  let medusaCli: string
  try {
    medusaCli = require.resolve("@medusajs/cli/cli.js", { paths: [process.cwd()] })
  } catch {
    process.stderr.write(`audit must run in a Medusa store's folder (no @medusajs/cli under ${process.cwd()}).\n`)
    return 1
  }
  const script = path.join(__dirname, "audit-script.js")
  // `medusa exec` takes positional arguments only (its own flags include --json): --from X becomes from=X.
  const positional: string[] = []
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith("--") ? args[i].slice(2) : undefined
    if (!name) continue
    positional.push(args[i + 1] !== undefined && !args[i + 1].startsWith("--") ? `${name}=${args[++i]}` : name)
  }
  const run = spawnSync(process.execPath, [medusaCli, "exec", script, ...positional], { stdio: "inherit", cwd: process.cwd() })
  return run.status ?? 1
}

process.exitCode = main(process.argv.slice(2))
