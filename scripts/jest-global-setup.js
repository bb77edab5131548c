// Names this test run, so that its databases are its own (see runScoped in
// integration-tests/__fixtures__/module.ts) and can be dropped at the end.
module.exports = async function globalSetup() {
  process.env.PAYMENT_TEST_RUN ??= String(process.pid)
}
