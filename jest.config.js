/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch: ['**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }],
  },
  testTimeout: 30000,
  // the default summary, then why tests were skipped, grouped by reason (spec/skip-reporter.js)
  reporters: ['default', '<rootDir>/spec/skip-reporter.js'],
};
