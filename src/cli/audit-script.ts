import type { MedusaContainer } from "@medusajs/framework/types"
import { auditPayments, auditPeriod, formatAudit } from "../plugin/audit"

/**
 * Run by `medusa exec` inside the store (`npx medusa-payment-plus audit`
 * starts it): prints the audit, and ends the process with 2 when anything
 * disagrees, so cron or CI notices. Arguments: --from, --to (ISO dates),
 * --json.
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

function parseFlags(args: string[]): Record<string, string | undefined> {
  const flags: Record<string, string | undefined> = {}
  for (let i = 0; i < args.length; i++) {
    if (!args[i].startsWith("--")) continue
    const name = args[i].slice(2)
    flags[name] = args[i + 1] !== undefined && !args[i + 1].startsWith("--") ? args[++i] : ""
  }
  return flags
}
