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
// `npm start` and the end-to-end tests run this only when an input changed
// (app/lifecycle.cjs, ensureDashboardBuilt); by hand: node scripts/build-dashboard.mjs
import path from "node:path"
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const require = createRequire(path.join(root, "package.json"))
const lifecycle = require("./app/lifecycle.cjs")

require("ts-node").register({ transpileOnly: true })
const config = require("./medusa-config.ts").default
const { getResolvedPlugins } = require("@medusajs/framework/utils")
const { build } = require("@medusajs/admin-bundler")

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

const since = Date.now()
await build({
  ...config.admin,
  sources,
  plugins: bundles,
  outDir: lifecycle.DASHBOARD_DIR,
})
console.log(
  `build-dashboard: ${path.relative(root, lifecycle.DASHBOARD_DIR)}/ built in ${((Date.now() - since) / 1000).toFixed(1)}s ` +
    `(path ${config.admin.path}; extensions: ${bundles.map((b) => path.relative(root, b)).join(", ") || "none"})`
)
