// How much of each HTTP request's time is spent inside the payment module,
// measured the same way for @medusajs/payment and for medusa-payment-plus.
//
// This is Medusa's own instrumentation hook: `medusa start` loads
// `instrumentation.js` from the store's folder and calls register() before it
// builds the server (it is where Medusa's OpenTelemetry setup, registerOtel,
// plugs in). register() installs `traceRequestHandler`, the wrapper Medusa's
// HTTP server puts around every request (the one registerOtel's HTTP tracing
// uses). No file of either payment module, of Medusa or of the workload is
// changed, and no middleware is added to the store.
//
// Per request: the wall time from the moment Medusa's HTTP server hands the
// request to Express until the response is finished, and the time during which
// at least one call into the payment module's service was running for that
// request. The module's service is the object Medusa registered in its
// container under "payment" (the same instance workflows, steps and Query
// use); each of its public methods is wrapped once, on that instance.
//
// - Nested calls (a method of the service calling another through `this`)
//   are not counted again: an AsyncLocalStorage marks "inside the payment
//   module", and a call made inside it goes straight through.
// - Concurrent calls of one request (e.g. Promise.all over two methods) are
//   counted once: the request's time inside is the union of its calls'
//   intervals (a counter of calls in flight; time accrues while it is > 0).
// - Calls made outside any request (scheduled jobs) are counted apart
//   ("outside requests"), and so is work a request leaves running after its
//   response has gone out (e.g. event subscribers): "after the response".
//
// GET /__bench/payment-time answers the samples gathered since the last
// `?reset=1` as JSON; the bench driver reads it after each phase.
"use strict"

const { AsyncLocalStorage } = require("node:async_hooks")

const requestContext = new AsyncLocalStorage()
const insidePayment = new AsyncLocalStorage()
const STATS_PATH = "/__bench/payment-time"

let samples = []
let outside = { calls: 0, ns: 0n }
let afterResponse = { calls: 0, ns: 0n }
let wrappedMethods = null
let moduleName = null

function now() {
  return process.hrtime.bigint()
}

/**
 * A request's counters: `active` outermost calls in flight since `since`.
 * Once its response is finished (ctx.done), later time goes to afterResponse.
 */
function enter(ctx, name) {
  if (!ctx) {
    outside.calls++
    return now()
  }
  if (ctx.done) afterResponse.calls++
  else {
    ctx.calls++
    ctx.methods[name] = (ctx.methods[name] || 0) + 1
  }
  if (ctx.active++ === 0) ctx.since = now()
  return 0n
}

function leave(ctx, startedOutside) {
  if (!ctx) {
    outside.ns += now() - startedOutside
    return
  }
  if (--ctx.active > 0) return
  const elapsed = now() - ctx.since
  if (ctx.done) afterResponse.ns += elapsed
  else ctx.paymentNs += elapsed
}

function wrapMethod(original, name) {
  return function benchTimedPaymentMethod(...args) {
    // A call made by the module itself: its outermost call is already timed.
    if (insidePayment.getStore()) return original.apply(this, args)
    const ctx = requestContext.getStore()
    return insidePayment.run(true, () => {
      const started = enter(ctx, name)
      let result
      try {
        result = original.apply(this, args)
      } catch (error) {
        leave(ctx, started)
        throw error
      }
      if (result && typeof result.then === "function") {
        return result.then(
          (value) => {
            leave(ctx, started)
            return value
          },
          (error) => {
            leave(ctx, started)
            throw error
          }
        )
      }
      leave(ctx, started)
      return result
    })
  }
}

/**
 * Wraps every public method of the registered payment module service: the
 * functions on its prototype chain (below Object.prototype) whose name does
 * not start with "_" (Medusa's framework hooks such as __joinerConfig, and
 * private helpers by convention). The same rule for both modules.
 */
function instrumentPaymentModule() {
  if (wrappedMethods) return
  let service
  try {
    const { container } = require("@medusajs/framework")
    service = container.resolve("payment", { allowUnregistered: true })
  } catch {
    return
  }
  if (!service) return // modules not loaded yet (the server answers only once they are)
  const names = new Set()
  for (let proto = Object.getPrototypeOf(service); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === "constructor" || name.startsWith("_") || names.has(name)) continue
      const descriptor = Object.getOwnPropertyDescriptor(proto, name)
      if (descriptor && typeof descriptor.value === "function") names.add(name)
    }
  }
  for (const name of names) {
    // An own property on the instance shadows the prototype's method for
    // every caller, including the module's own `this.<method>` calls.
    Object.defineProperty(service, name, {
      value: wrapMethod(service[name], name),
      writable: true,
      configurable: true,
      enumerable: false,
    })
  }
  wrappedMethods = [...names].sort()
  moduleName = service.constructor && service.constructor.name
}

function answerStats(req, res) {
  instrumentPaymentModule()
  const body = JSON.stringify({
    module: moduleName,
    wrappedMethods,
    samples,
    outsideRequests: { calls: outside.calls, ms: Number(outside.ns) / 1e6 },
    afterResponse: { calls: afterResponse.calls, ms: Number(afterResponse.ns) / 1e6 },
  })
  if (/[?&]reset=1/.test(req.url)) {
    samples = []
    outside = { calls: 0, ns: 0n }
    afterResponse = { calls: 0, ns: 0n }
  }
  res.writeHead(200, { "content-type": "application/json" })
  res.end(body)
}

function register() {
  // The module that `medusa start` runs; it reads this hook on every request.
  const startCommand = require("@medusajs/medusa/commands/start")
  startCommand.traceRequestHandler = async (handle, req, res, routePath) => {
    if (req.url.startsWith(STATS_PATH)) return answerStats(req, res)
    instrumentPaymentModule()
    const ctx = {
      started: now(),
      paymentNs: 0n,
      active: 0,
      since: 0n,
      calls: 0,
      methods: {},
      done: false,
    }
    res.once("finish", () => {
      const finished = now()
      const totalNs = finished - ctx.started
      // A call still running when the response went out counts for the
      // request up to this moment, and for afterResponse from here on.
      let paymentNs = ctx.paymentNs
      if (ctx.active > 0) {
        paymentNs += finished - ctx.since
        ctx.since = finished
      }
      ctx.done = true
      samples.push({
        method: req.method,
        route: routePath || req.url.split("?")[0],
        status: res.statusCode,
        ms: Number(totalNs) / 1e6,
        paymentMs: Number(paymentNs) / 1e6,
        calls: ctx.calls,
        methods: ctx.methods,
      })
    })
    // Everything Express does for this request, down to the workflows and
    // module calls it awaits, runs in this context (Node carries an
    // AsyncLocalStorage store across promises, timers and the request's own
    // stream events; bench/store/run.ts warns when calls show up outside any
    // request during a level, which is what a lost context would look like).
    await requestContext.run(ctx, handle)
  }
}

module.exports = { register }
