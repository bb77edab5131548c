-- DEAD and broken: no trigger uses it. Migration20261121150000 made it the
-- capture/refund trigger that moved the collection's totals; Migration20261121165000
-- replaced its triggers with payment_movement_books, but no migration dropped it. It calls
-- payment_collection_apply with the six arguments Migration20261121190000 dropped, so a
-- call would fail.
-- Writes (if it could run): payment_collection.
--
-- Defined by Migration20261121150000; the body below is its text, byte for byte.
-- To change it, edit this file and add a migration that runs the same text (README, "Development").
create or replace function payment_movement_collection_totals()
returns trigger
language plpgsql
as $$
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
      end $$;
