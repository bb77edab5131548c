-- Authorizes a session after its provider did (src/sql/hot-path.ts): locks the session and
-- its collection, and — unless a competing call already made the session's Payment, which
-- is then returned — marks the session authorized (merging the provider's data into the
-- session's, as Medusa's module does), creates the Payment and, when the provider took the
-- money at authorization, records that capture (rounded to the currency: what can move).
-- Answers with the payment and session (and, for an existing payment, its collection).
-- The books are kept by the triggers.
-- Writes: payment_session, payment (payment_movement, capture when captured).
--
-- Defined by Migration20261121170000, Migration20261121190000 and Migration20261202004548; the body below is Migration20261202004548's text.
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
  capture_id text,
  payment_session jsonb,
  payment_collection jsonb
)
language plpgsql
set plan_cache_mode = 'force_generic_plan'
as $$
  declare
    s payment_session%rowtype;
    p payment%rowtype;
    v_ignored text;
    v_captured numeric;
  begin
    v_ignored := set_config('lock_timeout', p_lock_timeout, true);
    select ses.* into s
      from payment_session ses join payment_collection c on c.id = ses.payment_collection_id
     where ses.id = p_session_id
       for update of ses for no key update of c;
    if s.id is null or s.deleted_at is not null then
      verdict := 'session_not_found'; return next; return;
    end if;
    -- A competing call that authorized this session while we asked the provider committed
    -- before we got the lock: its payment is ours too. Only an authorized session
    -- (authorized_at is set with its Payment) can have one.
    if s.authorized_at is not null then
      select * into p from payment where payment_session_id = s.id and deleted_at is null;
      if found then
        verdict := 'existing'; payment := to_jsonb(p); payment_session := to_jsonb(s);
        select to_jsonb(c) into payment_collection from payment_collection c where c.id = s.payment_collection_id;
        return next; return;
      end if;
    end if;

    update payment_session
       set status = 'authorized', data = payment_json_merge(data, p_data),
           authorized_at = coalesce(authorized_at, now()), updated_at = now()
     where id = s.id
    returning * into s;
    insert into payment (id, amount, raw_amount, currency_code, provider_id, data,
                         payment_collection_id, payment_session_id)
    values (p_payment_id, s.amount, s.raw_amount, s.currency_code, s.provider_id, p_data,
            s.payment_collection_id, s.id)
    returning * into p;
    if p_captured then
      v_captured := trim_scale(round((s.raw_amount->>'value')::numeric,
                                     coalesce(payment_currency_exponent(s.currency_code), 20)));
      insert into payment_movement (id, kind, payment_id, amount, raw_amount, status, settled_at)
      values (p_capture_id, 'capture', p.id, v_captured, payment_raw(v_captured), 'succeeded', now());
      update payment set captured_at = now(), updated_at = now() where id = p.id returning * into p;
      capture_id := p_capture_id;
    end if;
    verdict := 'created'; payment := to_jsonb(p); payment_session := to_jsonb(s); return next; return;
  end $$;
