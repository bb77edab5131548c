-- Appends one ledger entry (one row of the append-only payment_ledger_entry),
-- with its raw_* amounts. Used by the trigger functions, by Migration20261121160000 and by
-- src/sql/hot-path.ts (provider_rounding entries).
-- Writes: payment_ledger_entry.
--
-- Defined by Migration20261121134900, Migration20261121165000 and Migration20261121190000; the body below is Migration20261121190000's text, byte for byte.
-- To change it, edit this file and add a migration that runs the same text (README, "Development").
create or replace function payment_ledger_append(
  p_subject text,
  p_event text,
  p_subject_id text,
  p_payment_id text,
  p_collection_id text,
  p_provider_id text,
  p_currency text,
  p_amount numeric,
  p_authorized numeric,
  p_captured numeric,
  p_refunded numeric,
  p_from text,
  p_to text,
  p_idempotency_key text,
  p_provider_reference text
)
returns void
language plpgsql
as $$
      begin
        insert into payment_ledger_entry (id, subject, event, subject_id, payment_id, payment_collection_id, provider_id, currency_code, amount, authorized_delta, captured_delta, refunded_delta, from_status, to_status, idempotency_key, provider_reference, raw_amount, raw_authorized_delta, raw_captured_delta, raw_refunded_delta)
          select payment_ledger_id(), e.subject, e.event, e.subject_id, e.payment_id, e.payment_collection_id, e.provider_id, e.currency_code, e.amount, e.authorized_delta, e.captured_delta, e.refunded_delta, e.from_status, e.to_status, e.idempotency_key, e.provider_reference,
                 payment_raw(e.amount), payment_raw(e.authorized_delta), payment_raw(e.captured_delta), payment_raw(e.refunded_delta)
            from (values (true, (p_subject)::text, (p_event)::text, (p_subject_id)::text, (p_payment_id)::text, (p_collection_id)::text, (p_provider_id)::text, (p_currency)::text, (p_amount)::numeric, (p_authorized)::numeric, (p_captured)::numeric, (p_refunded)::numeric, (p_from)::text, (p_to)::text, (p_idempotency_key)::text, (p_provider_reference)::text)) as e(include, subject, event, subject_id, payment_id, payment_collection_id, provider_id, currency_code, amount, authorized_delta, captured_delta, refunded_delta, from_status, to_status, idempotency_key, provider_reference)
           where e.include;
      end $$;
