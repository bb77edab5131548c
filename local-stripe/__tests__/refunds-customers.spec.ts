import Stripe from "stripe"
import { Harness, rejectionOf, startHarness } from "./helpers"

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h.server.close())

async function paid(amount: number, extra: Partial<Stripe.PaymentIntentCreateParams> = {}) {
  return h.stripe.paymentIntents.create({ amount, currency: "usd", confirm: true, payment_method: "pm_card_visa", ...extra })
}

describe("Refunds", () => {
  it("refunds in parts up to the amount received, then charge_already_refunded", async () => {
    const pi = await paid(5000)
    const first = await h.stripe.refunds.create({ payment_intent: pi.id, amount: 2000, metadata: { reason: "damaged" } })
    expect(first).toMatchObject({ object: "refund", amount: 2000, status: "succeeded", payment_intent: pi.id, metadata: { reason: "damaged" } })
    expect(first.id).toMatch(/^re_/)
    expect(first.charge).toBe(pi.latest_charge)

    const tooMuch = await rejectionOf(h.stripe.refunds.create({ payment_intent: pi.id, amount: 3001 }))
    expect(tooMuch).toMatchObject({ type: "StripeInvalidRequestError", code: "amount_too_large", param: "amount", statusCode: 400 })

    // Without an amount, the remainder is refunded.
    const rest = await h.stripe.refunds.create({ charge: pi.latest_charge as string })
    expect(rest.amount).toBe(3000)
    const charge = await h.stripe.charges.retrieve(pi.latest_charge as string)
    expect(charge).toMatchObject({ amount_refunded: 5000, refunded: true })

    const done = await rejectionOf(h.stripe.refunds.create({ payment_intent: pi.id, amount: 1 }))
    expect(done).toMatchObject({ code: "charge_already_refunded", statusCode: 400 })
    expect(await h.stripe.refunds.retrieve(first.id)).toEqual(first)
    const listed = await h.stripe.refunds.list({ payment_intent: pi.id })
    expect(listed.data.map((r) => r.id)).toEqual([rest.id, first.id])
  })

  it("after a partial capture only the captured amount can be refunded", async () => {
    const pi = await paid(8000, { capture_method: "manual" })
    await h.stripe.paymentIntents.capture(pi.id, { amount_to_capture: 5000 })
    const error = await rejectionOf(h.stripe.refunds.create({ payment_intent: pi.id, amount: 5001 }))
    expect(error.code).toBe("amount_too_large")
    const refund = await h.stripe.refunds.create({ payment_intent: pi.id })
    expect(refund.amount).toBe(5000)
    expect((await rejectionOf(h.stripe.refunds.create({ payment_intent: pi.id }))).code).toBe("charge_already_refunded")
  })

  it("refuses uncaptured and unknown payments, and records refund events", async () => {
    const held = await paid(1000, { capture_method: "manual" })
    expect(await rejectionOf(h.stripe.refunds.create({ payment_intent: held.id }))).toMatchObject({ code: "charge_not_refundable" })
    expect(await rejectionOf(h.stripe.refunds.create({ payment_intent: "pi_unknown" }))).toMatchObject({
      statusCode: 404,
      code: "resource_missing",
      param: "payment_intent",
    })
    expect(await rejectionOf(h.stripe.refunds.create({}))).toMatchObject({ code: "parameter_missing" })

    const pi = await paid(1000)
    const refund = await h.stripe.refunds.create({ payment_intent: pi.id, amount: 400 })
    const events = await h.stripe.events.list({ type: "charge.refunded", limit: 1 })
    const charge = events.data[0].data.object as Stripe.Charge
    expect(charge).toMatchObject({ id: pi.latest_charge, amount_refunded: 400, refunded: false })
    expect(events.data[0].data.previous_attributes).toEqual({ amount_refunded: 0, refunded: false })
    const created = await h.stripe.events.list({ type: "refund.created", limit: 1 })
    expect((created.data[0].data.object as Stripe.Refund).id).toBe(refund.id)
  })
})

describe("Customers and payment methods", () => {
  it("creates, retrieves, updates and deletes a customer", async () => {
    const customer = await h.stripe.customers.create({
      email: "ada@example.com",
      name: "Ada",
      metadata: { medusa_customer_id: "cus_medusa_1" },
    })
    expect(customer).toMatchObject({ object: "customer", email: "ada@example.com", name: "Ada", metadata: { medusa_customer_id: "cus_medusa_1" } })
    expect(customer.id).toMatch(/^cus_/)

    const updated = await h.stripe.customers.update(customer.id, { phone: "+331234", name: "Ada L." })
    expect(updated).toMatchObject({ phone: "+331234", name: "Ada L.", email: "ada@example.com" })
    const updateEvent = h.server.events("customer.updated").pop()!
    expect(updateEvent.data.previous_attributes).toEqual({ phone: null, name: "Ada" })

    const deleted = await h.stripe.customers.del(customer.id)
    expect(deleted).toEqual({ id: customer.id, object: "customer", deleted: true })
    expect(await h.stripe.customers.retrieve(customer.id)).toMatchObject({ id: customer.id, deleted: true })
    expect(await rejectionOf(h.stripe.customers.update(customer.id, { name: "x" }))).toMatchObject({ statusCode: 404 })
    expect(await rejectionOf(h.stripe.customers.del(customer.id))).toMatchObject({ statusCode: 404 })
    expect(
      await rejectionOf(h.stripe.paymentIntents.create({ amount: 100, currency: "usd", customer: customer.id }))
    ).toMatchObject({ statusCode: 404, param: "customer" })
  })

  it("attaches, lists, retrieves and detaches payment methods", async () => {
    const customer = await h.stripe.customers.create({ email: "pm@example.com" })
    const visa = await h.stripe.paymentMethods.attach("pm_card_visa", { customer: customer.id })
    const amex = await h.stripe.paymentMethods.attach("pm_card_amex", { customer: customer.id })
    expect(visa).toMatchObject({ object: "payment_method", type: "card", customer: customer.id })
    expect(amex.card?.brand).toBe("amex")

    const listed = await h.stripe.customers.listPaymentMethods(customer.id, { type: "card" })
    expect(listed.data.map((m) => m.id)).toEqual([amex.id, visa.id])
    expect((await h.stripe.paymentMethods.retrieve(visa.id)).customer).toBe(customer.id)
    await h.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: visa.id } })

    const detached = await h.stripe.paymentMethods.detach(visa.id)
    expect(detached.customer).toBeNull()
    expect((await h.stripe.customers.listPaymentMethods(customer.id)).data.map((m) => m.id)).toEqual([amex.id])
    expect((await h.stripe.customers.retrieve(customer.id)) as Stripe.Customer).toMatchObject({
      invoice_settings: { default_payment_method: null },
    })
    expect(await rejectionOf(h.stripe.paymentMethods.detach(visa.id))).toMatchObject({
      code: "payment_method_unexpected_state",
      statusCode: 400,
    })
    expect(h.server.events("payment_method.detached").pop()!.data.previous_attributes).toEqual({ customer: customer.id })
  })

  it("saves a card with a SetupIntent and charges it off-session", async () => {
    const customer = await h.stripe.customers.create({ email: "setup@example.com" })
    const si = await h.stripe.setupIntents.create({ customer: customer.id, payment_method: "pm_card_visa", confirm: true })
    expect(si).toMatchObject({ object: "setup_intent", status: "succeeded", usage: "off_session", customer: customer.id })
    expect(si.id).toMatch(/^seti_/)
    const pmId = si.payment_method as string
    expect((await h.stripe.paymentMethods.retrieve(pmId)).customer).toBe(customer.id)

    const pi = await h.stripe.paymentIntents.create({
      amount: 1234,
      currency: "usd",
      customer: customer.id,
      payment_method: pmId,
      off_session: true,
      confirm: true,
    })
    expect(pi.status).toBe("succeeded")

    const declined = await rejectionOf(
      h.stripe.setupIntents.create({ customer: customer.id, payment_method: "pm_card_chargeDeclined", confirm: true })
    )
    expect(declined).toMatchObject({ type: "StripeCardError", code: "card_declined" })
    expect((declined.raw.setup_intent as Stripe.SetupIntent).status).toBe("requires_payment_method")

    // A card that saves fine but fails every charge (Stripe's 4000000000000341).
    const trap = await h.stripe.setupIntents.create({ customer: customer.id, payment_method: "pm_card_chargeCustomerFail", confirm: true })
    expect(trap.status).toBe("succeeded")
    const error = await rejectionOf(
      h.stripe.paymentIntents.create({
        amount: 1000,
        currency: "usd",
        customer: customer.id,
        payment_method: trap.payment_method as string,
        off_session: true,
        confirm: true,
      })
    )
    expect(error.code).toBe("card_declined")
  })

  it("saves the card when setup_future_usage is set on a payment", async () => {
    const customer = await h.stripe.customers.create({})
    const pi = await paid(1000, { customer: customer.id, setup_future_usage: "off_session" })
    const methods = await h.stripe.customers.listPaymentMethods(customer.id)
    expect(methods.data.map((m) => m.id)).toEqual([pi.payment_method])
  })

  it("refuses a payment method that belongs to another customer", async () => {
    const a = await h.stripe.customers.create({})
    const b = await h.stripe.customers.create({})
    const pm = await h.stripe.paymentMethods.attach("pm_card_visa", { customer: a.id })
    expect(await rejectionOf(h.stripe.paymentMethods.attach(pm.id, { customer: b.id }))).toMatchObject({ statusCode: 400 })
    expect(
      await rejectionOf(h.stripe.paymentIntents.create({ amount: 500, currency: "usd", customer: b.id, payment_method: pm.id }))
    ).toMatchObject({ statusCode: 400, param: "payment_method" })
  })
})
