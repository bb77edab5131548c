// Human-readable tables for the terminal, and the files in bench/results/.
import fs from "fs"
import path from "path"
import { RunResult, StatementCounts } from "./types"
import { renderSvg } from "./svg"

function table(headers: string[], rows: (string | number)[][], rightAlignFrom = 1): string {
  const cells = [headers, ...rows.map((r) => r.map(String))]
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)))
  const line = (r: string[]) =>
    r.map((c, i) => (i >= rightAlignFrom ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ")
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n")
}

function breakdown(c?: StatementCounts): string {
  if (!c) return "-"
  const parts = [
    `sel ${c.select}`,
    `ins ${c.insert}`,
    `upd ${c.update}`,
    c.delete ? `del ${c.delete}` : "",
    `txn ${c.transaction}`,
    c.savepoint ? `savepoint ${c.savepoint}` : "",
    c.other ? `other ${c.other}` : "",
  ].filter(Boolean)
  return parts.join(", ")
}

export function formatReport(run: RunResult): string {
  const out: string[] = []
  out.push(
    `PostgreSQL ${run.postgres.version} (${run.postgres.mode}) · ${run.machine.cpus} CPU ${run.machine.cpuModel} · ` +
      `node ${run.machine.node} · pool ${run.settings.poolMax} · profile ${run.profile}`
  )
  out.push(`statements counted with: ${run.counter.note}`)
  out.push("")
  out.push("Statements per flow (sequential counting pass)")
  out.push(
    table(
      ["target", "preloaded", "flows", "total", "txn ctl", "breakdown"],
      run.scenarios.map((s) => {
        const c = s.statementsPerFlow
        return [
          s.target,
          s.preloadedPayments,
          s.countedFlows ?? "-",
          c ? c.total : "-",
          c ? c.transaction + c.savepoint : "-",
          breakdown(c),
        ]
      }),
      1
    )
  )
  out.push("")
  out.push("Throughput and latency")
  const rows: (string | number)[][] = []
  for (const s of run.scenarios) {
    for (const l of s.levels) {
      rows.push([
        s.target,
        s.preloadedPayments,
        l.concurrency,
        l.flowsPerSec,
        l.p50Ms,
        l.p99Ms,
        l.cpuMsPerFlow,
        l.flows,
        l.errors,
        l.statementsPerFlow ? l.statementsPerFlow.total : "-",
        l.memoryPeak.rssMb,
        l.memoryPeak.heapUsedMb,
        l.loadAvg1,
      ])
    }
  }
  out.push(
    table(["target", "preloaded", "conc", "flows/s", "p50 ms", "p99 ms", "cpu ms/flow", "flows", "errors", "stmts/flow", "peak rss MB", "peak heap MB", "load"], rows)
  )
  out.push("")
  out.push("Process memory (after boot + GC → end of run)")
  out.push(
    table(
      ["target", "preloaded", "boot ms", "rss MB", "heap MB", "rss end MB", "heap end MB", "loaded from"],
      run.scenarios.map((s) => [
        s.target,
        s.preloadedPayments,
        s.bootMs,
        s.memoryAfterBoot.rssMb,
        s.memoryAfterBoot.heapUsedMb,
        s.memoryEnd.rssMb,
        s.memoryEnd.heapUsedMb,
        s.loadedFrom,
      ]),
      1
    )
  )
  if (run.failures.length) {
    out.push("")
    out.push("FAILURES")
    for (const f of run.failures) {
      out.push(`- ${f.target}${f.preloadedPayments !== undefined ? ` @${f.preloadedPayments}` : ""}: ${f.message}`)
    }
  }
  return out.join("\n")
}

export function writeResults(run: RunResult, dir: string): { json: string; svg: string } {
  fs.mkdirSync(dir, { recursive: true })
  const json = path.join(dir, "latest.json")
  const svg = path.join(dir, "latest.svg")
  // write-then-rename so a crash never leaves half a file (.tmp is git-ignored)
  fs.writeFileSync(json + ".tmp", JSON.stringify(run, null, 2) + "\n")
  fs.renameSync(json + ".tmp", json)
  fs.writeFileSync(svg + ".tmp", renderSvg(run))
  fs.renameSync(svg + ".tmp", svg)
  return { json, svg }
}
