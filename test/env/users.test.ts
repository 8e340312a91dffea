// The per-identity helpers write into the environment's temp dir; once the environment is stopped they say so and
// make no directory again.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { startEnv } from '../../src/env/index.js';

it('addUser after stop() is refused and does not make the removed temp dir again', async () => {
  const env = await startEnv({ storage: 'memory', serverThread: 'inline' });
  const dir = path.dirname(env.kubeconfigPath);
  const before = await env.addUser({ name: 'before-stop' });
  await before.client.close();
  expect(path.dirname(before.kubeconfigPath)).toBe(dir);
  expect(existsSync(before.kubeconfigPath)).toBe(true);
  await env.stop();
  expect(existsSync(dir)).toBe(false);
  await expect(env.addUser({ name: 'after-stop' })).rejects.toThrow(
    `kubeconfig for after-stop: the environment is stopped (its directory ${dir} is gone)`,
  );
  expect(existsSync(dir)).toBe(false);
});
