-- Trigger function (payment: after insert, or an update of canceled_at or captured_at,
-- unless a hot-path function books the row itself). Appends the payment's ledger entry:
-- authorized, canceled, cancel_reverted or fully_captured.
-- Writes: payment_ledger_entry (through payment_ledger_append).
--
-- Defined by Migration20261121134900; the body below is its text, byte for byte.
-- To change it, edit this file and add a migration that runs the same text (README, "Development").
create or replace function payment_authorization_ledger()
returns trigger
language plpgsql
as $$
      declare
        amount numeric := (NEW.raw_amount->>'value')::numeric;
      begin
        if TG_OP = 'INSERT' then
          perform payment_ledger_append('authorization', 'authorized', NEW.id, NEW.id, NEW.payment_collection_id,
            NEW.provider_id, NEW.currency_code, amount, amount, null, null, null, 'authorized', null, NEW.payment_session_id);
        elsif OLD.canceled_at is null and NEW.canceled_at is not null then
          perform payment_ledger_append('cancellation', 'canceled', NEW.id, NEW.id, NEW.payment_collection_id,
            NEW.provider_id, NEW.currency_code, amount, -amount, null, null, 'authorized', 'canceled', null, null);
        elsif OLD.canceled_at is not null and NEW.canceled_at is null then
          perform payment_ledger_append('cancellation', 'cancel_reverted', NEW.id, NEW.id, NEW.payment_collection_id,
            NEW.provider_id, NEW.currency_code, amount, amount, null, null, 'canceled', 'authorized', null, null);
        elsif OLD.captured_at is null and NEW.captured_at is not null then
          perform payment_ledger_append('authorization', 'fully_captured', NEW.id, NEW.id, NEW.payment_collection_id,
            NEW.provider_id, NEW.currency_code, null, null, null, null, 'authorized', 'captured', null, null);
        end if;
        return null;
      end $$;
