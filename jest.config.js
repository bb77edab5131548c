// Every suite talks to a real PostgreSQL; scripts/with-postgres.js provides one
// (the local server, or an embedded one when none answers) before jest starts.
module.exports = {
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
  testMatch: ["<rootDir>/integration-tests/**/*.spec.ts", "<rootDir>/src/**/__tests__/**/*.spec.ts", "<rootDir>/local-stripe/**/__tests__/**/*.spec.ts"],
  modulePathIgnorePatterns: ["<rootDir>/dist/", "<rootDir>/.medusa/"],
  testTimeout: 60000,
  globalSetup: "<rootDir>/scripts/jest-global-setup.js",
  globalTeardown: "<rootDir>/scripts/jest-global-teardown.js",
  reporters: ["default", "<rootDir>/scripts/summary-reporter.js"],
}
