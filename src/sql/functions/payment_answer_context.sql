-- What the answer to a capture or refund carries, read in one go: the payment, the capture
-- or refund the call made (null for none), the payment's session and collection, the
-- collection's live sessions, and the payment's settled movements of the other kind
-- (refunds for a capture, captures for a refund). Medusa's module answers with these
-- loaded; the service shapes them (src/money/answers.ts).
-- Writes: nothing.
--
-- Defined by Migration20261202004548.
-- To change it, edit this file and add a migration that runs the same text (README, "Development").
create or replace function payment_answer_context(p_payment_id text, p_kind text, p_movement_id text)
returns table (
  payment jsonb,
  movement jsonb,
  payment_session jsonb,
  payment_collection jsonb,
  collection_sessions jsonb,
  others jsonb
)
language sql stable
as $$
  select to_jsonb(p),
         case when p_kind = 'capture' then (select to_jsonb(c) from capture c where c.id = p_movement_id and c.payment_id = p.id)
              else (select to_jsonb(r) from refund r where r.id = p_movement_id and r.payment_id = p.id) end,
         (select to_jsonb(s) from payment_session s where s.id = p.payment_session_id),
         (select to_jsonb(c) from payment_collection c where c.id = p.payment_collection_id),
         (select coalesce(jsonb_agg(to_jsonb(s) order by s.created_at, s.id), '[]'::jsonb)
            from payment_session s where s.payment_collection_id = p.payment_collection_id and s.deleted_at is null),
         case when p_kind = 'capture'
              then (select coalesce(jsonb_agg(to_jsonb(r) order by r.created_at, r.id), '[]'::jsonb)
                      from refund r where r.payment_id = p.id and r.deleted_at is null)
              else (select coalesce(jsonb_agg(to_jsonb(c) order by c.created_at, c.id), '[]'::jsonb)
                      from capture c where c.payment_id = p.id and c.deleted_at is null) end
    from payment p
   where p.id = p_payment_id
$$;
