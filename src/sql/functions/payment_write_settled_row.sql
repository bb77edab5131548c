-- Writes the capture or refund row of a movement that has succeeded, with the movement's
-- id: the one way a row reaches the tables Medusa reads (payment_settled_row_guard refuses
-- any other). Called by payment_movement_books when a movement succeeds. Does nothing for a
-- cancel or when the row exists.
-- Writes: capture or refund.
--
-- Defined by Migration20261202004548.
-- To change it, edit this file and add a migration that runs the same text (README, "Development").
create or replace function payment_write_settled_row(p_movement_id text)
returns void
language plpgsql
as $$
  declare
    m payment_movement%rowtype;
  begin
    select * into m from payment_movement where id = p_movement_id;
    if m.kind = 'capture' then
      insert into capture (id, payment_id, amount, raw_amount, created_by, metadata)
      values (m.id, m.payment_id, m.amount, m.raw_amount, m.created_by, m.metadata)
      on conflict (id) do nothing;
    elsif m.kind = 'refund' then
      insert into refund (id, payment_id, amount, raw_amount, created_by, note, refund_reason_id, metadata)
      values (m.id, m.payment_id, m.amount, m.raw_amount, m.created_by, m.note, m.refund_reason_id, m.metadata)
      on conflict (id) do nothing;
    end if;
  end $$;
