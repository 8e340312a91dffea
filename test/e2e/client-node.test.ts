// @kubernetes/client-node against the environment the Vitest global setup
// started (KUBECONFIG is exported to the workers), and against both backends.

import * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { useEnv } from '../helpers/env.js';

describe('the kapi-env/vitest global setup', () => {
  it('exports KUBECONFIG to workers and the cluster answers', async () => {
    expect(process.env.KUBECONFIG).toBeTruthy();
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(process.env.KUBECONFIG!);
    expect(kc.getCurrentContext()).toBe('kapi-env');
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const list = await core.listNamespace();
    expect(list.items.map((n) => n.metadata?.name)).toContain('kube-system');
  });
});

describe.each(BACKENDS)('client-node on %s storage', (storage) => {
  const s = useEnv(storage);

  const api = (): { core: k8s.CoreV1Api; kc: k8s.KubeConfig } => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(s.env.kubeconfig);
    return { core: kc.makeApiClient(k8s.CoreV1Api), kc };
  };

  it('creates, reads, lists with selectors and deletes', async () => {
    const { core } = api();
    const created = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'cn1', labels: { tier: 'a' } }, data: { k: 'v' } },
    });
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'cn2', labels: { tier: 'b' } } } });
    const sel = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'tier in (a)' });
    expect(sel.items.map((i) => i.metadata?.name)).toEqual(['cn1']);
    const read = await core.readNamespacedConfigMap({ name: 'cn1', namespace: 'default' });
    expect(read.data).toEqual({ k: 'v' });
    await core.deleteNamespacedConfigMap({ name: 'cn1', namespace: 'default' });
    await expect(core.readNamespacedConfigMap({ name: 'cn1', namespace: 'default' })).rejects.toMatchObject({ code: 404 });
  });

  it('an informer sees adds, updates and deletes exactly once', async () => {
    const { core, kc } = api();
    const seen: string[] = [];
    const informer = k8s.makeInformer(
      kc,
      '/api/v1/namespaces/default/configmaps',
      () => core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'inf=1' }),
      'inf=1',
    );
    informer.on('add', (o) => seen.push(`add:${o.metadata?.name}`));
    informer.on('update', (o) => seen.push(`update:${o.metadata?.name}`));
    informer.on('delete', (o) => seen.push(`delete:${o.metadata?.name}`));
    await informer.start();
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'i1', labels: { inf: '1' } } } });
    await core.patchNamespacedConfigMap(
      { name: 'i1', namespace: 'default', body: { data: { x: '1' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'i2', labels: { inf: '1' } } } });
    await core.deleteNamespacedConfigMap({ name: 'i1', namespace: 'default' });
    const end = Date.now() + 10_000;
    while (!(seen.includes('add:i2') && seen.includes('delete:i1'))) {
      if (Date.now() > end) throw new Error(`timed out; saw ${seen.join(' ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await informer.stop();
    expect(seen).toEqual(['add:i1', 'update:i1', 'add:i2', 'delete:i1']);
  });
});

describe('client-node informer across a forced 410', () => {
  // Watches end after 1-2 s, history is compacted every 300 ms and there is no
  // watch cache: a resumed watch starts from a compacted revision and gets 410.
  const s = useEnv('memory', { apiserverArgs: ['--min-request-timeout=1', '--watch-cache=false', '--etcd-compaction-interval=300ms'] });

  it('relists after 410 and loses no event', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(s.env.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    let lists = 0;
    const seen: string[] = [];
    const informer = k8s.makeInformer(
      kc,
      '/api/v1/namespaces/default/configmaps',
      () => {
        lists++;
        return core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'inf=1' });
      },
      'inf=1',
    );
    informer.on('add', (o) => seen.push(`add:${o.metadata?.name}`));
    informer.on('delete', (o) => seen.push(`delete:${o.metadata?.name}`));
    informer.on('error', () => {
      setTimeout(() => void informer.start(), 100);
    });
    await informer.start();
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'f1', labels: { inf: '1' } } } });
    // Unrelated writes move the revision on; compaction then passes the informer's last revision.
    for (let i = 0; i < 40; i++) {
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `noise${i}` } } });
      await new Promise((r) => setTimeout(r, 60));
    }
    const end = Date.now() + 15_000;
    while (lists < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(lists).toBeGreaterThanOrEqual(2);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'f2', labels: { inf: '1' } } } });
    await core.deleteNamespacedConfigMap({ name: 'f1', namespace: 'default' });
    while (!(seen.includes('add:f2') && seen.includes('delete:f1')) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    await informer.stop();
    expect(seen.filter((x) => x === 'add:f1')).toHaveLength(1);
    expect(seen).toContain('add:f2');
    expect(seen).toContain('delete:f1');
  }, 30_000);
});
