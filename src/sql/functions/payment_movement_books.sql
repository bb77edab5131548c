-- Trigger function (payment_movement, after insert or a status change): the books of money
-- movements, and the only place they are kept.
--   * bounds, on insert: captures (settled and open) and what the provider released after a
--     partial capture within the authorized amount rounded to the currency, refunds (settled
--     and open) within the settled captures — checked under the payment's row lock, so no
--     writer can pass them concurrently;
--   * when a capture or refund succeeds, and only then, its row is written
--     (payment_write_settled_row) and the collection's captured and refunded totals move:
--     Medusa reads them, and they count settled money only;
--   * one ledger entry per insert and per transition (reserved, recorded, succeeded,
--     unknown, refused), with captured_delta / refunded_delta on settlement only.
-- Writes: capture or refund, payment_collection, payment_ledger_entry.
--
-- Defined by Migration20261202004548 and Migration20261202032358; the body below is Migration20261202032358's text.
-- To change it, edit this file and add a migration that runs the same text (README, "Development").
create or replace function payment_movement_books()
returns trigger
language plpgsql
as $$
  declare
    pay record;
    totals record;
    v_amount numeric := NEW.amount;
    v_settled numeric := 0;
    v_event text;
    v_subject text := case when NEW.kind = 'cancel' then 'cancellation' else NEW.kind end;
  begin
    if TG_OP = 'UPDATE' and OLD.status is not distinct from NEW.status then
      return null;
    end if;
    select p.id, p.payment_collection_id, p.provider_id, p.currency_code,
           (p.raw_amount->>'value')::numeric as authorized, payment_currency_exponent(p.currency_code) as exponent
      into pay
      from payment p where p.id = NEW.payment_id
       for no key update;

    if TG_OP = 'INSERT' and NEW.kind in ('capture', 'refund', 'release') and NEW.status <> 'refused' then
      select coalesce(sum(m.amount) filter (where m.kind in ('capture', 'release') and m.status <> 'refused'), 0) as captures,
             coalesce(sum(m.amount) filter (where m.kind = 'capture' and m.status = 'succeeded'), 0) as settled_captures,
             coalesce(sum(m.amount) filter (where m.kind = 'refund' and m.status <> 'refused'), 0) as refunds
        into totals
        from payment_movement m
       where m.payment_id = NEW.payment_id and m.deleted_at is null;
      if (pay.exponent is not null and totals.captures > round(pay.authorized, pay.exponent))
         or totals.refunds > totals.settled_captures then
        raise exception 'payment % would move more than it may: captures % of % authorized, refunds % of % captured',
          NEW.payment_id, totals.captures, pay.authorized, totals.refunds, totals.settled_captures
          using errcode = 'check_violation', constraint = 'payment_movement_bounds';
      end if;
    end if;

    if NEW.status = 'succeeded' and NEW.kind in ('capture', 'refund') then
      v_settled := v_amount;
      -- the row Medusa reads exists exactly when the movement has succeeded, however it got there
      perform payment_write_settled_row(NEW.id);
      perform payment_collection_apply(pay.payment_collection_id, 0,
        case when NEW.kind = 'capture' then v_settled else 0 end,
        case when NEW.kind = 'refund' then v_settled else 0 end, true);
    end if;

    v_event := case
      when TG_OP = 'UPDATE' then NEW.status
      when NEW.status = 'pending' then 'reserved'
      when NEW.status = 'succeeded' then 'recorded'
      else NEW.status end;
    perform payment_ledger_append(
      v_subject, v_event, NEW.id, NEW.payment_id, pay.payment_collection_id, pay.provider_id, pay.currency_code,
      case when NEW.kind = 'cancel' then null else v_amount end, null,
      case when NEW.kind = 'capture' and v_settled <> 0 then v_settled end,
      case when NEW.kind = 'refund' and v_settled <> 0 then v_settled end,
      case when TG_OP = 'UPDATE' then OLD.status end, NEW.status, NEW.idempotency_key, null);
    return null;
  end $$;
