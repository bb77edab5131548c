import { Migration } from "@medusajs/framework/mikro-orm/migrations"
import { generateEntityId } from "@medusajs/framework/utils"

/**
 * The refund reasons a new store starts with, as Medusa's module seeds them
 * (the admin's refund form offers them). Only an empty table is seeded, so a
 * store's own reasons are never touched.
 */
export class Migration20261121133900 extends Migration {
  override async up(): Promise<void> {
    const reasons = [
      ["Shipping Issue", "shipping_issue"],
      ["Customer Care Adjustment", "customer_care_adjustment"],
      ["Pricing Error", "pricing_error"],
    ]
    const values = reasons
      .map(([label, code]) => `('${generateEntityId(undefined, "refr")}', '${label}', '${code}')`)
      .join(", ")
    this.addSql(
      `insert into "refund_reason" ("id", "label", "code") select * from (values ${values}) as seed(id, label, code) where not exists (select 1 from "refund_reason");`
    )
  }

  override async down(): Promise<void> {
    this.addSql(
      `delete from "refund_reason" where "code" in ('shipping_issue', 'customer_care_adjustment', 'pricing_error') and not exists (select 1 from "refund" where "refund"."refund_reason_id" = "refund_reason"."id");`
    )
  }
}
