-- DEAD: no trigger uses it. Migration20261121134900 made it the capture/refund
-- trigger that kept the payment's totals and wrote the ledger; Migration20261121165000
-- replaced its triggers with payment_movement_books, but no migration dropped it.
-- Writes (if anything called it): payment, payment_ledger_entry.
--
-- Defined by Migration20261121134900; the body below is its text, byte for byte.
-- To change it, edit this file and add a migration that runs the same text (README, "Development").
create or replace function payment_money_movement()
returns trigger
language plpgsql
as $$
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
      end $$;
