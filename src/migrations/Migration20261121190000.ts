import { Migration } from "@medusajs/framework/mikro-orm/migrations"
import { Migration20261121134900 } from "./Migration20261121134900"
import { Migration20261121150000 } from "./Migration20261121150000"
import { Migration20261121165000 } from "./Migration20261121165000"
import { Migration20261121170000 } from "./Migration20261121170000"
import { currencyExponent, knownCurrencyCodes } from "../utils/currency"

/**
 * The hot path keeps its own books; the triggers keep everyone else's.
 *
 * Until now every write of a checkout fired row triggers that updated the
 * payment, then the collection, then appended ledger entries — each a
 * separate statement inside a separate function call, about sixty internal
 * statements per checkout. The functions of the money path (create
 * collections, create a session, authorize, reserve and settle a capture
 * or refund) now write their rows, the payment's and collection's totals
 * and the ledger entries in one statement each (writable CTEs), after
 * locking the rows in one more, with the same figures and the same entries
 * the triggers would have written.
 *
 * Those functions carry `SET payment.books = 'kept'`, and every bookkeeping
 * trigger has `WHEN (the setting is not 'kept')`: while such a function
 * runs, its own rows are not booked twice. PostgreSQL restores the setting
 * when the function returns or fails, so it never outlives the call, even
 * inside a caller's transaction. Any other write — the generated CRUD
 * methods, reconciliation, a hand-written statement — still fires the
 * triggers, which stay the one guarantee that no path can skip the books.
 * A function meeting a state its single statement does not cover (a
 * provider that captured at authorization, a soft-deleted movement, …)
 * switches the setting back and lets the triggers do it.
 *
 * The money bounds stay a CHECK constraint on payment, which the hot path's
 * UPDATEs meet like any other.
 *
 * Also: `payment_collection.session_count` is gone. Only the status rule
 * needs to know whether a collection has live sessions, and only when no
 * money is authorized or captured; `payment_collection_next_status` asks
 * the sessions table then, instead of every session insert and delete
 * updating the collection row.
 *
 * And `payment_currency_exponent` reads the ISO 4217 table from one jsonb
 * constant instead of a CASE of some 180 branches (see below).
 */

const BOOKS_SETTING = "payment.books"
/** trigger condition: the row is not being booked by a hot-path function */
const BOOKED_BY_TRIGGERS = `current_setting('${BOOKS_SETTING}', true) is distinct from 'kept'`
/**
 * Attributes of the hot-path functions: they book their own rows, and their
 * statements run on generic plans, planned once per connection. Left to
 * choose, PostgreSQL keeps re-planning them on every call: a custom plan
 * can fold away the parameter-dependent branches (which ledger entries to
 * write, capture or refund), so it always looks cheaper than the generic one,
 * and planning a statement this size costs more than running it.
 */
const KEEPS_ITS_BOOKS = `set ${BOOKS_SETTING} = 'kept' set plan_cache_mode = force_generic_plan`
/** statement: let the triggers book what follows (restored when the function returns) */
const BOOKS_BY_TRIGGERS = `v_ignored := set_config('${BOOKS_SETTING}', 'triggers', true);`

const LEDGER_FIELDS = [
  ["subject", "text"],
  ["event", "text"],
  ["subject_id", "text"],
  ["payment_id", "text"],
  ["payment_collection_id", "text"],
  ["provider_id", "text"],
  ["currency_code", "text"],
  ["amount", "numeric"],
  ["authorized_delta", "numeric"],
  ["captured_delta", "numeric"],
  ["refunded_delta", "numeric"],
  ["from_status", "text"],
  ["to_status", "text"],
  ["idempotency_key", "text"],
  ["provider_reference", "text"],
] as const
type LedgerField = (typeof LEDGER_FIELDS)[number][0]
const AMOUNT_FIELDS: LedgerField[] = ["amount", "authorized_delta", "captured_delta", "refunded_delta"]

/**
 * One ledger entry as SQL expressions (absent fields are null), written only
 * when `when` holds. The one description of a ledger row: the append
 * function and every hot-path statement are generated from it.
 */
type LedgerEntry = Partial<Record<LedgerField, string>> & { when?: string }

/** An INSERT of the entries that hold, as one statement (or one CTE). */
function ledgerInsert(entries: LedgerEntry[], from?: string): string {
  const columns = LEDGER_FIELDS.map(([name]) => name)
  const rows = entries.map(
    (entry) =>
      `(${[entry.when ?? "true", ...LEDGER_FIELDS.map(([name, type]) => `(${entry[name] ?? "null"})::${type}`)].join(", ")})`
  )
  const rawColumns = AMOUNT_FIELDS.map((name) => `raw_${name}`)
  return `insert into payment_ledger_entry (id, ${columns.join(", ")}, ${rawColumns.join(", ")})
          select payment_ledger_id(), ${columns.map((c) => `e.${c}`).join(", ")},
                 ${AMOUNT_FIELDS.map((name) => `payment_raw(e.${name})`).join(", ")}
            from ${from ? `${from} cross join lateral ` : ""}(values ${rows.join(",\n                         ")}) as e(include, ${columns.join(", ")})
           where e.include`
}

const LEDGER_APPEND_ARGS = [
  "p_subject text", "p_event text", "p_subject_id text", "p_payment_id text", "p_collection_id text",
  "p_provider_id text", "p_currency text", "p_amount numeric",
  "p_authorized numeric", "p_captured numeric", "p_refunded numeric",
  "p_from text", "p_to text", "p_idempotency_key text", "p_provider_reference text",
]

/** Columns a money movement changes on its collection, in the order `collectionMoney` gives their values. */
const COLLECTION_MONEY_COLUMNS = `(authorized_amount, raw_authorized_amount, captured_amount, raw_captured_amount,
          refunded_amount, raw_refunded_amount, status, completed_at, updated_at)`

/** Values for COLLECTION_MONEY_COLUMNS: the new figures as SQL expressions, `c` the collection row. */
function collectionMoney(c: string, v: { authorized: string; captured: string; refunded: string; status: string }): string {
  return `${v.authorized}, payment_raw(${v.authorized}), ${v.captured}, payment_raw(${v.captured}),
          ${v.refunded}, payment_raw(${v.refunded}), ${v.status},
          case when ${v.status} = 'completed' then coalesce(${c}.completed_at, now()) else ${c}.completed_at end, now()`
}

/**
 * Locks a row and the collection it belongs to in one statement (the lock
 * the collection's UPDATE would take, taken first so that the status it had
 * is the one the ledger records), into the plpgsql record `col`: the row as
 * `col.locked`, the collection's figures as `col.id`, `col.status`, ….
 */
function lockWithCollection(q: { from: string; row: string; where: string; collectionId: string }): string {
  return `
        select ${q.row} as locked, c.id, c.status::text as status, c.currency_code, c.currency_exponent,
               (c.raw_amount->>'value')::numeric as amount,
               coalesce((c.raw_authorized_amount->>'value')::numeric, 0) as authorized,
               coalesce((c.raw_captured_amount->>'value')::numeric, 0) as captured,
               coalesce((c.raw_refunded_amount->>'value')::numeric, 0) as refunded
          into col
          from ${q.from} join payment_collection c on c.id = ${q.collectionId}
         where ${q.where}
           for update of ${q.row} for no key update of c;`
}

/**
 * A settle's payment and movement, locked in that order in one statement,
 * into the record `locked` — the movement as columns of the same types for
 * captures and refunds, so that one cached plan serves both.
 */
function lockPaymentAndMovement(kind: Kind): string {
  return `
          select pay as payment_row, m.id as movement_id, m.status as movement_status, m.raw_amount as movement_raw_amount,
                 m.idempotency_key as movement_key, m.deleted_at as movement_deleted_at into locked
            from payment pay join ${kind} m on m.id = p_movement_id and m.payment_id = pay.id
           where pay.id = p_payment_id
             for no key update of pay for update of m;`
}

/**
 * Returns one row from a `returns table (...)` function by assigning its
 * OUT columns (absent: null) — plain expressions, where RETURN QUERY would
 * run a statement. `keep`: the values are already in the OUT variables of
 * those names.
 */
function answer(values: Record<string, string>, keep = false): string {
  const assignments = Object.entries(values)
    .filter(([name, value]) => !(keep && name === value))
    .map(([name, value]) => `${name} := ${value};`)
  return `${assignments.join(" ")} return next; return;`
}

/** An answer of payment_reserve_movement: the verdict and, by default, the locked payment as it is. */
function reserveAnswer(
  verdict: string,
  v: { amount?: string; completes?: string; left?: string; currency?: string; unknown?: string; payment?: string }
): string {
  return `verdict := ${verdict}; amount := ${v.amount ?? "null"}; completes := ${v.completes ?? "false"};
            left_to_move := ${v.left ?? "null"}; currency_code := ${v.currency ?? "p.currency_code"};
            unknown_movements := ${v.unknown ?? "0"}; payment := ${v.payment ?? "to_jsonb(p)"}; return next; return;`
}

/** The collection's new figures, from `col`, as one UPDATE (a CTE). */
const UPDATE_COLLECTION = (v: { authorized: string; captured: string; refunded: string; status: string }) => `
          update payment_collection c set ${COLLECTION_MONEY_COLUMNS} = (${collectionMoney("c", v)}) where c.id = col.id`

const COLLECTION_STATUS_ENTRY = (next: string): LedgerEntry => ({
  when: `col.status is distinct from ${next}`,
  subject: "'payment_collection'",
  event: "'status_changed'",
  subject_id: "col.id",
  payment_collection_id: "col.id",
  currency_code: "col.currency_code",
  from_status: "col.status",
  to_status: next,
})

type Kind = "capture" | "refund"
const TOTAL: Record<Kind, string> = { capture: "captured_total", refund: "refunded_total" }

/** The ledger entry of a capture or refund; amount and status expressions from the caller. */
function movementEntry(kind: Kind, e: { event: string; id: string; amount: string; delta: string; from?: string; to: string; key: string }): LedgerEntry {
  return {
    subject: `'${kind}'`,
    event: e.event,
    subject_id: e.id,
    payment_id: "p.id",
    payment_collection_id: "p.payment_collection_id",
    provider_id: "p.provider_id",
    currency_code: "p.currency_code",
    amount: e.amount,
    [kind === "capture" ? "captured_delta" : "refunded_delta"]: e.delta,
    from_status: e.from,
    to_status: e.to,
    idempotency_key: e.key,
  }
}

const FULLY_CAPTURED_ENTRY = (when: string): LedgerEntry => ({
  when,
  subject: "'authorization'",
  event: "'fully_captured'",
  subject_id: "p.id",
  payment_id: "p.id",
  payment_collection_id: "p.payment_collection_id",
  provider_id: "p.provider_id",
  currency_code: "p.currency_code",
  from_status: "'authorized'",
  to_status: "'captured'",
})

/** Reserving (or recording) a capture or refund: the row, both totals and the entries, one statement. */
function reserveStatement(kind: Kind): string {
  const insert =
    kind === "capture"
      ? `insert into capture (id, payment_id, amount, raw_amount, created_by, idempotency_key, status)
                values (p_movement_id, p.id, moved, payment_raw(moved), p_created_by, p_idempotency_key, p_status)`
      : `insert into refund (id, payment_id, amount, raw_amount, created_by, note, refund_reason_id, metadata,
                                 idempotency_key, status)
                values (p_movement_id, p.id, moved, payment_raw(moved), p_created_by, p_note, p_reason_id, p_metadata,
                        p_idempotency_key, p_status)`
  const completes = kind === "capture" ? "v_sets_captured_at" : "false"
  return `
          with movement as (${insert}),
          totals as (
            update payment pay set ${TOTAL[kind]} = pay.${TOTAL[kind]} + moved,
                   pending_movements = pay.pending_movements + (p_status = 'pending')::int,
                   unknown_movements = pay.unknown_movements + (p_status = 'unknown')::int,
                   captured_at = case when ${completes} then coalesce(pay.captured_at, now()) else pay.captured_at end,
                   updated_at = case when ${completes} then now() else pay.updated_at end
             where pay.id = p.id),
          collection as (${UPDATE_COLLECTION({ authorized: "col.authorized", captured: "v_captured", refunded: "v_refunded", status: "v_next_status" })})
          ${ledgerInsert([
            COLLECTION_STATUS_ENTRY("v_next_status"),
            movementEntry(kind, {
              event: "case when p_status = 'pending' then 'reserved' else 'recorded' end",
              id: "p_movement_id",
              amount: "moved",
              delta: "moved",
              to: "p_status",
              key: "p_idempotency_key",
            }),
            FULLY_CAPTURED_ENTRY(completes),
          ])};`
}

/** Settling a capture or refund the provider confirmed: its status, the payment's counters and data, the entries. */
function settleStatement(kind: Kind): string {
  return `
          with settled_movement as (
            update ${kind} m set status = 'succeeded', updated_at = now() where m.id = locked.movement_id
            returning to_jsonb(m) as row),
          settled_payment as (
            update payment pay set pending_movements = pay.pending_movements - (locked.movement_status = 'pending')::int,
                   unknown_movements = pay.unknown_movements - (locked.movement_status = 'unknown')::int,
                   data = coalesce(p_data, pay.data),
                   captured_at = case when p_completes then coalesce(pay.captured_at, now()) else pay.captured_at end,
                   updated_at = case when touched then now() else pay.updated_at end
             where pay.id = p.id
            returning to_jsonb(pay) as row),
          entries as (${ledgerInsert([
            movementEntry(kind, {
              event: "'succeeded'",
              id: "locked.movement_id",
              amount: "(locked.movement_raw_amount->>'value')::numeric",
              // zero at the amount's scale (20.5 - 20.5 = 0.0), as the trigger's new - old writes it
              delta: "(locked.movement_raw_amount->>'value')::numeric - (locked.movement_raw_amount->>'value')::numeric",
              from: "locked.movement_status",
              to: "'succeeded'",
              key: "locked.movement_key",
            }),
            FULLY_CAPTURED_ENTRY("p_completes and p.captured_at is null"),
          ])})
          select settled_payment.row, settled_movement.row into payment, v_movement_row
            from settled_payment, settled_movement;`
}

/** Every bookkeeping trigger, with the condition that lets a hot-path function book its own rows. */
const BOOKKEEPING_TRIGGERS = [
  { table: "payment_collection", name: "payment_collection_currency_exponent", timing: "before insert or update of currency_code", fn: "payment_set_currency_exponent" },
  { table: "payment_collection", name: "payment_collection_status_ledger", timing: "after insert", fn: "payment_collection_status_ledger" },
  { table: "payment_collection", name: "payment_collection_status_change_ledger", timing: "after update of status", when: "OLD.status is distinct from NEW.status", fn: "payment_collection_status_ledger" },
  { table: "payment_session", name: "payment_session_status_ledger", timing: "after insert", fn: "payment_session_status_ledger" },
  { table: "payment_session", name: "payment_session_status_change_ledger", timing: "after update of status", when: "OLD.status is distinct from NEW.status", fn: "payment_session_status_ledger" },
  // Only authorized sessions carry money into the collection's totals.
  { table: "payment_session", name: "payment_session_collection_totals", timing: "after insert", when: "NEW.status = 'authorized' and NEW.deleted_at is null", fn: "payment_session_collection_totals" },
  { table: "payment_session", name: "payment_session_collection_totals_delete", timing: "after delete", when: "OLD.status = 'authorized' and OLD.deleted_at is null", fn: "payment_session_collection_totals" },
  {
    table: "payment_session",
    name: "payment_session_collection_totals_change",
    timing: "after update",
    when: `OLD.status is distinct from NEW.status or OLD.raw_amount is distinct from NEW.raw_amount
             or OLD.deleted_at is distinct from NEW.deleted_at or OLD.payment_collection_id is distinct from NEW.payment_collection_id`,
    fn: "payment_session_collection_totals",
  },
  { table: "payment", name: "payment_currency_exponent", timing: "before insert or update of currency_code", fn: "payment_set_currency_exponent" },
  { table: "payment", name: "payment_authorization_ledger", timing: "after insert or update of canceled_at, captured_at", fn: "payment_authorization_ledger" },
  { table: "capture", name: "capture_books", timing: "after insert or update or delete", fn: "payment_movement_books" },
  { table: "refund", name: "refund_books", timing: "after insert or update or delete", fn: "payment_movement_books" },
]

export class Migration20261121190000 extends Migration {
  override async up(): Promise<void> {
    // The same ISO 4217 table (src/utils/currency.ts) as one jsonb constant.
    // As a CASE of some 180 branches, every statement that inlined it
    // compiled all of them on every execution (it is in every collection
    // and payment insert); a lookup in one constant compiles to a few steps.
    const exponents = JSON.stringify(Object.fromEntries(knownCurrencyCodes().map((code) => [code, currencyExponent(code)])))
    this.addSql(`
      create or replace function payment_currency_exponent(code text) returns smallint language sql immutable as $$
        select ('${exponents}'::jsonb ->> upper(code))::smallint
      $$;`)
    this.addSql(`
      -- stable, as jsonb_build_object is: a function declared immutable over a stable body is never inlined
      create or replace function payment_raw(v numeric) returns jsonb language sql stable as $$
        select case when v is null then null else jsonb_build_object('value', v::text, 'precision', 20) end
      $$;`)
    // Time-ordered, like the module's other ids: entries land at the right edge of the primary key's index.
    this.addSql(`
      create or replace function payment_ledger_id() returns text language sql volatile as $$
        select 'pledg_' || to_char(clock_timestamp() at time zone 'UTC', 'YYYYMMDDHH24MISSUS')
               || lpad(to_hex((random() * 4294967295)::bigint), 8, '0') || lpad(to_hex((random() * 65535)::int), 4, '0')
      $$;`)
    this.addSql(`drop function if exists payment_ledger_append(${LEDGER_APPEND_ARGS.map((a) => a.split(" ")[1]).join(", ")});`)
    this.addSql(`
      create function payment_ledger_append(${LEDGER_APPEND_ARGS.join(", ")}) returns void language plpgsql as $$
      begin
        ${ledgerInsert([Object.fromEntries(LEDGER_FIELDS.map(([name], i) => [name, LEDGER_APPEND_ARGS[i].split(" ")[0]]))])};
      end $$;`)

    // Sessions count only when nothing is authorized or captured (a live
    // session then makes the collection "awaiting"): asked then, not kept.
    this.addSql(`
      create or replace function payment_collection_next_status(
        p_status text, p_amount numeric, p_authorized numeric, p_captured numeric, p_exponent smallint,
        p_collection_id text
      ) returns text language plpgsql stable as $$
      begin
        if p_status = 'canceled' or p_authorized > 0 or p_captured > 0 then
          -- the session count decides nothing here (and a plain expression needs no statement)
          return payment_collection_status(p_status, p_amount, p_authorized, p_captured, 1, p_exponent);
        end if;
        return payment_collection_status(p_status, p_amount, p_authorized, p_captured,
          (select count(*)::int from payment_session s where s.payment_collection_id = p_collection_id and s.deleted_at is null),
          p_exponent);
      end $$;`)
    this.addSql(`
      create or replace function payment_collection_apply(
        p_collection_id text, p_authorized numeric, p_captured numeric, p_refunded numeric, p_restatus boolean
      ) returns void language plpgsql as $$
      begin
        -- One UPDATE takes the row lock, and its sub-select reads the newest
        -- row version (READ COMMITTED re-reads it after a wait): concurrent
        -- movements never overwrite each other.
        update payment_collection c set ${COLLECTION_MONEY_COLUMNS} = (
          select ${collectionMoney("c", { authorized: "n.authorized", captured: "n.captured", refunded: "n.refunded", status: "s.status" })}
            from (select coalesce((c.raw_authorized_amount->>'value')::numeric, 0) + p_authorized as authorized,
                         coalesce((c.raw_captured_amount->>'value')::numeric, 0) + p_captured as captured,
                         coalesce((c.raw_refunded_amount->>'value')::numeric, 0) + p_refunded as refunded) n
            cross join lateral (
              select case when p_restatus then payment_collection_next_status(
                c.status::text, (c.raw_amount->>'value')::numeric, n.authorized, n.captured, c.currency_exponent, c.id)
              else c.status::text end as status) s)
         where c.id = p_collection_id;
      end $$;`)

    this.addSql(`
      create or replace function payment_session_collection_totals() returns trigger language plpgsql as $$
      declare
        old_authorized numeric := 0;
        new_authorized numeric := 0;
      begin
        if TG_OP <> 'INSERT' and OLD.deleted_at is null and OLD.status = 'authorized' then
          old_authorized := (OLD.raw_amount->>'value')::numeric;
        end if;
        if TG_OP <> 'DELETE' and NEW.deleted_at is null and NEW.status = 'authorized' then
          new_authorized := (NEW.raw_amount->>'value')::numeric;
        end if;
        if new_authorized <> old_authorized or (TG_OP = 'UPDATE' and OLD.status is distinct from NEW.status) then
          perform payment_collection_apply(
            case when TG_OP = 'DELETE' then OLD.payment_collection_id else NEW.payment_collection_id end,
            new_authorized - old_authorized, 0, 0, true);
        end if;
        return null;
      end $$;`)

    // As Migration20261121165000's, calling the new payment_collection_apply.
    this.addSql(`
      create or replace function payment_movement_books() returns trigger language plpgsql as $$
      declare
        old_live numeric := 0;
        new_live numeric := 0;
        unknown_delta integer := 0;
        pending_delta integer := 0;
        delta numeric;
        row_payment_id text;
        row_id text;
        row_key text;
        pay record;
        event text;
      begin
        if TG_OP in ('UPDATE', 'DELETE') and OLD.deleted_at is null then
          old_live := (OLD.raw_amount->>'value')::numeric;
          if OLD.status = 'unknown' then unknown_delta := unknown_delta - 1; end if;
          if OLD.status = 'pending' then pending_delta := pending_delta - 1; end if;
        end if;
        if TG_OP in ('INSERT', 'UPDATE') and NEW.deleted_at is null then
          new_live := (NEW.raw_amount->>'value')::numeric;
          if NEW.status = 'unknown' then unknown_delta := unknown_delta + 1; end if;
          if NEW.status = 'pending' then pending_delta := pending_delta + 1; end if;
        end if;
        delta := new_live - old_live;
        if TG_OP = 'DELETE' then
          row_payment_id := OLD.payment_id; row_id := OLD.id; row_key := OLD.idempotency_key;
        else
          row_payment_id := NEW.payment_id; row_id := NEW.id; row_key := NEW.idempotency_key;
        end if;

        if delta = 0 and unknown_delta = 0 and pending_delta = 0 then
          select payment_collection_id, provider_id, currency_code into pay from payment where id = row_payment_id;
        elsif TG_TABLE_NAME = 'capture' then
          update payment set captured_total = captured_total + delta,
                             unknown_movements = unknown_movements + unknown_delta,
                             pending_movements = pending_movements + pending_delta
            where id = row_payment_id
            returning payment_collection_id, provider_id, currency_code into pay;
        else
          update payment set refunded_total = refunded_total + delta,
                             unknown_movements = unknown_movements + unknown_delta,
                             pending_movements = pending_movements + pending_delta
            where id = row_payment_id
            returning payment_collection_id, provider_id, currency_code into pay;
        end if;

        if delta <> 0 and pay.payment_collection_id is not null then
          perform payment_collection_apply(pay.payment_collection_id, 0,
            case when TG_TABLE_NAME = 'capture' then delta else 0 end,
            case when TG_TABLE_NAME = 'refund' then delta else 0 end, true);
        end if;

        if TG_OP = 'INSERT' then
          event := case when NEW.status = 'pending' then 'reserved' else 'recorded' end;
        elsif TG_OP = 'DELETE' then
          event := 'reversed';
        elsif delta < 0 then
          event := 'reversed';
        elsif delta > 0 then
          event := 'restored';
        elsif OLD.status is distinct from NEW.status then
          event := NEW.status;
        else
          return null;
        end if;
        if TG_OP = 'DELETE' and old_live = 0 then
          return null;
        end if;

        perform payment_ledger_append(
          TG_TABLE_NAME, event, row_id, row_payment_id, pay.payment_collection_id, pay.provider_id, pay.currency_code,
          abs(case when delta = 0 then new_live else delta end),
          null,
          case when TG_TABLE_NAME = 'capture' then delta else null end,
          case when TG_TABLE_NAME = 'refund' then delta else null end,
          case when TG_OP = 'UPDATE' then OLD.status else null end,
          case when TG_OP = 'DELETE' then null else NEW.status end,
          row_key, null
        );
        return null;
      end $$;`)
    this.addSql(`drop function if exists payment_collection_apply(text, integer, numeric, numeric, numeric, boolean);`)
    this.addSql(`alter table "payment_collection" drop column if exists "session_count";`)

    for (const t of BOOKKEEPING_TRIGGERS) {
      this.addSql(`drop trigger if exists "${t.name}" on "${t.table}";`)
      const when = t.when ? `(${t.when}) and ${BOOKED_BY_TRIGGERS}` : BOOKED_BY_TRIGGERS
      this.addSql(
        `create trigger "${t.name}" ${t.timing} on "${t.table}" for each row when (${when}) execute function ${t.fn}();`
      )
    }

    this.addSql(`
      create or replace function payment_create_collections(p_rows jsonb) returns setof payment_collection
      language plpgsql ${KEEPS_ITS_BOOKS} as $$
      begin
        return query with created as (
          insert into payment_collection (id, currency_code, currency_exponent, amount, raw_amount, metadata)
          select x.id, x.currency_code, payment_currency_exponent(x.currency_code), x.amount, x.raw_amount, x.metadata
            from jsonb_to_recordset(p_rows) as x(id text, currency_code text, amount numeric, raw_amount jsonb, metadata jsonb)
          returning *),
        entries as (${ledgerInsert(
          [
            {
              subject: "'payment_collection'",
              event: "'status_changed'",
              subject_id: "created.id",
              payment_collection_id: "created.id",
              currency_code: "created.currency_code",
              to_status: "created.status",
            },
          ],
          "created"
        )})
        select * from created;
      end $$;`)

    this.addSql(`
      create or replace function payment_create_session(
        p_id text, p_collection_id text, p_provider_id text, p_amount text, p_currency text,
        p_context jsonb, p_data jsonb, p_status text, p_metadata jsonb
      ) returns setof payment_session language plpgsql ${KEEPS_ITS_BOOKS} as $$
      declare
        s payment_session%rowtype;
        v_ignored text;
      begin
        if p_status = 'authorized' then
          -- born authorized (a provider may say so): it moves the collection's totals; the triggers book it
          ${BOOKS_BY_TRIGGERS}
        end if;
        with created as (
          insert into payment_session (id, payment_collection_id, provider_id, amount, raw_amount, currency_code,
                                       context, data, status, metadata)
          values (p_id, p_collection_id, p_provider_id, p_amount::numeric, jsonb_build_object('value', p_amount, 'precision', 20),
                  p_currency, p_context, p_data, p_status, p_metadata)
          returning *),
        entries as (${ledgerInsert(
          [
            {
              when: "p_status is distinct from 'authorized'",
              subject: "'payment_session'",
              event: "'status_changed'",
              subject_id: "created.id",
              payment_collection_id: "created.payment_collection_id",
              provider_id: "created.provider_id",
              currency_code: "created.currency_code",
              to_status: "created.status::text",
            },
          ],
          "created"
        )})
        select * into s from created;
        return next s;
      end $$;`)

    this.addSql(`
      create or replace function payment_authorize_session(
        p_session_id text, p_payment_id text, p_data jsonb, p_captured boolean, p_capture_id text,
        p_lock_timeout text
      ) returns table (verdict text, payment jsonb, capture_id text)
      language plpgsql ${KEEPS_ITS_BOOKS} as $$
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
        ${lockWithCollection({ from: "payment_session ses", row: "ses", where: "ses.id = p_session_id", collectionId: "ses.payment_collection_id" })}
        if found then s := col.locked; end if;
        if s.id is null or s.deleted_at is not null then
          ${answer({ verdict: "'session_not_found'" })}
        end if;
        -- A competing call that authorized this session while we asked the
        -- provider committed before we got the lock: its payment is ours too.
        -- Only an authorized session (authorized_at is set with its Payment, in
        -- one statement) can have one, so a first authorization skips the lookup.
        if s.authorized_at is not null then
          select * into p from payment where payment_session_id = s.id and deleted_at is null;
          if found then
            ${answer({ verdict: "'existing'", payment: "to_jsonb(p)" })}
          end if;
        end if;

        if p_captured or s.status = 'authorized' then
          -- Uncommon: the provider took the money at authorization (a capture
          -- to record too), or the session already counted as authorized.
          ${BOOKS_BY_TRIGGERS}
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
          ${answer({ verdict: "'created'", payment: "to_jsonb(p)", capture_id: "case when p_captured then p_capture_id end" })}
        end if;

        v_amount := (s.raw_amount->>'value')::numeric;
        v_authorized := col.authorized + v_amount;
        v_next_status := payment_collection_next_status(col.status, col.amount, v_authorized, col.captured,
                                                        col.currency_exponent, col.id);
        with authorized_session as (
          update payment_session
             set status = 'authorized', data = p_data, authorized_at = coalesce(authorized_at, now()), updated_at = now()
           where id = s.id),
        collection as (${UPDATE_COLLECTION({ authorized: "v_authorized", captured: "col.captured", refunded: "col.refunded", status: "v_next_status" })}),
        created as (
          insert into payment (id, amount, raw_amount, currency_code, currency_exponent, provider_id, data,
                               payment_collection_id, payment_session_id)
          values (p_payment_id, s.amount, s.raw_amount, s.currency_code, payment_currency_exponent(s.currency_code),
                  s.provider_id, p_data, s.payment_collection_id, s.id)
          returning *),
        entries as (${ledgerInsert([
          COLLECTION_STATUS_ENTRY("v_next_status"),
          {
            subject: "'payment_session'",
            event: "'status_changed'",
            subject_id: "s.id",
            payment_collection_id: "s.payment_collection_id",
            provider_id: "s.provider_id",
            currency_code: "s.currency_code",
            from_status: "s.status::text",
            to_status: "'authorized'",
          },
          {
            subject: "'authorization'",
            event: "'authorized'",
            subject_id: "p_payment_id",
            payment_id: "p_payment_id",
            payment_collection_id: "s.payment_collection_id",
            provider_id: "s.provider_id",
            currency_code: "s.currency_code",
            amount: "v_amount",
            authorized_delta: "v_amount",
            to_status: "'authorized'",
            provider_reference: "s.id",
          },
        ])})
        select * into p from created;
        ${answer({ verdict: "'created'", payment: "to_jsonb(p)" })}
      end $$;`)

    this.addSql(`
      create or replace function payment_reserve_movement(
        p_kind text, p_payment_id text, p_movement_id text, p_amount numeric, p_status text,
        p_created_by text, p_note text, p_reason_id text, p_metadata jsonb, p_idempotency_key text,
        p_stale_ms integer, p_lock_timeout text
      ) returns table (verdict text, amount text, completes boolean, left_to_move text, currency_code text,
                       unknown_movements integer, payment jsonb)
      language plpgsql ${KEEPS_ITS_BOOKS} as $$
      declare
        p payment%rowtype;
        col record;
        v_ignored text;
        exp smallint;
        authorized numeric;
        left_amount numeric;
        moved numeric;
        done boolean := false;
        stale timestamptz := now() - make_interval(secs => p_stale_ms / 1000.0);
        v_sets_captured_at boolean;
        v_captured numeric;
        v_refunded numeric;
        v_next_status text;
      begin
        v_ignored := set_config('lock_timeout', p_lock_timeout, true);
        ${lockWithCollection({ from: "payment pay", row: "pay", where: "pay.id = p_payment_id", collectionId: "pay.payment_collection_id" })}
        if found then p := col.locked; end if;
        if p.id is null or p.deleted_at is not null then
          ${reserveAnswer("'payment_not_found'", { currency: "null", unknown: "0", payment: "null" })}
        end if;
        if p_kind = 'capture' and p.canceled_at is not null and p.pending_operation is distinct from 'cancel' then
          ${reserveAnswer("'canceled'", { unknown: "p.unknown_movements" })}
        end if;
        if p.unknown_movements > 0 or (p.pending_operation = 'cancel' and p.updated_at < stale) then
          ${reserveAnswer("'reconcile'", { unknown: "p.unknown_movements" })}
        end if;
        -- Only a payment with a pending movement can have a stale one: the tables are read only then.
        if p.pending_movements > 0 then
          if exists (select 1 from capture c where c.payment_id = p.id and c.deleted_at is null
                       and c.status = 'pending' and c.updated_at < stale)
             or exists (select 1 from refund r where r.payment_id = p.id and r.deleted_at is null
                          and r.status = 'pending' and r.updated_at < stale) then
            ${reserveAnswer("'reconcile'", { unknown: "p.unknown_movements" })}
          end if;
        end if;
        if p_kind = 'capture' and p.canceled_at is not null then
          ${reserveAnswer("'canceled'", { unknown: "p.unknown_movements" })}
        end if;
        exp := p.currency_exponent;
        if exp is null then
          ${reserveAnswer("'unknown_currency'", {})}
        end if;
        authorized := (p.raw_amount->>'value')::numeric;
        if p_kind = 'capture' then
          -- Fully captured, or about to be by captures still waiting for the
          -- provider: a second request for the same money has nothing to do.
          if p.captured_at is not null or round(p.captured_total, exp) >= round(authorized, exp) then
            ${reserveAnswer("'noop'", { completes: "true", left: "'0'" })}
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
            ${reserveAnswer("'nothing_left'", { left: "left_amount::text" })}
          end if;
        else
          if p_amount <> round(p_amount, exp) then
            ${reserveAnswer("'too_precise'", { amount: "p_amount::text", left: "left_amount::text" })}
          end if;
          moved := p_amount;
        end if;
        if round(moved, exp) > round(left_amount, exp) then
          ${reserveAnswer("'exceeds'", { amount: "moved::text", left: "left_amount::text" })}
        end if;
        if p_kind = 'refund' and p_reason_id is not null then
          if not exists (select 1 from refund_reason where id = p_reason_id and deleted_at is null) then
            ${reserveAnswer("'reason_not_found'", { amount: "moved::text", left: "left_amount::text" })}
          end if;
        end if;

        if p_kind = 'capture' then
          done := round(p.captured_total + moved, exp) >= round(authorized, exp);
        end if;
        v_sets_captured_at := p_status = 'succeeded' and done;
        v_captured := col.captured + case when p_kind = 'capture' then moved else 0 end;
        v_refunded := col.refunded + case when p_kind = 'refund' then moved else 0 end;
        v_next_status := payment_collection_next_status(col.status, col.amount, col.authorized, v_captured,
                                                        col.currency_exponent, col.id);
        if p_kind = 'capture' then ${reserveStatement("capture")}
        else ${reserveStatement("refund")}
        end if;
        ${reserveAnswer("'created'", { amount: "moved::text", completes: "done", left: "left_amount::text" })}
      end $$;`)

    // Its commit does not wait for the WAL to reach disk (see Migration20261121170000).
    this.addSql(`
      create or replace function payment_settle_movement(
        p_kind text, p_movement_id text, p_payment_id text, p_data jsonb, p_completes boolean,
        p_own_transaction boolean
      ) returns table (payment jsonb, movement jsonb, payment_updated boolean)
      language plpgsql ${KEEPS_ITS_BOOKS} as $$
      declare
        p payment%rowtype;
        locked record;
        v_ignored text;
        v_movement_row jsonb;
        touched boolean := p_data is not null or p_completes;
      begin
        -- only when the statement is its own transaction: a caller's transaction keeps its own durability
        if p_own_transaction then v_ignored := set_config('synchronous_commit', 'off', true); end if;
        -- The payment, then its movement: the order every other money path locks them in.
        if p_kind = 'capture' then ${lockPaymentAndMovement("capture")}
        else ${lockPaymentAndMovement("refund")}
        end if;
        if found then
          p := locked.payment_row;
          if locked.movement_deleted_at is null and locked.movement_status <> 'succeeded' then
            if p_kind = 'capture' then ${settleStatement("capture")}
            else ${settleStatement("refund")}
            end if;
            ${answer({ payment: "payment", movement: "v_movement_row", payment_updated: "touched" }, true)}
          end if;
        end if;

        -- Settled already, soft-deleted, or not this payment's: as before this
        -- migration, with the triggers booking whatever changes.
        ${BOOKS_BY_TRIGGERS}
        if p_kind = 'capture' then
          update capture c set status = 'succeeded', updated_at = now() where c.id = p_movement_id and c.status <> 'succeeded'
          returning to_jsonb(c) into v_movement_row;
          if v_movement_row is null then select to_jsonb(c) into v_movement_row from capture c where c.id = p_movement_id; end if;
        else
          update refund r set status = 'succeeded', updated_at = now() where r.id = p_movement_id and r.status <> 'succeeded'
          returning to_jsonb(r) into v_movement_row;
          if v_movement_row is null then select to_jsonb(r) into v_movement_row from refund r where r.id = p_movement_id; end if;
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
        ${answer({ payment: "to_jsonb(p)", movement: "v_movement_row", payment_updated: "touched" })}
      end $$;`)
  }

  override async down(): Promise<void> {
    for (const t of BOOKKEEPING_TRIGGERS) this.addSql(`drop trigger if exists "${t.name}" on "${t.table}";`)
    this.addSql(`drop function if exists payment_create_session(text, text, text, text, text, jsonb, jsonb, text, jsonb);`)
    this.addSql(`drop function if exists payment_create_collections(jsonb);`)
    this.addSql(`drop function if exists payment_collection_apply(text, numeric, numeric, numeric, boolean);`)
    this.addSql(`drop function if exists payment_ledger_append(${LEDGER_APPEND_ARGS.map((a) => a.split(" ")[1]).join(", ")});`)
    // The earlier migrations' functions, triggers and session_count, as they left them.
    for (const Earlier of [Migration20261121134900, Migration20261121150000, Migration20261121165000, Migration20261121170000]) {
      const earlier = new Earlier(this.driver, this.config)
      await earlier.up()
      earlier.getQueries().forEach((query) => this.addSql(query))
    }
    this.addSql(`drop function if exists payment_collection_next_status(text, numeric, numeric, numeric, smallint, text);`)
    this.addSql(`drop function if exists payment_ledger_id();`)
    this.addSql(`drop function if exists payment_raw(numeric);`)
  }
}
