-- The collection status rule (Medusa 2.21's plus partially_captured), comparing
-- at the currency's ISO 4217 precision: canceled stays canceled; captured >= amount ->
-- completed; captured > 0 -> partially_captured; authorized >= amount -> authorized;
-- authorized > 0 -> partially_authorized; live sessions -> awaiting; else not_paid.
-- Used by payment_collection_next_status and by src/sql/money.ts (recomputation, ledger check).
-- Writes: nothing.
--
-- Defined by Migration20261121150000; the body below is its text, byte for byte.
-- To change it, edit this file and add a migration that runs the same text (README, "Development").
create or replace function payment_collection_status(
  current_status text,
  amount numeric,
  authorized numeric,
  captured numeric,
  sessions integer,
  exponent smallint
)
returns text
language sql immutable
as $$
        select case
          when current_status = 'canceled' then 'canceled'
          when round(captured, coalesce(exponent, 4)) >= round(amount, coalesce(exponent, 4)) then 'completed'
          when captured > 0 then 'partially_captured'
          when authorized > 0 and round(authorized, coalesce(exponent, 4)) >= round(amount, coalesce(exponent, 4)) then 'authorized'
          when authorized > 0 then 'partially_authorized'
          when sessions > 0 then 'awaiting'
          else 'not_paid'
        end
      $$;
