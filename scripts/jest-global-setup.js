// Names this test run, so that its databases are its own (see runScoped in
// integration-tests/__fixtures__/module.ts) and can be dropped at the end.
// Tells the suites that need Redis (src/plugin/__tests__/order-lock.spec.ts)
// whether one answers, as the e2e setup tells the scale-out suite.
module.exports = async function globalSetup() {
  process.env.PAYMENT_TEST_RUN ??= String(process.pid)
  const { redisAnswers } = await import("../e2e/global-setup.mjs")
  process.env.REDIS_AVAILABLE = (await redisAnswers()) ? "1" : ""
}
