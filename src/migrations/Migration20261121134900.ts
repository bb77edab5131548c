import { Migration } from "@medusajs/framework/mikro-orm/migrations"

/**
 * Money bounds and the ledger, enforced by PostgreSQL itself.
 *
 * - `payment.captured_total` / `refunded_total` are kept by triggers on
 *   `capture` and `refund` (live rows only), and a CHECK holds
 *   0 <= refunded <= captured <= the authorized amount rounded to the
 *   currency. A trigger's UPDATE of the payment row also takes its row lock,
 *   so two transactions moving money on one payment are serialized even if
 *   some code path forgot to lock. No code path can break the bounds.
 * - Every insert, status change, soft delete and delete of a capture or
 *   refund, every payment authorization and cancellation, and every status
 *   change of a session or a collection appends a `payment_ledger_entry`.
 * - The ledger refuses UPDATE, DELETE and TRUNCATE.
 *
 * These columns are not in the DML models on purpose: Medusa's DTOs stay
 * exactly as they are, and only the module's SQL reads them.
 */
export class Migration20261121134900 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "payment" add column if not exists "captured_total" numeric not null default 0;`)
    this.addSql(`alter table "payment" add column if not exists "refunded_total" numeric not null default 0;`)
    this.addSql(`alter table "payment" add column if not exists "currency_exponent" smallint null;`)
    // How many of the payment's captures and refunds have an unknown outcome;
    // new money movements wait while it is not zero.
    this.addSql(`alter table "payment" add column if not exists "unknown_movements" integer not null default 0;`)
    // The operation whose provider call has not been settled (only "cancel"
    // today): lets reconciliation finish what a crash or a lost answer left.
    this.addSql(`alter table "payment" add column if not exists "pending_operation" text null;`)

    // A database upgraded from @medusajs/payment already has money rows.
    this.addSql(`
      update "payment" p set
        "captured_total" = coalesce((select sum((c.raw_amount->>'value')::numeric) from "capture" c where c.payment_id = p.id and c.deleted_at is null), 0),
        "refunded_total" = coalesce((select sum((r.raw_amount->>'value')::numeric) from "refund" r where r.payment_id = p.id and r.deleted_at is null), 0);`)

    this.addSql(`alter table "payment" drop constraint if exists "payment_money_bounds";`)
    this.addSql(`
      alter table "payment" add constraint "payment_money_bounds" check (
        "captured_total" >= 0
        and "refunded_total" >= 0
        and "refunded_total" <= "captured_total"
        and "unknown_movements" >= 0
        and ("currency_exponent" is null
             or "captured_total" <= round(("raw_amount"->>'value')::numeric, "currency_exponent"))
      );`)

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
          'pledg_' || replace(gen_random_uuid()::text, '-', ''), p_subject, p_event, p_subject_id, p_payment_id,
          p_collection_id, p_provider_id, p_currency,
          p_amount, case when p_amount is null then null else jsonb_build_object('value', p_amount::text, 'precision', 20) end,
          p_authorized, case when p_authorized is null then null else jsonb_build_object('value', p_authorized::text, 'precision', 20) end,
          p_captured, case when p_captured is null then null else jsonb_build_object('value', p_captured::text, 'precision', 20) end,
          p_refunded, case when p_refunded is null then null else jsonb_build_object('value', p_refunded::text, 'precision', 20) end,
          p_from, p_to, p_idempotency_key, p_provider_reference
        );
      end $$;`)

    // One function for captures and refunds: TG_TABLE_NAME says which total moves.
    this.addSql(`
      create or replace function payment_money_movement() returns trigger language plpgsql as $$
      declare
        old_live numeric := 0;
        new_live numeric := 0;
        unknown_delta integer := 0;
        delta numeric;
        row_payment_id text;
        row_id text;
        row_key text;
        pay record;
        event text;
      begin
        if TG_OP in ('UPDATE', 'DELETE') and OLD.deleted_at is null then
          old_live := (OLD.raw_amount->>'value')::numeric;
        end if;
        if TG_OP in ('INSERT', 'UPDATE') and NEW.deleted_at is null then
          new_live := (NEW.raw_amount->>'value')::numeric;
        end if;
        delta := new_live - old_live;
        if TG_OP in ('UPDATE', 'DELETE') and OLD.deleted_at is null and OLD.status = 'unknown' then
          unknown_delta := unknown_delta - 1;
        end if;
        if TG_OP in ('INSERT', 'UPDATE') and NEW.deleted_at is null and NEW.status = 'unknown' then
          unknown_delta := unknown_delta + 1;
        end if;
        if TG_OP = 'DELETE' then
          row_payment_id := OLD.payment_id; row_id := OLD.id; row_key := OLD.idempotency_key;
        else
          row_payment_id := NEW.payment_id; row_id := NEW.id; row_key := NEW.idempotency_key;
        end if;

        if TG_TABLE_NAME = 'capture' then
          update payment set captured_total = captured_total + delta, unknown_movements = unknown_movements + unknown_delta
            where id = row_payment_id
            returning payment_collection_id, provider_id, currency_code into pay;
        else
          update payment set refunded_total = refunded_total + delta, unknown_movements = unknown_movements + unknown_delta
            where id = row_payment_id
            returning payment_collection_id, provider_id, currency_code into pay;
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

    for (const table of ["capture", "refund"]) {
      this.addSql(`drop trigger if exists "${table}_money_movement" on "${table}";`)
      this.addSql(
        `create trigger "${table}_money_movement" after insert or update or delete on "${table}" for each row execute function payment_money_movement();`
      )
    }

    this.addSql(`
      create or replace function payment_authorization_ledger() returns trigger language plpgsql as $$
      declare
        amount numeric := (NEW.raw_amount->>'value')::numeric;
      begin
        if TG_OP = 'INSERT' then
          perform payment_ledger_append('authorization', 'authorized', NEW.id, NEW.id, NEW.payment_collection_id,
            NEW.provider_id, NEW.currency_code, amount, amount, null, null, null, 'authorized', null, NEW.payment_session_id);
        elsif OLD.canceled_at is null and NEW.canceled_at is not null then
          perform payment_ledger_append('cancellation', 'canceled', NEW.id, NEW.id, NEW.payment_collection_id,
            NEW.provider_id, NEW.currency_code, amount, -amount, null, null, 'authorized', 'canceled', null, null);
        elsif OLD.canceled_at is not null and NEW.canceled_at is null then
          perform payment_ledger_append('cancellation', 'cancel_reverted', NEW.id, NEW.id, NEW.payment_collection_id,
            NEW.provider_id, NEW.currency_code, amount, amount, null, null, 'canceled', 'authorized', null, null);
        elsif OLD.captured_at is null and NEW.captured_at is not null then
          perform payment_ledger_append('authorization', 'fully_captured', NEW.id, NEW.id, NEW.payment_collection_id,
            NEW.provider_id, NEW.currency_code, null, null, null, null, 'authorized', 'captured', null, null);
        end if;
        return null;
      end $$;`)
    this.addSql(`drop trigger if exists "payment_authorization_ledger" on "payment";`)
    this.addSql(
      `create trigger "payment_authorization_ledger" after insert or update of canceled_at, captured_at on "payment" for each row execute function payment_authorization_ledger();`
    )

    // One function per table: plpgsql resolves NEW's fields per table.
    this.addSql(`
      create or replace function payment_session_status_ledger() returns trigger language plpgsql as $$
      begin
        if TG_OP = 'INSERT' or OLD.status is distinct from NEW.status then
          perform payment_ledger_append('payment_session', 'status_changed', NEW.id, null, NEW.payment_collection_id,
            NEW.provider_id, NEW.currency_code, null, null, null, null,
            case when TG_OP = 'INSERT' then null else OLD.status::text end, NEW.status::text, null, null);
        end if;
        return null;
      end $$;`)
    this.addSql(`
      create or replace function payment_collection_status_ledger() returns trigger language plpgsql as $$
      begin
        if TG_OP = 'INSERT' or OLD.status is distinct from NEW.status then
          perform payment_ledger_append('payment_collection', 'status_changed', NEW.id, null, NEW.id,
            null, NEW.currency_code, null, null, null, null,
            case when TG_OP = 'INSERT' then null else OLD.status::text end, NEW.status::text, null, null);
        end if;
        return null;
      end $$;`)
    for (const table of ["payment_session", "payment_collection"]) {
      this.addSql(`drop trigger if exists "${table}_status_ledger" on "${table}";`)
      this.addSql(
        `create trigger "${table}_status_ledger" after insert or update of status on "${table}" for each row execute function ${table}_status_ledger();`
      )
    }

    this.addSql(`
      create or replace function payment_ledger_is_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'payment_ledger_entry is append-only: % is not allowed', TG_OP
          using errcode = 'restrict_violation';
      end $$;`)
    this.addSql(`drop trigger if exists "payment_ledger_entry_append_only" on "payment_ledger_entry";`)
    this.addSql(
      `create trigger "payment_ledger_entry_append_only" before update or delete on "payment_ledger_entry" for each row execute function payment_ledger_is_append_only();`
    )
    this.addSql(`drop trigger if exists "payment_ledger_entry_no_truncate" on "payment_ledger_entry";`)
    this.addSql(
      `create trigger "payment_ledger_entry_no_truncate" before truncate on "payment_ledger_entry" for each statement execute function payment_ledger_is_append_only();`
    )
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists "payment_ledger_entry_no_truncate" on "payment_ledger_entry";`)
    this.addSql(`drop trigger if exists "payment_ledger_entry_append_only" on "payment_ledger_entry";`)
    for (const table of ["payment_session", "payment_collection"]) {
      this.addSql(`drop trigger if exists "${table}_status_ledger" on "${table}";`)
    }
    this.addSql(`drop trigger if exists "payment_authorization_ledger" on "payment";`)
    for (const table of ["capture", "refund"]) {
      this.addSql(`drop trigger if exists "${table}_money_movement" on "${table}";`)
    }
    this.addSql(`drop function if exists payment_ledger_is_append_only();`)
    this.addSql(`drop function if exists payment_collection_status_ledger();`)
    this.addSql(`drop function if exists payment_session_status_ledger();`)
    this.addSql(`drop function if exists payment_authorization_ledger();`)
    this.addSql(`drop function if exists payment_money_movement();`)
    this.addSql(`drop function if exists payment_ledger_append(text, text, text, text, text, text, text, numeric, numeric, numeric, numeric, text, text, text, text);`)
    this.addSql(`alter table "payment" drop constraint if exists "payment_money_bounds";`)
    this.addSql(`alter table "payment" drop column if exists "pending_operation";`)
    this.addSql(`alter table "payment" drop column if exists "unknown_movements";`)
    this.addSql(`alter table "payment" drop column if exists "currency_exponent";`)
    this.addSql(`alter table "payment" drop column if exists "refunded_total";`)
    this.addSql(`alter table "payment" drop column if exists "captured_total";`)
  }
}
