// List and watch on the wire, checked with raw HTTP/1.1 and HTTP/2 clients:
// resourceVersion semantics, pagination, selectors, bookmarks, WatchList, 410s.

import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BACKENDS } from '../helpers/backends.js';
import { useEnv } from '../helpers/env.js';
import { watchH1, watchH2 } from '../helpers/watch.js';

const CMS = '/api/v1/namespaces/default/configmaps';
const cm = (name: string, labels: Record<string, string> = {}): unknown => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels },
  data: { v: '0' },
});

interface ListBody {
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  items: Array<{ metadata: { name: string } }>;
  kind: string;
}
interface StatusBody {
  code: number;
  reason: string;
  message: string;
  details?: { causes?: Array<{ reason: string; message: string }> };
  metadata?: { continue?: string };
}

describe.each(BACKENDS)('list and watch on %s storage', (storage) => {
  const s = useEnv(storage, { apiserverArgs: ['--default-watch-cache-size=20'], bookmarkIntervalMs: 300 });

  it('streams JSON lines over HTTP/1.1, flushed per event, and DELETED carries the last state', async () => {
    const w = await watchH1(s.client, `${CMS}?watch=true&fieldSelector=metadata.name%3Dw1`);
    expect(w.status).toBe(200);
    expect(w.headers['content-type']).toBe('application/json');
    await s.client.post(CMS, cm('w1'));
    const [added] = await w.next(1);
    expect(added.type).toBe('ADDED');
    expect(added.object).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'w1' } });
    await s.client.call('PATCH', `${CMS}/w1`, { data: { v: '1' } }, { 'content-type': 'application/merge-patch+json' });
    const del = await s.client.call<{ metadata: { resourceVersion: string } }>('DELETE', `${CMS}/w1`);
    expect(del.status).toBe(200);
    const events = await w.next(3);
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect((events[2].object as { data: Record<string, string> }).data).toEqual({ v: '1' });
    expect(Number(events[2].object.metadata!.resourceVersion)).toBeGreaterThan(Number(events[1].object.metadata!.resourceVersion));
    w.close();
  });

  it('replays from a resourceVersion exactly once, over HTTP/2', async () => {
    const first = await s.client.post<{ metadata: { resourceVersion: string } }>(CMS, cm('r1'));
    const from = first.body.metadata.resourceVersion;
    await s.client.post(CMS, cm('r2'));
    await s.client.call('DELETE', `${CMS}/r1`);
    const w = await watchH2(s.env, `${CMS}?watch=true&resourceVersion=${from}`);
    expect(w.status).toBe(200);
    const evs = await w.next(2);
    expect(evs.map((e) => `${e.type}:${e.object.metadata!.name}`)).toEqual(['ADDED:r2', 'DELETED:r1']);
    await s.client.post(CMS, cm('r3'));
    const more = await w.next(3);
    expect(more[2].type).toBe('ADDED');
    expect(more[2].object.metadata!.name).toBe('r3');
    await new Promise((r) => setTimeout(r, 100));
    expect(w.events.filter((e) => e.type !== 'BOOKMARK')).toHaveLength(3);
    w.close();
  });

  it('answers a too old resourceVersion with a 410 ERROR event', async () => {
    const base = Number((await s.client.get<ListBody>(CMS)).body.metadata.resourceVersion);
    for (let i = 0; i < 30; i++) await s.client.post(CMS, cm(`old${i}`));
    const w = await watchH1(s.client, `${CMS}?watch=true&resourceVersion=${base}`);
    const [err] = await w.next(1);
    expect(err.type).toBe('ERROR');
    expect(err.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    expect(err.object.message).toMatch(new RegExp(`^too old resource version: ${base} \\(\\d+\\)$`));
    await w.ended;
  });

  it('sends synthetic ADDED for resourceVersion 0, then periodic bookmarks', async () => {
    const w = await watchH1(s.client, `${CMS}?watch=true&resourceVersion=0&allowWatchBookmarks=true&labelSelector=bm%3D1`);
    await s.client.post(CMS, cm('bm1', { bm: '1' }));
    const end = Date.now() + 3000;
    while (!(w.events.some((e) => e.type === 'ADDED') && w.events.some((e) => e.type === 'BOOKMARK')) && Date.now() < end)
      await new Promise((r) => setTimeout(r, 10));
    expect(w.events.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata!.name)).toEqual(['bm1']);
    const bm = w.events.find((e) => e.type === 'BOOKMARK')!;
    expect(bm.object).toEqual({
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { resourceVersion: bm.object.metadata!.resourceVersion, creationTimestamp: null },
    });
    w.close();
  });

  it('WatchList: initial events then the initial-events-end bookmark', async () => {
    await s.client.post(CMS, cm('wl1', { wl: '1' }));
    await s.client.post(CMS, cm('wl2', { wl: '1' }));
    const w = await watchH1(
      s.client,
      `${CMS}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&labelSelector=wl%3D1`,
    );
    const evs = await w.next(3);
    expect(evs.map((e) => e.type)).toEqual(['ADDED', 'ADDED', 'BOOKMARK']);
    expect(evs[2].object.metadata!.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    w.close();
    const bad = await s.client.get<StatusBody>(`${CMS}?watch=true&sendInitialEvents=true`);
    expect(bad.status).toBe(422);
    expect(bad.body.message).toContain('sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
  });

  it('turns a change in matching into ADDED and DELETED', async () => {
    await s.client.post(CMS, cm('sel', { tier: 'a' }));
    const w = await watchH1(s.client, `${CMS}?watch=true&labelSelector=tier%3Db`);
    const relabel = (tier: string): Promise<unknown> =>
      s.client.call('PATCH', `${CMS}/sel`, { metadata: { labels: { tier } } }, { 'content-type': 'application/merge-patch+json' });
    await relabel('b');
    await relabel('b2');
    const evs = await w.next(2);
    expect(evs.map((e) => e.type)).toEqual(['ADDED', 'DELETED']);
    w.close();
  });

  it('paginates with continue tokens over one snapshot, and errors as kube does', async () => {
    await s.client.call('POST', '/api/v1/namespaces', { metadata: { name: 'paging' } });
    for (let i = 0; i < 25; i++) await s.client.post('/api/v1/namespaces/paging/configmaps', cm(`c${String(i).padStart(2, '0')}`));
    const p1 = await s.client.get<ListBody>('/api/v1/namespaces/paging/configmaps?limit=10');
    expect(p1.body.items).toHaveLength(10);
    expect(p1.body.metadata.remainingItemCount).toBe(15);
    await s.client.post('/api/v1/namespaces/paging/configmaps', cm('zz-later'));
    const names = p1.body.items.map((i) => i.metadata.name);
    let token = p1.body.metadata.continue;
    while (token) {
      const p = await s.client.get<ListBody>(`/api/v1/namespaces/paging/configmaps?limit=10&continue=${encodeURIComponent(token)}`);
      expect(p.body.metadata.resourceVersion).toBe(p1.body.metadata.resourceVersion);
      names.push(...p.body.items.map((i) => i.metadata.name));
      token = p.body.metadata.continue;
    }
    expect(names).toHaveLength(25);
    expect(names).not.toContain('zz-later');
    const all = await s.client.get<ListBody>('/api/v1/configmaps?resourceVersion=0');
    expect(all.body.kind).toBe('ConfigMapList');
    expect(all.body.items.some((i) => i.metadata.name === 'zz-later')).toBe(true);
    const tooLarge = await s.client.get<StatusBody>('/api/v1/namespaces/paging/configmaps?resourceVersion=999999999');
    expect(tooLarge.status).toBe(504);
    expect(tooLarge.body.message).toMatch(/^Timeout: Too large resource version: 999999999, current: \d+$/);
    expect(tooLarge.body.details?.causes?.[0]).toEqual({ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' });
    const badRv = await s.client.get<StatusBody>(`${CMS}?resourceVersion=abc`);
    expect(badRv.status).toBe(400);
    const badToken = await s.client.get<StatusBody>(`${CMS}?limit=1&continue=bm90LWEtdG9rZW4`);
    expect(badToken.status).toBe(400);
    expect(badToken.body.message).toContain('continue key is not valid');
    const match = await s.client.get<StatusBody>(`${CMS}?resourceVersionMatch=Exact`);
    expect(match.status).toBe(422);
    expect(match.body.message).toBe(
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
    );
    const field = await s.client.get<StatusBody>(`${CMS}?fieldSelector=spec.foo%3Dx`);
    expect(field.status).toBe(400);
    expect(field.body.message).toBe('field label not supported: spec.foo');
  });

  it('serves the legacy /watch/ paths', async () => {
    const w = await watchH1(s.client, '/api/v1/watch/namespaces/default/configmaps?fieldSelector=metadata.name%3Dlegacy');
    await s.client.post(CMS, cm('legacy'));
    const [ev] = await w.next(1);
    expect(ev).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'legacy' } } });
    w.close();
  });

  it('delivers the same frames over WebSocket', async () => {
    const url = `${s.env.server.replace('https', 'wss')}${CMS}?watch=true&fieldSelector=metadata.name%3Dws1`;
    const ws = new WebSocket(url, { ca: s.env.ca, cert: s.env.clientCert, key: s.env.clientKey });
    const frames: Array<{ type: string; object: { metadata: { name: string } } }> = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
    await new Promise((r, j) => {
      ws.once('open', r);
      ws.once('error', j);
    });
    await s.client.post(CMS, cm('ws1'));
    const end = Date.now() + 5000;
    while (frames.length < 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    ws.close();
    expect(frames[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'ws1' } } });
  });
});
