import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The suite's own shared environment comes from kapi-env's Vitest global setup (built by `npm test`).
    globalSetup: ['./dist/env/vitest.js'],
    env: { KAPI_ENV_STORAGE: 'memory' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
