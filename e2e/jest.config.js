// End-to-end tests: a real Medusa 2.21 store (medusa-config.ts at the top of
// the repository) on this payment module, driven through its HTTP API only.
// `npm run test:e2e`. globalSetup prepares PostgreSQL and a template
// database; each *.e2e.spec.ts starts its own servers (see e2e/harness/).
const path = require("node:path")

module.exports = {
  rootDir: path.resolve(__dirname, ".."),
  testEnvironment: "node",
  transform: {
    "^.+\\.[jt]s$": [
      "@swc/jest",
      {
        jsc: {
          parser: { syntax: "typescript", decorators: true },
          transform: { decoratorMetadata: true, legacyDecorator: true },
          target: "es2021",
        },
      },
    ],
  },
  testMatch: ["<rootDir>/e2e/**/*.e2e.spec.ts"],
  modulePathIgnorePatterns: ["<rootDir>/dist/", "<rootDir>/.medusa/"],
  globalSetup: "<rootDir>/e2e/global-setup.mjs",
  globalTeardown: "<rootDir>/e2e/global-teardown.mjs",
  testTimeout: 180000,
  // One suite at a time: each one runs Medusa servers, and there are 2 cores.
  maxWorkers: 1,
  reporters: ["default", "<rootDir>/scripts/summary-reporter.js"],
}
