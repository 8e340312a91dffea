// The ready-made global setups, called the way Vitest and Jest call them.

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kubectl } from '../helpers/env.js';

describe('kapi-env/jest', () => {
  it('starts an environment, exports KUBECONFIG, and stops it in globalTeardown', async () => {
    const saved = { KUBECONFIG: process.env.KUBECONFIG, KAPI_ENV_STORAGE: process.env.KAPI_ENV_STORAGE };
    process.env.KAPI_ENV_STORAGE = 'memory';
    const setup = (await import('../../dist/env/jest.js')).default as () => Promise<void>;
    const teardown = (await import('../../dist/env/jest-teardown.js')).default as () => Promise<void>;
    try {
      await setup();
      const kc = process.env.KUBECONFIG!;
      expect(kc).not.toBe(saved.KUBECONFIG);
      expect((await kubectl(kc, ['get', 'ns', 'default', '-o', 'name'])).stdout.trim()).toBe('namespace/default');
      await teardown();
      expect(existsSync(kc)).toBe(false);
    } finally {
      process.env.KUBECONFIG = saved.KUBECONFIG;
      process.env.KAPI_ENV_STORAGE = saved.KAPI_ENV_STORAGE;
    }
  });
});
