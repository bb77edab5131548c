import fs from "fs"
import { Browser, chromium } from "playwright-core"

/** Debian's Chromium, or the one CHROMIUM_PATH names. */
export function chromiumPath(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"]
  return candidates.find((path): path is string => !!path && fs.existsSync(path))
}

/**
 * Browser tests need a Chromium. CI installs one (`.ci/run`) and must run
 * them; elsewhere, without one, they are skipped with a line that says so,
 * rather than failing `npm test` on a machine that only has Node.
 */
export const describeWithChromium: jest.Describe = (() => {
  if (chromiumPath()) return describe
  if (process.env.CI) {
    throw new Error("CI must run the browser tests, but no Chromium was found (apt-get install chromium, or set CHROMIUM_PATH).")
  }
  process.stderr.write("Skipping browser tests: no Chromium found (apt-get install chromium, or set CHROMIUM_PATH).\n")
  return describe.skip
})()

const ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

export async function launchChromium(): Promise<Browser> {
  return await chromium.launch({ executablePath: chromiumPath(), args: ARGS })
}
