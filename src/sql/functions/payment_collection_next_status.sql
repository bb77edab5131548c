-- A collection's status from its figures (payment_collection_status); counts
-- the collection's live sessions only when nothing is authorized or captured, the one case
-- where they decide (awaiting or not_paid).
-- Writes: nothing (reads payment_session).
--
-- Defined by Migration20261121190000; the body below is its text, byte for byte.
-- To change it, edit this file and add a migration that runs the same text (README, "Development").
create or replace function payment_collection_next_status(
  p_status text,
  p_amount numeric,
  p_authorized numeric,
  p_captured numeric,
  p_exponent smallint,
  p_collection_id text
)
returns text
language plpgsql stable
as $$
      begin
        if p_status = 'canceled' or p_authorized > 0 or p_captured > 0 then
          -- the session count decides nothing here (and a plain expression needs no statement)
          return payment_collection_status(p_status, p_amount, p_authorized, p_captured, 1, p_exponent);
        end if;
        return payment_collection_status(p_status, p_amount, p_authorized, p_captured,
          (select count(*)::int from payment_session s where s.payment_collection_id = p_collection_id and s.deleted_at is null),
          p_exponent);
      end $$;
