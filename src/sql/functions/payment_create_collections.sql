-- Creates payment collections from a jsonb array in one statement (src/sql/hot-path.ts);
-- the triggers book each one's status entry. Returns the rows.
-- Writes: payment_collection.
--
-- Defined by Migration20261121190000 and Migration20261202004548; the body below is Migration20261202004548's text.
-- To change it, edit this file and add a migration that runs the same text (README, "Development").
create or replace function payment_create_collections(p_rows jsonb)
returns setof payment_collection
language sql
set plan_cache_mode = 'force_generic_plan'
as $$
  insert into payment_collection (id, currency_code, amount, raw_amount, metadata)
  select x.id, x.currency_code, x.amount, x.raw_amount, x.metadata
    from jsonb_to_recordset(p_rows) as x(id text, currency_code text, amount numeric, raw_amount jsonb, metadata jsonb)
  returning *
$$;
