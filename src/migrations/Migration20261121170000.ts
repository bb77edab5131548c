import { Migration } from "@medusajs/framework/mikro-orm/migrations"

/**
 * The money-moving steps as single statements.
 *
 * Authorizing a session, reserving a capture or refund and settling it each
 * happen in one PostgreSQL function, called as one statement in its own
 * implicit transaction: the row lock, the checks that depend on it and the
 * writes share one round trip and no BEGIN/COMMIT. Each statement inside a
 * function takes a fresh snapshot, so whatever a competing call committed
 * while this one waited for the lock is seen by the checks that follow it.
 *
 * The functions decide and write; they never raise for a refused request.
 * They answer with a verdict that the service turns into the MedusaError
 * its callers expect (src/services/payment-module.ts), so the wording of
 * every error stays in TypeScript, next to the rest of the module's.
 *
 * Verdicts of payment_reserve_movement:
 *   created            the movement row is in, counted against the bounds
 *   payment_not_found  no live payment with that id
 *   canceled           (capture) the payment was canceled
 *   reconcile          an earlier movement's outcome is unknown, or one is
 *                      pending for longer than p_stale_ms (its process died),
 *                      or a cancel was left half-done: reconcile first
 *   noop               (capture) everything authorized is captured or reserved
 *   nothing_left       no amount was given and nothing is left to move
 *   unknown_currency   the payment's currency is not in the ISO 4217 table
 *   too_precise        the amount has more decimals than the currency
 *   exceeds            more than is left to capture / refund
 *   reason_not_found   (refund) no such refund reason
 */
export class Migration20261121170000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create or replace function payment_authorize_session(
        p_session_id text, p_payment_id text, p_data jsonb, p_captured boolean, p_capture_id text,
        p_lock_timeout text
      ) returns table (verdict text, payment jsonb, capture_id text)
      language plpgsql as $$
      declare
        s payment_session%rowtype;
        p payment%rowtype;
      begin
        perform set_config('lock_timeout', p_lock_timeout, true);
        -- By primary key alone, deleted_at checked after: with "and deleted_at is null"
        -- in the WHERE, a plan cached while the table was empty may scan a partial
        -- index of every live row instead of the primary key.
        select * into s from payment_session where id = p_session_id for update;
        if not found or s.deleted_at is not null then
          return query select 'session_not_found'::text, null::jsonb, null::text;
          return;
        end if;
        -- A competing call that authorized this session while we asked the
        -- provider committed before we got the lock: its payment is ours too.
        -- Only an authorized session (authorized_at is set with its Payment, in
        -- one statement) can have one, so a first authorization skips the lookup.
        if s.authorized_at is not null then
          select * into p from payment where payment_session_id = s.id and deleted_at is null;
          if found then
            return query select 'existing'::text, to_jsonb(p), null::text;
            return;
          end if;
        end if;
        update payment_session
           set status = 'authorized', data = p_data, authorized_at = coalesce(authorized_at, now()), updated_at = now()
         where id = s.id;
        insert into payment (id, amount, raw_amount, currency_code, provider_id, data, captured_at,
                             payment_collection_id, payment_session_id)
        values (p_payment_id, s.amount, s.raw_amount, s.currency_code, s.provider_id, p_data,
                case when p_captured then now() end, s.payment_collection_id, s.id)
        returning * into p;
        if p_captured then
          -- The provider took the money at authorization: record it, no second capture.
          insert into capture (id, payment_id, amount, raw_amount, status)
          values (p_capture_id, p.id, s.amount, s.raw_amount, 'succeeded');
        end if;
        return query select 'created'::text, to_jsonb(p), case when p_captured then p_capture_id end;
      end $$;`)

    this.addSql(`
      create or replace function payment_reserve_movement(
        p_kind text, p_payment_id text, p_movement_id text, p_amount numeric, p_status text,
        p_created_by text, p_note text, p_reason_id text, p_metadata jsonb, p_idempotency_key text,
        p_stale_ms integer, p_lock_timeout text
      ) returns table (verdict text, amount text, completes boolean, left_to_move text, currency_code text,
                       unknown_movements integer, payment jsonb)
      language plpgsql as $$
      declare
        p payment%rowtype;
        exp smallint;
        authorized numeric;
        left_amount numeric;
        moved numeric;
        done boolean := false;
        stale timestamptz := now() - make_interval(secs => p_stale_ms / 1000.0);
      begin
        perform set_config('lock_timeout', p_lock_timeout, true);
        select * into p from payment where id = p_payment_id for update;
        if not found or p.deleted_at is not null then
          return query select 'payment_not_found'::text, null::text, false, null::text, null::text, 0, null::jsonb;
          return;
        end if;
        if p_kind = 'capture' and p.canceled_at is not null and p.pending_operation is distinct from 'cancel' then
          return query select 'canceled'::text, null::text, false, null::text, p.currency_code, p.unknown_movements, to_jsonb(p);
          return;
        end if;
        if p.unknown_movements > 0
           or (p.pending_operation = 'cancel' and p.updated_at < stale)
           or (p.pending_movements > 0 and (
                 exists (select 1 from capture c where c.payment_id = p.id and c.deleted_at is null
                           and c.status = 'pending' and c.updated_at < stale)
              or exists (select 1 from refund r where r.payment_id = p.id and r.deleted_at is null
                           and r.status = 'pending' and r.updated_at < stale))) then
          return query select 'reconcile'::text, null::text, false, null::text, p.currency_code, p.unknown_movements, to_jsonb(p);
          return;
        end if;
        if p_kind = 'capture' and p.canceled_at is not null then
          return query select 'canceled'::text, null::text, false, null::text, p.currency_code, p.unknown_movements, to_jsonb(p);
          return;
        end if;
        exp := p.currency_exponent;
        if exp is null then
          return query select 'unknown_currency'::text, null::text, false, null::text, p.currency_code, 0, to_jsonb(p);
          return;
        end if;
        authorized := (p.raw_amount->>'value')::numeric;
        if p_kind = 'capture' then
          -- Fully captured, or about to be by captures still waiting for the
          -- provider: a second request for the same money has nothing to do.
          if p.captured_at is not null or round(p.captured_total, exp) >= round(authorized, exp) then
            return query select 'noop'::text, null::text, true, '0'::text, p.currency_code, 0, to_jsonb(p);
            return;
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
            return query select 'nothing_left'::text, null::text, false, left_amount::text, p.currency_code, 0, to_jsonb(p);
            return;
          end if;
        else
          if p_amount <> round(p_amount, exp) then
            return query select 'too_precise'::text, p_amount::text, false, left_amount::text, p.currency_code, 0, to_jsonb(p);
            return;
          end if;
          moved := p_amount;
        end if;
        if round(moved, exp) > round(left_amount, exp) then
          return query select 'exceeds'::text, moved::text, false, left_amount::text, p.currency_code, 0, to_jsonb(p);
          return;
        end if;

        if p_kind = 'capture' then
          done := round(p.captured_total + moved, exp) >= round(authorized, exp);
          insert into capture (id, payment_id, amount, raw_amount, created_by, idempotency_key, status)
          values (p_movement_id, p.id, moved, jsonb_build_object('value', moved::text, 'precision', 20),
                  p_created_by, p_idempotency_key, p_status);
          if p_status = 'succeeded' and done then
            update payment set captured_at = coalesce(captured_at, now()), updated_at = now() where id = p.id;
          end if;
        else
          if p_reason_id is not null and not exists (select 1 from refund_reason where id = p_reason_id and deleted_at is null) then
            return query select 'reason_not_found'::text, moved::text, false, left_amount::text, p.currency_code, 0, to_jsonb(p);
            return;
          end if;
          insert into refund (id, payment_id, amount, raw_amount, created_by, note, refund_reason_id, metadata,
                              idempotency_key, status)
          values (p_movement_id, p.id, moved, jsonb_build_object('value', moved::text, 'precision', 20),
                  p_created_by, p_note, p_reason_id, p_metadata, p_idempotency_key, p_status);
        end if;
        return query select 'created'::text, moved::text, done, left_amount::text, p.currency_code, 0, to_jsonb(p);
      end $$;`)

    // The provider confirmed: the movement succeeded, and the payment takes
    // the provider's data (and, for the capture that completes it, captured_at).
    //
    // Its commit does not wait for the WAL to reach disk. The reservation
    // before the provider call did (the money is bounded by then); if the
    // server crashed within the next fraction of a second and lost this
    // settle, the movement would be found pending, and reconciliation asks
    // the provider again with the same idempotency key and settles it. One
    // disk flush per movement less, and nothing that cannot be redone.
    this.addSql(`
      create or replace function payment_settle_movement(
        p_kind text, p_movement_id text, p_payment_id text, p_data jsonb, p_completes boolean,
        p_own_transaction boolean
      ) returns table (payment jsonb, movement jsonb, payment_updated boolean)
      language plpgsql as $$
      declare
        m jsonb;
        p payment%rowtype;
        touched boolean := p_data is not null or p_completes;
      begin
        -- only when the statement is its own transaction: a caller's transaction keeps its own durability
        if p_own_transaction then perform set_config('synchronous_commit', 'off', true); end if;
        if p_kind = 'capture' then
          update capture c set status = 'succeeded', updated_at = now() where c.id = p_movement_id and c.status <> 'succeeded'
          returning to_jsonb(c) into m;
          if m is null then select to_jsonb(c) into m from capture c where c.id = p_movement_id; end if;
        else
          update refund r set status = 'succeeded', updated_at = now() where r.id = p_movement_id and r.status <> 'succeeded'
          returning to_jsonb(r) into m;
          if m is null then select to_jsonb(r) into m from refund r where r.id = p_movement_id; end if;
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
        return query select to_jsonb(p), m, touched;
      end $$;`)
  }

  override async down(): Promise<void> {
    this.addSql(`drop function if exists payment_settle_movement(text, text, text, jsonb, boolean, boolean);`)
    this.addSql(
      `drop function if exists payment_reserve_movement(text, text, text, numeric, text, text, text, text, jsonb, text, integer, text);`
    )
    this.addSql(`drop function if exists payment_authorize_session(text, text, jsonb, boolean, text, text);`)
  }
}
