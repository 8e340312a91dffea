import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The suite's own shared environment comes from kapi-env's Vitest global setup (built by `npm test`).
    globalSetup: ['./dist/env/vitest.js'],
    setupFiles: ['./test/helpers/kubectl-cache.ts'],
    env: { KAPI_ENV_STORAGE: 'memory' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two files at a time on the two-core CI machine: most of a file's time is spent waiting on servers, etcd and
    // kubectl, so the suite takes about 60% of its one-at-a-time time.
    maxWorkers: 2,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
