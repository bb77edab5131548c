import fs from "fs"
import { Browser, chromium } from "playwright-core"

/**
 * The Chromium that CHROMIUM_PATH names when it is set (an explicit choice:
 * no fallback, so `CHROMIUM_PATH=/nonexistent` runs the tests as a machine
 * without Chromium would), otherwise Debian's.
 */
export function chromiumPath(): string | undefined {
  const named = process.env.CHROMIUM_PATH
  const candidates = named ? [named] : ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
  return candidates.find((path) => fs.existsSync(path))
}

/**
 * `it` for a test that needs a Chromium, `it.skip` without one: only the
 * browser tests are skipped, the other tests of the same file run. CI
 * installs Chromium (`.ci/run`) and must run them; elsewhere, without one,
 * they are skipped with a line that says so, rather than failing `npm test`
 * on a machine that only has Node. `what` names them in that line.
 */
export function itWithChromium(what = "the browser tests"): jest.It {
  if (chromiumPath()) return it
  const where = process.env.CHROMIUM_PATH ? `no Chromium at CHROMIUM_PATH=${process.env.CHROMIUM_PATH}` : "no Chromium found"
  if (process.env.CI) {
    throw new Error(`CI must run ${what}, but ${where} (apt-get install chromium, or set CHROMIUM_PATH).`)
  }
  process.stderr.write(`Skipping ${what}: ${where} (apt-get install chromium, or set CHROMIUM_PATH).\n`)
  return it.skip
}

/** Launches Chromium only where there is one; the browser tests are skipped elsewhere. */
export async function launchChromiumIfAny(): Promise<Browser | undefined> {
  return chromiumPath() ? await launchChromium() : undefined
}

const ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

export async function launchChromium(): Promise<Browser> {
  return await chromium.launch({ executablePath: chromiumPath(), args: ARGS })
}
