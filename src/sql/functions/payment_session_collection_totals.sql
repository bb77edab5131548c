-- Trigger function (payment_session: after insert or delete of an authorized
-- live session, and after an update of status, raw_amount, deleted_at or
-- payment_collection_id, unless a hot-path function books the row itself). Moves the
-- collection's authorized total and status (payment_collection_apply).
-- Writes: payment_collection.
--
-- Defined by Migration20261121150000 and Migration20261121190000; the body below is Migration20261121190000's text, byte for byte.
-- To change it, edit this file and add a migration that runs the same text (README, "Development").
create or replace function payment_session_collection_totals()
returns trigger
language plpgsql
as $$
      declare
        old_authorized numeric := 0;
        new_authorized numeric := 0;
      begin
        if TG_OP <> 'INSERT' and OLD.deleted_at is null and OLD.status = 'authorized' then
          old_authorized := (OLD.raw_amount->>'value')::numeric;
        end if;
        if TG_OP <> 'DELETE' and NEW.deleted_at is null and NEW.status = 'authorized' then
          new_authorized := (NEW.raw_amount->>'value')::numeric;
        end if;
        if new_authorized <> old_authorized or (TG_OP = 'UPDATE' and OLD.status is distinct from NEW.status) then
          perform payment_collection_apply(
            case when TG_OP = 'DELETE' then OLD.payment_collection_id else NEW.payment_collection_id end,
            new_authorized - old_authorized, 0, 0, true);
        end if;
        return null;
      end $$;
