// startEnv({ serverThread: 'worker' }) (from the built package: the worker loads
// dist/env/thread-host.js): a synchronous execFileSync('kubectl') after it
// succeeds, reset and stop go over messages, and stop leaves nothing behind.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const DIST = path.resolve(__dirname, '../../dist/index.js');

describe('serverThread: worker', () => {
  it('serves a synchronous kubectl, resets over messages, and stops clean', async () => {
    const { startEnv } = (await import(DIST)) as typeof import('../../src/index.js');
    const env = await startEnv({ storage: 'memory', serverThread: 'worker' });
    try {
      // Inline, this call would block the only thread the server has, and hang.
      const out = execFileSync('kubectl', ['--kubeconfig', env.kubeconfigPath, 'create', 'configmap', 'sync', '-o', 'name'], {
        timeout: 30_000,
      });
      expect(out.toString().trim()).toBe('configmap/sync');
      const c = env.client();
      expect((await c.get('/api/v1/namespaces/default/configmaps/sync')).status).toBe(200);
      await env.reset();
      expect((await c.get('/api/v1/namespaces/default/configmaps/sync')).status).toBe(404);
      const id = await env.snapshot();
      expect(id).toMatch(/^snapshot-/);
      await c.close();
      expect(() => env.requests()).toThrow("env.requests() reads the server's memory: start the environment with serverThread: 'inline'");
      expect(await env.waitFor({ apiVersion: 'v1', kind: 'Namespace', name: 'default' }, (o) => o !== undefined)).toBeTruthy();
    } finally {
      const report = await env.stop();
      for (const dir of report.removed) expect(existsSync(dir)).toBe(false);
    }
  });
});
