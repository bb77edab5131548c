import fs from "node:fs"
import path from "node:path"

/** Where the provider package template lives: `templates/provider` at the package root (shipped in "files"). */
export const PROVIDER_TEMPLATE_DIR = path.resolve(__dirname, "..", "..", "templates", "provider")

export type NewProviderOptions = {
  /** The provider's identifier, kebab case: "acme-pay" → pp_acme-pay_<id>, AcmePayProvider. */
  name: string
  /** Folder to write; default ./<package name>. Must not exist, or be empty. */
  directory?: string
  /** The medusa-payment-plus dependency written into package.json; default ^<this version>. */
  plusDependency?: string
}

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/

/** The strings a template's tokens stand for. */
export function templateTokens(name: string, plusDependency: string): Record<string, string> {
  if (!NAME.test(name)) {
    throw new Error(
      `"${name}" is not a provider name: use lower case letters, digits and single dashes, starting with a letter (e.g. "acme-pay").`
    )
  }
  const words = name.split("-")
  const pascal = words.map((w) => w[0].toUpperCase() + w.slice(1)).join("")
  return {
    __PROVIDER_NAME__: name,
    __ProviderClass__: `${pascal}Provider`,
    __ClientClass__: `${pascal}Client`,
    __TITLE__: words.map((w) => w[0].toUpperCase() + w.slice(1)).join(" "),
    __PACKAGE_NAME__: `medusa-payment-${name}`,
    __ENV_PREFIX__: words.join("_").toUpperCase(),
    __PLUS_DEPENDENCY__: plusDependency,
  }
}

function render(text: string, tokens: Record<string, string>): string {
  // Longest first, so no token is cut by a shorter one it contains.
  const names = Object.keys(tokens).sort((a, b) => b.length - a.length)
  let out = text
  for (const token of names) out = out.split(token).join(tokens[token])
  const left = out.match(/__[A-Z][A-Za-z]*(_[A-Z]+)*__/)
  if (left) throw new Error(`template token ${left[0]} has no value`)
  return out
}

/** Template file name → the file it becomes (`x.ts.tmpl` → `x.ts`; `gitignore.tmpl` → `.gitignore`, which npm would not ship). */
function targetName(file: string): string {
  const plain = file.replace(/\.tmpl$/, "")
  return plain === "gitignore" ? ".gitignore" : plain
}

function templateFiles(dir: string, prefix = ""): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? templateFiles(path.join(dir, entry.name), path.join(prefix, entry.name))
      : [path.join(prefix, entry.name)]
  )
}

/** Writes a provider package that passes the conformance kit as generated. Returns the folder and the files written. */
export function newProvider(options: NewProviderOptions): { directory: string; files: string[] } {
  const ownVersion = (JSON.parse(fs.readFileSync(path.resolve(__dirname, "..", "..", "package.json"), "utf8")) as { version: string }).version
  const tokens = templateTokens(options.name, options.plusDependency ?? `^${ownVersion}`)
  const directory = path.resolve(options.directory ?? tokens.__PACKAGE_NAME__)
  if (fs.existsSync(directory) && fs.readdirSync(directory).length > 0) {
    throw new Error(`${directory} already exists and is not empty; choose another folder (--dir).`)
  }
  // Everything rendered before anything is written: a bad template leaves no half package behind.
  const rendered = templateFiles(PROVIDER_TEMPLATE_DIR).map((file) => ({
    target: path.join(directory, path.dirname(file), targetName(path.basename(file))),
    text: render(fs.readFileSync(path.join(PROVIDER_TEMPLATE_DIR, file), "utf8"), tokens),
  }))
  for (const { target, text } of rendered) {
    fs.mkdirSync(path.dirname(target), { recursive: true })
    fs.writeFileSync(target, text)
  }
  return { directory, files: rendered.map(({ target }) => path.relative(directory, target)).sort() }
}
