-- A new ledger entry id: 'pledg_' + the time to the microsecond + 48 random bits,
-- so that ids are in time order and entries land at the right edge of the primary key's
-- index.
-- Writes: nothing.
--
-- Defined by Migration20261121190000; the body below is its text, byte for byte.
-- To change it, edit this file and add a migration that runs the same text (README, "Development").
create or replace function payment_ledger_id()
returns text
language sql
as $$
        select 'pledg_' || to_char(clock_timestamp() at time zone 'UTC', 'YYYYMMDDHH24MISSUS')
               || lpad(to_hex((random() * 4294967295)::bigint), 8, '0') || lpad(to_hex((random() * 65535)::int), 4, '0')
      $$;
