-- A Medusa raw amount as jsonb ({"value": "<text>", "precision": 20}); null stays null.
-- Stable, as jsonb_build_object is (a function declared immutable over a stable body is
-- never inlined).
-- Writes: nothing.
--
-- Defined by Migration20261121190000; the body below is its text, byte for byte.
-- To change it, edit this file and add a migration that runs the same text (README, "Development").
create or replace function payment_raw(v numeric)
returns jsonb
language sql stable
as $$
        select case when v is null then null else jsonb_build_object('value', v::text, 'precision', 20) end
      $$;
