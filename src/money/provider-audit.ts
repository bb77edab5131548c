import { Context } from "@medusajs/framework/types"
import { InjectTransactionManager, MedusaContext } from "@medusajs/framework/utils"
import { auditedSessions } from "../sql/money"
import type { PaymentRecordAtProvider } from "../types"
import { invalidData } from "../utils/errors"
import { UseCase } from "./use-case"

/** Sessions one audit reads at most (each costs a provider call). */
export const AUDIT_LIMIT = 5000

export type ProviderAuditRow = {
  payment_collection_id: string
  payment_session_id: string
  session_status: string
  provider_id: string
  currency_code: string
  /** the session's Payment and its settled books; null for a session that is no Payment */
  payment: {
    id: string
    authorized: string
    captured: string
    refunded: string
    canceled: boolean
    open_movements: number
    /** its settled captures and refunds (each one an order transaction in a store) */
    settled: { kind: "capture" | "refund"; id: string; amount: string }[]
  } | null
  /** what the provider's records say; null when the provider keeps none this module can read (the manual provider) */
  provider: PaymentRecordAtProvider | null
  /** the provider could not be asked (it failed, or did not answer in time) */
  provider_error: string | null
}

/**
 * The module's half of the three-way audit (the plugin adds the orders:
 * src/plugin/audit.ts): each payment session of a period with its books
 * beside the provider's own record of the money (`getPaymentRecord`).
 * Read-only, at the provider too.
 */
export class ProviderAudit extends UseCase {
  async run(filter: { from: Date; to: Date }, sharedContext: Context): Promise<{ rows: ProviderAuditRow[]; truncated: boolean }> {
    const { from, to } = filter ?? ({} as { from: Date; to: Date })
    if (!(from instanceof Date) || !(to instanceof Date) || isNaN(from.getTime()) || isNaN(to.getTime()) || from >= to) {
      throw invalidData(`The audit period needs two dates, from before to; got ${JSON.stringify(filter)}.`)
    }
    const sessions = await this.sessions_(from, to, sharedContext)
    const rows: ProviderAuditRow[] = []
    for (const session of sessions.slice(0, AUDIT_LIMIT)) {
      let provider: PaymentRecordAtProvider | null = null
      let providerError: string | null = null
      try {
        provider = (await this.providerGateway_.paymentRecord(session.provider_id, session.payment_data ?? session.data ?? {})) ?? null
      } catch (error) {
        providerError = (error as Error).message ?? String(error)
      }
      rows.push({
        payment_collection_id: session.payment_collection_id,
        payment_session_id: session.payment_session_id,
        session_status: session.session_status,
        provider_id: session.provider_id,
        currency_code: session.currency_code,
        payment: session.payment_id
          ? {
              id: session.payment_id,
              authorized: session.authorized!,
              captured: session.captured,
              refunded: session.refunded,
              canceled: session.canceled,
              open_movements: session.open_movements,
              settled: session.settled,
            }
          : null,
        provider,
        provider_error: providerError,
      })
    }
    return { rows, truncated: sessions.length > AUDIT_LIMIT }
  }

  @InjectTransactionManager()
  protected async sessions_(from: Date, to: Date, @MedusaContext() sharedContext: Context = {}) {
    return await auditedSessions(from, to, AUDIT_LIMIT + 1, sharedContext)
  }
}
