-- Step 2 of a capture or refund (after the provider confirmed it; also reconciliation's):
-- the movement becomes succeeded, its capture or refund row is written, the provider's data
-- is merged into the payment's, and a capture that brings the settled total to the
-- authorized amount sets captured_at. A movement settled already is left as it is. Returns
-- whether this call settled the movement, the movement's status (a refused one stays refused),
-- whether the payment changed, and what Medusa's answer carries (payment_answer_context).
-- With p_own_transaction the commit does not wait for the disk: a settle lost to a crash
-- leaves the movement pending, and reconciliation confirms it with the same key.
-- Answers with payment_answer_context.
-- Writes: payment_movement, capture or refund, payment (books: payment_movement_books).
--
-- Defined by Migration20261121170000, Migration20261121190000 and Migration20261202004548; the body below is Migration20261202004548's text.
-- To change it, edit this file and add a migration that runs the same text (README, "Development").
create or replace function payment_settle_movement(
  p_movement_id text,
  p_payment_id text,
  p_data jsonb,
  p_own_transaction boolean
)
returns table (
  settled_now boolean,
  movement_status text,
  payment_updated boolean,
  payment jsonb,
  movement jsonb,
  payment_session jsonb,
  payment_collection jsonb,
  collection_sessions jsonb,
  others jsonb
)
language plpgsql
set plan_cache_mode = 'force_generic_plan'
as $$
  declare
    p payment%rowtype;
    m payment_movement%rowtype;
    v_ignored text;
    v_data jsonb;
    v_completes boolean := false;
    exp smallint;
    v_status_before text;
  begin
    if p_own_transaction then v_ignored := set_config('synchronous_commit', 'off', true); end if;
    -- The payment, then its movement: the order every other money path locks them in.
    select * into p from payment where id = p_payment_id for no key update;
    select * into m from payment_movement where id = p_movement_id and payment_id = p_payment_id for update;
    -- Medusa's answer shows the collection's status as it was before this movement.
    select c.status into v_status_before from payment_collection c where c.id = p.payment_collection_id;
    if m.id is not null and m.status in ('pending', 'unknown') then
      update payment_movement set status = 'succeeded', settled_at = now(), updated_at = now() where id = m.id;
      settled_now := true;
      if m.kind = 'capture' and p.captured_at is null then
        exp := coalesce(payment_currency_exponent(p.currency_code), 20);
        select round(coalesce(sum(x.amount), 0), exp) >= round((p.raw_amount->>'value')::numeric, exp) into v_completes
          from payment_movement x
         where x.payment_id = p.id and x.kind = 'capture' and x.status = 'succeeded' and x.deleted_at is null;
      end if;
    end if;
    if m.id is not null and m.status <> 'refused' then
      v_data := payment_json_merge(p.data, p_data);
      if v_completes or v_data is distinct from p.data then
        update payment set data = v_data,
               captured_at = case when v_completes then coalesce(captured_at, now()) else captured_at end,
               updated_at = now()
         where id = p.id
        returning * into p;
        payment_updated := true;
      end if;
    end if;
    payment_updated := coalesce(payment_updated, false);
    settled_now := coalesce(settled_now, false);
    movement_status := m.status;
    if settled_now then movement_status := 'succeeded'; end if;
    select * into payment, movement, payment_session, payment_collection, collection_sessions, others
      from payment_answer_context(p.id, m.kind, p_movement_id);
    payment_collection := jsonb_set(payment_collection, '{status}', to_jsonb(v_status_before));
    return next; return;
  end $$;
