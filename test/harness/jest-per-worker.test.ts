// kapi-env/jest with KAPI_ENV_PER_WORKER=1, called as Jest calls it (Jest itself is not installed
// here): globalSetup starts one environment per worker slot (maxWorkers 4, started together, no port
// races) and exports KAPI_ENV_KUBECONFIG_<n>; four processes standing for Jest's workers
// (JEST_WORKER_ID=1..4, the environment globalSetup left) each use their own environment through the
// documented setup-file line; globalTeardown stops them all.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import globalSetup, { globalTeardown, workerEnvironment } from '../../src/env/jest.js';

const WORKERS = 4;
// What a Jest worker runs: the README's setupFiles line, then the test's own kubectl calls.
const WORKER = `
process.env.KUBECONFIG = process.env['KAPI_ENV_KUBECONFIG_' + process.env.JEST_WORKER_ID];
const { execFileSync } = require('node:child_process');
const k = (...a) => execFileSync('kubectl', a, { timeout: 30000 }).toString().trim();
k('create', 'configmap', 'from-worker-' + process.env.JEST_WORKER_ID);
process.stdout.write(k('get', 'configmaps', '-n', 'default', '-o', 'name'));
`;

function runWorker(id: number): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ['-e', WORKER],
      { env: { ...process.env, JEST_WORKER_ID: String(id) }, timeout: 60_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
    ),
  );
}

describe('kapi-env/jest, KAPI_ENV_PER_WORKER=1', () => {
  const keys = [
    'KAPI_ENV_PER_WORKER',
    'KAPI_ENV_STORAGE',
    'KUBECONFIG',
    ...Array.from({ length: WORKERS }, (_, i) => [`KAPI_ENV_KUBECONFIG_${i + 1}`, `KAPI_ENV_SERVER_${i + 1}`]).flat(),
  ];
  const saved = Object.fromEntries(keys.map((k) => [k, process.env[k]]));
  afterAll(async () => {
    await globalTeardown();
    for (const k of keys) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it(`starts one environment per worker for ${WORKERS} workers; each worker sees only its own`, async () => {
    process.env.KAPI_ENV_PER_WORKER = '1';
    process.env.KAPI_ENV_STORAGE = 'memory';
    delete process.env.KUBECONFIG;
    await globalSetup({ maxWorkers: WORKERS });
    // No shared environment: KUBECONFIG is left to each worker.
    expect(process.env.KUBECONFIG).toBeUndefined();
    const envs = Array.from({ length: WORKERS }, (_, i) => workerEnvironment(String(i + 1)));
    expect(new Set(envs.map((e) => e.server)).size).toBe(WORKERS);
    expect(() => workerEnvironment(String(WORKERS + 1))).toThrow(`no kapi-env environment for Jest worker ${WORKERS + 1}`);

    const seen = await Promise.all(envs.map((_, i) => runWorker(i + 1)));
    expect(seen).toEqual(envs.map((_, i) => `configmap/from-worker-${i + 1}`));

    await globalTeardown();
    for (const e of envs) expect(existsSync(e.kubeconfigPath)).toBe(false);
  }, 120_000);
});
