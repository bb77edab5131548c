import { Migration } from "@medusajs/framework/mikro-orm/migrations";

export class Migration20261207222333 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table if exists "payment_movement" add column if not exists "unknown_reason" text null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table if exists "payment_movement" drop column if exists "unknown_reason";`);
  }

}
