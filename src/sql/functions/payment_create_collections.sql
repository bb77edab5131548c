-- Creates payment collections from a jsonb array in one statement
-- (src/sql/hot-path.ts), each with its status_changed ledger entry; returns the rows.
-- Writes: payment_collection, payment_ledger_entry.
--
-- Defined by Migration20261121190000; the body below is its text, byte for byte.
-- To change it, edit this file and add a migration that runs the same text (README, "Development").
create or replace function payment_create_collections(p_rows jsonb)
returns setof payment_collection
language plpgsql
set payment.books = 'kept'
set plan_cache_mode = 'force_generic_plan'
as $$
      begin
        return query with created as (
          insert into payment_collection (id, currency_code, currency_exponent, amount, raw_amount, metadata)
          select x.id, x.currency_code, payment_currency_exponent(x.currency_code), x.amount, x.raw_amount, x.metadata
            from jsonb_to_recordset(p_rows) as x(id text, currency_code text, amount numeric, raw_amount jsonb, metadata jsonb)
          returning *),
        entries as (insert into payment_ledger_entry (id, subject, event, subject_id, payment_id, payment_collection_id, provider_id, currency_code, amount, authorized_delta, captured_delta, refunded_delta, from_status, to_status, idempotency_key, provider_reference, raw_amount, raw_authorized_delta, raw_captured_delta, raw_refunded_delta)
          select payment_ledger_id(), e.subject, e.event, e.subject_id, e.payment_id, e.payment_collection_id, e.provider_id, e.currency_code, e.amount, e.authorized_delta, e.captured_delta, e.refunded_delta, e.from_status, e.to_status, e.idempotency_key, e.provider_reference,
                 payment_raw(e.amount), payment_raw(e.authorized_delta), payment_raw(e.captured_delta), payment_raw(e.refunded_delta)
            from created cross join lateral (values (true, ('payment_collection')::text, ('status_changed')::text, (created.id)::text, (null)::text, (created.id)::text, (null)::text, (created.currency_code)::text, (null)::numeric, (null)::numeric, (null)::numeric, (null)::numeric, (null)::text, (created.status)::text, (null)::text, (null)::text)) as e(include, subject, event, subject_id, payment_id, payment_collection_id, provider_id, currency_code, amount, authorized_delta, captured_delta, refunded_delta, from_status, to_status, idempotency_key, provider_reference)
           where e.include)
        select * from created;
      end $$;
