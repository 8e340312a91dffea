// What the Vitest and Jest setups read from the environment.

import type { EnvOptions } from './index.js';
import { truthy } from './options.js';

/** KAPI_ENV_PER_WORKER=1: an environment per test worker instead of one for the run. */
export function perWorker(option?: boolean): boolean {
  return option ?? truthy(process.env.KAPI_ENV_PER_WORKER);
}

/** The Vitest and Jest setups' options: KAPI_ENV_CRDS / KAPI_ENV_MANIFESTS (comma-separated paths), KAPI_ENV_STORAGE. */
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
