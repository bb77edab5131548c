-- Trigger function (capture and refund): these tables hold settled money only, written by
-- payment_write_settled_row. An inserted row must be a succeeded movement's, same id,
-- payment and amount; a row's amount, payment and deletion never change afterwards (money
-- goes back by a refund). So a write that bypasses the books — the generated
-- createCaptures, a hand-written INSERT — is refused rather than booked a second way.
-- Writes: nothing.
--
-- Defined by Migration20261202004548.
-- To change it, edit this file and add a migration that runs the same text (README, "Development").
create or replace function payment_settled_row_guard()
returns trigger
language plpgsql
as $$
  begin
    if TG_OP = 'INSERT' then
      if not exists (select 1 from payment_movement m
                      where m.id = NEW.id and m.kind = TG_TABLE_NAME and m.payment_id = NEW.payment_id
                        and m.status = 'succeeded' and m.amount = NEW.amount and m.deleted_at is null) then
        raise exception 'a % row is written only for a succeeded payment movement with its id, payment and amount (%): move money with capturePayment or refundPayment', TG_TABLE_NAME, NEW.id
          using errcode = 'check_violation';
      end if;
      return null;
    end if;
    if TG_OP = 'DELETE'
       or OLD.amount is distinct from NEW.amount or OLD.raw_amount is distinct from NEW.raw_amount
       or OLD.payment_id is distinct from NEW.payment_id or OLD.deleted_at is distinct from NEW.deleted_at then
      raise exception 'a % row records settled money and cannot be changed or deleted (%): refund instead', TG_TABLE_NAME, OLD.id
        using errcode = 'check_violation';
    end if;
    return NEW;
  end $$;
