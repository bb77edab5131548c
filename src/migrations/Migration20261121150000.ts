import { Migration } from "@medusajs/framework/mikro-orm/migrations"

/**
 * Collection totals and status, kept by PostgreSQL as money moves.
 *
 * A collection's authorized, captured and refunded amounts and its status
 * are derived from its sessions, captures and refunds. Triggers on those
 * tables apply each change as an increment to the collection row, in the
 * same statement that made the change: an UPDATE re-reads the newest row
 * version before adding, so concurrent movements never overwrite each other,
 * and no code path can leave the totals behind their parts.
 *
 * Status rules (Medusa 2.21's, plus `partially_captured`), comparing at the
 * currency's ISO 4217 precision; `canceled` is left alone:
 *   captured >= amount → completed (completed_at set once)
 *   captured > 0 → partially_captured
 *   authorized >= amount → authorized; authorized > 0 → partially_authorized
 *   any live session → awaiting; else not_paid
 *
 * `payment_currency_exponent(code)` is the module's ISO 4217 table
 * (src/utils/currency.ts) as it was when this migration was written, copied
 * here as SQL text (EXPONENT_CASES below) so that the migration never changes;
 * Migration20261121190000 replaced the function. A change to that table needs
 * a new migration that recreates the function (src/sql/functions/).
 */

/** One CASE branch per ISO 4217 code, on one line: the text this migration has always run. */
const EXPONENT_CASES =
  "when 'BIF' then 0 when 'BYR' then 0 when 'CLP' then 0 when 'DJF' then 0 when 'GNF' then 0 when 'ISK' then 0 when 'JPY' then 0 when 'KMF' then 0 " +
  "when 'KRW' then 0 when 'PYG' then 0 when 'RWF' then 0 when 'UGX' then 0 when 'UYI' then 0 when 'VND' then 0 when 'VUV' then 0 when 'XAF' then 0 " +
  "when 'XOF' then 0 when 'XPF' then 0 when 'AED' then 2 when 'AFN' then 2 when 'ALL' then 2 when 'AMD' then 2 when 'ANG' then 2 when 'AOA' then 2 " +
  "when 'ARS' then 2 when 'AUD' then 2 when 'AWG' then 2 when 'AZN' then 2 when 'BAM' then 2 when 'BBD' then 2 when 'BDT' then 2 when 'BGN' then 2 " +
  "when 'BMD' then 2 when 'BND' then 2 when 'BOB' then 2 when 'BOV' then 2 when 'BRL' then 2 when 'BSD' then 2 when 'BTN' then 2 when 'BWP' then 2 " +
  "when 'BYN' then 2 when 'BZD' then 2 when 'CAD' then 2 when 'CDF' then 2 when 'CHE' then 2 when 'CHF' then 2 when 'CHW' then 2 when 'CNY' then 2 " +
  "when 'COP' then 2 when 'COU' then 2 when 'CRC' then 2 when 'CUC' then 2 when 'CUP' then 2 when 'CVE' then 2 when 'CZK' then 2 when 'DKK' then 2 " +
  "when 'DOP' then 2 when 'DZD' then 2 when 'EEK' then 2 when 'EGP' then 2 when 'ERN' then 2 when 'ETB' then 2 when 'EUR' then 2 when 'FJD' then 2 " +
  "when 'FKP' then 2 when 'GBP' then 2 when 'GEL' then 2 when 'GHS' then 2 when 'GIP' then 2 when 'GMD' then 2 when 'GTQ' then 2 when 'GYD' then 2 " +
  "when 'HKD' then 2 when 'HNL' then 2 when 'HRK' then 2 when 'HTG' then 2 when 'HUF' then 2 when 'IDR' then 2 when 'ILS' then 2 when 'INR' then 2 " +
  "when 'IRR' then 2 when 'JMD' then 2 when 'KES' then 2 when 'KGS' then 2 when 'KHR' then 2 when 'KPW' then 2 when 'KYD' then 2 when 'KZT' then 2 " +
  "when 'LAK' then 2 when 'LBP' then 2 when 'LKR' then 2 when 'LRD' then 2 when 'LSL' then 2 when 'LTL' then 2 when 'LVL' then 2 when 'MAD' then 2 " +
  "when 'MDL' then 2 when 'MGA' then 2 when 'MKD' then 2 when 'MMK' then 2 when 'MNT' then 2 when 'MOP' then 2 when 'MRO' then 2 when 'MRU' then 2 " +
  "when 'MUR' then 2 when 'MVR' then 2 when 'MWK' then 2 when 'MXN' then 2 when 'MXV' then 2 when 'MYR' then 2 when 'MZN' then 2 when 'NAD' then 2 " +
  "when 'NGN' then 2 when 'NIO' then 2 when 'NOK' then 2 when 'NPR' then 2 when 'NZD' then 2 when 'PAB' then 2 when 'PEN' then 2 when 'PGK' then 2 " +
  "when 'PHP' then 2 when 'PKR' then 2 when 'PLN' then 2 when 'QAR' then 2 when 'RON' then 2 when 'RSD' then 2 when 'RUB' then 2 when 'SAR' then 2 " +
  "when 'SBD' then 2 when 'SCR' then 2 when 'SDG' then 2 when 'SEK' then 2 when 'SGD' then 2 when 'SHP' then 2 when 'SLE' then 2 when 'SLL' then 2 " +
  "when 'SOS' then 2 when 'SRD' then 2 when 'SSP' then 2 when 'STD' then 2 when 'STN' then 2 when 'SVC' then 2 when 'SYP' then 2 when 'SZL' then 2 " +
  "when 'THB' then 2 when 'TJS' then 2 when 'TMT' then 2 when 'TOP' then 2 when 'TRY' then 2 when 'TTD' then 2 when 'TWD' then 2 when 'TZS' then 2 " +
  "when 'UAH' then 2 when 'USD' then 2 when 'USN' then 2 when 'UYU' then 2 when 'UZS' then 2 when 'VED' then 2 when 'VEF' then 2 when 'VES' then 2 " +
  "when 'WST' then 2 when 'XCD' then 2 when 'XCG' then 2 when 'YER' then 2 when 'ZAR' then 2 when 'ZMW' then 2 when 'ZWG' then 2 when 'ZWL' then 2 " +
  "when 'BHD' then 3 when 'IQD' then 3 when 'JOD' then 3 when 'KWD' then 3 when 'LYD' then 3 when 'OMR' then 3 when 'TND' then 3 when 'CLF' then 4 " +
  "when 'UYW' then 4"

export class Migration20261121150000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create or replace function payment_currency_exponent(code text) returns smallint
      language sql immutable as $$ select (case upper(code) ${EXPONENT_CASES} else null end)::smallint $$;`)

    this.addSql(`alter table "payment_collection" add column if not exists "currency_exponent" smallint null;`)
    this.addSql(`alter table "payment_collection" add column if not exists "session_count" integer not null default 0;`)

    // Every new collection and payment learns its precision from the one table.
    this.addSql(`
      create or replace function payment_set_currency_exponent() returns trigger language plpgsql as $$
      begin
        NEW.currency_exponent := payment_currency_exponent(NEW.currency_code);
        return NEW;
      end $$;`)
    for (const table of ["payment_collection", "payment"]) {
      this.addSql(`drop trigger if exists "${table}_currency_exponent" on "${table}";`)
      this.addSql(
        `create trigger "${table}_currency_exponent" before insert or update of currency_code on "${table}" for each row execute function payment_set_currency_exponent();`
      )
      // Amended (upgrade fix): a payment @medusajs/payment captured beyond its rounded amount (an
      // unrounded tax total) keeps a null exponent, so the bound's CHECK does not refuse the upgrade.
      this.addSql(
        `update "${table}" set currency_exponent = payment_currency_exponent(currency_code) where currency_exponent is null` +
          (table === "payment"
            ? ` and captured_total <= round((raw_amount->>'value')::numeric, coalesce(payment_currency_exponent(currency_code), 20));`
            : `;`)
      )
    }

    this.addSql(`
      create or replace function payment_collection_status(
        current_status text, amount numeric, authorized numeric, captured numeric, sessions integer, exponent smallint
      ) returns text language sql immutable as $$
        select case
          when current_status = 'canceled' then 'canceled'
          when round(captured, coalesce(exponent, 4)) >= round(amount, coalesce(exponent, 4)) then 'completed'
          when captured > 0 then 'partially_captured'
          when authorized > 0 and round(authorized, coalesce(exponent, 4)) >= round(amount, coalesce(exponent, 4)) then 'authorized'
          when authorized > 0 then 'partially_authorized'
          when sessions > 0 then 'awaiting'
          else 'not_paid'
        end
      $$;`)

    // Applies increments to a collection's totals; with p_restatus, derives
    // its status again (as Medusa does after a money movement or a session's
    // change of status — not when a session is merely created or deleted).
    this.addSql(`
      create or replace function payment_collection_apply(
        p_collection_id text, p_sessions integer, p_authorized numeric, p_captured numeric, p_refunded numeric,
        p_restatus boolean
      ) returns void language plpgsql as $$
      declare
        c record;
        authorized numeric;
        captured numeric;
        refunded numeric;
        next_status text;
      begin
        select * into c from payment_collection where id = p_collection_id for update;
        if not found then return; end if;
        authorized := coalesce((c.raw_authorized_amount->>'value')::numeric, 0) + p_authorized;
        captured := coalesce((c.raw_captured_amount->>'value')::numeric, 0) + p_captured;
        refunded := coalesce((c.raw_refunded_amount->>'value')::numeric, 0) + p_refunded;
        next_status := case when p_restatus then payment_collection_status(
          c.status::text, (c.raw_amount->>'value')::numeric, authorized, captured,
          c.session_count + p_sessions, c.currency_exponent) else c.status::text end;
        update payment_collection set
          session_count = c.session_count + p_sessions,
          authorized_amount = authorized,
          raw_authorized_amount = jsonb_build_object('value', authorized::text, 'precision', 20),
          captured_amount = captured,
          raw_captured_amount = jsonb_build_object('value', captured::text, 'precision', 20),
          refunded_amount = refunded,
          raw_refunded_amount = jsonb_build_object('value', refunded::text, 'precision', 20),
          status = next_status,
          completed_at = case when next_status = 'completed' then coalesce(c.completed_at, now()) else c.completed_at end,
          updated_at = now()
        where id = p_collection_id;
      end $$;`)

    this.addSql(`
      create or replace function payment_session_collection_totals() returns trigger language plpgsql as $$
      declare
        old_live boolean := TG_OP <> 'INSERT' and OLD.deleted_at is null;
        new_live boolean := TG_OP <> 'DELETE' and NEW.deleted_at is null;
        old_authorized numeric := 0;
        new_authorized numeric := 0;
        sessions integer := 0;
      begin
        if old_live and OLD.status = 'authorized' then old_authorized := (OLD.raw_amount->>'value')::numeric; end if;
        if new_live and NEW.status = 'authorized' then new_authorized := (NEW.raw_amount->>'value')::numeric; end if;
        sessions := (case when new_live then 1 else 0 end) - (case when old_live then 1 else 0 end);
        if sessions <> 0 or new_authorized <> old_authorized
           or (TG_OP = 'UPDATE' and OLD.status is distinct from NEW.status) then
          perform payment_collection_apply(
            case when TG_OP = 'DELETE' then OLD.payment_collection_id else NEW.payment_collection_id end,
            sessions, new_authorized - old_authorized, 0, 0,
            new_authorized <> old_authorized or (TG_OP = 'UPDATE' and OLD.status is distinct from NEW.status));
        end if;
        return null;
      end $$;`)
    this.addSql(`drop trigger if exists "payment_session_collection_totals" on "payment_session";`)
    this.addSql(
      `create trigger "payment_session_collection_totals" after insert or update or delete on "payment_session" for each row execute function payment_session_collection_totals();`
    )

    // Captures and refunds: the payment's totals (kept by payment_money_movement)
    // and the collection's move together.
    this.addSql(`
      create or replace function payment_movement_collection_totals() returns trigger language plpgsql as $$
      declare
        old_live numeric := 0;
        new_live numeric := 0;
        collection_id text;
      begin
        if TG_OP <> 'INSERT' and OLD.deleted_at is null then old_live := (OLD.raw_amount->>'value')::numeric; end if;
        if TG_OP <> 'DELETE' and NEW.deleted_at is null then new_live := (NEW.raw_amount->>'value')::numeric; end if;
        if new_live = old_live then return null; end if;
        select payment_collection_id into collection_id from payment
         where id = case when TG_OP = 'DELETE' then OLD.payment_id else NEW.payment_id end;
        if collection_id is null then return null; end if;
        if TG_TABLE_NAME = 'capture' then
          perform payment_collection_apply(collection_id, 0, 0, new_live - old_live, 0, true);
        else
          perform payment_collection_apply(collection_id, 0, 0, 0, new_live - old_live, true);
        end if;
        return null;
      end $$;`)
    for (const table of ["capture", "refund"]) {
      this.addSql(`drop trigger if exists "${table}_collection_totals" on "${table}";`)
      this.addSql(
        `create trigger "${table}_collection_totals" after insert or update or delete on "${table}" for each row execute function payment_movement_collection_totals();`
      )
    }

    // Collections that existed before these triggers: totals from their parts.
    this.addSql(`
      update payment_collection c set session_count = coalesce(s.sessions, 0)
        from (select c3.id, (select count(*) from payment_session s where s.payment_collection_id = c3.id and s.deleted_at is null)::int as sessions
                from payment_collection c3) s
       where s.id = c.id;`)
  }

  override async down(): Promise<void> {
    for (const table of ["capture", "refund"]) {
      this.addSql(`drop trigger if exists "${table}_collection_totals" on "${table}";`)
    }
    this.addSql(`drop trigger if exists "payment_session_collection_totals" on "payment_session";`)
    for (const table of ["payment_collection", "payment"]) {
      this.addSql(`drop trigger if exists "${table}_currency_exponent" on "${table}";`)
    }
    this.addSql(`drop function if exists payment_movement_collection_totals();`)
    this.addSql(`drop function if exists payment_session_collection_totals();`)
    this.addSql(`drop function if exists payment_collection_apply(text, integer, numeric, numeric, numeric, boolean);`)
    this.addSql(`drop function if exists payment_collection_status(text, numeric, numeric, numeric, integer, smallint);`)
    this.addSql(`drop function if exists payment_set_currency_exponent();`)
    this.addSql(`alter table "payment_collection" drop column if exists "session_count";`)
    this.addSql(`alter table "payment_collection" drop column if exists "currency_exponent";`)
    this.addSql(`drop function if exists payment_currency_exponent(text);`)
  }
}
