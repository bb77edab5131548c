import fs from "node:fs"
import path from "node:path"
import type { ExecArgs, MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, Modules, ProductStatus } from "@medusajs/framework/utils"
import {
  createApiKeysWorkflow,
  createInventoryLevelsWorkflow,
  createProductsWorkflow,
  createRegionsWorkflow,
  createSalesChannelsWorkflow,
  createShippingOptionsWorkflow,
  createStockLocationsWorkflow,
  createTaxRegionsWorkflow,
  createUsersWorkflow,
  linkSalesChannelsToApiKeyWorkflow,
  linkSalesChannelsToStockLocationWorkflow,
  updateRegionsWorkflow,
  updateStoresWorkflow,
} from "@medusajs/core-flows"

/**
 * The demo store: `npx medusa exec ./app/seed.ts` (scripts/start.mjs runs it
 * on every start). Idempotent — everything is looked up by name first and
 * only what is missing is created, so a second run changes nothing.
 *
 * It prints one line per item (created / already there) and writes the ids
 * and credentials as JSON to $SEED_OUTPUT (default .data/store/seed.json),
 * which `npm start` and the e2e tests read.
 */

export const SEED = {
  salesChannel: "Webshop",
  region: "Europe",
  currency: "eur",
  countries: ["de", "fr", "nl", "be", "es", "it", "dk", "se", "gb"],
  paymentProviders: ["pp_system_default", "pp_stripe_stripe"],
  stockLocation: "Main warehouse",
  fulfillmentSet: "Main warehouse shipping",
  shippingOption: "Standard shipping",
  shippingPrice: 10,
  productHandle: "payment-plus-t-shirt",
  productPrice: 25,
  publishableKey: "Webshop",
  /**
   * Two regions with a tax rate, so the demo shows what Medusa's unrounded
   * taxes do to payments: 9.99 USD + 8.25 % is a cart of 10.814175 USD,
   * which Stripe can only charge as 10.81; and 9.99 CHF with 8.1 % VAT
   * included. Their product is digital (no shipping), so the cart's total
   * is exactly the price and its tax.
   */
  taxRegions: [
    {
      key: "us",
      region: "United States",
      currency: "usd",
      country: "us",
      rate: { rate: 8.25, code: "US-SALES", name: "Sales tax" },
      isTaxInclusive: false,
    },
    {
      key: "inclusive",
      region: "Switzerland",
      currency: "chf",
      country: "ch",
      rate: { rate: 8.1, code: "CH-VAT", name: "MWST" },
      isTaxInclusive: true,
    },
  ],
  digitalProductHandle: "payment-plus-e-book",
  digitalProductPrice: 9.99,
} as const

type Outcome = "created" | "found" | "updated"
export type SeedResult = {
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
  /** The taxed regions (SEED.taxRegions) and the digital product sold in them. */
  tax: {
    variant_id: string
    price: number
    regions: Record<
      (typeof SEED.taxRegions)[number]["key"],
      { region_id: string; currency_code: string; country_code: string; rate: number; is_tax_inclusive: boolean }
    >
  }
  steps: { item: string; outcome: Outcome; id: string }[]
}

export default async function seed({ container }: ExecArgs): Promise<void> {
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
  const steps: SeedResult["steps"] = []
  const note = (item: string, outcome: Outcome, id: string) => {
    steps.push({ item, outcome, id })
    logger.info(`seed: ${item.padEnd(48)} ${outcome.padEnd(7)} ${id}`)
  }

  const salesChannel = await ensureSalesChannel(container, note)
  await ensureStoreSettings(container, salesChannel.id, note)
  const region = await ensureRegion(container, { name: SEED.region, currency: SEED.currency, countries: SEED.countries }, note)
  await ensureTaxRegions(container, note)
  const taxed = await ensureTaxedRegions(container, note)
  const location = await ensureStockLocation(container, salesChannel.id, note)
  const shippingOption = await ensureShipping(container, location.id, region.id, note)
  const product = await ensureProduct(container, salesChannel.id, location.id, note)
  const digital = await ensureDigitalProduct(container, salesChannel.id, note)
  const publishableKey = await ensurePublishableKey(container, salesChannel.id, note)
  const admin = await ensureAdminUser(container, note)

  const result: SeedResult = {
    region_id: region.id,
    sales_channel_id: salesChannel.id,
    stock_location_id: location.id,
    shipping_option_id: shippingOption.id,
    product_id: product.id,
    variant_id: product.variantId,
    publishable_key: publishableKey,
    admin_email: admin.email,
    admin_password: admin.password,
    currency_code: SEED.currency,
    country_code: "de",
    payment_providers: [...SEED.paymentProviders],
    tax: { variant_id: digital.variantId, price: SEED.digitalProductPrice, regions: taxed },
    steps,
  }
  const output = process.env.SEED_OUTPUT || path.join(process.cwd(), ".data", "store", "seed.json")
  fs.mkdirSync(path.dirname(output), { recursive: true })
  fs.writeFileSync(output, JSON.stringify(result, null, 2) + "\n")
  logger.info(`seed: wrote ${path.relative(process.cwd(), output) || output}`)
}

type Note = (item: string, outcome: Outcome, id: string) => void

async function ensureSalesChannel(container: MedusaContainer, note: Note) {
  const salesChannels = container.resolve(Modules.SALES_CHANNEL)
  const [existing] = await salesChannels.listSalesChannels({ name: SEED.salesChannel })
  if (existing) {
    note("sales channel", "found", existing.id)
    return existing
  }
  const { result } = await createSalesChannelsWorkflow(container).run({
    input: { salesChannelsData: [{ name: SEED.salesChannel, description: "The storefront" }] },
  })
  note("sales channel", "created", result[0].id)
  return result[0]
}

async function ensureStoreSettings(container: MedusaContainer, salesChannelId: string, note: Note) {
  const stores = container.resolve(Modules.STORE)
  const [store] = await stores.listStores({}, { relations: ["supported_currencies"] })
  const currencies = (store.supported_currencies ?? []).map((c) => c.currency_code)
  const wanted = [SEED.currency, ...SEED.taxRegions.map((r) => r.currency)]
  // Medusa applies a region's tax-inclusive preference only to region-specific
  // prices; the product's prices are per currency, so the currency says it.
  const inclusive = new Set<string>(SEED.taxRegions.filter((r) => r.isTaxInclusive).map((r) => r.currency))
  const inclusiveNow = new Set(
    (store.supported_currencies ?? []).filter((c: any) => c.is_tax_inclusive).map((c) => c.currency_code)
  )
  const upToDate =
    wanted.every((code) => currencies.includes(code) && inclusiveNow.has(code) === inclusive.has(code)) &&
    store.default_sales_channel_id === salesChannelId
  if (upToDate) {
    note("store currencies / default channel", "found", store.id)
    return
  }
  await updateStoresWorkflow(container).run({
    input: {
      selector: { id: store.id },
      update: {
        supported_currencies: [
          { currency_code: SEED.currency, is_default: true },
          ...[...new Set([...currencies, ...wanted])]
            .filter((code) => code !== SEED.currency)
            .map((currency_code) => ({ currency_code, is_tax_inclusive: inclusive.has(currency_code) })),
        ],
        default_sales_channel_id: salesChannelId,
      },
    },
  })
  note("store currencies / default channel", "updated", store.id)
}

type RegionSpec = { name: string; currency: string; countries: readonly string[]; isTaxInclusive?: boolean }

async function ensureRegion(container: MedusaContainer, spec: RegionSpec, note: Note) {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({
    entity: "region",
    fields: ["id", "name", "payment_providers.id"],
    filters: { name: spec.name },
  })
  const existing = data[0]
  if (existing) {
    const enabled = (existing.payment_providers ?? []).map((p: { id: string } | null) => p?.id)
    const missing = SEED.paymentProviders.filter((id) => !enabled.includes(id))
    if (missing.length) {
      // An older database (or someone's edit in the admin) lost a provider.
      await updateRegionsWorkflow(container).run({
        input: {
          selector: { id: existing.id },
          update: { payment_providers: [...new Set([...enabled, ...SEED.paymentProviders])] as string[] },
        },
      })
      note(`region ${spec.name} (+${missing.join(", ")})`, "updated", existing.id)
    } else {
      note(`region ${spec.name}`, "found", existing.id)
    }
    return existing
  }
  const { result } = await createRegionsWorkflow(container).run({
    input: {
      regions: [
        {
          name: spec.name,
          currency_code: spec.currency,
          countries: [...spec.countries],
          payment_providers: [...SEED.paymentProviders],
          ...(spec.isTaxInclusive ? { is_tax_inclusive: true } : {}),
        },
      ],
    },
  })
  note(`region ${spec.name} (${spec.currency}, ${SEED.paymentProviders.join(", ")})`, "created", result[0].id)
  return result[0]
}

/** The regions of SEED.taxRegions, each with its country's tax rate. */
async function ensureTaxedRegions(container: MedusaContainer, note: Note): Promise<SeedResult["tax"]["regions"]> {
  const tax = container.resolve(Modules.TAX)
  const regions = {} as SeedResult["tax"]["regions"]
  for (const spec of SEED.taxRegions) {
    const region = await ensureRegion(
      container,
      { name: spec.region, currency: spec.currency, countries: [spec.country], isTaxInclusive: spec.isTaxInclusive },
      note
    )
    const [existing] = (await tax.listTaxRegions({ country_code: spec.country })).filter((r) => !r.parent_id)
    if (existing) {
      note(`tax region ${spec.country} (${spec.rate.rate} %)`, "found", existing.id)
    } else {
      const { result } = await createTaxRegionsWorkflow(container).run({
        input: [{ country_code: spec.country, provider_id: "tp_system", default_tax_rate: { ...spec.rate } }],
      })
      note(`tax region ${spec.country} (${spec.rate.rate} %)`, "created", result[0].id)
    }
    regions[spec.key] = {
      region_id: region.id,
      currency_code: spec.currency,
      country_code: spec.country,
      rate: spec.rate.rate,
      is_tax_inclusive: spec.isTaxInclusive,
    }
  }
  return regions
}

async function ensureTaxRegions(container: MedusaContainer, note: Note) {
  const tax = container.resolve(Modules.TAX)
  // Country-level regions only (province regions have a parent).
  const existing = (await tax.listTaxRegions({ country_code: [...SEED.countries] })).filter((r) => !r.parent_id)
  const have = new Set(existing.map((r) => r.country_code))
  const missing = SEED.countries.filter((c) => !have.has(c))
  if (!missing.length) {
    note("tax regions", "found", `${existing.length} countries`)
    return
  }
  await createTaxRegionsWorkflow(container).run({
    input: missing.map((country_code) => ({ country_code, provider_id: "tp_system" })),
  })
  note("tax regions", "created", missing.join(","))
}

async function ensureStockLocation(container: MedusaContainer, salesChannelId: string, note: Note) {
  const locations = container.resolve(Modules.STOCK_LOCATION)
  const link = container.resolve(ContainerRegistrationKeys.LINK)
  const [existing] = await locations.listStockLocations({ name: SEED.stockLocation })
  if (existing) {
    note("stock location", "found", existing.id)
    return existing
  }
  const { result } = await createStockLocationsWorkflow(container).run({
    input: {
      locations: [
        {
          name: SEED.stockLocation,
          address: { address_1: "Hauptstraße 1", city: "Berlin", country_code: "DE", postal_code: "10115" },
        },
      ],
    },
  })
  const location = result[0]
  await link.create({
    [Modules.STOCK_LOCATION]: { stock_location_id: location.id },
    [Modules.FULFILLMENT]: { fulfillment_provider_id: "manual_manual" },
  })
  await linkSalesChannelsToStockLocationWorkflow(container).run({
    input: { id: location.id, add: [salesChannelId] },
  })
  note("stock location (+ manual fulfillment, channel)", "created", location.id)
  return location
}

async function ensureShipping(
  container: MedusaContainer,
  locationId: string,
  regionId: string,
  note: Note
) {
  const fulfillment = container.resolve(Modules.FULFILLMENT)
  const link = container.resolve(ContainerRegistrationKeys.LINK)

  const [profile] = await fulfillment.listShippingProfiles({ type: "default" })
  const shippingProfile =
    profile ?? (await fulfillment.createShippingProfiles({ name: "Default Shipping Profile", type: "default" }))

  let [set] = await fulfillment.listFulfillmentSets(
    { name: SEED.fulfillmentSet },
    { relations: ["service_zones"] }
  )
  if (!set) {
    set = await fulfillment.createFulfillmentSets({
      name: SEED.fulfillmentSet,
      type: "shipping",
      service_zones: [
        {
          name: SEED.region,
          geo_zones: SEED.countries.map((country_code) => ({ country_code, type: "country" as const })),
        },
      ],
    })
    await link.create({
      [Modules.STOCK_LOCATION]: { stock_location_id: locationId },
      [Modules.FULFILLMENT]: { fulfillment_set_id: set.id },
    })
    note("fulfillment set + service zone", "created", set.id)
  } else {
    note("fulfillment set + service zone", "found", set.id)
  }

  const [option] = await fulfillment.listShippingOptions({ name: SEED.shippingOption })
  if (option) {
    note("shipping option", "found", option.id)
    return option
  }
  const { result } = await createShippingOptionsWorkflow(container).run({
    input: [
      {
        name: SEED.shippingOption,
        price_type: "flat",
        provider_id: "manual_manual",
        service_zone_id: set.service_zones[0].id,
        shipping_profile_id: shippingProfile.id,
        type: { label: "Standard", description: "Ships in 2-3 days.", code: "standard" },
        prices: [
          { currency_code: SEED.currency, amount: SEED.shippingPrice },
          { region_id: regionId, amount: SEED.shippingPrice },
        ],
        rules: [
          { attribute: "enabled_in_store", value: "true", operator: "eq" },
          { attribute: "is_return", value: "false", operator: "eq" },
        ],
      },
    ],
  })
  note(`shipping option (${SEED.shippingPrice} ${SEED.currency})`, "created", result[0].id)
  return result[0]
}

async function ensureProduct(
  container: MedusaContainer,
  salesChannelId: string,
  locationId: string,
  note: Note
) {
  const products = container.resolve(Modules.PRODUCT)
  const [existing] = await products.listProducts(
    { handle: SEED.productHandle },
    { relations: ["variants"] }
  )
  if (existing) {
    note("product", "found", existing.id)
    return { id: existing.id, variantId: existing.variants[0].id }
  }
  const fulfillment = container.resolve(Modules.FULFILLMENT)
  const [profile] = await fulfillment.listShippingProfiles({ type: "default" })
  const { result } = await createProductsWorkflow(container).run({
    input: {
      products: [
        {
          title: "Payment Plus T-shirt",
          handle: SEED.productHandle,
          description: "Paid for through medusa-payment-plus.",
          status: ProductStatus.PUBLISHED,
          shipping_profile_id: profile.id,
          options: [{ title: "Size", values: ["M"] }],
          variants: [
            {
              title: "M",
              sku: "PP-TSHIRT-M",
              manage_inventory: true,
              options: { Size: "M" },
              prices: [{ amount: SEED.productPrice, currency_code: SEED.currency }],
            },
          ],
          sales_channels: [{ id: salesChannelId }],
        },
      ],
    },
  })
  const product = result[0]
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data: variants } = await query.graph({
    entity: "product_variant",
    fields: ["id", "inventory_items.inventory_item_id"],
    filters: { product_id: product.id },
  })
  const inventoryItemIds = variants.flatMap((v: any) =>
    (v.inventory_items ?? []).map((i: any) => i.inventory_item_id)
  )
  if (inventoryItemIds.length) {
    await createInventoryLevelsWorkflow(container).run({
      input: {
        inventory_levels: inventoryItemIds.map((inventory_item_id: string) => ({
          inventory_item_id,
          location_id: locationId,
          stocked_quantity: 1_000_000,
        })),
      },
    })
  }
  note(`product (${SEED.productPrice} ${SEED.currency}, 1,000,000 in stock)`, "created", product.id)
  return { id: product.id, variantId: variants[0].id as string }
}

/** A product without shipping (no shipping profile, no inventory), priced in every seeded currency. */
async function ensureDigitalProduct(container: MedusaContainer, salesChannelId: string, note: Note) {
  const products = container.resolve(Modules.PRODUCT)
  const [existing] = await products.listProducts({ handle: SEED.digitalProductHandle }, { relations: ["variants"] })
  if (existing) {
    note("digital product", "found", existing.id)
    return { id: existing.id, variantId: existing.variants[0].id }
  }
  const currencies = [SEED.currency, ...SEED.taxRegions.map((r) => r.currency)]
  const { result } = await createProductsWorkflow(container).run({
    input: {
      products: [
        {
          title: "Payment Plus e-book",
          handle: SEED.digitalProductHandle,
          description: "A download: no shipping, so a cart's total is its price and its tax.",
          status: ProductStatus.PUBLISHED,
          options: [{ title: "Format", values: ["PDF"] }],
          variants: [
            {
              title: "PDF",
              sku: "PP-EBOOK-PDF",
              manage_inventory: false,
              options: { Format: "PDF" },
              prices: currencies.map((currency_code) => ({ amount: SEED.digitalProductPrice, currency_code })),
            },
          ],
          sales_channels: [{ id: salesChannelId }],
        },
      ],
    },
  })
  const product = result[0]
  note(`digital product (${SEED.digitalProductPrice} in ${currencies.join(", ")})`, "created", product.id)
  return { id: product.id, variantId: product.variants[0].id }
}

async function ensurePublishableKey(container: MedusaContainer, salesChannelId: string, note: Note) {
  const apiKeys = container.resolve(Modules.API_KEY)
  const [existing] = (await apiKeys.listApiKeys({ title: SEED.publishableKey, type: "publishable" })).filter(
    (key) => !key.revoked_at
  )
  if (existing) {
    note("publishable API key", "found", existing.id)
    return existing.token
  }
  const { result } = await createApiKeysWorkflow(container).run({
    input: { api_keys: [{ title: SEED.publishableKey, type: "publishable", created_by: "" }] },
  })
  await linkSalesChannelsToApiKeyWorkflow(container).run({
    input: { id: result[0].id, add: [salesChannelId] },
  })
  note("publishable API key", "created", result[0].id)
  return result[0].token
}

/** Same steps as `medusa user -e … -p …`, skipped when the user and its login exist. */
async function ensureAdminUser(container: MedusaContainer, note: Note) {
  const email = process.env.ADMIN_EMAIL || "admin@medusa-payment-plus.local"
  const password = process.env.ADMIN_PASSWORD || "supersecret"
  const users = container.resolve(Modules.USER)
  const auth = container.resolve(Modules.AUTH)

  let [user] = await users.listUsers({ email })
  let outcome: Outcome = "found"
  if (!user) {
    const { result } = await createUsersWorkflow(container).run({ input: { users: [{ email }] } })
    user = result[0]
    outcome = "created"
  }
  const identities = await auth.listProviderIdentities({ entity_id: email, provider: "emailpass" })
  if (!identities.length) {
    const { authIdentity, error } = await auth.register("emailpass", { body: { email, password } })
    if (error || !authIdentity) {
      throw new Error(`Could not register the admin login ${email}: ${error}`)
    }
    await auth.updateAuthIdentities({ id: authIdentity.id, app_metadata: { user_id: user.id } })
    outcome = "created"
  }
  note(`admin user ${email}`, outcome, user.id)
  return { email, password }
}
