-- Authorizes a payment session in one statement (src/sql/hot-path.ts, after the
-- provider said yes): locks the session and its collection, answers the existing Payment
-- when a competing call already made it, else marks the session authorized, inserts the
-- Payment, moves the collection's authorized total and status and appends their ledger
-- entries. Returns a verdict (session_not_found, existing, created); never raises for a
-- refused request. A provider that captured at authorization, or a session already counted
-- as authorized, is left to the triggers (payment.books = 'triggers').
-- Writes: payment_session, payment, payment_collection, payment_ledger_entry; capture when
-- p_captured.
--
-- Defined by Migration20261121170000 and Migration20261121190000; the body below is Migration20261121190000's text, byte for byte.
-- To change it, edit this file and add a migration that runs the same text (README, "Development").
create or replace function payment_authorize_session(
  p_session_id text,
  p_payment_id text,
  p_data jsonb,
  p_captured boolean,
  p_capture_id text,
  p_lock_timeout text
)
returns table (
  verdict text,
  payment jsonb,
  capture_id text
)
language plpgsql
set payment.books = 'kept'
set plan_cache_mode = 'force_generic_plan'
as $$
      declare
        s payment_session%rowtype;
        p payment%rowtype;
        col record;
        v_ignored text;
        v_amount numeric;
        v_authorized numeric;
        v_next_status text;
      begin
        v_ignored := set_config('lock_timeout', p_lock_timeout, true);
        
        select ses as locked, c.id, c.status::text as status, c.currency_code, c.currency_exponent,
               (c.raw_amount->>'value')::numeric as amount,
               coalesce((c.raw_authorized_amount->>'value')::numeric, 0) as authorized,
               coalesce((c.raw_captured_amount->>'value')::numeric, 0) as captured,
               coalesce((c.raw_refunded_amount->>'value')::numeric, 0) as refunded
          into col
          from payment_session ses join payment_collection c on c.id = ses.payment_collection_id
         where ses.id = p_session_id
           for update of ses for no key update of c;
        if found then s := col.locked; end if;
        if s.id is null or s.deleted_at is not null then
          verdict := 'session_not_found'; return next; return;
        end if;
        -- A competing call that authorized this session while we asked the
        -- provider committed before we got the lock: its payment is ours too.
        -- Only an authorized session (authorized_at is set with its Payment, in
        -- one statement) can have one, so a first authorization skips the lookup.
        if s.authorized_at is not null then
          select * into p from payment where payment_session_id = s.id and deleted_at is null;
          if found then
            verdict := 'existing'; payment := to_jsonb(p); return next; return;
          end if;
        end if;

        if p_captured or s.status = 'authorized' then
          -- Uncommon: the provider took the money at authorization (a capture
          -- to record too), or the session already counted as authorized.
          v_ignored := set_config('payment.books', 'triggers', true);
          update payment_session
             set status = 'authorized', data = p_data, authorized_at = coalesce(authorized_at, now()), updated_at = now()
           where id = s.id;
          insert into payment (id, amount, raw_amount, currency_code, provider_id, data, captured_at,
                               payment_collection_id, payment_session_id)
          values (p_payment_id, s.amount, s.raw_amount, s.currency_code, s.provider_id, p_data,
                  case when p_captured then now() end, s.payment_collection_id, s.id)
          returning * into p;
          if p_captured then
            insert into capture (id, payment_id, amount, raw_amount, status)
            values (p_capture_id, p.id, s.amount, s.raw_amount, 'succeeded');
          end if;
          verdict := 'created'; payment := to_jsonb(p); capture_id := case when p_captured then p_capture_id end; return next; return;
        end if;

        v_amount := (s.raw_amount->>'value')::numeric;
        v_authorized := col.authorized + v_amount;
        v_next_status := payment_collection_next_status(col.status, col.amount, v_authorized, col.captured,
                                                        col.currency_exponent, col.id);
        with authorized_session as (
          update payment_session
             set status = 'authorized', data = p_data, authorized_at = coalesce(authorized_at, now()), updated_at = now()
           where id = s.id),
        collection as (
          update payment_collection c set (authorized_amount, raw_authorized_amount, captured_amount, raw_captured_amount,
          refunded_amount, raw_refunded_amount, status, completed_at, updated_at) = (v_authorized, payment_raw(v_authorized), col.captured, payment_raw(col.captured),
          col.refunded, payment_raw(col.refunded), v_next_status,
          case when v_next_status = 'completed' then coalesce(c.completed_at, now()) else c.completed_at end, now()) where c.id = col.id),
        created as (
          insert into payment (id, amount, raw_amount, currency_code, currency_exponent, provider_id, data,
                               payment_collection_id, payment_session_id)
          values (p_payment_id, s.amount, s.raw_amount, s.currency_code, payment_currency_exponent(s.currency_code),
                  s.provider_id, p_data, s.payment_collection_id, s.id)
          returning *),
        entries as (insert into payment_ledger_entry (id, subject, event, subject_id, payment_id, payment_collection_id, provider_id, currency_code, amount, authorized_delta, captured_delta, refunded_delta, from_status, to_status, idempotency_key, provider_reference, raw_amount, raw_authorized_delta, raw_captured_delta, raw_refunded_delta)
          select payment_ledger_id(), e.subject, e.event, e.subject_id, e.payment_id, e.payment_collection_id, e.provider_id, e.currency_code, e.amount, e.authorized_delta, e.captured_delta, e.refunded_delta, e.from_status, e.to_status, e.idempotency_key, e.provider_reference,
                 payment_raw(e.amount), payment_raw(e.authorized_delta), payment_raw(e.captured_delta), payment_raw(e.refunded_delta)
            from (values (col.status is distinct from v_next_status, ('payment_collection')::text, ('status_changed')::text, (col.id)::text, (null)::text, (col.id)::text, (null)::text, (col.currency_code)::text, (null)::numeric, (null)::numeric, (null)::numeric, (null)::numeric, (col.status)::text, (v_next_status)::text, (null)::text, (null)::text),
                         (true, ('payment_session')::text, ('status_changed')::text, (s.id)::text, (null)::text, (s.payment_collection_id)::text, (s.provider_id)::text, (s.currency_code)::text, (null)::numeric, (null)::numeric, (null)::numeric, (null)::numeric, (s.status::text)::text, ('authorized')::text, (null)::text, (null)::text),
                         (true, ('authorization')::text, ('authorized')::text, (p_payment_id)::text, (p_payment_id)::text, (s.payment_collection_id)::text, (s.provider_id)::text, (s.currency_code)::text, (v_amount)::numeric, (v_amount)::numeric, (null)::numeric, (null)::numeric, (null)::text, ('authorized')::text, (null)::text, (s.id)::text)) as e(include, subject, event, subject_id, payment_id, payment_collection_id, provider_id, currency_code, amount, authorized_delta, captured_delta, refunded_delta, from_status, to_status, idempotency_key, provider_reference)
           where e.include)
        select * into p from created;
        verdict := 'created'; payment := to_jsonb(p); return next; return;
      end $$;
