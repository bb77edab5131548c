-- Step 2 of a capture or refund (src/sql/hot-path.ts, after the provider
-- confirmed): marks the movement succeeded and gives the payment the provider's data (and
-- captured_at, for the capture that completes it), with the counters and ledger entries,
-- in one statement. A movement already settled, soft-deleted or not this payment's is left
-- to the triggers. When the statement is its own transaction, its commit does not wait for
-- the WAL (synchronous_commit off): a lost settle is found pending and redone by
-- reconciliation.
-- Writes: capture or refund, payment, payment_ledger_entry.
--
-- Defined by Migration20261121170000 and Migration20261121190000; the body below is Migration20261121190000's text, byte for byte.
-- To change it, edit this file and add a migration that runs the same text (README, "Development").
create or replace function payment_settle_movement(
  p_kind text,
  p_movement_id text,
  p_payment_id text,
  p_data jsonb,
  p_completes boolean,
  p_own_transaction boolean
)
returns table (
  payment jsonb,
  movement jsonb,
  payment_updated boolean
)
language plpgsql
set payment.books = 'kept'
set plan_cache_mode = 'force_generic_plan'
as $$
      declare
        p payment%rowtype;
        locked record;
        v_ignored text;
        v_movement_row jsonb;
        touched boolean := p_data is not null or p_completes;
      begin
        -- only when the statement is its own transaction: a caller's transaction keeps its own durability
        if p_own_transaction then v_ignored := set_config('synchronous_commit', 'off', true); end if;
        -- The payment, then its movement: the order every other money path locks them in.
        if p_kind = 'capture' then 
          select pay as payment_row, m.id as movement_id, m.status as movement_status, m.raw_amount as movement_raw_amount,
                 m.idempotency_key as movement_key, m.deleted_at as movement_deleted_at into locked
            from payment pay join capture m on m.id = p_movement_id and m.payment_id = pay.id
           where pay.id = p_payment_id
             for no key update of pay for update of m;
        else 
          select pay as payment_row, m.id as movement_id, m.status as movement_status, m.raw_amount as movement_raw_amount,
                 m.idempotency_key as movement_key, m.deleted_at as movement_deleted_at into locked
            from payment pay join refund m on m.id = p_movement_id and m.payment_id = pay.id
           where pay.id = p_payment_id
             for no key update of pay for update of m;
        end if;
        if found then
          p := locked.payment_row;
          if locked.movement_deleted_at is null and locked.movement_status <> 'succeeded' then
            if p_kind = 'capture' then 
          with settled_movement as (
            update capture m set status = 'succeeded', updated_at = now() where m.id = locked.movement_id
            returning to_jsonb(m) as row),
          settled_payment as (
            update payment pay set pending_movements = pay.pending_movements - (locked.movement_status = 'pending')::int,
                   unknown_movements = pay.unknown_movements - (locked.movement_status = 'unknown')::int,
                   data = coalesce(p_data, pay.data),
                   captured_at = case when p_completes then coalesce(pay.captured_at, now()) else pay.captured_at end,
                   updated_at = case when touched then now() else pay.updated_at end
             where pay.id = p.id
            returning to_jsonb(pay) as row),
          entries as (insert into payment_ledger_entry (id, subject, event, subject_id, payment_id, payment_collection_id, provider_id, currency_code, amount, authorized_delta, captured_delta, refunded_delta, from_status, to_status, idempotency_key, provider_reference, raw_amount, raw_authorized_delta, raw_captured_delta, raw_refunded_delta)
          select payment_ledger_id(), e.subject, e.event, e.subject_id, e.payment_id, e.payment_collection_id, e.provider_id, e.currency_code, e.amount, e.authorized_delta, e.captured_delta, e.refunded_delta, e.from_status, e.to_status, e.idempotency_key, e.provider_reference,
                 payment_raw(e.amount), payment_raw(e.authorized_delta), payment_raw(e.captured_delta), payment_raw(e.refunded_delta)
            from (values (true, ('capture')::text, ('succeeded')::text, (locked.movement_id)::text, (p.id)::text, (p.payment_collection_id)::text, (p.provider_id)::text, (p.currency_code)::text, ((locked.movement_raw_amount->>'value')::numeric)::numeric, (null)::numeric, ((locked.movement_raw_amount->>'value')::numeric - (locked.movement_raw_amount->>'value')::numeric)::numeric, (null)::numeric, (locked.movement_status)::text, ('succeeded')::text, (locked.movement_key)::text, (null)::text),
                         (p_completes and p.captured_at is null, ('authorization')::text, ('fully_captured')::text, (p.id)::text, (p.id)::text, (p.payment_collection_id)::text, (p.provider_id)::text, (p.currency_code)::text, (null)::numeric, (null)::numeric, (null)::numeric, (null)::numeric, ('authorized')::text, ('captured')::text, (null)::text, (null)::text)) as e(include, subject, event, subject_id, payment_id, payment_collection_id, provider_id, currency_code, amount, authorized_delta, captured_delta, refunded_delta, from_status, to_status, idempotency_key, provider_reference)
           where e.include)
          select settled_payment.row, settled_movement.row into payment, v_movement_row
            from settled_payment, settled_movement;
            else 
          with settled_movement as (
            update refund m set status = 'succeeded', updated_at = now() where m.id = locked.movement_id
            returning to_jsonb(m) as row),
          settled_payment as (
            update payment pay set pending_movements = pay.pending_movements - (locked.movement_status = 'pending')::int,
                   unknown_movements = pay.unknown_movements - (locked.movement_status = 'unknown')::int,
                   data = coalesce(p_data, pay.data),
                   captured_at = case when p_completes then coalesce(pay.captured_at, now()) else pay.captured_at end,
                   updated_at = case when touched then now() else pay.updated_at end
             where pay.id = p.id
            returning to_jsonb(pay) as row),
          entries as (insert into payment_ledger_entry (id, subject, event, subject_id, payment_id, payment_collection_id, provider_id, currency_code, amount, authorized_delta, captured_delta, refunded_delta, from_status, to_status, idempotency_key, provider_reference, raw_amount, raw_authorized_delta, raw_captured_delta, raw_refunded_delta)
          select payment_ledger_id(), e.subject, e.event, e.subject_id, e.payment_id, e.payment_collection_id, e.provider_id, e.currency_code, e.amount, e.authorized_delta, e.captured_delta, e.refunded_delta, e.from_status, e.to_status, e.idempotency_key, e.provider_reference,
                 payment_raw(e.amount), payment_raw(e.authorized_delta), payment_raw(e.captured_delta), payment_raw(e.refunded_delta)
            from (values (true, ('refund')::text, ('succeeded')::text, (locked.movement_id)::text, (p.id)::text, (p.payment_collection_id)::text, (p.provider_id)::text, (p.currency_code)::text, ((locked.movement_raw_amount->>'value')::numeric)::numeric, (null)::numeric, (null)::numeric, ((locked.movement_raw_amount->>'value')::numeric - (locked.movement_raw_amount->>'value')::numeric)::numeric, (locked.movement_status)::text, ('succeeded')::text, (locked.movement_key)::text, (null)::text),
                         (p_completes and p.captured_at is null, ('authorization')::text, ('fully_captured')::text, (p.id)::text, (p.id)::text, (p.payment_collection_id)::text, (p.provider_id)::text, (p.currency_code)::text, (null)::numeric, (null)::numeric, (null)::numeric, (null)::numeric, ('authorized')::text, ('captured')::text, (null)::text, (null)::text)) as e(include, subject, event, subject_id, payment_id, payment_collection_id, provider_id, currency_code, amount, authorized_delta, captured_delta, refunded_delta, from_status, to_status, idempotency_key, provider_reference)
           where e.include)
          select settled_payment.row, settled_movement.row into payment, v_movement_row
            from settled_payment, settled_movement;
            end if;
            movement := v_movement_row; payment_updated := touched; return next; return;
          end if;
        end if;

        -- Settled already, soft-deleted, or not this payment's: as before this
        -- migration, with the triggers booking whatever changes.
        v_ignored := set_config('payment.books', 'triggers', true);
        if p_kind = 'capture' then
          update capture c set status = 'succeeded', updated_at = now() where c.id = p_movement_id and c.status <> 'succeeded'
          returning to_jsonb(c) into v_movement_row;
          if v_movement_row is null then select to_jsonb(c) into v_movement_row from capture c where c.id = p_movement_id; end if;
        else
          update refund r set status = 'succeeded', updated_at = now() where r.id = p_movement_id and r.status <> 'succeeded'
          returning to_jsonb(r) into v_movement_row;
          if v_movement_row is null then select to_jsonb(r) into v_movement_row from refund r where r.id = p_movement_id; end if;
        end if;
        if touched then
          update payment
             set data = coalesce(p_data, data),
                 captured_at = case when p_completes then coalesce(captured_at, now()) else captured_at end,
                 updated_at = now()
           where id = p_payment_id
          returning * into p;
        else
          select * into p from payment where id = p_payment_id;
        end if;
        payment := to_jsonb(p); movement := v_movement_row; payment_updated := touched; return next; return;
      end $$;
