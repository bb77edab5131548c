// Stops the embedded PostgreSQL if globalSetup had to start one.
export default async function globalTeardown() {
  const pg = globalThis.__E2E_POSTGRES__
  if (pg?.embedded) await pg.stop()
}
