import { Migration } from "@medusajs/framework/mikro-orm/migrations";

export class Migration20261121165420 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`drop index if exists "IDX_payment_ledger_entry_payment_id";`);
    this.addSql(`drop index if exists "IDX_payment_ledger_entry_collection_id";`);

    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_payment_ledger_entry_collection_payment" ON "payment_ledger_entry" ("payment_collection_id", "payment_id") WHERE deleted_at IS NULL;`);

    this.addSql(`drop index if exists "IDX_payment_payment_session_id";`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "IDX_payment_ledger_entry_collection_payment";`);

    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_payment_ledger_entry_payment_id" ON "payment_ledger_entry" ("payment_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_payment_ledger_entry_collection_id" ON "payment_ledger_entry" ("payment_collection_id") WHERE deleted_at IS NULL;`);

    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_payment_payment_session_id" ON "payment" ("payment_session_id") WHERE deleted_at IS NULL;`);
  }

}
