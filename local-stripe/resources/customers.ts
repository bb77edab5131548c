import type Stripe from "stripe"
import { ApiHandler, LocalStripeApp } from "../app"
import { resourceMissing } from "../errors"
import { newId, nowSeconds, randomToken } from "../ids"
import { newestFirst, paginate } from "../list"
import { Params } from "../params"
import { Router } from "../router"
import { DeletedCustomer } from "../store"
import { attachPaymentMethod, resolvePaymentMethod } from "./payment-methods"

const WRITABLE = ["email", "name", "phone", "description", "metadata", "address", "shipping", "invoice_settings", "preferred_locales"]

/** A live customer; deleted ones are "missing" for every use except retrieve. */
export function requireCustomer(app: LocalStripeApp, id: string, param = "customer"): Stripe.Customer {
  const customer = app.store.customers.get(id)
  if (!customer || isDeleted(customer)) throw resourceMissing("customer", id, param)
  return customer
}

function isDeleted(customer: Stripe.Customer | DeletedCustomer): customer is DeletedCustomer {
  return "deleted" in customer && customer.deleted === true
}

/** Applies writable fields and returns the previous values of what changed. */
function applyChanges(app: LocalStripeApp, customer: Stripe.Customer, params: Params): Record<string, unknown> {
  const previous: Record<string, unknown> = {}
  const set = <K extends keyof Stripe.Customer>(key: K, value: Stripe.Customer[K]) => {
    if (JSON.stringify(customer[key]) === JSON.stringify(value)) return
    previous[key] = customer[key] ?? null
    customer[key] = value
  }
  for (const key of ["email", "name", "phone", "description"] as const) {
    const value = params.string(key)
    if (value !== undefined) set(key, value)
  }
  const applyMetadata = params.metadata()
  if (applyMetadata) set("metadata", applyMetadata(customer.metadata))
  const address = params.passthrough("address")
  if (address !== undefined) set("address", address as unknown as Stripe.Address | null)
  const shipping = params.passthrough("shipping")
  if (shipping !== undefined) set("shipping", shipping as unknown as Stripe.Customer.Shipping | null)
  const locales = params.strings("preferred_locales")
  if (locales) set("preferred_locales", locales)
  const defaultPm = params.object("invoice_settings")?.string("default_payment_method")
  if (defaultPm !== undefined) {
    if (defaultPm) requireAttached(app, defaultPm, customer.id)
    set("invoice_settings", { ...customer.invoice_settings, default_payment_method: defaultPm })
  }
  return previous
}

function requireAttached(app: LocalStripeApp, pmId: string, customerId: string): void {
  const pm = app.store.paymentMethods.get(pmId)
  if (!pm || pm.customer !== customerId) {
    throw resourceMissing("PaymentMethod", pmId, "invoice_settings[default_payment_method]")
  }
}

const create: ApiHandler = ({ app, params }) => {
  params.allowOnly([...WRITABLE, "payment_method"])
  const customer: Stripe.Customer = {
    id: newId("cus"),
    object: "customer",
    address: null,
    balance: 0,
    created: nowSeconds(),
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    discount: null,
    email: null,
    invoice_prefix: randomToken(8).toUpperCase(),
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: false,
    metadata: {},
    name: null,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: "none",
    test_clock: null,
  }
  const pmRef = params.string("payment_method")
  const pm = pmRef ? resolvePaymentMethod(app, pmRef) : undefined
  app.store.customers.set(customer.id, customer)
  if (pm) attachPaymentMethod(app, pm, customer.id)
  applyChanges(app, customer, params)
  app.emit("customer.created", customer)
  return customer
}

const retrieve: ApiHandler = ({ app, params, pathParams }) => {
  params.allowOnly([])
  const customer = app.store.customers.get(pathParams.id)
  if (!customer) throw resourceMissing("customer", pathParams.id)
  return customer
}

const update: ApiHandler = ({ app, params, pathParams }) => {
  params.allowOnly(WRITABLE)
  const customer = requireCustomer(app, pathParams.id, "id")
  const previous = applyChanges(app, customer, params)
  if (Object.keys(previous).length > 0) app.emit("customer.updated", customer, previous)
  return customer
}

const remove: ApiHandler = ({ app, params, pathParams }) => {
  params.allowOnly([])
  const customer = requireCustomer(app, pathParams.id, "id")
  const tombstone: DeletedCustomer = { id: customer.id, object: "customer", deleted: true }
  app.store.customers.set(customer.id, tombstone)
  app.emit("customer.deleted", customer)
  return tombstone
}

const list: ApiHandler = ({ app, params }) => {
  params.allowOnly(["email", "limit", "starting_after", "ending_before"])
  const email = params.string("email")
  const live = [...app.store.customers.values()].filter((c): c is Stripe.Customer => !isDeleted(c))
  const items = newestFirst(live).filter((c) => !email || c.email === email)
  return paginate(items, params, "/v1/customers")
}

const listPaymentMethods: ApiHandler = ({ app, params, pathParams }) => {
  params.allowOnly(["type", "limit", "starting_after", "ending_before", "allow_redisplay"])
  const customer = requireCustomer(app, pathParams.id, "customer")
  const type = params.string("type")
  const items = newestFirst(app.store.paymentMethods.values()).filter(
    (pm) => pm.customer === customer.id && (!type || pm.type === type)
  )
  return paginate(items, params, `/v1/customers/${customer.id}/payment_methods`)
}

const retrievePaymentMethod: ApiHandler = ({ app, params, pathParams }) => {
  params.allowOnly([])
  const customer = requireCustomer(app, pathParams.id, "customer")
  const pm = app.store.paymentMethods.get(pathParams.pm)
  if (!pm || pm.customer !== customer.id) throw resourceMissing("PaymentMethod", pathParams.pm, "payment_method")
  return pm
}

export function registerCustomerRoutes(router: Router<ApiHandler>): void {
  router
    .post("/v1/customers", create)
    .get("/v1/customers", list)
    .get("/v1/customers/:id", retrieve)
    .post("/v1/customers/:id", update)
    .delete("/v1/customers/:id", remove)
    .get("/v1/customers/:id/payment_methods", listPaymentMethods)
    .get("/v1/customers/:id/payment_methods/:pm", retrievePaymentMethod)
}
