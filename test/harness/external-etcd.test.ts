// --storage etcd keeps objects in etcd under /registry (visible with etcdctl),
// and --etcd-servers uses an etcd someone else runs, starting none.

import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEnv } from '../../src/env/index.js';
import { type EtcdProcess, startNativeEtcd } from '../../src/etcd/index.js';
import { etcdBinary } from '../helpers/backends.js';
import { kubectl } from '../helpers/env.js';

let etcdctl = false;
try {
  execFileSync('etcdctl', ['version'], { stdio: 'ignore' });
  etcdctl = true;
} catch {
  console.warn('[kapi-env tests] etcdctl not found: the etcd key layout check is skipped');
}

describe.skipIf(!etcdBinary || !etcdctl)('an existing etcd', () => {
  let etcd: EtcdProcess;
  beforeAll(async () => {
    etcd = await startNativeEtcd({ binary: etcdBinary! });
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  it('stores objects under /registry with kube-apiserver key layout and starts no etcd of its own', async () => {
    const env = await startEnv({ etcdServers: [etcd.endpoint] });
    try {
      expect(env.storage).toBe('external');
      expect(env.pids.etcd).toBeUndefined();
      expect((await kubectl(env.kubeconfigPath, ['create', 'cm', 'in-etcd', '--from-literal=a=b'])).code).toBe(0);
      const keys = execFileSync('etcdctl', ['--endpoints', etcd.endpoint, 'get', '--prefix', '/registry', '--keys-only'], {
        encoding: 'utf8',
        env: { ...process.env, ETCDCTL_API: '3' },
      });
      const list = keys.split('\n').filter(Boolean);
      expect(list).toContain('/registry/configmaps/default/in-etcd');
      expect(list).toContain('/registry/namespaces/kube-system');
      const value = execFileSync(
        'etcdctl',
        ['--endpoints', etcd.endpoint, 'get', '/registry/configmaps/default/in-etcd', '--print-value-only'],
        { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } },
      );
      expect(JSON.parse(value)).toMatchObject({ kind: 'ConfigMap', data: { a: 'b' } });
    } finally {
      await env.stop();
    }
    // The external etcd is still there after stop.
    const health = await fetch(`${etcd.endpoint}/health`);
    expect(health.ok).toBe(true);
  });
});
