-- Step 1 of a capture or refund (src/sql/hot-path.ts, before the provider call): locks the
-- payment, reads its movements, checks the request and, when it may go ahead, inserts the
-- movement (pending; or succeeded, with its capture/refund row, when recorded after the
-- fact). The books are kept by payment_movement_books. Returns a verdict (created,
-- payment_not_found, canceled, reconcile, noop, nothing_left, unknown_currency,
-- too_precise, exceeds, reason_not_found) that the service turns into its MedusaError;
-- never raises for a refused request.
-- As in Medusa's module, a capture or refund without an amount asks for the payment's
-- whole amount.
-- Writes: payment_movement (capture or refund, payment when recorded as succeeded).
--
-- Defined by Migration20261121170000, Migration20261121190000, Migration20261202004548 and Migration20261202032358; the body below is Migration20261202032358's text.
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
set plan_cache_mode = 'force_generic_plan'
as $$
  declare
    p payment%rowtype;
    m record;
    v_ignored text;
    exp smallint;
    authorized numeric;
    requested numeric := p_amount;
    left_amount numeric;
    moved numeric;
    done boolean := false;
    stale timestamptz := now() - make_interval(secs => p_stale_ms / 1000.0);
  begin
    v_ignored := set_config('lock_timeout', p_lock_timeout, true);
    select * into p from payment where id = p_payment_id for update;
    if p.id is null or p.deleted_at is not null then
      verdict := 'payment_not_found'; completes := false; unknown_movements := 0; return next; return;
    end if;
    currency_code := p.currency_code; payment := to_jsonb(p); completes := false;
    select coalesce(sum(x.amount) filter (where x.kind = 'capture' and x.status = 'succeeded'), 0) as captured,
           coalesce(sum(x.amount) filter (where x.kind = 'capture' and x.status in ('pending', 'unknown')), 0) as capturing,
           coalesce(sum(x.amount) filter (where x.kind = 'release' and x.status = 'succeeded'), 0) as released,
           coalesce(sum(x.amount) filter (where x.kind = 'refund' and x.status = 'succeeded'), 0) as refunded,
           coalesce(sum(x.amount) filter (where x.kind = 'refund' and x.status in ('pending', 'unknown')), 0) as refunding,
           count(*) filter (where x.status = 'unknown')::int as unknown,
           count(*) filter (where x.status = 'pending' and x.updated_at < stale)::int as stale,
           bool_or(x.kind = 'cancel' and x.status in ('pending', 'unknown')) as cancel_open
      into m
      from payment_movement x
     where x.payment_id = p.id and x.deleted_at is null;
    unknown_movements := m.unknown;

    if p_kind = 'capture' and p.canceled_at is not null and not coalesce(m.cancel_open, false) then
      verdict := 'canceled'; return next; return;
    end if;
    -- An earlier movement whose outcome nobody knows, or whose process died, is settled first.
    if m.unknown > 0 or m.stale > 0 then
      verdict := 'reconcile'; return next; return;
    end if;
    if p_kind = 'capture' and p.canceled_at is not null then
      verdict := 'canceled'; return next; return;
    end if;
    exp := payment_currency_exponent(p.currency_code);
    if exp is null then
      verdict := 'unknown_currency'; return next; return;
    end if;
    authorized := (p.raw_amount->>'value')::numeric;
    if p_kind = 'capture' then
      -- Fully captured, or about to be by captures still waiting for the provider, or the
      -- rest released by the provider: a second request for the same money has nothing to do.
      if p.captured_at is not null or round(m.captured + m.capturing + m.released, exp) >= round(authorized, exp) then
        verdict := 'noop'; completes := true; left_to_move := '0'; return next; return;
      end if;
      left_amount := authorized - m.captured - m.capturing - m.released;
    else
      left_amount := m.captured - m.refunded - m.refunding;
    end if;
    if requested is null then
      requested := authorized;
    end if;

    -- An amount equal to exactly what is left is accepted whatever its decimals (Medusa's
    -- totals are not rounded: 10.814175 USD); it moves what can move.
    if requested > 0 and requested = left_amount then
      moved := trim_scale(round(left_amount, exp));
      if moved <= 0 then
        verdict := 'nothing_left'; left_to_move := left_amount::text; return next; return;
      end if;
    else
      if requested <> round(requested, exp) then
        verdict := 'too_precise'; amount := requested::text; left_to_move := left_amount::text; return next; return;
      end if;
      moved := requested;
    end if;
    if round(moved, exp) > round(left_amount, exp) then
      verdict := 'exceeds'; amount := moved::text; left_to_move := left_amount::text; return next; return;
    end if;
    if p_kind = 'refund' and p_reason_id is not null then
      if not exists (select 1 from refund_reason where id = p_reason_id and deleted_at is null) then
        verdict := 'reason_not_found'; amount := moved::text; left_to_move := left_amount::text; return next; return;
      end if;
    end if;

    if p_kind = 'capture' then
      -- complete once settled captures reach the amount: a capture still at the provider may yet be refused
      done := round(m.captured + case when p_status = 'succeeded' then moved else 0 end, exp) >= round(authorized, exp);
    end if;
    insert into payment_movement (id, kind, payment_id, amount, raw_amount, status, idempotency_key,
                                  created_by, note, refund_reason_id, metadata, settled_at)
    values (p_movement_id, p_kind, p.id, moved, payment_raw(moved), p_status, p_idempotency_key,
            p_created_by, p_note, p_reason_id, p_metadata, case when p_status = 'succeeded' then now() end);
    if p_status = 'succeeded' then
      if done then
        update payment set captured_at = coalesce(captured_at, now()), updated_at = now() where id = p.id;
      end if;
    end if;
    verdict := 'created'; amount := moved::text; completes := done; left_to_move := left_amount::text;
    return next; return;
  end $$;
