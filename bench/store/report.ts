// The store benchmark's table (stdout, README) and chart (store-latest.svg).
import { niceScale } from "../svg"
import type { LevelResult, StoreRunResult, Variant } from "./types"
import { STEPS, type Step } from "./workload"

const pct = (share: number) => `${(share * 100).toFixed(1)} %`
const ms = (n: number) => (n >= 100 ? String(Math.round(n)) : n.toFixed(1))

/** Two Markdown tables: throughput and latency; where each request's time goes. */
export function formatTable(run: StoreRunResult): string {
  const lines: string[] = []
  lines.push(
    "| payment module | shoppers | checkouts/s | carts completed/s | complete cart p50 / p99 | capture p50 / p99 | refund p50 / p99 | payment module's share: complete / capture / refund / whole checkout | server CPU per checkout | failed |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  )
  for (const v of run.variants) {
    for (const l of v.levels) {
      const s = l.steps
      lines.push(
        `| ${v.label} | ${l.concurrency} | ${l.flowsPerSec} | ${l.cartsPerSec} | ` +
          `${ms(s.complete_cart.p50Ms)} / ${ms(s.complete_cart.p99Ms)} ms | ${ms(s.admin_capture.p50Ms)} / ${ms(s.admin_capture.p99Ms)} ms | ` +
          `${ms(s.admin_refund.p50Ms)} / ${ms(s.admin_refund.p99Ms)} ms | ` +
          `${pct(s.complete_cart.paymentShare)} / ${pct(s.admin_capture.paymentShare)} / ${pct(s.admin_refund.paymentShare)} / ${pct(l.flowPaymentShare)} | ` +
          `${ms(l.serverCpuMsPerFlow)} ms | ${l.failedFlows} |`
      )
    }
  }
  lines.push("")
  lines.push(
    "Per request, in the server (mean ms): time inside the payment module's service / whole request, and outermost calls into the module.",
    "",
    `| step | ${run.variants.flatMap((v) => v.levels.map((l) => `${shortLabel(v.variant)} c=${l.concurrency}`)).join(" | ")} |`,
    `|---|${run.variants.flatMap((v) => v.levels.map(() => "---:")).join("|")}|`
  )
  for (const step of STEPS) {
    const cells = run.variants.flatMap((v) =>
      v.levels.map((l) => {
        const s = l.steps[step]
        return `${ms(s.paymentMeanMs)} / ${ms(s.serverMeanMs)} (${s.callsPerRequest})`
      })
    )
    lines.push(`| ${step} | ${cells.join(" | ")} |`)
  }
  return lines.join("\n")
}

function shortLabel(v: Variant) {
  return v === "medusa" ? "medusa" : "ours"
}

// ------------------------------------------------------------------ SVG

const COLORS: Record<Variant, string> = { medusa: "#6b7280", ours: "#16a34a" }
const FONT = `font-family="ui-sans-serif, system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"`

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")
}

function text(x: number, y: number, s: string, attrs = ""): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`
}

/** Grouped bars: checkouts/s at each concurrency, one bar per payment module. */
function throughputPanel(x0: number, y0: number, w: number, h: number, run: StoreRunResult): string {
  const out: string[] = []
  const padL = 40
  const plotW = w - padL - 8
  const plotH = h - 76
  const px = x0 + padL
  const py = y0 + 28
  const conc = run.settings.concurrency
  const yMax = Math.max(0, ...run.variants.flatMap((v) => v.levels.map((l) => l.flowsPerSec)))
  const { top, step } = niceScale(yMax * 1.1)
  out.push(text(x0 + w / 2, y0 + 14, "Checkouts per second (higher is better)", `text-anchor="middle" font-size="13" font-weight="600" fill="#111827"`))
  for (let v = 0; v <= top + 1e-9; v += step) {
    const y = py + plotH - (v / top) * plotH
    out.push(`<line x1="${px}" y1="${y.toFixed(1)}" x2="${px + plotW}" y2="${y.toFixed(1)}" stroke="#e5e7eb"/>`)
    out.push(text(px - 6, y + 4, ms(v), `text-anchor="end" font-size="10" fill="#6b7280"`))
  }
  const groupW = plotW / conc.length
  const barW = Math.min(46, (groupW * 0.7) / Math.max(1, run.variants.length))
  conc.forEach((c, gi) => {
    const gx = px + gi * groupW + (groupW - barW * run.variants.length) / 2
    run.variants.forEach((v, vi) => {
      const level = v.levels.find((l) => l.concurrency === c)
      if (!level) return
      const bx = gx + vi * barW
      const bh = (level.flowsPerSec / top) * plotH
      out.push(
        `<rect x="${(bx + 1).toFixed(1)}" y="${(py + plotH - bh).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${bh.toFixed(1)}" fill="${COLORS[v.variant]}">` +
          `<title>${esc(`${v.label}, ${c} shoppers: ${level.flowsPerSec} checkouts/s`)}</title></rect>`
      )
      out.push(text(bx + barW / 2, py + plotH - bh - 3, String(level.flowsPerSec), `text-anchor="middle" font-size="10" fill="#374151"`))
    })
    out.push(text(px + gi * groupW + groupW / 2, py + plotH + 14, `${c} shopper${c === 1 ? "" : "s"}`, `text-anchor="middle" font-size="11" fill="#374151"`))
  })
  out.push(`<line x1="${px}" y1="${py + plotH}" x2="${px + plotW}" y2="${py + plotH}" stroke="#9ca3af"/>`)
  out.push(text(x0 + w / 2, py + plotH + 30, "checkout: cart → item → shipping → payment collection →", `text-anchor="middle" font-size="9.5" fill="#6b7280"`))
  out.push(text(x0 + w / 2, py + plotH + 42, "session → complete → (admin) find, capture, refund", `text-anchor="middle" font-size="9.5" fill="#6b7280"`))
  return out.join("\n")
}

type TimeRow = { label: string; variant: Variant; payment: number; total: number }

/**
 * Horizontal bars: mean server time of a request, the payment module's part
 * solid. Each group (one request, or the whole checkout) has its own scale,
 * so that a 100 ms request is not flattened next to a 8 s checkout; the
 * figures are printed beside each bar.
 */
function timePanel(x0: number, y0: number, w: number, title: string, rows: TimeRow[]): { svg: string; height: number } {
  const out: string[] = []
  const labelW = 190
  const barH = 13
  const gap = 4
  const plotW = w - labelW - 150
  const groupMax = new Map<string, number>()
  for (const r of rows) groupMax.set(r.label, Math.max(groupMax.get(r.label) ?? 0, r.total))
  out.push(text(x0, y0 + 14, title, `font-size="13" font-weight="600" fill="#111827"`))
  let y = y0 + 24
  let previous = ""
  for (const r of rows) {
    if (r.label !== previous && previous) y += 7
    if (r.label !== previous) out.push(text(x0 + labelW - 8, y + barH - 2, r.label, `text-anchor="end" font-size="11" fill="#374151"`))
    previous = r.label
    const top = groupMax.get(r.label) || 1
    const wp = (r.payment / top) * plotW
    const wr = ((r.total - r.payment) / top) * plotW
    const color = COLORS[r.variant]
    out.push(`<rect x="${x0 + labelW}" y="${y}" width="${wp.toFixed(1)}" height="${barH}" fill="${color}"/>`)
    out.push(`<rect x="${(x0 + labelW + wp).toFixed(1)}" y="${y}" width="${Math.max(0, wr).toFixed(1)}" height="${barH}" fill="${color}" fill-opacity="0.3"/>`)
    out.push(
      text(
        x0 + labelW + wp + wr + 6,
        y + barH - 2,
        `${ms(r.payment)} of ${ms(r.total)} ms (${pct(r.total ? r.payment / r.total : 0)})`,
        `font-size="10" fill="#111827"`
      )
    )
    y += barH + gap
  }
  return { svg: out.join("\n"), height: y - y0 }
}

const STEP_LABELS: Partial<Record<Step, string>> = {
  complete_cart: "complete cart",
  admin_capture: "capture (admin)",
  admin_refund: "refund (admin)",
}

export function renderStoreSvg(run: StoreRunResult): string {
  const W = 980
  const parts: string[] = []
  parts.push(text(20, 26, "A Medusa 2.21 store through its HTTP API: @medusajs/payment vs medusa-payment-plus", `font-size="17" font-weight="700" fill="#111827"`))
  parts.push(
    text(
      20,
      44,
      `${run.profile === "quick" ? "--quick run" : "default run"} · ${run.machine.cpus} CPU · PostgreSQL ${run.postgres.version} · ` +
        `manual provider · NODE_ENV=production · one medusa start per store · ${run.startedAt.slice(0, 10)}`,
      `font-size="11" fill="#6b7280"`
    )
  )
  let lx = 20
  for (const v of run.variants) {
    parts.push(`<rect x="${lx}" y="54" width="12" height="12" fill="${COLORS[v.variant]}"/>`)
    parts.push(text(lx + 17, 64, v.label, `font-size="11" fill="#374151"`))
    lx += 40 + v.label.length * 6.2
  }
  parts.push(text(lx + 10, 64, "solid: inside the payment module · light: the rest of the request", `font-size="11" fill="#6b7280"`))

  const panelTop = 80
  parts.push(throughputPanel(20, panelTop, 300, 260, run))
  // Where the time of the payment requests goes, with one shopper (each
  // request alone on the server) and at the highest level (the store under
  // load), and over a whole checkout.
  let y = panelTop
  for (const c of [...new Set([Math.min(...run.settings.concurrency), Math.max(...run.settings.concurrency)])]) {
    const rows: TimeRow[] = []
    const levelOf = (v: (typeof run.variants)[0]): LevelResult | undefined => v.levels.find((l) => l.concurrency === c)
    for (const step of Object.keys(STEP_LABELS) as Step[]) {
      for (const v of run.variants) {
        const s = levelOf(v)?.steps[step]
        if (s) rows.push({ label: STEP_LABELS[step]!, variant: v.variant, payment: s.paymentMeanMs, total: s.serverMeanMs })
      }
    }
    for (const v of run.variants) {
      const l = levelOf(v)
      if (!l) continue
      const total = STEPS.reduce((a, s) => a + l.steps[s].serverMeanMs, 0)
      const payment = STEPS.reduce((a, s) => a + l.steps[s].paymentMeanMs, 0)
      rows.push({ label: "whole checkout (9 requests)", variant: v.variant, payment, total })
    }
    const title = `Server time per request, ${c} shopper${c === 1 ? "" : "s"} (mean ms)`
    const panel = timePanel(350, y, W - 370, title, rows)
    parts.push(panel.svg)
    y += panel.height + 18
  }
  const H = Math.ceil(Math.max(panelTop + 270, y))
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT}>\n` +
    `<rect width="${W}" height="${H}" fill="#ffffff"/>\n` +
    parts.join("\n") +
    `\n</svg>\n`
  )
}
