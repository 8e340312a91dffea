// Vitest global setup: one environment for the whole run, KUBECONFIG exported
// to the workers, stopped when the run ends.
//
//   // vitest.config.ts
//   export default defineConfig({ test: { globalSetup: ['kapi-env/vitest'] } });
//
// Options come from KAPI_ENV_CRDS / KAPI_ENV_MANIFESTS (comma-separated paths)
// and KAPI_ENV_STORAGE; or write your own setup with createGlobalSetup().
// With KAPI_ENV_PER_WORKER=1 it starts nothing: each worker starts its own
// environment through kapiFixtures() (vitest-fixtures.ts).

import { type EnvOptions, startEnv } from './index.js';
import { optionsFromEnvironment, perWorker } from './setup-options.js';

export { optionsFromEnvironment } from './setup-options.js';
export { type KapiFixtures, kapiFixtures } from './vitest-fixtures.js';

export function createGlobalSetup(options: EnvOptions = {}): () => Promise<() => Promise<void>> {
  return async () => {
    if (perWorker()) return async () => undefined;
    const env = await startEnv(options);
    process.env.KUBECONFIG = env.kubeconfigPath;
    process.env.KAPI_ENV_SERVER = env.server;
    return async () => {
      await env.stop();
    };
  };
}

export default async function setup(): Promise<() => Promise<void>> {
  return createGlobalSetup(optionsFromEnvironment())();
}
