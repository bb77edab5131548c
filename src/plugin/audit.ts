import type { BigNumberInput, IOrderModuleService, MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, MathBN, Modules } from "@medusajs/framework/utils"
import type { ProviderAuditRow } from "../money/provider-audit"
import type PaymentModuleService from "../services/payment-module"
import { inCurrencyPrecision, roundToCurrency } from "../utils/amount"

export type DisagreementKind =
  | "held_without_order"
  | "provider_money_not_in_books"
  | "books_money_not_at_provider"
  | "authorization_held_after_cancel"
  | "books_without_order_transaction"
  | "order_transaction_without_books"
  | "order_paid_provider_never_received"
  | "movement_not_settled"
  | "provider_unreachable"

export type Disagreement = {
  kind: DisagreementKind
  payment_session_id: string
  payment_id: string | null
  cart_id: string | null
  order_id: string | null
  provider_id: string
  currency_code: string
  /** what each side says, in the currency's units */
  provider: string | null
  books: string | null
  order: string | null
  detail: string
  what_to_do: string
}

export type AuditReport = {
  from: string
  to: string
  /** payment sessions looked at */
  sessions: number
  /** more sessions than one audit reads: narrow the period */
  truncated: boolean
  disagreements: Disagreement[]
}

type OrderSide = {
  orderId: string | null
  cartId: string | null
  transactions: { reference: string; reference_id: string; amount: string }[]
  /** every payment collection of the order, audited or not */
  orderCollectionIds: string[]
}

/**
 * The three-way audit: for the payment sessions of a period, what the
 * provider's records hold (each intent's received, refunded and capturable
 * amounts), what the module's books say, and what the orders record
 * (their transactions), with every disagreement and what to do about it.
 * Read-only everywhere. `npx medusa-payment-plus audit` and
 * `GET /admin/payment-plus/audit` run it.
 */
export async function auditPayments(container: MedusaContainer, period: { from: Date; to: Date }): Promise<AuditReport> {
  const payments = container.resolve<PaymentModuleService>(Modules.PAYMENT)
  const { rows, truncated } = await payments.listProviderRecords(period)
  const orders = await orderSides(container, rows)
  const disagreements: Disagreement[] = []
  for (const row of rows) {
    const side = orders.get(row.payment_collection_id) ?? { orderId: null, cartId: null, transactions: [], orderCollectionIds: [] }
    disagreements.push(...compare(row, side))
  }
  const audited = new Set(rows.map((r) => r.payment_collection_id))
  for (const [orderId, side] of byOrder(orders)) {
    // An order with a collection outside the period (an edit paid later, or earlier) is not compared as a
    // whole: its transactions cover money this audit did not read.
    if (side.orderCollectionIds.some((id) => !audited.has(id))) continue
    const own = rows.filter((r) => side.collectionIds.includes(r.payment_collection_id) && r.payment)
    disagreements.push(...booksAgainstOrder(orderId, side, own), ...orderPaidBeyondProvider(orderId, side, own))
  }
  return { from: period.from.toISOString(), to: period.to.toISOString(), sessions: rows.length, truncated, disagreements }
}

function compare(row: ProviderAuditRow, side: OrderSide): Disagreement[] {
  const found: Disagreement[] = []
  const money = (value: string | null | undefined) => (value == null ? null : inCurrencyPrecision(value, row.currency_code))
  const base = {
    payment_session_id: row.payment_session_id,
    payment_id: row.payment?.id ?? null,
    cart_id: side.cartId,
    order_id: side.orderId,
    provider_id: row.provider_id,
    currency_code: row.currency_code,
  }
  const say = (kind: DisagreementKind, figures: { provider?: string | null; books?: string | null; order?: string | null }, detail: string, what_to_do: string) =>
    found.push({ ...base, kind, provider: figures.provider ?? null, books: figures.books ?? null, order: figures.order ?? null, detail, what_to_do })

  if (row.provider_error) {
    say("provider_unreachable", {}, `The provider could not be asked: ${row.provider_error}`, "Run the audit again; if it persists, check the provider's account, API key and mode.")
    return found
  }
  if (row.payment && row.payment.open_movements > 0) {
    say("movement_not_settled", {}, `${row.payment.open_movements} capture, refund or cancel of this payment still waits for its outcome.`, "Run reconciliation (POST /admin/payment-plus/reconcile); a movement the provider cannot find needs an operator.")
  }
  const record = row.provider
  const held = record ? MathBN.add(MathBN.sub(MathBN.sub(record.amount_received, record.amount_refunded), record.amount_lost_to_disputes), record.amount_capturable) : MathBN.convert(0)
  if (!side.orderId && record && MathBN.gt(held, 0)) {
    say(
      "held_without_order",
      { provider: money(held.toFixed()) },
      `The provider holds ${money(held.toFixed())} ${row.currency_code.toUpperCase()} for a ${side.cartId ? `cart (${side.cartId})` : "payment collection"} that has no order.`,
      "Reconciliation completes the cart, or gives the money back, once the session is older than orphanedPaymentMinutes (POST /admin/payment-plus/reconcile runs it now)."
    )
  }
  if (!record || !row.payment) return found

  const captured = MathBN.convert(row.payment.captured)
  const received = MathBN.convert(record.amount_received)
  if (!sameMoney(received, captured, row.currency_code)) {
    const providerMore = MathBN.gt(received, captured)
    say(
      providerMore ? "provider_money_not_in_books" : "books_money_not_at_provider",
      { provider: money(record.amount_received), books: money(row.payment.captured) },
      `Captured: the provider received ${money(record.amount_received)}, the books say ${money(row.payment.captured)}.`,
      providerMore
        ? "Run reconciliation; if the difference stays, record the capture the provider made (its webhook may have been lost)."
        : "The books record money the provider never received: check the provider's dashboard and correct the books by hand."
    )
  }
  const returned = MathBN.add(record.amount_refunded, record.amount_lost_to_disputes)
  if (!sameMoney(returned, MathBN.convert(row.payment.refunded), row.currency_code)) {
    const providerMore = MathBN.gt(returned, row.payment.refunded)
    say(
      providerMore ? "provider_money_not_in_books" : "books_money_not_at_provider",
      { provider: money(returned.toFixed()), books: money(row.payment.refunded) },
      `Refunded (disputes lost included): the provider says ${money(returned.toFixed())}, the books ${money(row.payment.refunded)}.`,
      providerMore
        ? "A refund or lost dispute at the provider did not reach the books: check its webhook deliveries (the module records them once they arrive)."
        : "The books record a refund the provider never made: check the provider's dashboard."
    )
  }
  if (row.payment.canceled && MathBN.gt(record.amount_capturable, 0)) {
    say(
      "authorization_held_after_cancel",
      { provider: money(record.amount_capturable) },
      `The payment is canceled, yet the provider still holds an authorization of ${money(record.amount_capturable)}.`,
      "Cancel the authorization at the provider (its dashboard), or run reconciliation if a cancel is still open."
    )
  }
  return found
}

/** The audited collections grouped by their order (an order edit adds collections to an order). */
function byOrder(sides: Map<string, OrderSide>): Map<string, OrderSide & { collectionIds: string[] }> {
  const orders = new Map<string, OrderSide & { collectionIds: string[] }>()
  for (const [collectionId, side] of sides) {
    if (!side.orderId) continue
    const known = orders.get(side.orderId)
    if (known) known.collectionIds.push(collectionId)
    else orders.set(side.orderId, { ...side, collectionIds: [collectionId] })
  }
  return orders
}

function orderDisagreement(
  kind: DisagreementKind,
  orderId: string,
  side: OrderSide,
  own: ProviderAuditRow[],
  figures: { provider?: string | null; books?: string | null; order?: string | null },
  detail: string,
  what_to_do: string
): Disagreement {
  return {
    kind,
    payment_session_id: own[0].payment_session_id,
    payment_id: own[0].payment!.id,
    cart_id: side.cartId,
    order_id: orderId,
    provider_id: own[0].provider_id,
    currency_code: own[0].currency_code,
    provider: figures.provider ?? null,
    books: figures.books ?? null,
    order: figures.order ?? null,
    detail,
    what_to_do,
  }
}

/**
 * The order's capture and refund transactions against the settled money of
 * its payments in the books. Compared as totals: Medusa's order-cancel
 * workflow records its refunds under the payment's id, not the refund's.
 */
function booksAgainstOrder(orderId: string, side: OrderSide, own: ProviderAuditRow[]): Disagreement[] {
  if (!own.length) return []
  const currency = own[0].currency_code
  const books = own.reduce((sum, r) => MathBN.add(sum, MathBN.sub(r.payment!.captured, r.payment!.refunded)), MathBN.convert(0))
  const money = side.transactions.filter((t) => t.reference === "capture" || t.reference === "refund")
  const order = money.reduce((sum, t) => MathBN.add(sum, t.amount), MathBN.convert(0))
  if (sameMoney(books, order, currency)) return []
  const referenced = new Set(money.map((t) => t.reference_id))
  const unrecorded = own.flatMap((r) => r.payment!.settled.filter((m) => !referenced.has(m.id) && !referenced.has(r.payment!.id)))
  const figures = { books: inCurrencyPrecision(books.toFixed(), currency), order: inCurrencyPrecision(order.toFixed(), currency) }
  return [
    orderDisagreement(
      MathBN.gt(books, order) ? "books_without_order_transaction" : "order_transaction_without_books",
      orderId,
      side,
      own,
      figures,
      `Settled money (captured less refunded): the books say ${figures.books}, order ${orderId}'s transactions ${figures.order}` +
        (unrecorded.length ? `; not on the order: ${unrecorded.map((m) => `${m.kind} ${m.id} (${inCurrencyPrecision(m.amount, currency)})`).join(", ")}.` : "."),
      MathBN.gt(books, order)
        ? "Run reconciliation: it records on the order any settled capture or refund the order lacks (check that the plugin is registered)."
        : "The order records money the books do not have: check the provider's dashboard and correct the order's transactions."
    ),
  ]
}

/** An order whose capture transactions exceed what the providers received for its payments. */
function orderPaidBeyondProvider(orderId: string, side: OrderSide, own: ProviderAuditRow[]): Disagreement[] {
  // Only where every payment's provider keeps a record: the manual provider's money is the merchant's word.
  if (!own.length || own.some((r) => !r.provider)) return []
  const currency = own[0].currency_code
  const paid = side.transactions.filter((t) => t.reference === "capture").reduce((sum, t) => MathBN.add(sum, t.amount), MathBN.convert(0))
  const received = own.reduce((sum, r) => MathBN.add(sum, r.provider!.amount_received), MathBN.convert(0))
  if (!MathBN.gt(roundToCurrency(paid, currency), roundToCurrency(received, currency))) return []
  const figures = { provider: inCurrencyPrecision(received.toFixed(), currency), order: inCurrencyPrecision(paid.toFixed(), currency) }
  return [
    orderDisagreement(
      "order_paid_provider_never_received",
      orderId,
      side,
      own,
      figures,
      `Order ${orderId} records ${figures.order} paid; its providers received ${figures.provider}.`,
      "Do not ship on it: check the provider's dashboard, and correct the order's transactions."
    ),
  ]
}

/** Carts, orders and order transactions of the audited collections. */
async function orderSides(container: MedusaContainer, rows: ProviderAuditRow[]): Promise<Map<string, OrderSide>> {
  const sides = new Map<string, OrderSide>()
  const collectionIds = [...new Set(rows.map((r) => r.payment_collection_id))]
  if (!collectionIds.length) return sides
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const graph = async (entity: string, fields: string[], filters: object) => ((await query.graph({ entity, fields, filters } as any)).data as any[])
  const carts = container.hasRegistration(Modules.CART)
    ? await graph("cart_payment_collection", ["cart_id", "payment_collection_id"], { payment_collection_id: collectionIds })
    : []
  const orders = container.hasRegistration(Modules.ORDER)
    ? await graph("order_payment_collection", ["order_id", "payment_collection_id"], { payment_collection_id: collectionIds })
    : []
  const orderIds = [...new Set(orders.map((o) => o.order_id as string))]
  const orderCollections = orderIds.length
    ? await graph("order_payment_collection", ["order_id", "payment_collection_id"], { order_id: orderIds })
    : []
  const transactions: any[] = orderIds.length
    ? await container
        .resolve<IOrderModuleService>(Modules.ORDER)
        .listOrderTransactions({ order_id: orderIds } as any, { select: ["order_id", "reference", "reference_id", "amount"] })
    : []
  for (const collectionId of collectionIds) {
    const orderId: string | null = orders.find((o) => o.payment_collection_id === collectionId)?.order_id ?? null
    sides.set(collectionId, {
      orderId,
      orderCollectionIds: orderCollections.filter((o) => o.order_id === orderId).map((o) => o.payment_collection_id as string),
      cartId: carts.find((c) => c.payment_collection_id === collectionId)?.cart_id ?? null,
      transactions: transactions
        .filter((t) => t.order_id === orderId)
        .map((t) => ({ reference: t.reference, reference_id: t.reference_id, amount: MathBN.convert(t.amount).toFixed() })),
    })
  }
  return sides
}

/** Equal once both are at the currency's precision, half up (Medusa's unrounded totals against the cents that moved). */
function sameMoney(a: BigNumberInput, b: BigNumberInput, currency: string): boolean {
  return roundToCurrency(a, currency).eq(roundToCurrency(b, currency))
}

/** The period an audit covers when none is given: the last 30 days. */
export const DEFAULT_AUDIT_DAYS = 30

/** `from` and `to` as a caller gives them (ISO dates, either may be missing). */
export function auditPeriod(from: unknown, to: unknown): { from: Date; to: Date } {
  const end = to === undefined || to === "" ? new Date() : new Date(String(to))
  const start = from === undefined || from === "" ? new Date(end.getTime() - DEFAULT_AUDIT_DAYS * 86_400_000) : new Date(String(from))
  return { from: start, to: end }
}

/** The report as lines a person reads in a terminal or a cron mail. */
export function formatAudit(report: AuditReport): string {
  const head = `Payment audit ${report.from} → ${report.to}: ${report.sessions} payment sessions, ${report.disagreements.length} disagreement(s)${report.truncated ? " (truncated: narrow the period)" : ""}.`
  const lines = report.disagreements.map(
    (d) =>
      `- ${d.kind}: ${d.detail} [session ${d.payment_session_id}${d.payment_id ? `, payment ${d.payment_id}` : ""}${d.order_id ? `, order ${d.order_id}` : d.cart_id ? `, cart ${d.cart_id}` : ""}]\n  → ${d.what_to_do}`
  )
  return [head, ...lines].join("\n")
}
