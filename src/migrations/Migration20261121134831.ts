import { Migration } from "@medusajs/framework/mikro-orm/migrations";

export class Migration20261121134831 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table if exists "idempotency_record" drop constraint if exists "idempotency_record_operation_key_unique";`);
    this.addSql(`create table if not exists "idempotency_record" ("id" text not null, "key" text not null, "operation" text not null, "fingerprint" text not null, "result_id" text null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "idempotency_record_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_idempotency_record_deleted_at" ON "idempotency_record" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_idempotency_record_operation_key_unique" ON "idempotency_record" ("operation", "key") WHERE deleted_at IS NULL;`);

    this.addSql(`create table if not exists "payment_ledger_entry" ("id" text not null, "subject" text not null, "event" text not null, "subject_id" text not null, "payment_collection_id" text null, "payment_id" text null, "provider_id" text null, "currency_code" text null, "amount" numeric null, "authorized_delta" numeric null, "captured_delta" numeric null, "refunded_delta" numeric null, "from_status" text null, "to_status" text null, "idempotency_key" text null, "provider_reference" text null, "raw_amount" jsonb null, "raw_authorized_delta" jsonb null, "raw_captured_delta" jsonb null, "raw_refunded_delta" jsonb null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "payment_ledger_entry_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_payment_ledger_entry_deleted_at" ON "payment_ledger_entry" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_payment_ledger_entry_payment_id" ON "payment_ledger_entry" ("payment_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_payment_ledger_entry_collection_id" ON "payment_ledger_entry" ("payment_collection_id") WHERE deleted_at IS NULL;`);

    this.addSql(`alter table if exists "capture" add column if not exists "status" text check ("status" in ('pending', 'succeeded', 'unknown')) not null default 'succeeded';`);

    this.addSql(`alter table if exists "refund" add column if not exists "status" text check ("status" in ('pending', 'succeeded', 'unknown')) not null default 'succeeded';`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "idempotency_record" cascade;`);

    this.addSql(`drop table if exists "payment_ledger_entry" cascade;`);

    this.addSql(`alter table if exists "capture" drop column if exists "status";`);

    this.addSql(`alter table if exists "refund" drop column if exists "status";`);
  }

}
