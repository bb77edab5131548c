-- The module's triggers: the one place its books are kept (the functions they run are in
-- src/sql/functions/). Every write to a money table — by the module's functions, the
-- generated CRUD methods, reconciliation or a hand-written statement — goes through them:
-- a write is either booked here or refused here, never booked another way.
--
-- Defined by Migration20261202004548, except the ledger's two (Migration20261121134900).
-- To change one, edit this file and add a migration that runs the same statements
-- (README, "Development").

-- payment_collection -------------------------------------------------------------------

drop trigger if exists "payment_collection_status_ledger" on "payment_collection";
create trigger "payment_collection_status_ledger"
  after insert on "payment_collection"
  for each row
  execute function payment_collection_status_ledger();

drop trigger if exists "payment_collection_status_change_ledger" on "payment_collection";
create trigger "payment_collection_status_change_ledger"
  after update of status on "payment_collection"
  for each row
  when (OLD.status is distinct from NEW.status)
  execute function payment_collection_status_ledger();

-- payment_session ----------------------------------------------------------------------

drop trigger if exists "payment_session_status_ledger" on "payment_session";
create trigger "payment_session_status_ledger"
  after insert on "payment_session"
  for each row
  execute function payment_session_status_ledger();

drop trigger if exists "payment_session_status_change_ledger" on "payment_session";
create trigger "payment_session_status_change_ledger"
  after update of status on "payment_session"
  for each row
  when (OLD.status is distinct from NEW.status)
  execute function payment_session_status_ledger();

drop trigger if exists "payment_session_collection_totals" on "payment_session";
create trigger "payment_session_collection_totals"
  after insert on "payment_session"
  for each row
  when (NEW.status = 'authorized' and NEW.deleted_at is null)
  execute function payment_session_collection_totals();

drop trigger if exists "payment_session_collection_totals_delete" on "payment_session";
create trigger "payment_session_collection_totals_delete"
  after delete on "payment_session"
  for each row
  when (OLD.status = 'authorized' and OLD.deleted_at is null)
  execute function payment_session_collection_totals();

drop trigger if exists "payment_session_collection_totals_change" on "payment_session";
create trigger "payment_session_collection_totals_change"
  after update on "payment_session"
  for each row
  when (OLD.status is distinct from NEW.status or OLD.raw_amount is distinct from NEW.raw_amount
        or OLD.deleted_at is distinct from NEW.deleted_at
        or OLD.payment_collection_id is distinct from NEW.payment_collection_id)
  execute function payment_session_collection_totals();

-- payment ------------------------------------------------------------------------------

drop trigger if exists "payment_authorization_ledger" on "payment";
create trigger "payment_authorization_ledger"
  after insert or update of canceled_at, captured_at on "payment"
  for each row
  execute function payment_authorization_ledger();

-- payment_movement ---------------------------------------------------------------------

drop trigger if exists "payment_movement_guard" on "payment_movement";
create trigger "payment_movement_guard"
  before update or delete on "payment_movement"
  for each row
  execute function payment_movement_guard();

drop trigger if exists "payment_movement_books" on "payment_movement";
create trigger "payment_movement_books"
  after insert or update of status on "payment_movement"
  for each row
  execute function payment_movement_books();

-- capture and refund: settled money only -----------------------------------------------

drop trigger if exists "capture_settled_row_insert" on "capture";
create trigger "capture_settled_row_insert"
  after insert on "capture"
  for each row
  execute function payment_settled_row_guard();

drop trigger if exists "capture_settled_row_change" on "capture";
create trigger "capture_settled_row_change"
  before update or delete on "capture"
  for each row
  execute function payment_settled_row_guard();

drop trigger if exists "refund_settled_row_insert" on "refund";
create trigger "refund_settled_row_insert"
  after insert on "refund"
  for each row
  execute function payment_settled_row_guard();

drop trigger if exists "refund_settled_row_change" on "refund";
create trigger "refund_settled_row_change"
  before update or delete on "refund"
  for each row
  execute function payment_settled_row_guard();

-- payment_ledger_entry: append-only -----------------------------------------------------

drop trigger if exists "payment_ledger_entry_append_only" on "payment_ledger_entry";
create trigger "payment_ledger_entry_append_only"
  before update or delete on "payment_ledger_entry"
  for each row
  execute function payment_ledger_is_append_only();

drop trigger if exists "payment_ledger_entry_no_truncate" on "payment_ledger_entry";
create trigger "payment_ledger_entry_no_truncate"
  before truncate on "payment_ledger_entry"
  for each statement
  execute function payment_ledger_is_append_only();
