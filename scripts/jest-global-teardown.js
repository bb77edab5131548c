// Drops the databases this test run created (their names end in _r<run>).
const { Client } = require("pg")

module.exports = async function globalTeardown() {
  const run = process.env.PAYMENT_TEST_RUN
  if (!run) return
  const client = new Client({
    host: process.env.DB_HOST ?? "127.0.0.1",
    port: Number(process.env.DB_PORT ?? 5432),
    user: process.env.DB_USERNAME ?? "postgres",
    password: process.env.DB_PASSWORD ?? "",
    database: "postgres",
  })
  try {
    await client.connect()
    const { rows } = await client.query("SELECT datname FROM pg_database WHERE datname LIKE $1", [`%\\_r${run}`])
    for (const { datname } of rows) {
      await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`)
    }
  } catch (error) {
    process.stderr.write(`Could not drop this run's test databases: ${error.message}\n`)
  } finally {
    await client.end().catch(() => {})
  }
}
