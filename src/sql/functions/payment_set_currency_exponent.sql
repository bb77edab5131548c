-- Trigger function (payment_collection and payment: before insert or an update
-- of currency_code). Sets NEW.currency_exponent from payment_currency_exponent.
-- Writes: nothing besides the row being written.
--
-- Defined by Migration20261121150000; the body below is its text, byte for byte.
-- To change it, edit this file and add a migration that runs the same text (README, "Development").
create or replace function payment_set_currency_exponent()
returns trigger
language plpgsql
as $$
      begin
        NEW.currency_exponent := payment_currency_exponent(NEW.currency_code);
        return NEW;
      end $$;
