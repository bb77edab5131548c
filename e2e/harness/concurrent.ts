import type { Environment } from "./environment"
import { moneyFacts, orderTransactions, stripeFacts } from "./facts"
import { HttpError } from "./http"
import { placeOrder, type PlacedOrder } from "./orders"

// Concurrent money-moving admin requests on one order, and the invariants the
// plugin's per-order serialization must keep whatever order they ran in.

export type Outcome = { kind: "capture" | "refund"; ok: true } | { kind: "capture" | "refund"; ok: false; status: number; message: string }

export type Request = { kind: "capture" | "refund"; amount?: number }

/** Fires every request at once, request i to server i mod `servers`, and records each answer. */
export async function fireAtOnce(env: Environment, paymentId: string, requests: Request[], servers = 1): Promise<Outcome[]> {
  return await Promise.all(
    requests.map(async ({ kind, amount }, i): Promise<Outcome> => {
      try {
        await env.admin(i % servers).post(`/admin/payments/${paymentId}/${kind}`, amount === undefined ? {} : { amount })
        return { kind, ok: true }
      } catch (error) {
        if (error instanceof HttpError) return { kind, ok: false, status: error.status, message: error.body?.message ?? "" }
        throw error
      }
    })
  )
}

export function succeeded(outcomes: Outcome[], kind: Outcome["kind"]): number {
  return outcomes.filter((o) => o.kind === kind && o.ok).length
}

/**
 * The store agrees with itself and with Stripe: every capture and refund row
 * the module settled is exactly one order transaction of the same amount (a
 * refund negative), Stripe holds the same money, no movement is left open,
 * no order change is left half done, and — since every answered request is
 * either one row or nothing — the rows are exactly the successful requests.
 */
export async function expectStoreAgrees(
  env: Environment,
  placed: PlacedOrder,
  expected: { captures: number[]; refunds: number[]; openOrderChanges?: number }
): Promise<void> {
  const facts = await moneyFacts(env, placed.sessionId)
  expect(facts.settled).toBe(true)
  expect(facts.captures.map((c) => c.amount).sort()).toEqual([...expected.captures].sort())
  expect(facts.refunds.map((r) => r.amount).sort()).toEqual([...expected.refunds].sort())

  const transactions = await orderTransactions(env, placed.orderId)
  const rows = [
    ...facts.captures.map((c) => ({ reference: "capture", reference_id: c.id, amount: c.amount })),
    ...facts.refunds.map((r) => ({ reference: "refund", reference_id: r.id, amount: -r.amount })),
  ]
  // Each transaction is one row: same reference and amount, and the row's id
  // as reference_id — or, for the refunds of Medusa's order-cancel workflow,
  // which references them by payment, the payment's id.
  const unmatched = [...rows]
  const hasOwnRow = (t: { reference_id: string }) => (rows.some((r) => r.reference_id === t.reference_id) ? 1 : 0)
  const exactFirst = [...transactions].sort((a, b) => hasOwnRow(b) - hasOwnRow(a))
  for (const t of exactFirst) {
    const i = unmatched.findIndex(
      (r) =>
        r.reference === t.reference &&
        r.amount === t.amount &&
        (r.reference_id === t.reference_id || (t.reference === "refund" && t.reference_id === placed.paymentId))
    )
    expect({ transaction: t, matchesARow: i >= 0 }).toEqual({ transaction: t, matchesARow: true })
    unmatched.splice(i, 1)
  }
  expect(unmatched).toEqual([])

  const movements = await env.sql<{ kind: string; status: string; n: number }>(
    `SELECT kind, status, count(*)::int AS n FROM payment_movement
      WHERE payment_id = $1 AND kind IN ('capture', 'refund') GROUP BY kind, status ORDER BY kind, status`,
    [placed.paymentId]
  )
  // A refused movement is one the provider declined; none of these requests
  // should have reached the provider only to be refused.
  expect(movements.filter((m) => m.status !== "succeeded")).toEqual([])

  const [openChanges] = await env.sql<{ n: number }>(
    `SELECT count(*)::int AS n FROM order_change
      WHERE order_id = $1 AND deleted_at IS NULL AND status IN ('pending', 'requested')`,
    [placed.orderId]
  )
  expect(openChanges.n).toBe(expected.openOrderChanges ?? 0)

  if (placed.intentId) {
    // Money back to the customer at Stripe: its refunds, and the disputes it lost (a chargeback).
    const stripe = await stripeFacts(env, placed.intentId)
    const lost = (await env.stripe.disputes.list({ payment_intent: placed.intentId })).data.filter((d) => d.status === "lost")
    expect(stripe.amount_received).toBe(Math.round(facts.captured * 100))
    expect(stripe.refunded + lost.reduce((sum, d) => sum + d.amount, 0)).toBe(Math.round(facts.refunded * 100))
    expect(stripe.refunds.filter((r) => r.status === "succeeded").length + lost.length).toBe(facts.refunds.length)
  }
}

/** N concurrent refunds of `amount` on a fully captured order: exactly as many as fit, the rest refused before any money moved. */
export async function concurrentRefunds(
  env: Environment,
  provider: "pp_system_default" | "pp_stripe_stripe",
  { count, amount, servers = 1 }: { count: number; amount: number; servers?: number }
): Promise<Outcome[]> {
  const placed = await placeOrder(env, provider, 0)
  await env.admin(0).post(`/admin/payments/${placed.paymentId}/capture`, {})
  const outcomes = await fireAtOnce(env, placed.paymentId, Array.from({ length: count }, () => ({ kind: "refund", amount })), servers)
  process.stdout.write(`[e2e] ${count} concurrent refunds (${provider}, ${servers} server(s)): ${JSON.stringify(outcomes)}\n`)
  const fit = Math.min(count, Math.floor(35 / amount))
  expect(succeeded(outcomes, "refund")).toBe(fit)
  // Refused by Medusa's own check in the refund workflow, which (run one at a
  // time) sees the refunds before it; the module's bound never had to act.
  for (const o of outcomes) if (!o.ok) expect(o).toMatchObject({ status: 400, message: "You are not allowed to refund more than the captured amount" })
  await expectStoreAgrees(env, placed, { captures: [35], refunds: Array(fit).fill(amount) })
  return outcomes
}

/**
 * Captures and refunds mixed, all at once, on an authorized order (35): the
 * captures that fit and the refunds that had something captured to refund
 * when their turn came. Which ones succeed depends on the order they ran in;
 * the invariants do not.
 */
export async function concurrentCapturesAndRefunds(
  env: Environment,
  provider: "pp_system_default" | "pp_stripe_stripe",
  requests: Request[],
  servers = 1
): Promise<Outcome[]> {
  const placed = await placeOrder(env, provider, 0)
  const outcomes = await fireAtOnce(env, placed.paymentId, requests, servers)
  process.stdout.write(`[e2e] mixed captures/refunds (${provider}, ${servers} server(s)): ${JSON.stringify(outcomes)}\n`)
  for (const o of outcomes) if (!o.ok) expect(o.status).toBe(400)
  const amounts = (kind: Request["kind"]) =>
    requests.filter((r, i) => r.kind === kind && outcomes[i].ok).map((r) => r.amount ?? 35)
  // A full capture (no amount) of a payment already captured in full is a
  // no-op answered 200, as in Medusa: then one row of 35, however many 200s.
  const fullCaptures = requests.some((r) => r.kind === "capture" && r.amount === undefined)
  const captures = fullCaptures ? (succeeded(outcomes, "capture") > 0 ? [35] : []) : amounts("capture")
  const refunds = amounts("refund")
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
  expect(sum(captures)).toBeLessThanOrEqual(35)
  expect(sum(refunds)).toBeLessThanOrEqual(sum(captures))
  await expectStoreAgrees(env, placed, { captures, refunds })
  return outcomes
}
