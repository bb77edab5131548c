import { model } from "@medusajs/framework/utils"

/** A customer as a provider knows them (a Stripe customer, for example). */
const AccountHolder = model
  .define("AccountHolder", {
    id: model.id({ prefix: "acchld" }).primaryKey(),
    provider_id: model.text(),
    external_id: model.text(),
    email: model.text().nullable(),
    data: model.json().default({}),
    metadata: model.json().nullable(),
  })
  .indexes([
    // Lets createAccountHolder find the holder it already made instead of
    // failing on a duplicate insert.
    { on: ["provider_id", "external_id"], unique: true },
  ])

export default AccountHolder
