#!/usr/bin/env node
// Builds Medusa's admin dashboard for this repository's store into
// public/admin, where `medusa start` serves it at admin.path (/app): what
// `medusa build` does for a store's admin, with Medusa's own admin bundler,
// and nothing else (`medusa build` would also recompile the server into
// .medusa/server, where this package keeps its plugin layout).
//
// The dashboard gets the admin extensions of every plugin in
// medusa-config.ts, this package's own (the payment timeline widget) among
// them, from the plugin's published bundle (package.json "./admin").
//
//   node scripts/build-dashboard.mjs               build
//   node scripts/build-dashboard.mjs --if-changed  build unless public/admin was built from the same inputs
//
// Either way public/admin-build.json records the fingerprint of what the build
// was made of, and the last line printed is {built, seconds, fingerprint}
// (app/lifecycle.cjs, ensureDashboardBuilt, reads it for `npm start` and the
// end-to-end tests).
import crypto from "node:crypto"
import fs from "node:fs"
import path from "node:path"
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const require = createRequire(path.join(root, "package.json"))
const lifecycle = require("./app/lifecycle.cjs")
const ifChanged = process.argv.includes("--if-changed")

// Loading the config also loads the store's .env files (its loadEnv), as
// `medusa build` would: their ADMIN_* and PLUGIN_* variables count below.
require("ts-node").register({ transpileOnly: true })
const config = require("./medusa-config.ts").default
const { getResolvedPlugins } = require("@medusajs/framework/utils")

// Medusa also adds the project's own src/admin as a local source. In this
// repository src/admin is the plugin's source, already in the plugin's bundle:
// adding it again would show every widget twice.
const plugins = await getResolvedPlugins(root, config, false)
const sources = plugins.filter((p) => p.admin?.type === "local").map((p) => p.admin.resolve)
// A package's "./admin" export as the file an `import` gets (its ES module),
// resolved from here: Vite and Tailwind then find this package's own bundle
// without it being in its own node_modules.
const bundles = plugins
  .filter((p) => p.admin?.type === "package")
  .map((p) => fileURLToPath(import.meta.resolve(p.admin.resolve)))
const options = { ...config.admin, sources, plugins: bundles, outDir: lifecycle.DASHBOARD_DIR }

/** Variables Medusa's admin bundler reads while it builds (define: auth type, token key, plugin env). */
const BUILD_ENV = /^(ADMIN_AUTH_TYPE|ADMIN_JWT_TOKEN_STORAGE_KEY|PLUGIN_.*)$/

function filesUnder(dir) {
  if (!fs.existsSync(dir)) return []
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath ?? entry.path, entry.name))
    .sort()
}

/**
 * Everything the build is made of: its options as resolved from the config
 * (admin path, backend URL, vite hook), the extensions' files, the installed
 * dashboard and bundler (the lockfile and their versions), the variables the
 * bundler reads and this script.
 */
function fingerprint() {
  const hash = crypto.createHash("sha256")
  hash.update(JSON.stringify(options, (_key, value) => (typeof value === "function" ? value.toString() : value)))
  const files = [
    path.join(root, "package-lock.json"),
    fileURLToPath(import.meta.url),
    ...bundles.flatMap((bundle) => filesUnder(path.dirname(bundle))),
    ...sources.flatMap(filesUnder),
  ]
  for (const file of files) hash.update(file).update(fs.readFileSync(file))
  for (const name of ["@medusajs/dashboard", "@medusajs/admin-bundler", "vite"]) {
    hash.update(`${name}@${require(`${name}/package.json`).version}`)
  }
  for (const name of Object.keys(process.env).filter((n) => BUILD_ENV.test(n)).sort()) hash.update(`${name}=${process.env[name]}`)
  return hash.digest("hex").slice(0, 16)
}

function previousBuild() {
  try {
    const stamp = JSON.parse(fs.readFileSync(lifecycle.DASHBOARD_STAMP, "utf8"))
    return fs.existsSync(path.join(lifecycle.DASHBOARD_DIR, "index.html")) ? stamp : null
  } catch {
    return null
  }
}

const current = fingerprint()
const previous = previousBuild()
if (ifChanged && previous?.fingerprint === current) {
  console.log(JSON.stringify({ built: false, seconds: previous.seconds, fingerprint: current }))
  process.exit(0)
}

console.log(`build-dashboard: ${previous ? "its inputs changed since the last build: rebuilding" : "first build"}`)
// A build that fails or is interrupted leaves no stamp: the next start builds again.
fs.rmSync(lifecycle.DASHBOARD_STAMP, { force: true })
const since = Date.now()
const { build } = require("@medusajs/admin-bundler")
await build(options)
const seconds = Number(((Date.now() - since) / 1000).toFixed(1))
fs.writeFileSync(
  lifecycle.DASHBOARD_STAMP,
  JSON.stringify({ fingerprint: current, seconds, built_at: new Date().toISOString() }, null, 2) + "\n"
)
console.log(
  `build-dashboard: ${path.relative(root, lifecycle.DASHBOARD_DIR)}/ built in ${seconds}s ` +
    `(path ${config.admin.path}; extensions: ${bundles.map((b) => path.relative(root, b)).join(", ") || "none"})`
)
console.log(JSON.stringify({ built: true, seconds, fingerprint: current }))
