// A dependency-free SVG chart of a run, meant to be embedded in a README
// (![bench](bench/results/latest.svg)). Hand-drawn so the repository does not
// grow a charting library for one picture, and so the file diffs cleanly.
//
// Top: one grouped bar chart per pre-load (empty, 100k, 1M): flows/s at each
// concurrency, one bar per implementation. Bottom: SQL statements per flow,
// stacked as data statements vs transaction control (BEGIN/COMMIT/SAVEPOINT…).
import { RunResult, ScenarioResult, TargetName, TARGETS } from "./types"

const COLORS: Record<TargetName, string> = { medusa: "#6b7280", ours: "#16a34a", floor: "#ea580c", floor_reserve: "#f59e0b" }
const LABELS: Record<TargetName, string> = {
  medusa: "@medusajs/payment",
  ours: "medusa-payment-plus",
  floor: "floor (hand-written SQL)",
  floor_reserve: "floor, reserve then settle",
}
const FONT = `font-family="ui-sans-serif, system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"`

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")
}

function text(x: number, y: number, s: string, attrs = ""): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`
}

/** Round axis maximum and step: 1, 2 or 5 times a power of ten. */
export function niceScale(max: number, ticks = 5): { top: number; step: number } {
  if (!(max > 0)) return { top: 1, step: 0.2 }
  const raw = max / ticks
  const pow = Math.pow(10, Math.floor(Math.log10(raw)))
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw)!
  return { top: Math.ceil(max / step) * step, step }
}

function fmt(n: number): string {
  if (n >= 100) return String(Math.round(n))
  if (n >= 10) return n.toFixed(1).replace(/\.0$/, "")
  return n.toFixed(2).replace(/\.?0+$/, "")
}

function preloadLabel(n: number): string {
  if (n === 0) return "empty tables"
  if (n >= 1_000_000) return `${n / 1_000_000}M earlier payments`
  if (n >= 1000) return `${n / 1000}k earlier payments`
  return `${n} earlier payments`
}

function throughputPanel(
  x0: number,
  y0: number,
  w: number,
  h: number,
  title: string,
  scenarios: ScenarioResult[],
  targets: TargetName[],
  concurrency: number[],
  /** the same for every panel, so bars compare across table sizes */
  yMax: number
): string {
  const out: string[] = []
  const padL = 44
  const padB = 34
  const plotW = w - padL - 8
  const plotH = h - padB - 28
  const px = x0 + padL
  const py = y0 + 28
  const { top, step } = niceScale(yMax * 1.08)
  out.push(text(x0 + w / 2, y0 + 14, title, `text-anchor="middle" font-size="13" font-weight="600" fill="#111827"`))
  for (let v = 0; v <= top + 1e-9; v += step) {
    const y = py + plotH - (v / top) * plotH
    out.push(`<line x1="${px}" y1="${y.toFixed(1)}" x2="${px + plotW}" y2="${y.toFixed(1)}" stroke="#e5e7eb"/>`)
    out.push(text(px - 6, y + 4, fmt(v), `text-anchor="end" font-size="10" fill="#6b7280"`))
  }
  const groupW = plotW / concurrency.length
  const barW = Math.min(34, (groupW * 0.8) / Math.max(1, targets.length))
  concurrency.forEach((c, gi) => {
    const gx = px + gi * groupW + (groupW - barW * targets.length) / 2
    targets.forEach((t, ti) => {
      const level = scenarios.find((s) => s.target === t)?.levels.find((l) => l.concurrency === c)
      const bx = gx + ti * barW
      if (!level) {
        out.push(text(bx + barW / 2, py + plotH - 4, "–", `text-anchor="middle" font-size="10" fill="#9ca3af"`))
        return
      }
      const bh = (level.flowsPerSec / top) * plotH
      const by = py + plotH - bh
      out.push(
        `<rect x="${(bx + 1).toFixed(1)}" y="${by.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${bh.toFixed(1)}" fill="${COLORS[t]}">` +
          `<title>${esc(`${LABELS[t]}, c=${c}: ${level.flowsPerSec} flows/s, p50 ${level.p50Ms} ms, p99 ${level.p99Ms} ms`)}</title></rect>`
      )
      out.push(text(bx + barW / 2, by - 3, fmt(level.flowsPerSec), `text-anchor="middle" font-size="9" fill="#374151"`))
    })
    out.push(text(px + gi * groupW + groupW / 2, py + plotH + 14, `c=${c}`, `text-anchor="middle" font-size="11" fill="#374151"`))
  })
  out.push(`<line x1="${px}" y1="${py + plotH}" x2="${px + plotW}" y2="${py + plotH}" stroke="#9ca3af"/>`)
  out.push(text(px + plotW / 2, py + plotH + 29, "concurrent flows", `text-anchor="middle" font-size="10" fill="#6b7280"`))
  return out.join("\n")
}

function statementsPanel(x0: number, y0: number, w: number, rows: { label: string; color: string; data: number; txn: number }[]): string {
  const out: string[] = []
  const labelW = 330
  const barH = 18
  const gap = 8
  const plotW = w - labelW - 230
  const max = Math.max(1, ...rows.map((r) => r.data + r.txn))
  const { top } = niceScale(max)
  out.push(text(x0, y0 + 14, "SQL statements per flow (counted by PostgreSQL; lower is better)", `font-size="13" font-weight="600" fill="#111827"`))
  rows.forEach((r, i) => {
    const y = y0 + 26 + i * (barH + gap)
    out.push(text(x0 + labelW - 8, y + barH - 5, r.label, `text-anchor="end" font-size="11" fill="#374151"`))
    const wd = (r.data / top) * plotW
    const wt = (r.txn / top) * plotW
    out.push(`<rect x="${x0 + labelW}" y="${y}" width="${wd.toFixed(1)}" height="${barH}" fill="${r.color}"/>`)
    out.push(
      `<rect x="${(x0 + labelW + wd).toFixed(1)}" y="${y}" width="${wt.toFixed(1)}" height="${barH}" fill="${r.color}" fill-opacity="0.4"/>`
    )
    out.push(
      text(
        x0 + labelW + wd + wt + 6,
        y + barH - 5,
        `${fmt(r.data + r.txn)}` + (r.txn ? `  (${fmt(r.txn)} transaction control)` : ""),
        `font-size="11" fill="#111827"`
      )
    )
  })
  const ly = y0 + 26 + rows.length * (barH + gap) + 6
  out.push(`<rect x="${x0 + labelW}" y="${ly}" width="12" height="10" fill="#6b7280"/>`)
  out.push(text(x0 + labelW + 16, ly + 9, "SELECT / INSERT / UPDATE / DELETE / other", `font-size="10" fill="#6b7280"`))
  out.push(`<rect x="${x0 + labelW + 250}" y="${ly}" width="12" height="10" fill="#6b7280" fill-opacity="0.4"/>`)
  out.push(text(x0 + labelW + 266, ly + 9, "BEGIN / COMMIT / ROLLBACK / SAVEPOINT / RELEASE", `font-size="10" fill="#6b7280"`))
  return out.join("\n")
}

export function renderSvg(run: RunResult): string {
  const W = 980
  const targets = TARGETS.filter((t) => run.scenarios.some((s) => s.target === t))
  const preloads = [...new Set(run.scenarios.map((s) => s.preloadedPayments))].sort((a, b) => a - b)
  const conc = run.settings.concurrency
  const parts: string[] = []
  let y = 0
  parts.push(text(20, 26, "Payment flow throughput (flows/s, higher is better)", `font-size="17" font-weight="700" fill="#111827"`))
  parts.push(
    text(
      20,
      44,
      `collection → session → authorize → capture 5000 → refund 1000 · manual provider · ` +
        `${run.machine.cpus} CPU · PostgreSQL ${run.postgres.version} · pool ${run.settings.poolMax} · ${run.startedAt.slice(0, 10)}`,
      `font-size="11" fill="#6b7280"`
    )
  )
  // legend
  let lx = 20
  for (const t of targets) {
    parts.push(`<rect x="${lx}" y="54" width="12" height="12" fill="${COLORS[t]}"/>`)
    parts.push(text(lx + 17, 64, LABELS[t], `font-size="11" fill="#374151"`))
    lx += 40 + LABELS[t].length * 6.2
  }
  y = 74
  const panelH = 230
  const perRow = Math.min(3, Math.max(1, preloads.length))
  const panelW = (W - 40) / perRow
  const yMax = Math.max(0, ...run.scenarios.flatMap((s) => s.levels.map((l) => l.flowsPerSec)))
  preloads.forEach((p, i) => {
    const col = i % perRow
    const row = Math.floor(i / perRow)
    parts.push(
      throughputPanel(
        20 + col * panelW,
        y + row * panelH,
        panelW - 10,
        panelH,
        preloadLabel(p),
        run.scenarios.filter((s) => s.preloadedPayments === p),
        targets,
        conc,
        yMax
      )
    )
  })
  y += Math.ceil(preloads.length / perRow) * panelH + 16
  // One bar per implementation when table size does not change its count
  // (the usual case), else one per pre-load step.
  const rows: { label: string; color: string; data: number; txn: number }[] = []
  for (const t of targets) {
    const counted = preloads
      .map((p) => ({ p, c: run.scenarios.find((x) => x.target === t && x.preloadedPayments === p)?.statementsPerFlow }))
      .filter((x) => x.c)
    const same = counted.every((x) => x.c!.total === counted[0].c!.total && x.c!.transaction === counted[0].c!.transaction)
    for (const { p, c } of same ? counted.slice(0, 1) : counted) {
      rows.push({
        label: same ? LABELS[t] + (counted.length > 1 ? " · every table size" : "") : `${LABELS[t]} · ${preloadLabel(p)}`,
        color: COLORS[t],
        data: c!.total - c!.transaction - c!.savepoint,
        txn: c!.transaction + c!.savepoint,
      })
    }
  }
  if (rows.length) {
    parts.push(statementsPanel(20, y, W - 40, rows))
    y += 26 + rows.length * 26 + 30
  }
  const H = Math.ceil(y + 10)
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT}>\n` +
    `<rect width="${W}" height="${H}" fill="#ffffff"/>\n` +
    parts.join("\n") +
    `\n</svg>\n`
  )
}
