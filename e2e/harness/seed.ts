/** What app/seed.ts creates (its SEED_OUTPUT JSON). */
export type Seed = {
  region_id: string
  sales_channel_id: string
  stock_location_id: string
  shipping_option_id: string
  product_id: string
  variant_id: string
  publishable_key: string
  admin_email: string
  admin_password: string
  currency_code: string
  country_code: string
  payment_providers: string[]
}
