// A resource's watch cache lags the store's revision when the last writes went
// to other resources. A consistent list answers the store's revision, and a
// watch (or NotOlderThan list, or WatchList) from it must start at once with
// every later event, as kube keeps its caches current with etcd progress
// notifications, instead of waiting for the cache and answering 504.

import * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { useEnv } from '../helpers/env.js';
import { watchH1 } from '../helpers/watch.js';

interface List {
  metadata: { resourceVersion: string };
  items: Array<{ metadata: { name: string } }>;
}

describe.each(BACKENDS)('watch from a revision reached through another resource on %s storage', (storage) => {
  const s = useEnv(storage);
  let n = 0;

  /** Writes to secrets last, so the configmaps cache is behind the revision a consistent list answers. */
  const lastWriteElsewhere = async (ns: string): Promise<string> => {
    expect((await s.client.post(`/api/v1/namespaces/${ns}/secrets`, { metadata: { name: `other-${++n}` } })).status).toBe(201);
    const list = await s.client.get<List>(`/api/v1/namespaces/${ns}/configmaps`);
    expect(list.status).toBe(200);
    return list.body.metadata.resourceVersion;
  };

  it('a watch from a consistent list of another resource starts at once and delivers events', async () => {
    await s.client.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'wp-before' } });
    const rv = await lastWriteElsewhere('default');
    const w = await watchH1(s.client, `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true`);
    try {
      expect(w.status).toBe(200);
      const created = await s.client.post<{ metadata: { resourceVersion: string } }>('/api/v1/namespaces/default/configmaps', {
        metadata: { name: 'wp-after' },
      });
      const [ev] = await w.next(1, 2_500);
      expect(ev).toMatchObject({
        type: 'ADDED',
        object: { metadata: { name: 'wp-after', resourceVersion: created.body.metadata.resourceVersion } },
      });
      // Nothing at or before the start revision is replayed.
      expect(w.events.filter((e) => e.type !== 'BOOKMARK').map((e) => e.object.metadata?.name)).toEqual(['wp-after']);
    } finally {
      w.close();
    }
  });

  it('a NotOlderThan list from that revision answers 200 at once', async () => {
    const rv = await lastWriteElsewhere('default');
    const started = Date.now();
    const list = await s.client.get<List>(`/api/v1/namespaces/default/configmaps?resourceVersion=${rv}&resourceVersionMatch=NotOlderThan`);
    expect(list.status).toBe(200);
    expect(Number(list.body.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(rv));
    // The cache's freshness wait is 3 s; a generous bound below it shows it was not waited for.
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it('a WatchList from that revision sends the current state and the initial-events-end bookmark', async () => {
    await s.client.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'wp-list' } });
    const rv = await lastWriteElsewhere('default');
    const w = await watchH1(
      s.client,
      `/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&resourceVersion=${rv}&allowWatchBookmarks=true`,
    );
    try {
      expect(w.status).toBe(200);
      const end = Date.now() + 2_500;
      while (!w.events.some((e) => e.type === 'BOOKMARK' || e.type === 'ERROR') && Date.now() < end)
        await new Promise((r) => setTimeout(r, 10));
      const bookmark = w.events.find((e) => e.type === 'BOOKMARK');
      expect(bookmark?.object.metadata?.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
      expect(Number(bookmark!.object.metadata!.resourceVersion)).toBeGreaterThanOrEqual(Number(rv));
      expect(w.events.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata?.name)).toContain('wp-list');
    } finally {
      w.close();
    }
  });

  it('a client-node informer starts and sees events when the last write was to another resource', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(s.env.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await s.client.post('/api/v1/namespaces', { metadata: { name: 'wp-informer' } });
    await core.createNamespacedConfigMap({ namespace: 'wp-informer', body: { metadata: { name: 'existing' } } });
    await lastWriteElsewhere('wp-informer');
    const seen: string[] = [];
    const errors: unknown[] = [];
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/wp-informer/configmaps', () =>
      core.listNamespacedConfigMap({ namespace: 'wp-informer' }),
    );
    informer.on('add', (o) => seen.push(`add:${o.metadata?.name}`));
    informer.on('error', (e) => errors.push(e));
    await informer.start();
    try {
      await core.createNamespacedConfigMap({ namespace: 'wp-informer', body: { metadata: { name: 'new' } } });
      const end = Date.now() + 10_000;
      while (!seen.includes('add:new') && errors.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(errors).toEqual([]);
      expect(seen).toEqual(['add:existing', 'add:new']);
    } finally {
      await informer.stop();
    }
  });
});
