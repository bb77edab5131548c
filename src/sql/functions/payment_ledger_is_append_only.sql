-- Trigger function (payment_ledger_entry: before update or delete, for each
-- row; before truncate, for each statement). Refuses the change: the ledger is append-only.
-- Writes: nothing (raises restrict_violation).
--
-- Defined by Migration20261121134900; the body below is its text, byte for byte.
-- To change it, edit this file and add a migration that runs the same text (README, "Development").
create or replace function payment_ledger_is_append_only()
returns trigger
language plpgsql
as $$
      begin
        raise exception 'payment_ledger_entry is append-only: % is not allowed', TG_OP
          using errcode = 'restrict_violation';
      end $$;
