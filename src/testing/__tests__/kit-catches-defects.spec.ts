import { execFileSync } from "child_process"
import { readFileSync, rmSync } from "fs"
import os from "os"
import path from "path"

type JestJson = {
  testResults: Array<{ assertionResults: Array<{ ancestorTitles: string[]; title: string; status: string }> }>
}

/**
 * The kit is only worth something if it fails bad providers. Run it, in a
 * child jest, against providers that each have one classic defect, and
 * check that exactly the expected checks fail.
 */
describe("the conformance kit catches broken providers", () => {
  let failedBySuite: Record<string, string[]>

  beforeAll(() => {
    const root = path.resolve(__dirname, "../../..")
    const reportFile = path.join(os.tmpdir(), `kit-catches-defects-${process.pid}.json`)
    try {
      execFileSync(
        process.execPath,
        [
          require.resolve("jest/bin/jest"),
          "--rootDir", root,
          "--testMatch", "<rootDir>/src/testing/__tests__/fixtures/*.conformance.ts",
          "--json", "--outputFile", reportFile, "--silent",
        ],
        { cwd: root, stdio: "ignore" }
      )
    } catch {
      // jest exits 1 when tests fail, which is the point here.
    }
    const report = JSON.parse(readFileSync(reportFile, "utf8")) as JestJson
    rmSync(reportFile, { force: true })
    failedBySuite = {}
    for (const result of report.testResults.flatMap((r) => r.assertionResults)) {
      if (result.status !== "failed") continue
      const suite = result.ancestorTitles[0].replace("payment provider conformance: ", "")
      ;(failedBySuite[suite] ??= []).push(result.title)
    }
  }, 120_000)

  it("fails a provider that accepts unsigned or tampered webhooks", () => {
    expect(failedBySuite["trusts-any-webhook"]).toEqual(
      expect.arrayContaining([
        "a delivery with a tampered body is rejected",
        "a delivery without its signature headers is rejected",
      ])
    )
  })

  it("fails a provider whose refund retries refund twice", () => {
    expect(failedBySuite["refunds-twice"]).toEqual([
      "refundPayment twice with one idempotency key succeeds (and refunds once, when observable)",
    ])
  })

  it("fails a provider that rounds amounts without saying what it sent", () => {
    expect(failedBySuite["rounds-amounts"]).toEqual([
      "a total with more decimals than the currency has is refused, or rounded and reported as amount_sent",
    ])
  })

  it("fails a provider that reports unknown statuses", () => {
    expect(failedBySuite["invents-statuses"]).toEqual(
      expect.arrayContaining(["authorizePayment returns a valid PaymentSessionStatus"])
    )
  })
})
