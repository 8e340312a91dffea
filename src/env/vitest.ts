// Vitest global setup: one environment for the whole run, KUBECONFIG exported
// to the workers, stopped when the run ends.
//
//   // vitest.config.ts
//   export default defineConfig({ test: { globalSetup: ['kapi-env/vitest'] } });
//
// Options come from KAPI_ENV_CRDS / KAPI_ENV_MANIFESTS (comma-separated paths)
// and KAPI_ENV_STORAGE; or write your own setup with createGlobalSetup().

import { type EnvOptions, startEnv } from './index.js';

export function optionsFromEnvironment(): EnvOptions {
  const list = (v: string | undefined): string[] | undefined =>
    v
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : undefined;
  const storage = process.env.KAPI_ENV_STORAGE as EnvOptions['storage'] | undefined;
  return { crds: list(process.env.KAPI_ENV_CRDS), manifests: list(process.env.KAPI_ENV_MANIFESTS), storage };
}

export function createGlobalSetup(options: EnvOptions = {}): () => Promise<() => Promise<void>> {
  return async () => {
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
