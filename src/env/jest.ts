// Jest global setup and teardown:
//
//   // jest.config.js
//   export default { globalSetup: 'kapi-env/jest', globalTeardown: 'kapi-env/jest/teardown' };
//
// Options come from KAPI_ENV_CRDS / KAPI_ENV_MANIFESTS / KAPI_ENV_STORAGE, as for Vitest.
//
// KAPI_ENV_PER_WORKER=1: one environment per Jest worker. Jest's workers inherit the environment
// variables globalSetup leaves and know their slot by JEST_WORKER_ID (1..maxWorkers), so the setup
// starts one environment per slot (together, in their own threads) and exports
// KAPI_ENV_KUBECONFIG_<n> and KAPI_ENV_SERVER_<n>; a setup file selects the worker's own:
//
//   // jest.setup.cjs, in setupFiles
//   process.env.KUBECONFIG = process.env[`KAPI_ENV_KUBECONFIG_${process.env.JEST_WORKER_ID}`];

import { type Env, type EnvOptions, startEnv } from './index.js';
import { optionsFromEnvironment, perWorker } from './setup-options.js';

const KEY = Symbol.for('kapi-env.jest');

/** What globalSetup receives from Jest (its GlobalConfig), as far as it is read here. */
export interface JestGlobalConfig {
  maxWorkers?: number;
}

/** Starts `n` environments together; if one fails, those started are stopped and its error thrown. */
async function startEach(n: number, options: EnvOptions): Promise<Env[]> {
  const results = await Promise.allSettled(Array.from({ length: n }, () => startEnv(options)));
  const envs = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(envs.map((e) => e.stop()));
    throw failed.reason;
  }
  return envs;
}

export default async function globalSetup(globalConfig: JestGlobalConfig = {}): Promise<void> {
  if (perWorker()) {
    const envs = await startEach(Math.max(1, globalConfig.maxWorkers ?? 1), optionsFromEnvironment());
    (globalThis as Record<symbol, Env[]>)[KEY] = envs;
    envs.forEach((env, i) => {
      process.env[`KAPI_ENV_KUBECONFIG_${i + 1}`] = env.kubeconfigPath;
      process.env[`KAPI_ENV_SERVER_${i + 1}`] = env.server;
    });
    return;
  }
  const env = await startEnv(optionsFromEnvironment());
  (globalThis as Record<symbol, Env[]>)[KEY] = [env];
  process.env.KUBECONFIG = env.kubeconfigPath;
  process.env.KAPI_ENV_SERVER = env.server;
}

/** The environment of this Jest worker (KAPI_ENV_PER_WORKER=1): its kubeconfig and server, by JEST_WORKER_ID. */
export function workerEnvironment(id = process.env.JEST_WORKER_ID): { kubeconfigPath: string; server: string } {
  const kubeconfigPath = process.env[`KAPI_ENV_KUBECONFIG_${id}`];
  const server = process.env[`KAPI_ENV_SERVER_${id}`];
  if (!kubeconfigPath || !server)
    throw new Error(`no kapi-env environment for Jest worker ${id ?? '(JEST_WORKER_ID unset)'}: is KAPI_ENV_PER_WORKER=1 set for the run?`);
  return { kubeconfigPath, server };
}

export async function globalTeardown(): Promise<void> {
  const envs = (globalThis as Record<symbol, Env[] | undefined>)[KEY] ?? [];
  delete (globalThis as Record<symbol, Env[] | undefined>)[KEY];
  await Promise.all(envs.map((e) => e.stop()));
}
