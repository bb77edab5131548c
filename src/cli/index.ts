#!/usr/bin/env node
import { newProvider } from "./new-provider"

const USAGE = `Usage: npx medusa-payment-plus new-provider <name> [--dir <folder>] [--plus <dependency spec>]

  new-provider   writes a payment provider package (TypeScript, a fake of its service, signed webhooks,
                 tests that run the conformance kit, a README) into ./medusa-payment-<name>
                 --dir   another folder (must not exist, or be empty)
                 --plus  the medusa-payment-plus dependency to write (default: this version)`

function main(argv: string[]): number {
  const [command, ...rest] = argv
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

process.exitCode = main(process.argv.slice(2))
