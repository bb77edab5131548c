#!/usr/bin/env node
// The registry this project's machines reach serves only the Linux builds of
// packages with per-platform binaries (@swc/core, esbuild, rollup, …), so
// `npm install` writes a lockfile whose packages name optional dependencies
// it has no entry for — and `npm ci` refuses such a lockfile. This drops
// those dangling optional edges. Run it after any `npm install` that changes
// package-lock.json. (On macOS or Windows, use `npm install`, not `npm ci`.)
import fs from "node:fs"

const file = new URL("../package-lock.json", import.meta.url)
const lock = JSON.parse(fs.readFileSync(file, "utf8"))
const paths = Object.keys(lock.packages)
const present = (name) => paths.some((p) => p === `node_modules/${name}` || p.endsWith(`/node_modules/${name}`))

let dropped = 0
for (const entry of Object.values(lock.packages)) {
  if (!entry.optionalDependencies) continue
  for (const name of Object.keys(entry.optionalDependencies)) {
    if (!present(name)) {
      delete entry.optionalDependencies[name]
      dropped++
    }
  }
  if (Object.keys(entry.optionalDependencies).length === 0) delete entry.optionalDependencies
}
fs.writeFileSync(file, JSON.stringify(lock, null, 2) + "\n")
console.log(`package-lock.json: dropped ${dropped} optional dependencies this registry does not serve`)
