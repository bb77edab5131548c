import { Migration } from "@medusajs/framework/mikro-orm/migrations"

/**
 * Releases (issue: Stripe's own events in the books). A provider that lets go
 * of the rest of an authorization after a partial capture reports it, and the
 * module records the released amount as a `release` movement: the kind is
 * added, the books trigger counts releases with captures in the bounds and
 * books them in the ledger, and a capture reservation treats a released
 * remainder as nothing left to capture. Frozen: it imports nothing from the
 * module; the function bodies are the text of src/sql/functions/ at this
 * migration.
 */
export class Migration20261202032358 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table if exists "payment_movement" drop constraint if exists "payment_movement_kind_check";`);
    this.addSql(`alter table if exists "payment_movement" add constraint "payment_movement_kind_check" check("kind" in ('capture', 'refund', 'cancel', 'release'));`);
    this.addSql(`create or replace function payment_movement_books()
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
  end $$;`);
    this.addSql(`create or replace function payment_reserve_movement(
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
  end $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table if exists "payment_movement" drop constraint if exists "payment_movement_kind_check";`);
    this.addSql(`alter table if exists "payment_movement" add constraint "payment_movement_kind_check" check("kind" in ('capture', 'refund', 'cancel'));`);
  }
}
