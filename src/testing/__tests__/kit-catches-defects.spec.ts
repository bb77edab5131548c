import { execFileSync } from "child_process"
import { readFileSync, rmSync } from "fs"
import os from "os"
import path from "path"

type JestJson = {
  testResults: Array<{
    assertionResults: Array<{ ancestorTitles: string[]; title: string; status: string; failureMessages: string[] }>
  }>
}

/**
 * The kit is only worth something if it fails bad providers. Run it, in a
 * child jest, against providers that each have one classic defect, and
 * check that exactly the expected checks fail.
 */
describe("the conformance kit catches broken providers", () => {
  let failedBySuite: Record<string, string[]>
  /** "<suite> › <test>" → the failure message, for checks that the kit says what to fix. */
  let messages: Record<string, string>

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
    messages = {}
    for (const result of report.testResults.flatMap((r) => r.assertionResults)) {
      if (result.status !== "failed") continue
      const suite = result.ancestorTitles[0].replace("payment provider conformance: ", "")
      ;(failedBySuite[suite] ??= []).push(result.title)
      messages[`${suite} › ${result.title}`] = result.failureMessages.join("\n")
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
    // Named as the duplicate it is, with what to fix — not "not exact".
    expect(messages["refunds-twice › refundPayment twice with one idempotency key succeeds (and refunds once, when observable)"]).toMatch(
      /the refund was made 2 times for one idempotency key \(ref_conf_[^)]+\): 2\.22 EUR refunded for one refund of 1\.11\. Send input\.context\.idempotency_key/
    )
  })

  it("fails a provider whose webhook amounts are in cents, and says so", () => {
    expect(failedBySuite["webhook-amount-in-cents"]).toEqual(["a genuine delivery maps to a known action with exact data"])
    expect(messages["webhook-amount-in-cents › a genuine delivery maps to a known action with exact data"]).toMatch(
      /webhook amount is 1234, the session's is 12\.34 EUR — it looks like minor units/
    )
  })

  it("fails a provider that asks its service for another amount than the session's", () => {
    expect(failedBySuite["initiates-another-amount"]).toEqual(
      expect.arrayContaining(["initiatePayment asks its service for the session's amount"])
    )
    expect(messages["initiates-another-amount › initiatePayment asks its service for the session's amount"]).toMatch(
      /the amount initiated at the service is 12, the session's is 12\.34 EUR/
    )
  })

  it("fails, in strict mode, a suite that gives none of the hooks its value checks need", () => {
    expect(failedBySuite["no-hooks-strict"]).toEqual(["every value check has the hook it needs"])
    expect(messages["no-hooks-strict › every value check has the hook it needs"]).toMatch(/drive\.refundedAmount: refunds exact, and a replayed refund refunds once/)
  })

  it("fails a deferred provider that reports authorized before the money arrives", () => {
    expect(failedBySuite["deferred-authorizes-before-the-money"]).toEqual(
      expect.arrayContaining(["authorizePayment answers pending_authorization until the money arrives"])
    )
    expect(
      messages["deferred-authorizes-before-the-money › authorizePayment answers pending_authorization until the money arrives"]
    ).toMatch(/authorizePayment before the money arrived answered authorized/)
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
