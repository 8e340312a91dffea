// WatchCache and the storage-backed source against the memory backend:
// replay, 410s, predicate transitions, WatchList, bookmarks, slow watchers,
// relist after an upstream failure, paged lists.

import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../src/server/storage/memory/index.js';
import { StorageError, type WatchHandler } from '../../src/server/storage/interface.js';
import type { KubeObject } from '../../src/server/api/types.js';
import { createWatchSource, defaultBookmarkObject, WatchCache, type WatchEventOut, type WatchSink, type WatchSource } from '../../src/server/watch/index.js';

const P = '/configmaps/';
const cm = (name: string, labels: Record<string, string> = {}, ns = 'default'): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels } });
const key = (name: string, ns = 'default'): string => `${P}${ns}/${name}`;
const bookmarkObject = defaultBookmarkObject('v1', 'ConfigMap');

interface Rec extends WatchSink { events: WatchEventOut[]; closed: boolean; summary(): string[] }
function recorder(backlog?: () => number): Rec {
  const r: Rec = {
    events: [], closed: false,
    event: (e) => { r.events.push(e); },
    close: () => { r.closed = true; },
    summary: () => r.events.map((e) => `${e.type} ${e.object.metadata?.name ?? ''}@${e.object.metadata?.resourceVersion ?? ''}`.trim()),
  };
  if (backlog) r.backlog = backlog;
  return r;
}

class FlakyStorage extends MemoryStorage {
  handlers: WatchHandler[] = [];
  override watch(prefix: string, opts: Parameters<MemoryStorage['watch']>[1], handler: WatchHandler): ReturnType<MemoryStorage['watch']> {
    this.handlers.push(handler);
    return super.watch(prefix, opts, handler);
  }
}

const sources: WatchSource[] = [];
afterEach(() => { for (const s of sources.splice(0)) s.stop(); });
async function cached(storage: MemoryStorage, opts: ConstructorParameters<typeof WatchCache>[2] = {}): Promise<WatchCache> {
  const c = new WatchCache(storage, P, { bookmarkObject, ...opts });
  sources.push(c);
  await c.start();
  return c;
}

describe('WatchCache', () => {
  it('replays events after a revision in order, exactly once, then follows live', async () => {
    const s = new MemoryStorage();
    const c = await cached(s);
    const a = await s.create(key('a'), cm('a'));
    await s.guaranteedUpdate(key('a'), (o) => ({ ...o!, data: { x: '1' } }));
    await s.create(key('b'), cm('b'));
    const r = recorder();
    await c.watch({ fromRevision: Number(a.metadata!.resourceVersion) }, r);
    await s.delete(key('a'));
    const rv = Number(a.metadata!.resourceVersion);
    expect(r.summary()).toEqual([`MODIFIED a@${rv + 1}`, `ADDED b@${rv + 2}`, `DELETED a@${rv + 3}`]);
  });

  it('answers a start point older than the buffer with ERROR 410 too old resource version', async () => {
    const s = new MemoryStorage();
    const c = await cached(s, { capacity: 3 });
    const first = await s.create(key('a'), cm('a'));
    for (let i = 0; i < 5; i++) await s.guaranteedUpdate(key('a'), (o) => ({ ...o!, data: { i: String(i) } }));
    const oldest = c.currentRevision - 2; // 3 events kept
    const r = recorder();
    await c.watch({ fromRevision: Number(first.metadata!.resourceVersion) }, r);
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Expired',
      message: `too old resource version: ${first.metadata!.resourceVersion} (${oldest - 1})` } });
    expect(r.closed).toBe(true);
    expect(c.watcherCount).toBe(0);
    // The oldest-1 start point is still served.
    const ok = recorder();
    await c.watch({ fromRevision: oldest - 1 }, ok);
    expect(ok.events.map((e) => e.type)).toEqual(['MODIFIED', 'MODIFIED', 'MODIFIED']);
  });

  it('turns predicate transitions into ADDED / MODIFIED / DELETED (previous state at the new revision)', async () => {
    const s = new MemoryStorage();
    const c = await cached(s);
    const r = recorder();
    await c.watch({ fromRevision: 0, predicate: (o) => o.metadata?.labels?.app === 'web' }, r);
    await s.create(key('a'), cm('a', { app: 'db' }));
    await s.guaranteedUpdate(key('a'), (o) => ({ ...o!, metadata: { ...o!.metadata, labels: { app: 'web' } } }));
    await s.guaranteedUpdate(key('a'), (o) => ({ ...o!, data: { v: '2' } }));
    const gone = await s.guaranteedUpdate(key('a'), (o) => ({ ...o!, metadata: { ...o!.metadata, labels: { app: 'db' } } }));
    await s.delete(key('a'));
    expect(r.events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    const del = r.events[2].object;
    expect(del.metadata!.resourceVersion).toBe(gone.metadata!.resourceVersion);
    expect(del.metadata!.labels).toEqual({ app: 'web' });
  });

  it('shares one event object across watchers (one serialisation per event)', async () => {
    const s = new MemoryStorage();
    const c = await cached(s);
    const r1 = recorder();
    const r2 = recorder();
    await c.watch({ fromRevision: 0 }, r1);
    await c.watch({ fromRevision: 0, keyPrefix: `${P}default/` }, r2);
    await s.create(key('a'), cm('a'));
    expect(r1.events[0]).toBe(r2.events[0]);
  });

  it('legacy initial events: ADDED for the current state, no end bookmark', async () => {
    const s = new MemoryStorage();
    await s.create(key('a'), cm('a'));
    await s.create(key('b', 'other'), cm('b', {}, 'other'));
    const c = await cached(s);
    const r = recorder();
    await c.watch({ fromRevision: 0, initialEvents: true, allowBookmarks: true, keyPrefix: `${P}default/` }, r);
    await s.create(key('c'), cm('c'));
    expect(r.events.map((e) => `${e.type} ${e.object.metadata!.name}`)).toEqual(['ADDED a', 'ADDED c']);
  });

  it('WatchList: ADDED for every object, then the initial-events-end BOOKMARK, then live', async () => {
    const s = new MemoryStorage();
    await s.create(key('a'), cm('a'));
    await s.create(key('b'), cm('b'));
    const c = await cached(s);
    const rev = c.currentRevision;
    const r = recorder();
    await c.watch({ fromRevision: 0, sendInitialEvents: true, allowBookmarks: true, minRevision: rev }, r);
    await s.create(key('c'), cm('c'));
    expect(r.events.map((e) => e.type)).toEqual(['ADDED', 'ADDED', 'BOOKMARK', 'ADDED']);
    expect(r.events[2].object).toEqual({ kind: 'ConfigMap', apiVersion: 'v1',
      metadata: { resourceVersion: String(rev), creationTimestamp: null, annotations: { 'k8s.io/initial-events-end': 'true' } } });
    expect(JSON.stringify(r.events[2].object)).toMatch(/^\{"kind":"ConfigMap","apiVersion":"v1","metadata":\{"resourceVersion"/);
  });

  it('sends periodic BOOKMARKs with only the resourceVersion to watchers that allow them', async () => {
    const s = new MemoryStorage();
    const c = await cached(s, { bookmarkIntervalMs: 20 });
    await s.create(key('a'), cm('a'));
    const yes = recorder();
    const no = recorder();
    await c.watch({ fromRevision: 0, allowBookmarks: true }, yes);
    await c.watch({ fromRevision: 0 }, no);
    await new Promise((r) => setTimeout(r, 70));
    expect(yes.events.length).toBeGreaterThanOrEqual(2);
    expect(yes.events[0]).toEqual({ type: 'BOOKMARK', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: String(c.currentRevision), creationTimestamp: null } } });
    expect(no.events).toEqual([]);
  });

  it('closes a watcher whose backlog is past its buffer while others keep receiving', async () => {
    const s = new MemoryStorage();
    const c = await cached(s);
    let queued = 0;
    const slow = recorder(() => queued);
    const fast = recorder();
    await c.watch({ fromRevision: 0, bufferSize: 3 }, { ...slow, event: (e) => { queued++; slow.events.push(e); }, close: () => { slow.closed = true; } });
    await c.watch({ fromRevision: 0 }, fast);
    for (let i = 0; i < 10; i++) await s.create(key(`o${i}`), cm(`o${i}`));
    expect(slow.closed).toBe(true);
    expect(slow.events).toHaveLength(4);
    expect(fast.events).toHaveLength(10);
    expect(c.watcherCount).toBe(1);
  });

  it('on an upstream Compacted error ends every watch with 410, relists and watches again', async () => {
    const s = new FlakyStorage();
    await s.create(key('a'), cm('a'));
    const c = await cached(s);
    const r = recorder();
    await c.watch({ fromRevision: 0, initialEvents: true }, r);
    s.handlers[0].error(new StorageError('Compacted', P, 'compacted'));
    expect(r.events.map((e) => e.type)).toEqual(['ADDED', 'ERROR']);
    expect(r.events[1].object).toMatchObject({ code: 410, reason: 'Expired' });
    expect((r.events[1].object as { message: string }).message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
    expect(r.closed).toBe(true);
    await s.create(key('b'), cm('b'));
    const { items } = await c.list({});
    expect(items.map((i) => i.metadata!.name)).toEqual(['a', 'b']);
    expect(s.handlers).toHaveLength(2);
    const after = recorder();
    await c.watch({ fromRevision: 0 }, after);
    await s.create(key('c'), cm('c'));
    expect(after.summary()).toEqual([`ADDED c@${c.currentRevision}`]);
  });

  it('lists pages in key order with remainingItemCount, and waits for a newer revision then 504s', async () => {
    const s = new MemoryStorage();
    for (const n of ['e', 'a', 'c', 'b', 'd']) await s.create(key(n), cm(n, { odd: String('ace'.includes(n)) }));
    const c = await cached(s, { freshnessTimeoutMs: 100 });
    const p1 = await c.list({ limit: 2 });
    expect(p1).toMatchObject({ more: true, lastKey: key('b'), remainingItemCount: 3 });
    expect(p1.items.map((i) => i.metadata!.name)).toEqual(['a', 'b']);
    const p2 = await c.list({ limit: 2, startAfterKey: p1.lastKey });
    expect(p2.items.map((i) => i.metadata!.name)).toEqual(['c', 'd']);
    const p3 = await c.list({ limit: 2, startAfterKey: p2.lastKey });
    expect(p3).toMatchObject({ more: false, lastKey: key('e') });
    const odd = await c.list({ limit: 2, predicate: (o) => o.metadata!.labels!.odd === 'true' });
    expect(odd.items.map((i) => i.metadata!.name)).toEqual(['a', 'c']);
    expect(odd).toMatchObject({ more: true, remainingItemCount: undefined });
    const rev = c.currentRevision;
    const pending = c.list({ minRevision: rev + 1 });
    await s.create(key('f'), cm('f'));
    expect((await pending).items).toHaveLength(6);
    await expect(c.list({ minRevision: rev + 100 })).rejects.toMatchObject({ status: { code: 504, reason: 'Timeout',
      message: `Timeout: Too large resource version: ${rev + 100}, current: ${rev + 1}`,
      details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 } } });
  });
});

describe('storage-backed source (--watch-cache=false)', () => {
  it('lists and watches straight from storage with the same transitions', async () => {
    const s = new MemoryStorage();
    await s.create(key('a'), cm('a', { app: 'web' }));
    const src = await createWatchSource(s, P, { cache: false, bookmarkObject });
    sources.push(src);
    expect((await src.list({})).items).toHaveLength(1);
    const r = recorder();
    await src.watch({ fromRevision: 0, sendInitialEvents: true, allowBookmarks: true, predicate: (o) => o.metadata?.labels?.app === 'web' }, r);
    await s.guaranteedUpdate(key('a'), (o) => ({ ...o!, metadata: { ...o!.metadata, labels: { app: 'db' } } }));
    await s.create(key('b'), cm('b', { app: 'web' }));
    expect(r.events.map((e) => e.type)).toEqual(['ADDED', 'BOOKMARK', 'DELETED', 'ADDED']);
    expect(r.events[1].object.metadata!.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
  });

  it('answers a compacted start point with the etcd3 store 410 message', async () => {
    const s = new MemoryStorage();
    await s.create(key('a'), cm('a'));
    for (let i = 0; i < 3; i++) await s.guaranteedUpdate(key('a'), (o) => ({ ...o!, data: { i: String(i) } }));
    await s.compact(await s.currentRevision());
    const src = await createWatchSource(s, P, { cache: false });
    sources.push(src);
    const r = recorder();
    await src.watch({ fromRevision: 1 }, r);
    expect(r.events[0].object).toMatchObject({ code: 410, reason: 'Expired', message: 'The resourceVersion for the provided watch is too old.' });
    expect(r.closed).toBe(true);
  });
});
