// Vitest fixtures (test.extend) over an environment per worker or the run's shared one:
//
//   import { test as base } from 'vitest';
//   import { kapiFixtures } from 'kapi-env/vitest';
//   const test = base.extend(kapiFixtures({ crds: ['config/crd'] }));
//   test('...', async ({ namespace, kapiEnv }) => { ... });   // a fresh namespace, deleted after the test
//   test('...', async ({ cleanEnv }) => { ... });             // the environment reset before the test
//
// With KAPI_ENV_PER_WORKER=1 (or perWorker: true) each Vitest worker starts its own environment (the global
// setup starts none), so tests in different workers never see each other's objects and cleanEnv may reset it;
// without, the fixtures use the run's shared environment through KUBECONFIG.
// Vitest is not imported here: the fixtures are plain functions Vitest calls.

import { randomBytes } from 'node:crypto';
import { type Env, type EnvOptions, startEnv } from './index.js';
import { optionsFromEnvironment, perWorker } from './setup-options.js';

type Use<T> = (value: T) => Promise<void>;

export interface KapiFixtures {
  /** The worker's environment: its own with KAPI_ENV_PER_WORKER=1, else the run's shared one (KUBECONFIG). */
  kapiEnv: Env;
  /** A namespace made for the test, deleted after it. */
  namespace: string;
  /** The worker's environment, reset to its state right after start before the test (per-worker environments only). */
  cleanEnv: Env;
}

/** Fixtures for test.extend; the options default to KAPI_ENV_CRDS, KAPI_ENV_MANIFESTS, KAPI_ENV_STORAGE. */
export function kapiFixtures(options: EnvOptions & { perWorker?: boolean } = optionsFromEnvironment()) {
  const { perWorker: own, ...envOptions } = options;
  return {
    kapiEnv: [
      // biome-ignore lint/correctness/noEmptyPattern: Vitest reads a fixture's dependencies from this pattern.
      async ({}: object, use: Use<Env>) => {
        const env = perWorker(own) ? await startEnv(envOptions) : await startEnv({ ...envOptions, useExistingCluster: true });
        try {
          await use(env);
        } finally {
          await env.stop();
        }
      },
      { scope: 'worker' },
    ] as const,
    namespace: async ({ kapiEnv }: { kapiEnv: Env }, use: Use<string>) => {
      const name = `test-${randomBytes(4).toString('hex')}`;
      const client = kapiEnv.client();
      try {
        const r = await client.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
        if (r.status !== 201) throw new Error(`creating namespace ${name}: ${r.text}`);
        await use(name);
        await client.call('DELETE', `/api/v1/namespaces/${name}`);
      } finally {
        await client.close();
      }
    },
    cleanEnv: async ({ kapiEnv }: { kapiEnv: Env }, use: Use<Env>) => {
      await kapiEnv.reset();
      await use(kapiEnv);
    },
  };
}
