import { Migration } from "@medusajs/framework/mikro-orm/migrations"

/**
 * Opening balances in the ledger for payments older than the ledger.
 *
 * A database upgraded from @medusajs/payment has payments, captures and
 * refunds that no trigger ever recorded, so a ledger check
 * (`verifyLedger`) would report every one of them. Each payment without
 * any ledger entry gets one `opening_balance` entry carrying what it held
 * when the ledger started: its authorization (none if canceled) and its
 * captured and refunded totals (backfilled by Migration20261121134900).
 *
 * Payments created since the ledger exists always have their
 * `authorized` entry, so they are never touched; on a new database this
 * does nothing.
 */
export class Migration20261121160000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      select payment_ledger_append(
        'authorization', 'opening_balance', p.id, p.id, p.payment_collection_id, p.provider_id, p.currency_code,
        (p.raw_amount->>'value')::numeric,
        case when p.canceled_at is null then (p.raw_amount->>'value')::numeric else 0 end,
        p.captured_total, p.refunded_total,
        null,
        case when p.canceled_at is not null then 'canceled' when p.captured_at is not null then 'captured' else 'authorized' end,
        null, p.payment_session_id)
        from "payment" p
       where not exists (select 1 from "payment_ledger_entry" l where l.payment_id = p.id);`)
  }

  override async down(): Promise<void> {
    // The ledger is append-only: its opening entries stay, as any entry would.
  }
}
