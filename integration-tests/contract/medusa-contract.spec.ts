/**
 * Differential contract test: Medusa's `@medusajs/payment` 2.21.2 and this
 * module, each loaded the way a Medusa app loads a payment module (modules
 * SDK: migrations, then boot) on a fresh database of its own, get the same
 * sequence of IPaymentModuleService calls; every answer (or refusal: thrown
 * or not, MedusaError type, message) and the events each call emitted are
 * compared field by field after normalizing generated ids, timestamps and
 * amount objects (see __fixtures__/contract.ts).
 *
 * Every call is one test. A test fails on any difference that is not in
 * KNOWN_DIFFERENCES, and on any KNOWN_DIFFERENCES entry that no longer
 * matches what the call does (so the table cannot go stale). KNOWN_DIFFERENCES
 * holds only the differences the README's "Where it differs from
 * @medusajs/payment 2.21 (on purpose)" table declares.
 *
 * A report of every difference (known or not) is printed after the run and
 * written to .data/contract-report.json.
 *
 *   node scripts/with-postgres.mjs node --experimental-vm-modules \
 *     node_modules/jest/bin/jest.js --runInBand integration-tests/contract
 */
import fs from "fs"
import path from "path"
import { IPaymentModuleService } from "@medusajs/framework/types"
import { loadPaymentModule, Target } from "./__fixtures__/load-payment-module"
import { brief, Difference, diffEvents, diffOutcome, MISSING, Normalizer, pathPattern, same, thrown } from "./__fixtures__/contract"

jest.setTimeout(180_000)

const MANUAL = "pp_system_default"
const REPORT = path.resolve(__dirname, "..", "..", ".data", "contract-report.json")

// ---------------------------------------------------------------------------
// The calls. Each step gets the service and a context of ids that earlier
// steps of the same run stored (each implementation has its own context).
// Scenarios that one implementation refuses on purpose use collections of
// their own, so that a deliberate refusal never changes a later step's input.
// ---------------------------------------------------------------------------

type Ctx = Record<string, any>
interface Step {
  call: string
  run(service: IPaymentModuleService & Record<string, any>, ctx: Ctx): Promise<unknown>
}

const steps: Step[] = []
const step = (call: string, run: Step["run"]) => steps.push({ call, run })
const customer = { id: "cus_contract", email: "ada@example.com" }

// --- payment collections ----------------------------------------------------
step("createPaymentCollections (one)", async (s, c) => {
  const col = await s.createPaymentCollections({ currency_code: "usd", amount: 1000, metadata: { cart: "c1" } })
  c.colA = col.id
  return col
})
step("createPaymentCollections (array)", async (s, c) => {
  const cols = await s.createPaymentCollections([
    { currency_code: "usd", amount: 2000 },
    { currency_code: "eur", amount: "30.5" },
    { currency_code: "usd", amount: 500 },
  ])
  ;[c.colB, c.colC, c.colD] = cols.map((col) => col.id)
  return cols
})
step("createPaymentCollections without currency_code (refused)", (s) =>
  s.createPaymentCollections({ amount: 100 } as any)
)
step("createPaymentCollections (array) with one item without currency_code (refused)", (s) =>
  s.createPaymentCollections([{ currency_code: "usd", amount: 1 }, { amount: 2 } as any])
)
step("createPaymentCollections with a negative amount (refused)", (s) =>
  s.createPaymentCollections({ currency_code: "usd", amount: -5 })
)
step("createPaymentCollections with a NaN amount (refused)", (s) =>
  s.createPaymentCollections({ currency_code: "usd", amount: NaN })
)
step("listAndCountPaymentCollections (all, after the refusals)", (s) => s.listAndCountPaymentCollections({}))
step("retrievePaymentCollection", (s, c) => s.retrievePaymentCollection(c.colA))
step("retrievePaymentCollection with select", (s, c) =>
  s.retrievePaymentCollection(c.colA, { select: ["id", "amount", "status", "currency_code"] })
)
step("retrievePaymentCollection with relations payment_sessions, payments (none yet)", (s, c) =>
  s.retrievePaymentCollection(c.colA, { relations: ["payment_sessions", "payments"] })
)
step("listPaymentCollections by id", (s, c) => s.listPaymentCollections({ id: [c.colA, c.colB] }))
step("listPaymentCollections by currency_code", (s) => s.listPaymentCollections({ currency_code: "eur" } as any))
step("updatePaymentCollections by id", (s, c) =>
  s.updatePaymentCollections(c.colD, { amount: 600, metadata: { step: 1 } })
)
step("updatePaymentCollections by selector", (s, c) =>
  s.updatePaymentCollections({ id: [c.colD] }, { metadata: { step: 2 } })
)
step("upsertPaymentCollections (one existing, one new)", async (s, c) => {
  const cols = await s.upsertPaymentCollections([
    { id: c.colD, amount: 700 },
    { currency_code: "usd", amount: 5 },
  ] as any)
  c.colE = cols.find((col: any) => col.id !== c.colD)?.id
  return cols
})
step("deletePaymentCollections", (s, c) => s.deletePaymentCollections([c.colE]))
step("retrievePaymentCollection of a deleted collection (refused)", (s, c) => s.retrievePaymentCollection(c.colE))
step("softDeletePaymentCollections", (s, c) => s.softDeletePaymentCollections([c.colD]))
step("listPaymentCollections after a soft delete", (s, c) => s.listPaymentCollections({ id: [c.colD] }))
step("restorePaymentCollections", (s, c) => s.restorePaymentCollections([c.colD]))
step("retrievePaymentCollection after a restore", (s, c) => s.retrievePaymentCollection(c.colD))

// --- payment sessions -------------------------------------------------------
step("createPaymentSession with data and context", async (s, c) => {
  const session = await s.createPaymentSession(c.colA, {
    provider_id: MANUAL,
    currency_code: "usd",
    amount: 1000,
    data: { note: "first" },
    context: { customer } as any,
  })
  c.sesA = session.id
  return session
})
step("retrievePaymentSession", (s, c) => s.retrievePaymentSession(c.sesA))
step("retrievePaymentSession with relations payment_collection", (s, c) =>
  s.retrievePaymentSession(c.sesA, { relations: ["payment_collection"] })
)
step("updatePaymentSession", (s, c) =>
  s.updatePaymentSession({
    id: c.sesA,
    currency_code: "usd",
    amount: 1000,
    data: { note: "second" },
    metadata: { updated: true },
  } as any)
)
step("listPaymentSessions by collection", (s, c) => s.listPaymentSessions({ payment_collection_id: c.colA }))
step("createPaymentSession without data or context", async (s, c) => {
  const session = await s.createPaymentSession(c.colA, { provider_id: MANUAL, currency_code: "usd", amount: 1000 } as any)
  c.sesX = session.id
  return session
})
step("deletePaymentSession", (s, c) => s.deletePaymentSession(c.sesX))
step("retrievePaymentSession of a deleted session (refused)", (s, c) => s.retrievePaymentSession(c.sesX))
step("createPaymentSession with an unknown provider (refused)", (s, c) =>
  s.createPaymentSession(c.colA, { provider_id: "pp_nope_nope", currency_code: "usd", amount: 10, data: {} })
)
step("createPaymentSession on an unknown collection (refused)", (s) =>
  s.createPaymentSession("pay_col_nope", { provider_id: MANUAL, currency_code: "usd", amount: 10, data: {} })
)

// --- authorization ----------------------------------------------------------
step("authorizePaymentSession", async (s, c) => {
  const payment = await s.authorizePaymentSession(c.sesA, {})
  c.payA = payment?.id
  return payment
})
step("authorizePaymentSession a second time", (s, c) => s.authorizePaymentSession(c.sesA, {}))
step("retrievePaymentSession after authorization with relations payment", (s, c) =>
  s.retrievePaymentSession(c.sesA, { relations: ["payment"] })
)
step("retrievePaymentCollection after authorization with relations payment_sessions, payments", (s, c) =>
  s.retrievePaymentCollection(c.colA, { relations: ["payment_sessions", "payments"] })
)
step("retrievePayment after authorization", (s, c) => s.retrievePayment(c.payA))

// --- captures and refunds ---------------------------------------------------
step("capturePayment partial (400 of 1000)", (s, c) => s.capturePayment({ payment_id: c.payA, amount: 400 }))
step("retrievePaymentCollection after a partial capture", (s, c) => s.retrievePaymentCollection(c.colA))
step("capturePayment more than what is left (refused)", (s, c) => s.capturePayment({ payment_id: c.payA, amount: 700 }))
step("capturePayment the rest (600, captured_by)", (s, c) =>
  s.capturePayment({ payment_id: c.payA, amount: 600, captured_by: "user_contract" })
)
step("capturePayment of a fully captured payment", (s, c) => s.capturePayment({ payment_id: c.payA, amount: 1 }))
step("retrievePaymentCollection after a full capture", (s, c) => s.retrievePaymentCollection(c.colA))
step("createRefundReasons (one)", async (s, c) => {
  const reason = await s.createRefundReasons({ label: "Damaged", code: "damaged", description: "arrived broken" })
  c.reasonA = reason.id
  return reason
})
step("createRefundReasons (array)", async (s, c) => {
  const reasons = await s.createRefundReasons([{ label: "Late", code: "late" }])
  c.reasonB = reasons[0]?.id
  return reasons
})
step("updateRefundReasons", (s, c) => s.updateRefundReasons({ id: c.reasonB, label: "Too late", metadata: { x: 1 } }))
step("listRefundReasons", (s, c) => s.listRefundReasons({ id: [c.reasonA, c.reasonB] }))
step("refundPayment partial with reason, note and created_by", (s, c) =>
  s.refundPayment({ payment_id: c.payA, amount: 300, refund_reason_id: c.reasonA, note: "sorry", created_by: "user_contract" } as any)
)
step("refundPayment more than what is left (refused)", (s, c) => s.refundPayment({ payment_id: c.payA, amount: 800 }))
step("retrievePayment with relations captures, refunds, payment_session, payment_collection", (s, c) =>
  s.retrievePayment(c.payA, { relations: ["captures", "refunds", "payment_session", "payment_collection"] })
)
step("listPayments with relations captures, refunds.refund_reason, payment_session, payment_collection", (s, c) =>
  s.listPayments(
    { id: [c.payA] },
    { relations: ["captures", "refunds", "refunds.refund_reason", "payment_session", "payment_collection"] }
  )
)
step("retrievePaymentCollection with relations payment_sessions, payments.captures, payments.refunds", (s, c) =>
  s.retrievePaymentCollection(c.colA, { relations: ["payment_sessions", "payments", "payments.captures", "payments.refunds"] })
)
step("listPaymentCollections with relations payment_sessions, payments.captures", (s, c) =>
  s.listPaymentCollections({ id: [c.colA] }, { relations: ["payment_sessions", "payments", "payments.captures"] })
)
step("listCaptures", (s, c) => s.listCaptures({ payment_id: c.payA }))
step("listRefunds", (s, c) => s.listRefunds({ payment_id: c.payA }))
step("updatePayment", (s, c) => s.updatePayment({ id: c.payA, metadata: { note: "updated" } } as any))
step("completePaymentCollections (fully captured)", (s, c) => s.completePaymentCollections(c.colA))
step("retrievePaymentCollection after completion", (s, c) => s.retrievePaymentCollection(c.colA))
// last on collection A: this module refuses it on purpose
step("cancelPayment of a captured payment", (s, c) => s.cancelPayment(c.payA))

// --- a partly captured collection -------------------------------------------
step("createPaymentSession (collection B)", async (s, c) => {
  const session = await s.createPaymentSession(c.colB, { provider_id: MANUAL, currency_code: "usd", amount: 2000, data: {} })
  c.sesB = session.id
  return session
})
step("authorizePaymentSession (collection B)", async (s, c) => {
  const payment = await s.authorizePaymentSession(c.sesB, {})
  c.payB = payment?.id
  return payment
})
step("capturePayment partial (500 of 2000, collection B)", (s, c) => s.capturePayment({ payment_id: c.payB, amount: 500 }))
step("completePaymentCollections of a partly captured collection", (s, c) => s.completePaymentCollections(c.colB))
step("retrievePaymentCollection after completing a partly captured collection", (s, c) =>
  s.retrievePaymentCollection(c.colB)
)
step("capturePayment without amount after a partial capture", (s, c) => s.capturePayment({ payment_id: c.payB }))

// --- a full capture without amount --------------------------------------------
step("createPaymentSession (collection D)", async (s, c) => {
  const session = await s.createPaymentSession(c.colD, { provider_id: MANUAL, currency_code: "usd", amount: 700, data: {} })
  c.sesD = session.id
  return session
})
step("authorizePaymentSession (collection D)", async (s, c) => {
  const payment = await s.authorizePaymentSession(c.sesD, {})
  c.payD = payment?.id
  return payment
})
step("capturePayment without amount", (s, c) => s.capturePayment({ payment_id: c.payD }))
step("refundPayment without amount", (s, c) => s.refundPayment({ payment_id: c.payD }))
step("retrievePaymentCollection after a full capture and a full refund", (s, c) => s.retrievePaymentCollection(c.colD))
step("deletePaymentSession of an authorized session", (s, c) => s.deletePaymentSession(c.sesD))
step("retrievePayment of a deleted session's payment with relations payment_session", (s, c) =>
  s.retrievePayment(c.payD, { relations: ["payment_session"] })
)

// --- cancel -----------------------------------------------------------------
step("createPaymentSession (collection C, eur 30.5)", async (s, c) => {
  const session = await s.createPaymentSession(c.colC, { provider_id: MANUAL, currency_code: "eur", amount: "30.5", data: {} })
  c.sesC = session.id
  return session
})
step("authorizePaymentSession (collection C)", async (s, c) => {
  const payment = await s.authorizePaymentSession(c.sesC, {})
  c.payC = payment?.id
  return payment
})
step("cancelPayment of an authorized payment", (s, c) => s.cancelPayment(c.payC))
step("capturePayment after cancel (refused)", (s, c) => s.capturePayment({ payment_id: c.payC, amount: 1 }))
step("refundPayment of a payment never captured (refused)", (s, c) => s.refundPayment({ payment_id: c.payC, amount: 1 }))
step("retrievePayment after cancel with relations captures, refunds", (s, c) =>
  s.retrievePayment(c.payC, { relations: ["captures", "refunds"] })
)
step("retrievePaymentCollection after cancel", (s, c) => s.retrievePaymentCollection(c.colC))

// --- unknown ids --------------------------------------------------------------
step("retrievePayment of an unknown id (refused)", (s) => s.retrievePayment("pay_nope"))
step("capturePayment of an unknown id (refused)", (s) => s.capturePayment({ payment_id: "pay_nope", amount: 1 }))
step("refundPayment of an unknown id (refused)", (s) => s.refundPayment({ payment_id: "pay_nope", amount: 1 }))
step("cancelPayment of an unknown id (refused)", (s) => s.cancelPayment("pay_nope"))
step("updatePayment of an unknown id (refused)", (s) => s.updatePayment({ id: "pay_nope", metadata: {} } as any))
step("authorizePaymentSession of an unknown id (refused)", (s) => s.authorizePaymentSession("payses_nope", {}))
step("retrievePaymentSession of an unknown id (refused)", (s) => s.retrievePaymentSession("payses_nope"))
step("updatePaymentSession of an unknown id (refused)", (s) =>
  s.updatePaymentSession({ id: "payses_nope", currency_code: "usd", amount: 1, data: {} })
)
step("deletePaymentSession of an unknown id", (s) => s.deletePaymentSession("payses_nope"))
step("retrievePaymentCollection of an unknown id (refused)", (s) => s.retrievePaymentCollection("pay_col_nope"))
step("updatePaymentCollections of an unknown id (refused)", (s) =>
  s.updatePaymentCollections("pay_col_nope", { metadata: {} })
)
step("completePaymentCollections of an unknown id (refused)", (s) => s.completePaymentCollections("pay_col_nope"))
step("listPayments of an unknown id", (s) => s.listPayments({ id: ["pay_nope"] }))

// --- providers, account holders, payment methods, webhooks -------------------
step("listPaymentProviders", (s) => s.listPaymentProviders({}))
step("listPaymentProviders by id", (s) => s.listPaymentProviders({ id: [MANUAL] }))
step("listAndCountPaymentProviders", (s) => s.listAndCountPaymentProviders({}))
step("createAccountHolder", async (s, c) => {
  const holder = await s.createAccountHolder({ provider_id: MANUAL, context: { customer } as any })
  c.holder = holder
  return holder
})
step("createAccountHolder for the same customer again", (s) =>
  s.createAccountHolder({ provider_id: MANUAL, context: { customer } as any })
)
step("updateAccountHolder", (s, c) =>
  s.updateAccountHolder({
    id: c.holder?.id,
    provider_id: MANUAL,
    context: { account_holder: c.holder, customer } as any,
    metadata: { tier: "gold" },
  })
)
step("updateAccountHolder without the holder in the context (refused)", (s, c) =>
  s.updateAccountHolder({ id: c.holder?.id, provider_id: MANUAL, context: {} as any })
)
step("listPaymentMethods", (s, c) =>
  s.listPaymentMethods({ provider_id: MANUAL, context: { account_holder: c.holder } as any })
)
step("listAndCountPaymentMethods", (s, c) =>
  s.listAndCountPaymentMethods({ provider_id: MANUAL, context: { account_holder: c.holder } as any })
)
step("createPaymentMethods", (s, c) =>
  s.createPaymentMethods({ provider_id: MANUAL, data: {}, context: { account_holder: c.holder } as any })
)
step("deletePaymentMethods", (s, c) =>
  s.deletePaymentMethods({ provider_id: MANUAL, id: "pm_contract", data: {}, context: { account_holder: c.holder } } as any)
)
step("deleteAccountHolder", (s, c) => s.deleteAccountHolder(c.holder?.id))
step("deleteAccountHolder a second time (refused)", (s, c) => s.deleteAccountHolder(c.holder?.id))
step("getWebhookActionAndData", (s) =>
  s.getWebhookActionAndData({ provider: "system_default", payload: { data: {}, rawData: "", headers: {} } })
)
step("deleteRefundReasons", (s, c) => s.deleteRefundReasons([c.reasonB]))
step("listRefundReasons after delete", (s) => s.listRefundReasons({}))

// ---------------------------------------------------------------------------
// Deliberate differences: only what the README's "Where it differs from
// @medusajs/payment 2.21 (on purpose)" table declares. `path` is a glob over
// the difference's path (`*` = within one segment, `**` = anything); `medusa`
// / `ours`, when given, must match the normalized values (a value, compared
// deeply, or a predicate). `reason` is the row's "this module" column,
// `readmeRow` its "Medusa 2.21" column.
// ---------------------------------------------------------------------------

type Expectation = unknown | ((value: unknown) => boolean)
interface KnownDifference {
  call: string
  path: string
  reason: string
  readmeRow: string
  medusa?: Expectation
  ours?: Expectation
}

const README = {
  cancelCaptured: {
    readmeRow: "`cancelPayment` cancels a captured payment and leaves the collection's totals stale",
    reason: "refuses (`NOT_ALLOWED`, refund instead) and recomputes the collection",
  },
  complete: {
    readmeRow: "`completePaymentCollections` completes anything",
    reason: "refuses a collection that is not fully captured",
  },
  accountHolder: {
    readmeRow: "`createAccountHolder` fails on a second call for the same customer",
    reason: "returns the existing holder, also under concurrency",
  },
  partiallyCaptured: {
    readmeRow: "status never `partially_captured` from the module",
    reason: "`partially_captured` while some but not all of the amount is captured",
  },
  onlyThisMovement: {
    readmeRow:
      "`capturePayment`/`refundPayment` answer with every capture/refund, and Medusa's workflows turn each into an order transaction",
    reason: "they answer with the capture or refund the call made (none for a no-op), so concurrent calls cannot pay an order twice",
  },
  badInput: {
    readmeRow:
      "a missing `currency_code` or a NaN amount fails inside the ORM (a plain Error: HTTP 500); a negative collection amount is stored",
    reason: "refused up front with `INVALID_DATA` (Medusa's words where it has them), and nothing is written",
  },
  unknownProvider: {
    readmeRow: "an unknown provider id is a plain Error (HTTP 500)",
    reason: "`NOT_FOUND` with Medusa's message; the registered providers are in `error.details`",
  },
  cancelSession: {
    readmeRow: "`cancelPayment` leaves the payment's session `authorized`",
    reason: "the session is canceled too, so a late authorization or update cannot revive it",
  },
}

const refusedWith = (type: string) => (value: unknown) => (value as any)?.["<thrown>"]?.type === type
const answered = (value: unknown) => value !== MISSING && !(value as any)?.["<thrown>"]

const KNOWN_DIFFERENCES: KnownDifference[] = [
  // bad input is refused up front, with a MedusaError, and writes nothing
  ...["createPaymentCollections without currency_code (refused)", "createPaymentCollections (array) with one item without currency_code (refused)"].flatMap(
    (call) => [
      { call, path: "<thrown>.message", ours: "Value for PaymentCollection.currency_code is required, 'undefined' found", ...README.badInput },
      { call, path: "<thrown>.type", medusa: MISSING, ours: "invalid_data", ...README.badInput },
    ]
  ),
  { call: "createPaymentCollections with a negative amount (refused)", path: "(outcome)", medusa: answered, ours: refusedWith("invalid_data"), ...README.badInput },
  { call: "createPaymentCollections with a negative amount (refused)", path: "<events>{payment.payment-collection.created *}", ours: MISSING, ...README.badInput },
  { call: "createPaymentCollections with a NaN amount (refused)", path: "<thrown>.message", medusa: "Cannot set value NaN for amount.", ...README.badInput },
  { call: "createPaymentCollections with a NaN amount (refused)", path: "<thrown>.type", medusa: MISSING, ours: "invalid_data", ...README.badInput },
  { call: "listAndCountPaymentCollections (all, after the refusals)", path: "[0].length", medusa: 5, ours: 4, ...README.badInput },
  { call: "listAndCountPaymentCollections (all, after the refusals)", path: "[0]{*}", ours: MISSING, ...README.badInput },
  { call: "listAndCountPaymentCollections (all, after the refusals)", path: "[1]", medusa: 5, ours: 4, ...README.badInput },
  { call: "createPaymentSession with an unknown provider (refused)", path: "<thrown>.type", medusa: MISSING, ours: "not_found", ...README.unknownProvider },

  // capture and refund answers: the movement this call made
  { call: "capturePayment the rest (600, captured_by)", path: "captures.length", medusa: 2, ours: 1, ...README.onlyThisMovement },
  { call: "capturePayment the rest (600, captured_by)", path: "captures{*}", ours: MISSING, ...README.onlyThisMovement },
  { call: "capturePayment of a fully captured payment", path: "captures.length", medusa: 2, ours: 0, ...README.onlyThisMovement },
  { call: "capturePayment of a fully captured payment", path: "captures{*}", ours: MISSING, ...README.onlyThisMovement },

  // partially_captured
  ...["payment_collection.status", "payment_session.payment_collection.status"].map((path) => ({
    call: "capturePayment the rest (600, captured_by)", path, medusa: "authorized", ours: "partially_captured", ...README.partiallyCaptured,
  })),
  { call: "retrievePaymentCollection after a partial capture", path: "status", medusa: "authorized", ours: "partially_captured", ...README.partiallyCaptured },

  // cancelPayment of a captured payment is refused, and a cancel recomputes the collection
  { call: "cancelPayment of a captured payment", path: "(outcome)", medusa: answered, ours: refusedWith("not_allowed"), ...README.cancelCaptured },
  { call: "cancelPayment of a captured payment", path: "<events>{payment.payment.updated *}", ours: MISSING, ...README.cancelCaptured },
  { call: "cancelPayment of an authorized payment", path: "<events>{payment.payment-session.updated *}", medusa: MISSING, ...README.cancelSession },
  { call: "retrievePaymentCollection after cancel", path: "authorized_amount", medusa: 30.5, ours: 0, ...README.cancelCaptured },
  { call: "retrievePaymentCollection after cancel", path: "raw_authorized_amount.value", medusa: "30.5", ours: "0", ...README.cancelCaptured },
  { call: "retrievePaymentCollection after cancel", path: "status", medusa: "authorized", ours: "awaiting", ...README.cancelCaptured },

  // completePaymentCollections refuses a collection that is not fully captured
  { call: "completePaymentCollections of a partly captured collection", path: "(outcome)", medusa: answered, ours: refusedWith("not_allowed"), ...README.complete },
  { call: "completePaymentCollections of a partly captured collection", path: "<events>{payment.payment-collection.updated *}", ours: MISSING, ...README.complete },
  { call: "retrievePaymentCollection after completing a partly captured collection", path: "completed_at", medusa: "<Date>", ours: null, ...README.complete },
  { call: "retrievePaymentCollection after completing a partly captured collection", path: "status", medusa: "authorized", ours: "partially_captured", ...README.partiallyCaptured },

  // a second createAccountHolder for the same customer returns the holder
  { call: "createAccountHolder for the same customer again", path: "(outcome)", medusa: refusedWith("invalid_data"), ours: answered, ...README.accountHolder },
]

// ---------------------------------------------------------------------------
// Running both, comparing, reporting
// ---------------------------------------------------------------------------

interface Recorded {
  outcome: unknown
  events: unknown[]
}

const recorded: Record<Target, Recorded[]> = { medusa: [], ours: [] }
const bootErrors: Partial<Record<Target, string>> = {}

/** What code that extends or spies on the module reaches besides its public methods. */
const structure: Partial<Record<Target, { services: string[]; providerServiceMethods: string[] }>> = {}

function methodNames(object: object): string[] {
  const names = new Set<string>()
  for (let proto = Object.getPrototypeOf(object); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name !== "constructor" && typeof (object as any)[name] === "function") names.add(name)
    }
  }
  return [...names].sort()
}

async function runAll(target: Target) {
  const events: any[] = []
  const module = await loadPaymentModule(target, "payment_contract", (batch) => events.push(...batch))
  const service = module.service as any
  structure[target] = {
    // the module's internal services, by the names Medusa's module gives them
    services: Object.keys(service).filter((key) => /Service_$|^baseRepository_$/.test(key)).sort(),
    providerServiceMethods: methodNames(service.paymentProviderService_),
  }
  try {
    const normalizer = new Normalizer()
    const ctx: Ctx = {}
    for (const [index, s] of steps.entries()) {
      normalizer.nextStep(index + 1)
      events.length = 0
      let outcome: unknown
      try {
        outcome = normalizer.normalize(await s.run(module.service as any, ctx))
      } catch (error) {
        outcome = normalizer.normalize(thrown(error))
      }
      // by name first, so that ids first seen in events get the same names in both runs
      const emitted = [...events]
        .sort((a, b) => String(a.name).localeCompare(String(b.name)))
        .map((e) => normalizer.normalize({ name: e.name, data: e.data, metadata: e.metadata }))
      recorded[target].push({ outcome, events: emitted })
    }
  } finally {
    await module.shutdown()
  }
}

interface Verdict {
  call: string
  differences: (Difference & { known?: string })[]
  stale: KnownDifference[]
}
const verdicts = new Map<string, Verdict>()

function verdictFor(index: number): Verdict {
  const call = steps[index].call
  const medusa = recorded.medusa[index]
  const ours = recorded.ours[index]
  const differences = [
    ...diffOutcome(medusa?.outcome ?? MISSING, ours?.outcome ?? MISSING),
    ...diffEvents((medusa?.events as unknown[]) ?? [], (ours?.events as unknown[]) ?? []),
  ]
  const known = KNOWN_DIFFERENCES.filter((k) => k.call === call)
  const fits = (expected: Expectation, value: unknown) =>
    typeof expected === "function" ? (expected as (v: unknown) => boolean)(value) : same(expected, value)
  const matches = (k: KnownDifference, d: Difference) =>
    pathPattern(k.path).test(d.path) &&
    (!("medusa" in k) || fits(k.medusa, d.medusa)) &&
    (!("ours" in k) || fits(k.ours, d.ours))
  const annotated = differences.map((d) => ({ ...d, known: known.find((k) => matches(k, d))?.reason }))
  const stale = known.filter((k) => !differences.some((d) => matches(k, d)))
  return { call, differences: annotated, stale }
}

function writeReport() {
  const all = steps.map((s) => verdicts.get(s.call)).filter((v): v is Verdict => !!v)
  const unexplained = all.flatMap((v) => v.differences.filter((d) => !d.known).map((d) => ({ call: v.call, ...d })))
  const known = all.flatMap((v) => v.differences.filter((d) => d.known).map((d) => ({ call: v.call, ...d })))
  const stale = all.flatMap((v) => v.stale)
  fs.mkdirSync(path.dirname(REPORT), { recursive: true })
  fs.writeFileSync(
    REPORT,
    JSON.stringify(
      {
        medusa: `@medusajs/payment@${require("@medusajs/payment/package.json").version}`,
        calls: steps.length,
        bootErrors,
        summary: { unexplained: unexplained.length, known: known.length, stale: stale.length },
        unexplained,
        known,
        stale,
        answers: steps.map((s, i) => ({ call: s.call, medusa: recorded.medusa[i], ours: recorded.ours[i] })),
      },
      null,
      2
    ) + "\n"
  )
  const lines = [
    `Contract with @medusajs/payment: ${steps.length} calls, ${unexplained.length} unexplained difference(s), ` +
      `${known.length} deliberate (README), ${stale.length} stale KNOWN_DIFFERENCES entr(y/ies). Full report: ${path.relative(process.cwd(), REPORT)}`,
  ]
  for (const v of all) {
    if (!v.differences.length && !v.stale.length) continue
    lines.push(`\n● ${v.call}`)
    for (const d of v.differences) {
      lines.push(`  ${d.known ? "  (README) " : "✗ "}${d.path}\n      medusa: ${brief(d.medusa)}\n      ours:   ${brief(d.ours)}`)
    }
    for (const k of v.stale) lines.push(`  ✗ stale KNOWN_DIFFERENCES entry: ${k.path} (${k.reason})`)
  }
  console.log(lines.join("\n"))
}

// The comparator must not hide a difference: a few checks of its own.
describe("the contract comparator", () => {
  const { BigNumber } = require("@medusajs/framework/utils")
  const paths = (a: unknown, b: unknown) => {
    const [x, y] = [new Normalizer(), new Normalizer()]
    return diffOutcome(x.normalize(a), y.normalize(b)).map((d) => d.path)
  }
  const ULID_A = "01JAAAAAAAAAAAAAAAAAAAAAAA"
  const ULID_B = "01JBBBBBBBBBBBBBBBBBBBBBBB"

  it("keeps null, undefined and a missing key apart, and array lengths", () => {
    expect(paths({ a: null }, { a: undefined })).toEqual(["a"])
    expect(paths({ a: null }, {})).toEqual(["a"])
    expect(paths({ a: undefined }, {})).toEqual(["a"])
    expect(paths({ a: [1, 2] }, { a: [1] })).toEqual(["a.length", "a[1]"])
    expect(paths({ a: [] }, { a: [] })).toEqual([])
  })

  it("names ids consistently within a run, so a wrong reference is a difference", () => {
    const col = `pay_col_${ULID_A}`
    const other = `pay_col_${ULID_B}`
    expect(paths({ id: col, ref: col }, { id: other, ref: other })).toEqual([])
    expect(paths({ id: col, ref: col }, { id: col, ref: other })).toEqual(["ref"])
    expect(paths({ id: `pay_${ULID_A}` }, { id: `capt_${ULID_A}` })).toEqual(["id"])
    expect(paths({ message: `Payment pay_${ULID_A} not found` }, { message: `Payment pay_${ULID_B} not found` })).toEqual([])
  })

  it("reduces timestamps and amounts to their kind and value, never across types", () => {
    expect(paths({ at: new Date(1) }, { at: new Date(2) })).toEqual([])
    expect(paths({ at: new Date(1) }, { at: new Date(1).toISOString() })).toEqual(["at"])
    expect(paths({ at: new Date(1) }, { at: null })).toEqual(["at"])
    expect(paths({ raw: { value: "10.50", precision: 20 } }, { raw: { value: "10.5", precision: 20 } })).toEqual([])
    expect(paths({ raw: { value: "10.5", precision: 20 } }, { raw: { value: "10.6", precision: 20 } })).toEqual(["raw.value"])
    expect(paths({ n: new BigNumber(10) }, { n: new BigNumber("10.0") })).toEqual([])
    expect(paths({ n: new BigNumber(10) }, { n: new BigNumber(11) })).toEqual(["n.<BigNumber>"])
    expect(paths({ n: new BigNumber(10) }, { n: 10 })).toEqual(["n"])
    expect(paths({ n: 10 }, { n: "10" })).toEqual(["n"])
  })

  it("compares rows by id wherever they are, and a refusal against an answer as one difference", () => {
    const rows = (...ids: string[]) => ids.map((id, i) => ({ id: `capt_${id}`, amount: i }))
    expect(paths({ c: rows(ULID_A, ULID_B) }, { c: rows(ULID_A) })).toEqual(["c.length", "c{<capt@s0#2>}"])
    expect(paths(thrown({ type: "not_found", message: "x" }), { id: 1 })).toEqual(["(outcome)"])
    expect(paths(thrown({ type: "not_found", message: "x" }), thrown({ type: "invalid_data", message: "x" }))).toEqual(["<thrown>.type"])
    expect(paths(thrown(new Error("x")), thrown({ type: "not_found", message: "x" }))).toEqual(["<thrown>.type"])
  })
})

describe("contract with @medusajs/payment 2.21.2 (same calls, same answers)", () => {
  beforeAll(async () => {
    // one implementation at a time: the modules SDK keeps singletons
    for (const target of ["medusa", "ours"] as const) {
      try {
        await runAll(target)
      } catch (error: any) {
        bootErrors[target] = String(error?.stack ?? error)
      }
    }
  })

  afterAll(() => writeReport())

  it("both modules load and answer every call", () => {
    expect(bootErrors).toEqual({})
    expect(recorded.medusa).toHaveLength(steps.length)
    expect(recorded.ours).toHaveLength(steps.length)
  })

  it("the same linkable entities and keys as Medusa's module (its own records are not linkable)", () => {
    const medusa = require("@medusajs/payment").default
    const ours = require("../../src").default
    expect(Object.keys(ours.linkable)).toEqual(Object.keys(medusa.linkable))
    expect(JSON.stringify(ours.linkable)).toBe(JSON.stringify(medusa.linkable))
    expect(ours.service.prototype.__joinerConfig().linkableKeys).toEqual(medusa.service.prototype.__joinerConfig().linkableKeys)
  })

  it("Medusa's internal service names, and every method of Medusa's provider service", () => {
    expect(structure.medusa!.services).toEqual(expect.arrayContaining(["paymentProviderService_", "paymentSessionService_", "paymentService_"]))
    expect(structure.ours?.services).toEqual(expect.arrayContaining(structure.medusa!.services))
    expect(structure.medusa!.providerServiceMethods).toEqual(
      expect.arrayContaining(["authorizePayment", "capturePayment", "createSession", "getStatus", "refundPayment", "updateSession"])
    )
    expect(structure.ours?.providerServiceMethods).toEqual(expect.arrayContaining(structure.medusa!.providerServiceMethods))
  })

  it("every KNOWN_DIFFERENCES entry names a call this suite makes", () => {
    const calls = new Set(steps.map((s) => s.call))
    expect(KNOWN_DIFFERENCES.filter((k) => !calls.has(k.call))).toEqual([])
    expect(new Set(steps.map((s) => s.call)).size).toBe(steps.length)
  })

  steps.forEach((s, index) => {
    it(s.call, () => {
      const verdict = verdictFor(index)
      verdicts.set(s.call, verdict)
      const unexplained = verdict.differences
        .filter((d) => !d.known)
        .map((d) => `${d.path}: medusa ${brief(d.medusa, 400)} / ours ${brief(d.ours, 400)}`)
      const stale = verdict.stale.map((k) => `${k.path} (${k.reason})`)
      expect({ unexplained, staleKnownDifferences: stale }).toEqual({ unexplained: [], staleKnownDifferences: [] })
    })
  })
})
