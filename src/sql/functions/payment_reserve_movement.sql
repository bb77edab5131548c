-- Step 1 of a capture or refund (src/sql/hot-path.ts, before the provider call):
-- locks the payment and its collection, checks the bounds and, when they allow it, inserts
-- the capture or refund (pending, or succeeded/unknown when recorded after the fact) with
-- the payment's and collection's totals and the ledger entries, in one statement. Returns
-- a verdict (created, payment_not_found, canceled, reconcile, noop, nothing_left,
-- unknown_currency, too_precise, exceeds, reason_not_found) that the service turns into
-- its MedusaError; never raises for a refused request.
-- Writes: capture or refund, payment, payment_collection, payment_ledger_entry.
--
-- Defined by Migration20261121170000 and Migration20261121190000; the body below is Migration20261121190000's text, byte for byte.
-- To change it, edit this file and add a migration that runs the same text (README, "Development").
create or replace function payment_reserve_movement(
  p_kind text,
  p_payment_id text,
  p_movement_id text,
  p_amount numeric,
  p_status text,
  p_created_by text,
  p_note text,
  p_reason_id text,
  p_metadata jsonb,
  p_idempotency_key text,
  p_stale_ms integer,
  p_lock_timeout text
)
returns table (
  verdict text,
  amount text,
  completes boolean,
  left_to_move text,
  currency_code text,
  unknown_movements integer,
  payment jsonb
)
language plpgsql
set payment.books = 'kept'
set plan_cache_mode = 'force_generic_plan'
as $$
      declare
        p payment%rowtype;
        col record;
        v_ignored text;
        exp smallint;
        authorized numeric;
        left_amount numeric;
        moved numeric;
        done boolean := false;
        stale timestamptz := now() - make_interval(secs => p_stale_ms / 1000.0);
        v_sets_captured_at boolean;
        v_captured numeric;
        v_refunded numeric;
        v_next_status text;
      begin
        v_ignored := set_config('lock_timeout', p_lock_timeout, true);
        
        select pay as locked, c.id, c.status::text as status, c.currency_code, c.currency_exponent,
               (c.raw_amount->>'value')::numeric as amount,
               coalesce((c.raw_authorized_amount->>'value')::numeric, 0) as authorized,
               coalesce((c.raw_captured_amount->>'value')::numeric, 0) as captured,
               coalesce((c.raw_refunded_amount->>'value')::numeric, 0) as refunded
          into col
          from payment pay join payment_collection c on c.id = pay.payment_collection_id
         where pay.id = p_payment_id
           for update of pay for no key update of c;
        if found then p := col.locked; end if;
        if p.id is null or p.deleted_at is not null then
          verdict := 'payment_not_found'; amount := null; completes := false;
            left_to_move := null; currency_code := null;
            unknown_movements := 0; payment := null; return next; return;
        end if;
        if p_kind = 'capture' and p.canceled_at is not null and p.pending_operation is distinct from 'cancel' then
          verdict := 'canceled'; amount := null; completes := false;
            left_to_move := null; currency_code := p.currency_code;
            unknown_movements := p.unknown_movements; payment := to_jsonb(p); return next; return;
        end if;
        if p.unknown_movements > 0 or (p.pending_operation = 'cancel' and p.updated_at < stale) then
          verdict := 'reconcile'; amount := null; completes := false;
            left_to_move := null; currency_code := p.currency_code;
            unknown_movements := p.unknown_movements; payment := to_jsonb(p); return next; return;
        end if;
        -- Only a payment with a pending movement can have a stale one: the tables are read only then.
        if p.pending_movements > 0 then
          if exists (select 1 from capture c where c.payment_id = p.id and c.deleted_at is null
                       and c.status = 'pending' and c.updated_at < stale)
             or exists (select 1 from refund r where r.payment_id = p.id and r.deleted_at is null
                          and r.status = 'pending' and r.updated_at < stale) then
            verdict := 'reconcile'; amount := null; completes := false;
            left_to_move := null; currency_code := p.currency_code;
            unknown_movements := p.unknown_movements; payment := to_jsonb(p); return next; return;
          end if;
        end if;
        if p_kind = 'capture' and p.canceled_at is not null then
          verdict := 'canceled'; amount := null; completes := false;
            left_to_move := null; currency_code := p.currency_code;
            unknown_movements := p.unknown_movements; payment := to_jsonb(p); return next; return;
        end if;
        exp := p.currency_exponent;
        if exp is null then
          verdict := 'unknown_currency'; amount := null; completes := false;
            left_to_move := null; currency_code := p.currency_code;
            unknown_movements := 0; payment := to_jsonb(p); return next; return;
        end if;
        authorized := (p.raw_amount->>'value')::numeric;
        if p_kind = 'capture' then
          -- Fully captured, or about to be by captures still waiting for the
          -- provider: a second request for the same money has nothing to do.
          if p.captured_at is not null or round(p.captured_total, exp) >= round(authorized, exp) then
            verdict := 'noop'; amount := null; completes := true;
            left_to_move := '0'; currency_code := p.currency_code;
            unknown_movements := 0; payment := to_jsonb(p); return next; return;
          end if;
          left_amount := authorized - p.captured_total;
        else
          left_amount := p.captured_total - p.refunded_total;
        end if;

        -- No amount: what is left, at the currency's precision. An amount equal
        -- to exactly what is left is accepted whatever its decimals (Medusa's
        -- "mark as paid" sends collection totals as they are).
        if p_amount is null or (p_amount > 0 and p_amount = left_amount) then
          moved := trim_scale(round(left_amount, exp));
          if moved <= 0 then
            verdict := 'nothing_left'; amount := null; completes := false;
            left_to_move := left_amount::text; currency_code := p.currency_code;
            unknown_movements := 0; payment := to_jsonb(p); return next; return;
          end if;
        else
          if p_amount <> round(p_amount, exp) then
            verdict := 'too_precise'; amount := p_amount::text; completes := false;
            left_to_move := left_amount::text; currency_code := p.currency_code;
            unknown_movements := 0; payment := to_jsonb(p); return next; return;
          end if;
          moved := p_amount;
        end if;
        if round(moved, exp) > round(left_amount, exp) then
          verdict := 'exceeds'; amount := moved::text; completes := false;
            left_to_move := left_amount::text; currency_code := p.currency_code;
            unknown_movements := 0; payment := to_jsonb(p); return next; return;
        end if;
        if p_kind = 'refund' and p_reason_id is not null then
          if not exists (select 1 from refund_reason where id = p_reason_id and deleted_at is null) then
            verdict := 'reason_not_found'; amount := moved::text; completes := false;
            left_to_move := left_amount::text; currency_code := p.currency_code;
            unknown_movements := 0; payment := to_jsonb(p); return next; return;
          end if;
        end if;

        if p_kind = 'capture' then
          done := round(p.captured_total + moved, exp) >= round(authorized, exp);
        end if;
        v_sets_captured_at := p_status = 'succeeded' and done;
        v_captured := col.captured + case when p_kind = 'capture' then moved else 0 end;
        v_refunded := col.refunded + case when p_kind = 'refund' then moved else 0 end;
        v_next_status := payment_collection_next_status(col.status, col.amount, col.authorized, v_captured,
                                                        col.currency_exponent, col.id);
        if p_kind = 'capture' then 
          with movement as (insert into capture (id, payment_id, amount, raw_amount, created_by, idempotency_key, status)
                values (p_movement_id, p.id, moved, payment_raw(moved), p_created_by, p_idempotency_key, p_status)),
          totals as (
            update payment pay set captured_total = pay.captured_total + moved,
                   pending_movements = pay.pending_movements + (p_status = 'pending')::int,
                   unknown_movements = pay.unknown_movements + (p_status = 'unknown')::int,
                   captured_at = case when v_sets_captured_at then coalesce(pay.captured_at, now()) else pay.captured_at end,
                   updated_at = case when v_sets_captured_at then now() else pay.updated_at end
             where pay.id = p.id),
          collection as (
          update payment_collection c set (authorized_amount, raw_authorized_amount, captured_amount, raw_captured_amount,
          refunded_amount, raw_refunded_amount, status, completed_at, updated_at) = (col.authorized, payment_raw(col.authorized), v_captured, payment_raw(v_captured),
          v_refunded, payment_raw(v_refunded), v_next_status,
          case when v_next_status = 'completed' then coalesce(c.completed_at, now()) else c.completed_at end, now()) where c.id = col.id)
          insert into payment_ledger_entry (id, subject, event, subject_id, payment_id, payment_collection_id, provider_id, currency_code, amount, authorized_delta, captured_delta, refunded_delta, from_status, to_status, idempotency_key, provider_reference, raw_amount, raw_authorized_delta, raw_captured_delta, raw_refunded_delta)
          select payment_ledger_id(), e.subject, e.event, e.subject_id, e.payment_id, e.payment_collection_id, e.provider_id, e.currency_code, e.amount, e.authorized_delta, e.captured_delta, e.refunded_delta, e.from_status, e.to_status, e.idempotency_key, e.provider_reference,
                 payment_raw(e.amount), payment_raw(e.authorized_delta), payment_raw(e.captured_delta), payment_raw(e.refunded_delta)
            from (values (col.status is distinct from v_next_status, ('payment_collection')::text, ('status_changed')::text, (col.id)::text, (null)::text, (col.id)::text, (null)::text, (col.currency_code)::text, (null)::numeric, (null)::numeric, (null)::numeric, (null)::numeric, (col.status)::text, (v_next_status)::text, (null)::text, (null)::text),
                         (true, ('capture')::text, (case when p_status = 'pending' then 'reserved' else 'recorded' end)::text, (p_movement_id)::text, (p.id)::text, (p.payment_collection_id)::text, (p.provider_id)::text, (p.currency_code)::text, (moved)::numeric, (null)::numeric, (moved)::numeric, (null)::numeric, (null)::text, (p_status)::text, (p_idempotency_key)::text, (null)::text),
                         (v_sets_captured_at, ('authorization')::text, ('fully_captured')::text, (p.id)::text, (p.id)::text, (p.payment_collection_id)::text, (p.provider_id)::text, (p.currency_code)::text, (null)::numeric, (null)::numeric, (null)::numeric, (null)::numeric, ('authorized')::text, ('captured')::text, (null)::text, (null)::text)) as e(include, subject, event, subject_id, payment_id, payment_collection_id, provider_id, currency_code, amount, authorized_delta, captured_delta, refunded_delta, from_status, to_status, idempotency_key, provider_reference)
           where e.include;
        else 
          with movement as (insert into refund (id, payment_id, amount, raw_amount, created_by, note, refund_reason_id, metadata,
                                 idempotency_key, status)
                values (p_movement_id, p.id, moved, payment_raw(moved), p_created_by, p_note, p_reason_id, p_metadata,
                        p_idempotency_key, p_status)),
          totals as (
            update payment pay set refunded_total = pay.refunded_total + moved,
                   pending_movements = pay.pending_movements + (p_status = 'pending')::int,
                   unknown_movements = pay.unknown_movements + (p_status = 'unknown')::int,
                   captured_at = case when false then coalesce(pay.captured_at, now()) else pay.captured_at end,
                   updated_at = case when false then now() else pay.updated_at end
             where pay.id = p.id),
          collection as (
          update payment_collection c set (authorized_amount, raw_authorized_amount, captured_amount, raw_captured_amount,
          refunded_amount, raw_refunded_amount, status, completed_at, updated_at) = (col.authorized, payment_raw(col.authorized), v_captured, payment_raw(v_captured),
          v_refunded, payment_raw(v_refunded), v_next_status,
          case when v_next_status = 'completed' then coalesce(c.completed_at, now()) else c.completed_at end, now()) where c.id = col.id)
          insert into payment_ledger_entry (id, subject, event, subject_id, payment_id, payment_collection_id, provider_id, currency_code, amount, authorized_delta, captured_delta, refunded_delta, from_status, to_status, idempotency_key, provider_reference, raw_amount, raw_authorized_delta, raw_captured_delta, raw_refunded_delta)
          select payment_ledger_id(), e.subject, e.event, e.subject_id, e.payment_id, e.payment_collection_id, e.provider_id, e.currency_code, e.amount, e.authorized_delta, e.captured_delta, e.refunded_delta, e.from_status, e.to_status, e.idempotency_key, e.provider_reference,
                 payment_raw(e.amount), payment_raw(e.authorized_delta), payment_raw(e.captured_delta), payment_raw(e.refunded_delta)
            from (values (col.status is distinct from v_next_status, ('payment_collection')::text, ('status_changed')::text, (col.id)::text, (null)::text, (col.id)::text, (null)::text, (col.currency_code)::text, (null)::numeric, (null)::numeric, (null)::numeric, (null)::numeric, (col.status)::text, (v_next_status)::text, (null)::text, (null)::text),
                         (true, ('refund')::text, (case when p_status = 'pending' then 'reserved' else 'recorded' end)::text, (p_movement_id)::text, (p.id)::text, (p.payment_collection_id)::text, (p.provider_id)::text, (p.currency_code)::text, (moved)::numeric, (null)::numeric, (null)::numeric, (moved)::numeric, (null)::text, (p_status)::text, (p_idempotency_key)::text, (null)::text),
                         (false, ('authorization')::text, ('fully_captured')::text, (p.id)::text, (p.id)::text, (p.payment_collection_id)::text, (p.provider_id)::text, (p.currency_code)::text, (null)::numeric, (null)::numeric, (null)::numeric, (null)::numeric, ('authorized')::text, ('captured')::text, (null)::text, (null)::text)) as e(include, subject, event, subject_id, payment_id, payment_collection_id, provider_id, currency_code, amount, authorized_delta, captured_delta, refunded_delta, from_status, to_status, idempotency_key, provider_reference)
           where e.include;
        end if;
        verdict := 'created'; amount := moved::text; completes := done;
            left_to_move := left_amount::text; currency_code := p.currency_code;
            unknown_movements := 0; payment := to_jsonb(p); return next; return;
      end $$;
