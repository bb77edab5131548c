import { Migration } from "@medusajs/framework/mikro-orm/migrations";

export class Migration20261121133802 extends Migration {

  // Hand edits to the generated statements, so that this migration also
  // upgrades a database created by @medusajs/payment 2.21: constraints are
  // dropped before they are added again, and columns that Medusa's tables
  // lack are added before the indexes that use them.
  override async up(): Promise<void> {
    this.addSql(`alter table if exists "refund" drop constraint if exists "refund_payment_id_idempotency_key_unique";`);
    this.addSql(`alter table if exists "capture" drop constraint if exists "capture_payment_id_idempotency_key_unique";`);
    this.addSql(`alter table if exists "payment" drop constraint if exists "payment_payment_session_id_unique";`);
    this.addSql(`alter table if exists "account_holder" drop constraint if exists "account_holder_provider_id_external_id_unique";`);
    this.addSql(`create table if not exists "account_holder" ("id" text not null, "provider_id" text not null, "external_id" text not null, "email" text null, "data" jsonb not null default '{}', "metadata" jsonb null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "account_holder_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_account_holder_deleted_at" ON "account_holder" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_account_holder_provider_id_external_id_unique" ON "account_holder" ("provider_id", "external_id") WHERE deleted_at IS NULL;`);

    this.addSql(`create table if not exists "payment_collection" ("id" text not null, "currency_code" text not null, "amount" numeric not null, "authorized_amount" numeric null, "captured_amount" numeric null, "refunded_amount" numeric null, "completed_at" timestamptz null, "status" text check ("status" in ('not_paid', 'awaiting', 'authorized', 'partially_authorized', 'canceled', 'failed', 'partially_captured', 'completed')) not null default 'not_paid', "metadata" jsonb null, "raw_amount" jsonb not null, "raw_authorized_amount" jsonb null, "raw_captured_amount" jsonb null, "raw_refunded_amount" jsonb null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "payment_collection_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_payment_collection_deleted_at" ON "payment_collection" ("deleted_at") WHERE deleted_at IS NULL;`);

    this.addSql(`create table if not exists "payment_provider" ("id" text not null, "is_enabled" boolean not null default true, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "payment_provider_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_payment_provider_deleted_at" ON "payment_provider" ("deleted_at") WHERE deleted_at IS NULL;`);

    this.addSql(`create table if not exists "payment_collection_payment_providers" ("payment_collection_id" text not null, "payment_provider_id" text not null, constraint "payment_collection_payment_providers_pkey" primary key ("payment_collection_id", "payment_provider_id"));`);

    this.addSql(`create table if not exists "payment_session" ("id" text not null, "currency_code" text not null, "amount" numeric not null, "provider_id" text not null, "data" jsonb not null default '{}', "context" jsonb null, "status" text check ("status" in ('authorized', 'captured', 'pending', 'requires_more', 'error', 'canceled', 'pending_authorization')) not null default 'pending', "authorized_at" timestamptz null, "payment_collection_id" text not null, "metadata" jsonb null, "raw_amount" jsonb not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "payment_session_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_payment_session_payment_collection_id" ON "payment_session" ("payment_collection_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_payment_session_deleted_at" ON "payment_session" ("deleted_at") WHERE deleted_at IS NULL;`);

    this.addSql(`create table if not exists "payment" ("id" text not null, "amount" numeric not null, "currency_code" text not null, "provider_id" text not null, "data" jsonb null, "metadata" jsonb null, "captured_at" timestamptz null, "canceled_at" timestamptz null, "payment_collection_id" text not null, "payment_session_id" text not null, "raw_amount" jsonb not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "payment_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_payment_payment_collection_id" ON "payment" ("payment_collection_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_payment_payment_session_id_unique" ON "payment" ("payment_session_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_payment_deleted_at" ON "payment" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_payment_provider_id" ON "payment" ("provider_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_payment_payment_session_id" ON "payment" ("payment_session_id") WHERE deleted_at IS NULL;`);

    this.addSql(`create table if not exists "capture" ("id" text not null, "amount" numeric not null, "payment_id" text not null, "metadata" jsonb null, "created_by" text null, "idempotency_key" text null, "raw_amount" jsonb not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "capture_pkey" primary key ("id"));`);
    this.addSql(`alter table if exists "capture" add column if not exists "idempotency_key" text null;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_capture_payment_id" ON "capture" ("payment_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_capture_deleted_at" ON "capture" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_capture_payment_id_idempotency_key_unique" ON "capture" ("payment_id", "idempotency_key") WHERE deleted_at IS NULL AND idempotency_key IS NOT NULL;`);

    this.addSql(`create table if not exists "refund_reason" ("id" text not null, "label" text not null, "code" text not null, "description" text null, "metadata" jsonb null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "refund_reason_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_refund_reason_deleted_at" ON "refund_reason" ("deleted_at") WHERE deleted_at IS NULL;`);

    this.addSql(`create table if not exists "refund" ("id" text not null, "amount" numeric not null, "payment_id" text not null, "refund_reason_id" text null, "note" text null, "created_by" text null, "metadata" jsonb null, "idempotency_key" text null, "raw_amount" jsonb not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "refund_pkey" primary key ("id"));`);
    this.addSql(`alter table if exists "refund" add column if not exists "idempotency_key" text null;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_refund_payment_id" ON "refund" ("payment_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_refund_refund_reason_id" ON "refund" ("refund_reason_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_refund_deleted_at" ON "refund" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_refund_payment_id_idempotency_key_unique" ON "refund" ("payment_id", "idempotency_key") WHERE deleted_at IS NULL AND idempotency_key IS NOT NULL;`);

    this.addSql(`alter table if exists "payment_collection_payment_providers" drop constraint if exists "payment_collection_payment_providers_payment_col_aa276_foreign";`);
    this.addSql(`alter table if exists "payment_collection_payment_providers" add constraint "payment_collection_payment_providers_payment_col_aa276_foreign" foreign key ("payment_collection_id") references "payment_collection" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table if exists "payment_collection_payment_providers" drop constraint if exists "payment_collection_payment_providers_payment_pro_2d555_foreign";`);
    this.addSql(`alter table if exists "payment_collection_payment_providers" add constraint "payment_collection_payment_providers_payment_pro_2d555_foreign" foreign key ("payment_provider_id") references "payment_provider" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table if exists "payment_session" drop constraint if exists "payment_session_payment_collection_id_foreign";`);
    this.addSql(`alter table if exists "payment_session" add constraint "payment_session_payment_collection_id_foreign" foreign key ("payment_collection_id") references "payment_collection" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table if exists "payment" drop constraint if exists "payment_payment_collection_id_foreign";`);
    this.addSql(`alter table if exists "payment" add constraint "payment_payment_collection_id_foreign" foreign key ("payment_collection_id") references "payment_collection" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table if exists "payment" drop constraint if exists "payment_payment_session_id_foreign";`);
    // Amended (upgrade fix): @medusajs/payment hard-deletes an authorized session and leaves its Payment
    // pointing at nothing (it has no such key); on such a database the key is not added, as in Medusa's schema.
    this.addSql(`do $$ begin
      if not exists (select 1 from "payment" p where not exists (select 1 from "payment_session" s where s."id" = p."payment_session_id")) then
        alter table if exists "payment" add constraint "payment_payment_session_id_foreign" foreign key ("payment_session_id") references "payment_session" ("id") on update cascade;
      end if;
    end $$;`);

    this.addSql(`alter table if exists "capture" drop constraint if exists "capture_payment_id_foreign";`);
    this.addSql(`alter table if exists "capture" add constraint "capture_payment_id_foreign" foreign key ("payment_id") references "payment" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table if exists "refund" drop constraint if exists "refund_payment_id_foreign";`);
    this.addSql(`alter table if exists "refund" add constraint "refund_payment_id_foreign" foreign key ("payment_id") references "payment" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table if exists "refund" drop constraint if exists "refund_refund_reason_id_foreign";`);
    this.addSql(`alter table if exists "refund" add constraint "refund_refund_reason_id_foreign" foreign key ("refund_reason_id") references "refund_reason" ("id") on update cascade on delete set null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table if exists "payment_collection_payment_providers" drop constraint if exists "payment_collection_payment_providers_payment_col_aa276_foreign";`);

    this.addSql(`alter table if exists "payment_session" drop constraint if exists "payment_session_payment_collection_id_foreign";`);

    this.addSql(`alter table if exists "payment" drop constraint if exists "payment_payment_collection_id_foreign";`);

    this.addSql(`alter table if exists "payment_collection_payment_providers" drop constraint if exists "payment_collection_payment_providers_payment_pro_2d555_foreign";`);

    this.addSql(`alter table if exists "payment" drop constraint if exists "payment_payment_session_id_foreign";`);

    this.addSql(`alter table if exists "capture" drop constraint if exists "capture_payment_id_foreign";`);

    this.addSql(`alter table if exists "refund" drop constraint if exists "refund_payment_id_foreign";`);

    this.addSql(`alter table if exists "refund" drop constraint if exists "refund_refund_reason_id_foreign";`);

    this.addSql(`drop table if exists "account_holder" cascade;`);

    this.addSql(`drop table if exists "payment_collection" cascade;`);

    this.addSql(`drop table if exists "payment_provider" cascade;`);

    this.addSql(`drop table if exists "payment_collection_payment_providers" cascade;`);

    this.addSql(`drop table if exists "payment_session" cascade;`);

    this.addSql(`drop table if exists "payment" cascade;`);

    this.addSql(`drop table if exists "capture" cascade;`);

    this.addSql(`drop table if exists "refund_reason" cascade;`);

    this.addSql(`drop table if exists "refund" cascade;`);
  }

}
