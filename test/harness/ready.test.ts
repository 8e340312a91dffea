// startEnv() resolves (and `kapi-env up` prints its ready line) once the server is ready as /readyz says:
// the post-start hooks' objects, the RBAC bootstrap policy, are stored. On etcd this start also moves the
// server from the embedded store to the etcd it launched (storage/handoff.ts): the objects are in etcd.

import { afterAll, describe, expect, it } from 'vitest';
import { type Env, startEnv } from '../../src/env/index.js';
import { BACKENDS } from '../helpers/backends.js';

describe.each(BACKENDS)('ready on %s storage', (storage) => {
  let env: Env | undefined;
  afterAll(() => env?.stop());

  it('answers /readyz 200 with every check passed, and serves the bootstrap policy, as soon as it is started', async () => {
    env = await startEnv({ storage, serverThread: 'inline' });
    const c = env.client();
    const ready = await c.get<string>('/readyz?verbose');
    expect(ready.status).toBe(200);
    expect(String(ready.body)).toContain('[+]poststarthook/rbac/bootstrap-roles ok');
    const roles = await c.get<{ items: Array<{ metadata: { name: string; resourceVersion: string } }> }>(
      '/apis/rbac.authorization.k8s.io/v1/clusterroles',
    );
    const names = roles.body.items.map((r) => r.metadata.name);
    expect(names).toEqual(expect.arrayContaining(['cluster-admin', 'admin', 'edit', 'view', 'system:discovery']));
    const bindings = await c.get<{ items: Array<{ metadata: { name: string } }> }>(
      '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
    );
    expect(bindings.body.items.map((b) => b.metadata.name)).toEqual(expect.arrayContaining(['cluster-admin', 'system:discovery']));
    if (storage === 'etcd') {
      // Read back from etcd: resourceVersions are etcd's, not the embedded store's (counted from 10^12).
      expect(Math.max(...roles.body.items.map((r) => Number(r.metadata.resourceVersion)))).toBeLessThan(1e12);
    }
  });
});
