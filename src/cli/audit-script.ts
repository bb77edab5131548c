import type { MedusaContainer } from "@medusajs/framework/types"
import { auditPayments, auditPeriod, formatAudit } from "../plugin/audit"

/**
 * Run by `medusa exec` inside the store (`npx medusa-payment-plus audit`
 * starts it): prints the audit, and ends the process with 2 when anything
 * disagrees, so cron or CI notices. Arguments: from=<ISO date>, to=<ISO
 * date>, json.
 */
export default async function audit({ container, args }: { container: MedusaContainer; args: string[] }): Promise<void> {
  const flags = parseFlags(args)
  const period = auditPeriod(flags.from, flags.to)
  if (isNaN(period.from.getTime()) || isNaN(period.to.getTime()) || period.from >= period.to) {
    throw new Error(`--from and --to must be ISO dates, from before to (got ${JSON.stringify(flags)}).`)
  }
  const report = await auditPayments(container, period)
  process.stdout.write(`${flags.json !== undefined ? JSON.stringify(report, null, 2) : formatAudit(report)}\n`)
  if (report.disagreements.length) process.exit(2)
}

/** `from=…`, `to=…`, `json`: the positional form `npx medusa-payment-plus audit` passes through `medusa exec`. */
function parseFlags(args: string[]): Record<string, string | undefined> {
  const flags: Record<string, string | undefined> = {}
  for (const arg of args ?? []) {
    const at = arg.indexOf("=")
    if (at < 0) flags[arg] = ""
    else flags[arg.slice(0, at)] = arg.slice(at + 1)
  }
  return flags
}
