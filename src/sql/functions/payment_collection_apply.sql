-- Adds increments to a collection's authorized, captured and refunded totals
-- and, with p_restatus, derives its status again (payment_collection_next_status) — one
-- UPDATE, which takes the row lock and reads the newest row version, so concurrent
-- movements never overwrite each other. Called by the bookkeeping triggers.
-- (Migration20261121190000 dropped the earlier six-argument form, which had a session count.)
-- Writes: payment_collection.
--
-- Defined by Migration20261121150000, Migration20261121165000, Migration20261121190000 and Migration20261202004548; the body below is Migration20261202004548's text.
-- To change it, edit this file and add a migration that runs the same text (README, "Development").
create or replace function payment_collection_apply(
  p_collection_id text,
  p_authorized numeric,
  p_captured numeric,
  p_refunded numeric,
  p_restatus boolean
)
returns void
language plpgsql
as $$
      begin
        -- One UPDATE takes the row lock, and its sub-select reads the newest
        -- row version (READ COMMITTED re-reads it after a wait): concurrent
        -- movements never overwrite each other.
        update payment_collection c set (authorized_amount, raw_authorized_amount, captured_amount, raw_captured_amount,
          refunded_amount, raw_refunded_amount, status, completed_at, updated_at) = (
          select n.authorized, payment_raw(n.authorized), n.captured, payment_raw(n.captured),
          n.refunded, payment_raw(n.refunded), s.status,
          case when s.status = 'completed' then coalesce(c.completed_at, now()) else c.completed_at end, now()
            from (select coalesce((c.raw_authorized_amount->>'value')::numeric, 0) + p_authorized as authorized,
                         coalesce((c.raw_captured_amount->>'value')::numeric, 0) + p_captured as captured,
                         coalesce((c.raw_refunded_amount->>'value')::numeric, 0) + p_refunded as refunded) n
            cross join lateral (
              select case when p_restatus then payment_collection_next_status(
                c.status::text, (c.raw_amount->>'value')::numeric, n.authorized, n.captured, payment_currency_exponent(c.currency_code), c.id)
              else c.status::text end as status) s)
         where c.id = p_collection_id;
      end $$;
