import { Context } from "@medusajs/framework/types"
import { InjectTransactionManager, MedusaContext, MathBN } from "@medusajs/framework/utils"
import { ledgerFigures, LedgerFigures } from "../sql/money"
import { currencyExponent, knownCurrencyCodes, normalizeCurrencyCode } from "../utils/currency"
import { invalidData, notFound, requireIdList } from "../utils/errors"
import { UseCase } from "./use-case"


/** One way in which the ledger, the stored totals and the rows disagree. */
export type LedgerDiscrepancy = {
  subject: "payment" | "payment_collection"
  id: string
  payment_collection_id: string
  check: "captured" | "refunded" | "authorized" | "bounds" | "status" | "movements"
  /** what each source says (absent: the source has no say in this check) */
  figures: { ledger?: string; stored?: string; parts?: string; expected?: string }
  message: string
}

/** Statuses a collection may keep while no money is authorized or captured: sessions alone do not update it (as in Medusa). */
const NO_MONEY_STATUSES = ["not_paid", "awaiting"]

/**
 * Compares what the ledger, the stored totals and the capture, refund and
 * session rows say about each payment and collection. Amounts compare
 * exactly: they are sums of the same exact decimals, so any difference at
 * all means one of them was written without the others.
 */
export function findDiscrepancies(rows: LedgerFigures[]): LedgerDiscrepancy[] {
  const found: LedgerDiscrepancy[] = []
  for (const row of rows) {
    const report = (check: LedgerDiscrepancy["check"], figures: LedgerDiscrepancy["figures"], message: string) =>
      found.push({ subject: row.subject, id: row.id, payment_collection_id: row.payment_collection_id, check, figures, message })
    const what = `${row.subject === "payment" ? "Payment" : "Payment collection"} ${row.id}`

    for (const [check, sources] of [
      ["captured", { ledger: row.ledger_captured, stored: row.stored_captured, parts: row.parts_captured }],
      ["refunded", { ledger: row.ledger_refunded, stored: row.stored_refunded, parts: row.parts_refunded }],
      ["authorized", { ledger: row.ledger_authorized, stored: row.stored_authorized, parts: row.parts_authorized }],
    ] as const) {
      const figures = Object.fromEntries(
        Object.entries(sources).filter(([, v]) => v !== null && v !== undefined)
      ) as Record<string, string>
      const values = Object.values(figures)
      if (values.some((v) => !MathBN.eq(v, values[0]))) {
        const said = Object.entries(figures).map(([source, v]) => `${source} ${v}`).join(", ")
        report(check, figures, `${what}: ${check.replace("_", " ")} disagrees (${said}).`)
      }
    }

    if (row.subject === "payment" && (row.movement_mismatches || row.missing_movements)) {
      const said = [row.movement_mismatches, row.missing_movements && `missing: ${row.missing_movements}`].filter(Boolean).join("; ")
      report("movements", { ledger: said }, `${what}: its movements and the ledger disagree (${said}).`)
    }

    if (row.subject === "payment") {
      // Open movements count against the bounds as if they had succeeded.
      // Rounded to the currency, as Medusa's module compares them: a store upgraded from it may hold a
      // capture of an unrounded tax total (10.814175 captured of 10.814175 authorized, bound 10.81).
      const captured = MathBN.convert(MathBN.add(row.parts_captured, row.open_captured ?? 0), row.exponent ?? 20)
      const refunded = MathBN.add(row.parts_refunded, row.open_refunded ?? 0)
      const settledCaptured = MathBN.convert(row.parts_captured)
      const bound = MathBN.convert(row.amount, row.exponent ?? 20)
      if (refunded.lt(0) || refunded.gt(settledCaptured) || captured.gt(bound)) {
        report(
          "bounds",
          {
            parts: `${refunded.toFixed()} refunded, ${captured.toFixed()} captured (settled ${settledCaptured.toFixed()})`,
            expected: `0 <= refunded <= settled captured, captured <= ${bound.toFixed()}`,
          },
          `${what}: ${refunded.toFixed()} refunded and ${captured.toFixed()} captured (${settledCaptured.toFixed()} settled) break 0 <= refunded <= settled captured, captured <= ${bound.toFixed()} ${row.currency_code}.`
        )
      }
    } else if (row.status !== row.expected_status) {
      const noMoney = MathBN.eq(row.parts_captured, 0) && MathBN.eq(row.parts_authorized ?? 0, 0)
      if (!(noMoney && NO_MONEY_STATUSES.includes(row.status ?? ""))) {
        report(
          "status",
          { stored: row.status ?? undefined, expected: row.expected_status ?? undefined },
          `${what}: status ${row.status} does not match its totals, which call for ${row.expected_status}.`
        )
      }
    }
  }
  return found
}

/**
 * Rebuilds each payment's and collection's captured, refunded and
 * authorized totals from the append-only ledger, from the movements and from
 * the capture, refund and session rows, and compares them (and a
 * collection's status with the one its totals call for). Returns every
 * disagreement; an empty list means the books balance.
 *
 * Nothing in the module should ever produce a discrepancy: the triggers
 * write the totals and the ledger in the same statement as the rows, and
 * refuse writes around them. A discrepancy means someone wrote with the
 * triggers off — run it from a monitoring job.
 */
export class LedgerAudit extends UseCase {
  async verify(filter: { payment_collection_id?: string | string[] } = {}, sharedContext: Context): Promise<LedgerDiscrepancy[]> {
    if (!filter || typeof filter !== "object" || Array.isArray(filter)) {
      throw invalidData(`The ledger check filter must be an object, got ${JSON.stringify(filter)}.`)
    }
    const ids = filter.payment_collection_id === undefined ? undefined : requireIdList(filter.payment_collection_id, "payment_collection_id")
    const figures = await this.ledgerFigures_(ids, sharedContext)
    const missing = (ids ?? []).filter((id) => !figures.some((row) => row.id === id))
    if (missing.length) {
      throw notFound(`PaymentCollection with id: ${missing.join(", ")} was not found`)
    }
    return findDiscrepancies(figures)
  }

  @InjectTransactionManager()
  protected async ledgerFigures_(
    collectionIds: string[] | undefined,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<LedgerFigures[]> {
    const exponents = Object.fromEntries(
      knownCurrencyCodes().map((code) => [normalizeCurrencyCode(code), currencyExponent(code)])
    )
    return await ledgerFigures(collectionIds, exponents, sharedContext)
  }
}
