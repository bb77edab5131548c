-- Creates a payment session in one statement (src/sql/hot-path.ts, after the
-- provider's initiatePayment) with its status_changed ledger entry; returns the row. A
-- session born authorized moves the collection's totals, so it is left to the triggers.
-- Writes: payment_session, payment_ledger_entry (payment_collection when born authorized).
--
-- Defined by Migration20261121190000; the body below is its text, byte for byte.
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
language plpgsql
set payment.books = 'kept'
set plan_cache_mode = 'force_generic_plan'
as $$
      declare
        s payment_session%rowtype;
        v_ignored text;
      begin
        if p_status = 'authorized' then
          -- born authorized (a provider may say so): it moves the collection's totals; the triggers book it
          v_ignored := set_config('payment.books', 'triggers', true);
        end if;
        with created as (
          insert into payment_session (id, payment_collection_id, provider_id, amount, raw_amount, currency_code,
                                       context, data, status, metadata)
          values (p_id, p_collection_id, p_provider_id, p_amount::numeric, jsonb_build_object('value', p_amount, 'precision', 20),
                  p_currency, p_context, p_data, p_status, p_metadata)
          returning *),
        entries as (insert into payment_ledger_entry (id, subject, event, subject_id, payment_id, payment_collection_id, provider_id, currency_code, amount, authorized_delta, captured_delta, refunded_delta, from_status, to_status, idempotency_key, provider_reference, raw_amount, raw_authorized_delta, raw_captured_delta, raw_refunded_delta)
          select payment_ledger_id(), e.subject, e.event, e.subject_id, e.payment_id, e.payment_collection_id, e.provider_id, e.currency_code, e.amount, e.authorized_delta, e.captured_delta, e.refunded_delta, e.from_status, e.to_status, e.idempotency_key, e.provider_reference,
                 payment_raw(e.amount), payment_raw(e.authorized_delta), payment_raw(e.captured_delta), payment_raw(e.refunded_delta)
            from created cross join lateral (values (p_status is distinct from 'authorized', ('payment_session')::text, ('status_changed')::text, (created.id)::text, (null)::text, (created.payment_collection_id)::text, (created.provider_id)::text, (created.currency_code)::text, (null)::numeric, (null)::numeric, (null)::numeric, (null)::numeric, (null)::text, (created.status::text)::text, (null)::text, (null)::text)) as e(include, subject, event, subject_id, payment_id, payment_collection_id, provider_id, currency_code, amount, authorized_delta, captured_delta, refunded_delta, from_status, to_status, idempotency_key, provider_reference)
           where e.include)
        select * into s from created;
        return next s;
      end $$;
