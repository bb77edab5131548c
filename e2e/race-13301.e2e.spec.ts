import { eventually, MEDUSA_WEBHOOK_DELAY_MS, sleep, startEnvironment, type Environment } from "./harness/environment"
import { moneyFacts, ordersOfCart } from "./harness/facts"
import { expectOneOrderOneCaptureNoRefund, raceCheckout } from "./harness/race"
import { checkoutUpToPayment } from "./harness/storefront"

// medusajs/medusa#13301: Stripe with automatic capture, the storefront
// completing the cart while Stripe's payment_intent.succeeded webhook for the
// same payment is processed. One Medusa server, Stripe `capture: "automatic"`.

jest.setTimeout(240_000)

let env: Environment

beforeAll(async () => {
  env = await startEnvironment({ name: "race_13301", capture: "automatic" })
})

afterAll(async () => {
  await env?.stop()
})

/** "Place order" from well before to well after the webhook is processed. */
const OFFSETS_MS = [-1500, -400, -150, -50, 0, 50, 150, 400, 1500]

describe("#13301: Place order racing the payment_intent.succeeded webhook (automatic capture)", () => {
  it(`ends with exactly one order, one capture and no refund at every timing (${OFFSETS_MS.join(", ")} ms)`, async () => {
    // The runs are independent carts; running them together also puts the
    // server under the load a real sale would.
    const runs = await Promise.all(OFFSETS_MS.map((offset) => raceCheckout(env, offset)))
    process.stdout.write(
      `[e2e] #13301 Place order answers: ${runs.map((r) => `${r.offsetMs}ms→${r.answers.join("/")}`).join(", ")}\n`
    )
    for (const run of runs) {
      await expectOneOrderOneCaptureNoRefund(env, run)
    }
  })

  it("a shopper who never presses Place order still gets the order: the webhook completes the cart", async () => {
    const { cart, session } = await checkoutUpToPayment(env.store(), env.seed, "pp_stripe_stripe")
    await env.stripe.paymentIntents.confirm(session.data.id, { payment_method: "pm_card_visa" })
    await sleep(MEDUSA_WEBHOOK_DELAY_MS)
    await eventually(async () => expect(await ordersOfCart(env, cart.id)).toHaveLength(1), { timeoutMs: 30_000 })
    await expectOneOrderOneCaptureNoRefund(env, {
      cartId: cart.id,
      sessionId: session.id,
      intentId: session.data.id,
      offsetMs: Number.POSITIVE_INFINITY,
      answers: ["(none)"],
    })
    expect((await moneyFacts(env, session.id)).captures).toHaveLength(1)
  })
})
