// Prints one closing line that any CI can read without knowing jest:
// "tests: <passed> passed, <failed> failed, <skipped> skipped".
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites
    process.stdout.write(
      `\ntests: ${results.numPassedTests} passed, ${failed} failed, ${results.numPendingTests} skipped\n`
    )
  }
}
module.exports = SummaryReporter
