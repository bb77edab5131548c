import { execFileSync, spawnSync } from "node:child_process"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { newProvider, templateTokens } from "../new-provider"

const ROOT = path.resolve(__dirname, "..", "..", "..")
const CLI = path.join(ROOT, "dist", "cli", "index.js")
const npm = process.platform === "win32" ? "npm.cmd" : "npm"

describe("new-provider: names", () => {
  it("derives the identifier, classes, package and env names from one kebab-case name", () => {
    expect(templateTokens("acme-pay", "^0.1.0")).toMatchObject({
      __PROVIDER_NAME__: "acme-pay",
      __ProviderClass__: "AcmePayProvider",
      __ClientClass__: "AcmePayClient",
      __TITLE__: "Acme Pay",
      __PACKAGE_NAME__: "medusa-payment-acme-pay",
      __ENV_PREFIX__: "ACME_PAY",
    })
  })

  it.each(["Acme", "1pay", "acme--pay", "acme-", "acme_pay", ""])("refuses %p", (name) => {
    expect(() => templateTokens(name, "^0.1.0")).toThrow("is not a provider name")
  })

  it("refuses to write into a folder that is not empty, and writes nothing", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "new-provider-busy-"))
    fs.writeFileSync(path.join(dir, "keep.txt"), "mine")
    expect(() => newProvider({ name: "acme-pay", directory: dir })).toThrow("already exists and is not empty")
    expect(fs.readdirSync(dir)).toEqual(["keep.txt"])
    fs.rmSync(dir, { recursive: true, force: true })
  })
})

/**
 * What a provider author does: `npx medusa-payment-plus new-provider`, then
 * `npm install` and `npm test` in the new package — here against this
 * package as `npm pack` publishes it, so the test also proves the tarball
 * has everything (bin, templates, dist, the kit).
 */
describe("new-provider: the generated package starts green", () => {
  let work: string

  beforeAll(() => {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does).`)
    work = fs.mkdtempSync(path.join(os.tmpdir(), "new-provider-"))
  })

  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true })
  })

  it("installs against the packed module, type-checks, builds and passes the conformance kit", () => {
    const packed = execFileSync(npm, ["pack", "--silent", "--pack-destination", work], { cwd: ROOT, encoding: "utf8" })
    const tarball = path.join(work, packed.trim().split("\n").pop()!)
    const pkg = path.join(work, "bank-direct")

    const generated = spawnSync(process.execPath, [CLI, "new-provider", "bank-direct", "--dir", pkg, "--plus", `file:${tarball}`], {
      encoding: "utf8",
    })
    expect(generated.status).toBe(0)
    expect(generated.stdout).toContain("src/provider.ts")

    const run = (args: string[]) => {
      const result = spawnSync(npm, args, { cwd: pkg, encoding: "utf8", env: { ...process.env, CI: "true" } })
      if (result.status !== 0) throw new Error(`npm ${args.join(" ")} failed:\n${result.stdout}\n${result.stderr}`)
      return `${result.stdout}\n${result.stderr}`
    }
    run(["install", "--prefer-offline", "--no-audit", "--no-fund"])
    run(["run", "typecheck"])
    run(["run", "build"])
    const tested = run(["test"])
    expect(tested).toMatch(/Tests:\s+\d+ passed, \d+ total/)
    expect(tested).not.toMatch(/failed/)
    expect(tested).not.toMatch(/SKIPPED because a hook is missing/)

    // The tarball's own bin, as `npx medusa-payment-plus` finds it once installed, scaffolds too.
    const second = path.join(work, "second-pay")
    const viaBin = spawnSync("npx", ["--no", "medusa-payment-plus", "new-provider", "second-pay", "--dir", second], {
      cwd: pkg,
      encoding: "utf8",
    })
    expect(viaBin.status).toBe(0)
    expect(fs.readFileSync(path.join(second, "src", "provider.ts"), "utf8")).toContain("export class SecondPayProvider")

    // The built package is a Medusa provider module with the scaffolded identifier.
    const built = require(path.join(pkg, "dist"))
    expect(built.default.services.map((s: { identifier: string }) => s.identifier)).toEqual(["bank-direct"])
  }, 300_000)
})
