-- Inserts a payment session whose provider has answered (src/sql/hot-path.ts); the
-- triggers book it (its status entry; an authorized one moves the collection's totals).
-- Writes: payment_session.
--
-- Defined by Migration20261121190000 and Migration20261202004548; the body below is Migration20261202004548's text.
-- To change it, edit this file and add a migration that runs the same text (README, "Development").
create or replace function payment_create_session(
  p_id text,
  p_collection_id text,
  p_provider_id text,
  p_amount text,
  p_currency text,
  p_context jsonb,
  p_data jsonb,
  p_status text,
  p_metadata jsonb
)
returns setof payment_session
language sql
set plan_cache_mode = 'force_generic_plan'
as $$
  insert into payment_session (id, payment_collection_id, provider_id, amount, raw_amount, currency_code,
                               context, data, status, metadata)
  values (p_id, p_collection_id, p_provider_id, p_amount::numeric, jsonb_build_object('value', p_amount, 'precision', 20),
          p_currency, p_context, p_data, p_status, p_metadata)
  returning *
$$;
