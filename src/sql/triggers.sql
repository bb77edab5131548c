-- The module's triggers, as the migrations left them (the functions they run are in
-- src/sql/functions/). Every bookkeeping trigger carries
--   when (current_setting('payment.books', true) is distinct from 'kept')
-- so that a hot-path function (set payment.books = 'kept') books its own rows once;
-- every other write is booked by these triggers.
--
-- Defined by Migration20261121190000, except the ledger's two (Migration20261121134900).
-- To change one, edit this file and add a migration that runs the same statements
-- (README, "Development").

-- payment_collection -------------------------------------------------------------------

drop trigger if exists "payment_collection_currency_exponent" on "payment_collection";
create trigger "payment_collection_currency_exponent"
  before insert or update of currency_code on "payment_collection"
  for each row
  when (current_setting('payment.books', true) is distinct from 'kept')
  execute function payment_set_currency_exponent();

drop trigger if exists "payment_collection_status_ledger" on "payment_collection";
create trigger "payment_collection_status_ledger"
  after insert on "payment_collection"
  for each row
  when (current_setting('payment.books', true) is distinct from 'kept')
  execute function payment_collection_status_ledger();

drop trigger if exists "payment_collection_status_change_ledger" on "payment_collection";
create trigger "payment_collection_status_change_ledger"
  after update of status on "payment_collection"
  for each row
  when ((OLD.status is distinct from NEW.status)
        and current_setting('payment.books', true) is distinct from 'kept')
  execute function payment_collection_status_ledger();

-- payment_session ----------------------------------------------------------------------

drop trigger if exists "payment_session_status_ledger" on "payment_session";
create trigger "payment_session_status_ledger"
  after insert on "payment_session"
  for each row
  when (current_setting('payment.books', true) is distinct from 'kept')
  execute function payment_session_status_ledger();

drop trigger if exists "payment_session_status_change_ledger" on "payment_session";
create trigger "payment_session_status_change_ledger"
  after update of status on "payment_session"
  for each row
  when ((OLD.status is distinct from NEW.status)
        and current_setting('payment.books', true) is distinct from 'kept')
  execute function payment_session_status_ledger();

-- Only authorized sessions carry money into the collection's totals.
drop trigger if exists "payment_session_collection_totals" on "payment_session";
create trigger "payment_session_collection_totals"
  after insert on "payment_session"
  for each row
  when ((NEW.status = 'authorized' and NEW.deleted_at is null)
        and current_setting('payment.books', true) is distinct from 'kept')
  execute function payment_session_collection_totals();

drop trigger if exists "payment_session_collection_totals_delete" on "payment_session";
create trigger "payment_session_collection_totals_delete"
  after delete on "payment_session"
  for each row
  when ((OLD.status = 'authorized' and OLD.deleted_at is null)
        and current_setting('payment.books', true) is distinct from 'kept')
  execute function payment_session_collection_totals();

drop trigger if exists "payment_session_collection_totals_change" on "payment_session";
create trigger "payment_session_collection_totals_change"
  after update on "payment_session"
  for each row
  when ((OLD.status is distinct from NEW.status or OLD.raw_amount is distinct from NEW.raw_amount
         or OLD.deleted_at is distinct from NEW.deleted_at
         or OLD.payment_collection_id is distinct from NEW.payment_collection_id)
        and current_setting('payment.books', true) is distinct from 'kept')
  execute function payment_session_collection_totals();

-- payment ------------------------------------------------------------------------------

drop trigger if exists "payment_currency_exponent" on "payment";
create trigger "payment_currency_exponent"
  before insert or update of currency_code on "payment"
  for each row
  when (current_setting('payment.books', true) is distinct from 'kept')
  execute function payment_set_currency_exponent();

drop trigger if exists "payment_authorization_ledger" on "payment";
create trigger "payment_authorization_ledger"
  after insert or update of canceled_at, captured_at on "payment"
  for each row
  when (current_setting('payment.books', true) is distinct from 'kept')
  execute function payment_authorization_ledger();

-- capture, refund ----------------------------------------------------------------------

drop trigger if exists "capture_books" on "capture";
create trigger "capture_books"
  after insert or update or delete on "capture"
  for each row
  when (current_setting('payment.books', true) is distinct from 'kept')
  execute function payment_movement_books();

drop trigger if exists "refund_books" on "refund";
create trigger "refund_books"
  after insert or update or delete on "refund"
  for each row
  when (current_setting('payment.books', true) is distinct from 'kept')
  execute function payment_movement_books();

-- payment_ledger_entry: append-only, whoever writes -----------------------------------

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
