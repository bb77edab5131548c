-- Trigger function (payment_movement, before update or delete): everything a movement says
-- but its status is fixed when it is reserved, and its status follows one state machine —
--   pending -> succeeded | unknown | refused,   unknown -> succeeded | refused
-- (succeeded and refused are final). Anything else, and any delete, is refused.
-- Writes: nothing.
--
-- Defined by Migration20261202004548.
-- To change it, edit this file and add a migration that runs the same text (README, "Development").
create or replace function payment_movement_guard()
returns trigger
language plpgsql
as $$
  begin
    if TG_OP = 'DELETE' then
      raise exception 'payment movement % is history and cannot be deleted', OLD.id using errcode = 'check_violation';
    end if;
    if OLD.kind is distinct from NEW.kind or OLD.payment_id is distinct from NEW.payment_id
       or OLD.amount is distinct from NEW.amount or OLD.raw_amount is distinct from NEW.raw_amount
       or OLD.deleted_at is distinct from NEW.deleted_at or OLD.idempotency_key is distinct from NEW.idempotency_key
       or OLD.created_by is distinct from NEW.created_by or OLD.note is distinct from NEW.note
       or OLD.refund_reason_id is distinct from NEW.refund_reason_id or OLD.metadata is distinct from NEW.metadata then
      raise exception 'payment movement %: only its status changes once it is reserved', OLD.id using errcode = 'check_violation';
    end if;
    if OLD.status is distinct from NEW.status
       and not ((OLD.status = 'pending' and NEW.status in ('succeeded', 'unknown', 'refused'))
                or (OLD.status = 'unknown' and NEW.status in ('succeeded', 'refused'))) then
      raise exception 'payment movement % cannot go from % to %', OLD.id, OLD.status, NEW.status using errcode = 'check_violation';
    end if;
    return NEW;
  end $$;
