// Jest global setup and teardown:
//
//   // jest.config.js
//   export default { globalSetup: 'kapi-env/jest', globalTeardown: 'kapi-env/jest/teardown' };
//
// Options come from KAPI_ENV_CRDS / KAPI_ENV_MANIFESTS / KAPI_ENV_STORAGE, as for Vitest.

import { type Env, startEnv } from './index.js';
import { optionsFromEnvironment, perWorker } from './setup-options.js';

const KEY = Symbol.for('kapi-env.jest');

export default async function globalSetup(): Promise<void> {
  // KAPI_ENV_PER_WORKER=1: no shared environment; each test file starts its own with startEnv().
  if (perWorker()) return;
  const env = await startEnv(optionsFromEnvironment());
  (globalThis as Record<symbol, Env>)[KEY] = env;
  process.env.KUBECONFIG = env.kubeconfigPath;
  process.env.KAPI_ENV_SERVER = env.server;
}

export async function globalTeardown(): Promise<void> {
  const env = (globalThis as Record<symbol, Env | undefined>)[KEY];
  if (env) await env.stop();
}
