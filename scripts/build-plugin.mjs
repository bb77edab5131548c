#!/usr/bin/env node
// Medusa loads a plugin's API middlewares, routes, subscribers and jobs from
// `<package>/.medusa/server/src` (the layout `medusa plugin:build` produces).
// The compiled code lives in dist/ with the module it belongs to; here each
// compiled file of dist/plugin/ gets a one-line entry at the same place under
// .medusa/server/src/, so the plugin and the module share one copy of the code.
//
// The admin extensions (src/admin: the order page's payment timeline widget)
// are bundled by Medusa's own admin bundler, as `medusa plugin:build` does, to
// .medusa/server/src/admin/index.{mjs,js} — package.json's "./admin" export,
// which a store's dashboard build imports.
import fs from "node:fs"
import path from "node:path"
import { createRequire } from "node:module"

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..")
const compiled = path.join(root, "dist", "plugin")
const layout = path.join(root, ".medusa", "server", "src")

if (!fs.existsSync(compiled)) {
  console.error("build-plugin: dist/plugin is missing; run tsc first (npm run build).")
  process.exit(1)
}
fs.rmSync(path.join(root, ".medusa", "server"), { recursive: true, force: true })

let written = 0
for (const entry of fs.readdirSync(compiled, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith(".js")) continue
  const source = path.join(entry.parentPath ?? entry.path, entry.name)
  const target = path.join(layout, path.relative(compiled, source))
  fs.mkdirSync(path.dirname(target), { recursive: true })
  const relative = path.relative(path.dirname(target), source).split(path.sep).join("/")
  fs.writeFileSync(target, `module.exports = require(${JSON.stringify(relative.startsWith(".") ? relative : `./${relative}`)})\n`)
  written++
}
console.log(`build-plugin: ${written} entries under .medusa/server/src`)

const since = Date.now()
const { plugin } = createRequire(import.meta.url)("@medusajs/admin-bundler")
await plugin({ root, outDir: path.join(".medusa", "server") })
// Vite copies its root's public/ (the working directory's, which must be this
// repository for Medusa's admin plugin) into the bundle: here that is the
// store's built dashboard (public/admin). It is not the plugin's.
const BUNDLE = ["index.mjs", "index.js", "_chunks"]
const adminDir = path.join(layout, "admin")
for (const name of fs.readdirSync(adminDir)) {
  if (!BUNDLE.includes(name)) fs.rmSync(path.join(adminDir, name), { recursive: true, force: true })
}
const bundle = path.join(adminDir, "index.mjs")
if (!fs.existsSync(bundle)) {
  console.error(`build-plugin: the admin bundler wrote no ${path.relative(root, bundle)}`)
  process.exit(1)
}
console.log(`build-plugin: admin extensions bundled to ${path.relative(root, path.dirname(bundle))}/ in ${Date.now() - since} ms`)
