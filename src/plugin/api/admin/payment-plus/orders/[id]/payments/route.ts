import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { ContainerRegistrationKeys, MedusaError, Modules } from "@medusajs/framework/utils"
import type { RemoteQueryFunction } from "@medusajs/framework/types"
import type PaymentModuleService from "../../../../../../../services/payment-module"
import type { OrderPaymentTimelines, TimelineEntry } from "../../../../../../../types/payment-timeline"

type OrderPayments = {
  id: string
  payment_collections?: { payments?: { id: string; provider_id: string; amount: number; currency_code: string }[] }[]
}

/**
 * GET /admin/payment-plus/orders/:id/payments: each payment of the order with
 * what happened to its money, from the module's ledger — authorized,
 * captured, refunded, released, canceled, disputed, who or what caused it —
 * and the movements still waiting for their provider, with what
 * reconciliation will do and when. An admin route: authenticated as every
 * /admin route.
 */
export async function GET(req: MedusaRequest, res: MedusaResponse): Promise<void> {
  const query = req.scope.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({
    entity: "order",
    fields: [
      "id",
      "payment_collections.payments.id",
      "payment_collections.payments.provider_id",
      "payment_collections.payments.amount",
      "payment_collections.payments.currency_code",
    ],
    filters: { id: req.params.id },
  })
  const order = data[0] as OrderPayments | undefined
  if (!order) throw new MedusaError(MedusaError.Types.NOT_FOUND, `Order with id: ${req.params.id} was not found`)
  const payments = (order.payment_collections ?? []).flatMap((c) => c.payments ?? [])
  const timelines = payments.length
    ? await req.scope.resolve<PaymentModuleService>(Modules.PAYMENT).listPaymentTimelines({ payment_id: payments.map((p) => p.id) })
    : []
  const emails = await adminEmails(query, timelines.flatMap((t) => t.entries))
  const answer: OrderPaymentTimelines = {
    order_id: order.id,
    payments: payments.map((payment) => {
      const timeline = timelines.find((t) => t.payment_id === payment.id)
      const entries = (timeline?.entries ?? []).map((entry) =>
        entry.caused_by.type === "admin" && emails.has(entry.caused_by.user_id)
          ? { ...entry, caused_by: { ...entry.caused_by, email: emails.get(entry.caused_by.user_id) } }
          : entry
      )
      return { ...payment, timeline: entries, open: timeline?.open ?? [], capturable_amount: timeline?.capturable_amount ?? null }
    }),
  }
  res.json(answer)
}

/** The email of each admin user the entries name, for a merchant who knows colleagues by email, not by id. */
async function adminEmails(query: Omit<RemoteQueryFunction, symbol>, entries: TimelineEntry[]): Promise<Map<string, string>> {
  const ids = [...new Set(entries.flatMap((e) => (e.caused_by.type === "admin" ? [e.caused_by.user_id] : [])))]
  if (!ids.length) return new Map()
  const { data } = await query.graph({ entity: "user", fields: ["id", "email"], filters: { id: ids } })
  return new Map((data as { id: string; email: string }[]).map((user) => [user.id, user.email]))
}
