-- Trigger function (capture and refund: after insert, update or delete, unless a
-- hot-path function books the row itself). Keeps the payment's captured_total /
-- refunded_total, unknown_movements and pending_movements, moves the collection's totals
-- (payment_collection_apply) and appends the movement's ledger entry (reserved, recorded,
-- succeeded, unknown, reversed, restored, …).
-- Writes: payment, payment_collection, payment_ledger_entry.
--
-- Defined by Migration20261121165000 and Migration20261121190000; the body below is Migration20261121190000's text, byte for byte.
-- To change it, edit this file and add a migration that runs the same text (README, "Development").
create or replace function payment_movement_books()
returns trigger
language plpgsql
as $$
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
          perform payment_collection_apply(pay.payment_collection_id, 0,
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
      end $$;
