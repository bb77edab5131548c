-- Trigger function (payment_collection: after insert, and after an update
-- that changes status, unless a hot-path function books the row itself). Appends a
-- status_changed ledger entry.
-- Writes: payment_ledger_entry (through payment_ledger_append).
--
-- Defined by Migration20261121134900; the body below is its text, byte for byte.
-- To change it, edit this file and add a migration that runs the same text (README, "Development").
create or replace function payment_collection_status_ledger()
returns trigger
language plpgsql
as $$
      begin
        if TG_OP = 'INSERT' or OLD.status is distinct from NEW.status then
          perform payment_ledger_append('payment_collection', 'status_changed', NEW.id, null, NEW.id,
            null, NEW.currency_code, null, null, null, null,
            case when TG_OP = 'INSERT' then null else OLD.status::text end, NEW.status::text, null, null);
        end if;
        return null;
      end $$;
