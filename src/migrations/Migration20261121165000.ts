import { Migration } from "@medusajs/framework/mikro-orm/migrations"

/**
 * The same books, kept with fewer statements inside PostgreSQL.
 *
 * Every capture and refund row change used to fire two triggers, one for
 * the payment's totals and one for the collection's, each reading the
 * payment; and every change of a collection's totals locked the row with a
 * SELECT before updating it. Now:
 *
 * - one trigger per capture/refund row change (`payment_movement_books`)
 *   updates the payment's totals, learns the collection from that UPDATE's
 *   RETURNING, moves the collection's totals and appends the ledger entry —
 *   the same entries and totals as before, from one function;
 * - `payment_collection_apply` is a single UPDATE: it takes the row lock
 *   itself and computes the new totals and status from the newest row
 *   version (READ COMMITTED re-reads it after waiting), so concurrent
 *   movements still never overwrite each other;
 * - `payment.pending_movements` counts live captures and refunds waiting for
 *   the provider's answer, so that reserving a movement only looks for
 *   stale ones (a crashed process's) when there is a pending one at all;
 * - status ledgers and session totals fire only when what they record
 *   changed (trigger WHEN clauses, checked without calling a function);
 * - ledger ids are in time order, so entries append to the right edge of
 *   the primary key index.
 */
export class Migration20261121165000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "payment" add column if not exists "pending_movements" integer not null default 0;`)
    this.addSql(`
      update "payment" p set "pending_movements" =
        (select count(*) from "capture" c where c.payment_id = p.id and c.deleted_at is null and c.status = 'pending')
        + (select count(*) from "refund" r where r.payment_id = p.id and r.deleted_at is null and r.status = 'pending');`)

    this.addSql(`
      create or replace function payment_collection_apply(
        p_collection_id text, p_sessions integer, p_authorized numeric, p_captured numeric, p_refunded numeric,
        p_restatus boolean
      ) returns void language plpgsql as $$
      begin
        update payment_collection c set
          (session_count, authorized_amount, raw_authorized_amount, captured_amount, raw_captured_amount,
           refunded_amount, raw_refunded_amount, status, completed_at, updated_at) = (
            select n.sessions, n.authorized, jsonb_build_object('value', n.authorized::text, 'precision', 20),
                   n.captured, jsonb_build_object('value', n.captured::text, 'precision', 20),
                   n.refunded, jsonb_build_object('value', n.refunded::text, 'precision', 20),
                   s.status,
                   case when s.status = 'completed' then coalesce(c.completed_at, now()) else c.completed_at end,
                   now()
              from (select c.session_count + p_sessions as sessions,
                           coalesce((c.raw_authorized_amount->>'value')::numeric, 0) + p_authorized as authorized,
                           coalesce((c.raw_captured_amount->>'value')::numeric, 0) + p_captured as captured,
                           coalesce((c.raw_refunded_amount->>'value')::numeric, 0) + p_refunded as refunded) n
              cross join lateral (
                select case when p_restatus then payment_collection_status(
                  c.status::text, (c.raw_amount->>'value')::numeric, n.authorized, n.captured, n.sessions,
                  c.currency_exponent) else c.status::text end as status) s)
         where c.id = p_collection_id;
      end $$;`)

    this.addSql(`
      create or replace function payment_movement_books() returns trigger language plpgsql as $$
      declare
        old_live numeric := 0;
        new_live numeric := 0;
        unknown_delta integer := 0;
        pending_delta integer := 0;
        delta numeric;
        row_payment_id text;
        row_id text;
        row_key text;
        pay record;
        event text;
      begin
        if TG_OP in ('UPDATE', 'DELETE') and OLD.deleted_at is null then
          old_live := (OLD.raw_amount->>'value')::numeric;
          if OLD.status = 'unknown' then unknown_delta := unknown_delta - 1; end if;
          if OLD.status = 'pending' then pending_delta := pending_delta - 1; end if;
        end if;
        if TG_OP in ('INSERT', 'UPDATE') and NEW.deleted_at is null then
          new_live := (NEW.raw_amount->>'value')::numeric;
          if NEW.status = 'unknown' then unknown_delta := unknown_delta + 1; end if;
          if NEW.status = 'pending' then pending_delta := pending_delta + 1; end if;
        end if;
        delta := new_live - old_live;
        if TG_OP = 'DELETE' then
          row_payment_id := OLD.payment_id; row_id := OLD.id; row_key := OLD.idempotency_key;
        else
          row_payment_id := NEW.payment_id; row_id := NEW.id; row_key := NEW.idempotency_key;
        end if;

        if delta = 0 and unknown_delta = 0 and pending_delta = 0 then
          -- nothing the payment counts changed (metadata, say): read, do not rewrite the row
          select payment_collection_id, provider_id, currency_code into pay from payment where id = row_payment_id;
        elsif TG_TABLE_NAME = 'capture' then
          update payment set captured_total = captured_total + delta,
                             unknown_movements = unknown_movements + unknown_delta,
                             pending_movements = pending_movements + pending_delta
            where id = row_payment_id
            returning payment_collection_id, provider_id, currency_code into pay;
        else
          update payment set refunded_total = refunded_total + delta,
                             unknown_movements = unknown_movements + unknown_delta,
                             pending_movements = pending_movements + pending_delta
            where id = row_payment_id
            returning payment_collection_id, provider_id, currency_code into pay;
        end if;

        if delta <> 0 and pay.payment_collection_id is not null then
          perform payment_collection_apply(pay.payment_collection_id, 0, 0,
            case when TG_TABLE_NAME = 'capture' then delta else 0 end,
            case when TG_TABLE_NAME = 'refund' then delta else 0 end, true);
        end if;

        if TG_OP = 'INSERT' then
          event := case when NEW.status = 'pending' then 'reserved' else 'recorded' end;
        elsif TG_OP = 'DELETE' then
          event := 'reversed';
        elsif delta < 0 then
          event := 'reversed';
        elsif delta > 0 then
          event := 'restored';
        elsif OLD.status is distinct from NEW.status then
          event := NEW.status;
        else
          return null;
        end if;
        if TG_OP = 'DELETE' and old_live = 0 then
          return null;
        end if;

        perform payment_ledger_append(
          TG_TABLE_NAME, event, row_id, row_payment_id, pay.payment_collection_id, pay.provider_id, pay.currency_code,
          abs(case when delta = 0 then new_live else delta end),
          null,
          case when TG_TABLE_NAME = 'capture' then delta else null end,
          case when TG_TABLE_NAME = 'refund' then delta else null end,
          case when TG_OP = 'UPDATE' then OLD.status else null end,
          case when TG_OP = 'DELETE' then null else NEW.status end,
          row_key, null
        );
        return null;
      end $$;`)

    // Ledger ids in time order, like the module's other ids: entries land at
    // the right edge of the primary key's index instead of at random pages
    // of an index that only grows.
    this.addSql(`
      create or replace function payment_ledger_append(
        p_subject text, p_event text, p_subject_id text, p_payment_id text, p_collection_id text,
        p_provider_id text, p_currency text, p_amount numeric,
        p_authorized numeric, p_captured numeric, p_refunded numeric,
        p_from text, p_to text, p_idempotency_key text, p_provider_reference text
      ) returns void language plpgsql as $$
      begin
        insert into payment_ledger_entry (
          id, subject, event, subject_id, payment_id, payment_collection_id, provider_id, currency_code,
          amount, raw_amount, authorized_delta, raw_authorized_delta, captured_delta, raw_captured_delta,
          refunded_delta, raw_refunded_delta, from_status, to_status, idempotency_key, provider_reference
        ) values (
          'pledg_' || to_char(clock_timestamp() at time zone 'UTC', 'YYYYMMDDHH24MISSUS')
            || lpad(to_hex((random() * 4294967295)::bigint), 8, '0') || lpad(to_hex((random() * 65535)::int), 4, '0'),
          p_subject, p_event, p_subject_id, p_payment_id, p_collection_id, p_provider_id, p_currency,
          p_amount, case when p_amount is null then null else jsonb_build_object('value', p_amount::text, 'precision', 20) end,
          p_authorized, case when p_authorized is null then null else jsonb_build_object('value', p_authorized::text, 'precision', 20) end,
          p_captured, case when p_captured is null then null else jsonb_build_object('value', p_captured::text, 'precision', 20) end,
          p_refunded, case when p_refunded is null then null else jsonb_build_object('value', p_refunded::text, 'precision', 20) end,
          p_from, p_to, p_idempotency_key, p_provider_reference
        );
      end $$;`)

    // Status ledgers and session totals only run when what they record changed.
    for (const table of ["payment_session", "payment_collection"]) {
      this.addSql(`drop trigger if exists "${table}_status_ledger" on "${table}";`)
      this.addSql(
        `create trigger "${table}_status_ledger" after insert on "${table}" for each row execute function ${table}_status_ledger();`
      )
      this.addSql(
        `create trigger "${table}_status_change_ledger" after update of status on "${table}" for each row when (OLD.status is distinct from NEW.status) execute function ${table}_status_ledger();`
      )
    }
    this.addSql(`drop trigger if exists "payment_session_collection_totals" on "payment_session";`)
    this.addSql(
      `create trigger "payment_session_collection_totals" after insert or delete on "payment_session" for each row execute function payment_session_collection_totals();`
    )
    this.addSql(
      `create trigger "payment_session_collection_totals_change" after update on "payment_session" for each row
         when (OLD.status is distinct from NEW.status or OLD.raw_amount is distinct from NEW.raw_amount
               or OLD.deleted_at is distinct from NEW.deleted_at or OLD.payment_collection_id is distinct from NEW.payment_collection_id)
         execute function payment_session_collection_totals();`
    )

    for (const table of ["capture", "refund"]) {
      this.addSql(`drop trigger if exists "${table}_money_movement" on "${table}";`)
      this.addSql(`drop trigger if exists "${table}_collection_totals" on "${table}";`)
      this.addSql(`drop trigger if exists "${table}_books" on "${table}";`)
      this.addSql(
        `create trigger "${table}_books" after insert or update or delete on "${table}" for each row execute function payment_movement_books();`
      )
    }
  }

  override async down(): Promise<void> {
    // payment_collection_apply and payment_ledger_append keep their new bodies: same results.
    this.addSql(`drop trigger if exists "payment_session_collection_totals_change" on "payment_session";`)
    this.addSql(`drop trigger if exists "payment_session_collection_totals" on "payment_session";`)
    this.addSql(
      `create trigger "payment_session_collection_totals" after insert or update or delete on "payment_session" for each row execute function payment_session_collection_totals();`
    )
    for (const table of ["payment_session", "payment_collection"]) {
      this.addSql(`drop trigger if exists "${table}_status_change_ledger" on "${table}";`)
      this.addSql(`drop trigger if exists "${table}_status_ledger" on "${table}";`)
      this.addSql(
        `create trigger "${table}_status_ledger" after insert or update of status on "${table}" for each row execute function ${table}_status_ledger();`
      )
    }
    for (const table of ["capture", "refund"]) {
      this.addSql(`drop trigger if exists "${table}_books" on "${table}";`)
      this.addSql(
        `create trigger "${table}_money_movement" after insert or update or delete on "${table}" for each row execute function payment_money_movement();`
      )
      this.addSql(
        `create trigger "${table}_collection_totals" after insert or update or delete on "${table}" for each row execute function payment_movement_collection_totals();`
      )
    }
    this.addSql(`drop function if exists payment_movement_books();`)
    this.addSql(`alter table "payment" drop column if exists "pending_movements";`)
  }
}
