#!/usr/bin/env node
// Runs a command with DB_HOST/DB_PORT/DB_USERNAME/DB_PASSWORD pointing at a
// PostgreSQL that answers: the configured one, or an embedded one started
// for the duration of the command (`npm test` on a machine with only Node).
import { spawn } from "node:child_process"
import { ensurePostgres, toEnv } from "./postgres.mjs"

const [command, ...args] = process.argv.slice(2)
if (!command) {
  console.error("usage: with-postgres.mjs <command> [args...]")
  process.exit(2)
}

const pg = await ensurePostgres({ dataDir: process.env.EMBEDDED_PG_DIR })
const child = spawn(command, args, {
  stdio: "inherit",
  env: { ...process.env, ...toEnv(pg.connection) },
})
const code = await new Promise((resolve) => child.on("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0))))
await pg.stop()
process.exit(code)
