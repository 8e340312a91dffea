// WatchCache and the storage-backed source against the memory backend:
// replay, 410s, predicate transitions, WatchList, bookmarks, slow watchers,
// relist after an upstream failure, which lists the cache answers and which it
// hands to storage (paged lists, Exact, continue tokens).

import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/server/api/types.js';
import type { Backend } from '../../src/server/storage/backend.js';
import { HandoffBackend, PRE_MOVE_REVISION } from '../../src/server/storage/handoff.js';
import { StorageError, type WatchHandler } from '../../src/server/storage/interface.js';
import { MemoryBackend, MemoryStorage } from '../../src/server/storage/memory/index.js';
import { ObjectStorage } from '../../src/server/storage/objects.js';
import {
  createWatchSource,
  defaultBookmarkObject,
  WatchCache,
  type WatchEventOut,
  type WatchSink,
  type WatchSource,
} from '../../src/server/watch/index.js';

const P = '/configmaps/';
const cm = (name: string, labels: Record<string, string> = {}, ns = 'default'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns, labels },
});
const key = (name: string, ns = 'default'): string => `${P}${ns}/${name}`;
const bookmarkObject = defaultBookmarkObject('v1', 'ConfigMap');

interface Rec extends WatchSink {
  events: WatchEventOut[];
  closed: boolean;
  summary(): string[];
}
function recorder(backlog?: () => number): Rec {
  const r: Rec = {
    events: [],
    closed: false,
    event: (e) => {
      r.events.push(e);
    },
    close: () => {
      r.closed = true;
    },
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

/** The etcd backend's shape: no on-demand progress, only the notifications it chooses to send. */
class NoProgressRequests extends MemoryStorage {
  handlers: WatchHandler[] = [];
  override watch(prefix: string, opts: Parameters<MemoryStorage['watch']>[1], handler: WatchHandler): ReturnType<MemoryStorage['watch']> {
    this.handlers.push(handler);
    const w = super.watch(prefix, opts, handler);
    return { stop: () => w.stop() };
  }
}

const sources: WatchSource[] = [];
afterEach(() => {
  for (const s of sources.splice(0)) s.stop();
});
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
    expect(r.events[0]).toMatchObject({
      type: 'ERROR',
      object: {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        code: 410,
        reason: 'Expired',
        message: `too old resource version: ${first.metadata!.resourceVersion} (${oldest - 1})`,
      },
    });
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
    expect(r.events[2].object).toEqual({
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { resourceVersion: String(rev), creationTimestamp: null, annotations: { 'k8s.io/initial-events-end': 'true' } },
    });
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
    expect(yes.events[0]).toEqual({
      type: 'BOOKMARK',
      object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: String(c.currentRevision), creationTimestamp: null } },
    });
    expect(no.events).toEqual([]);
  });

  it('closes a watcher whose backlog is past its buffer while others keep receiving', async () => {
    const s = new MemoryStorage();
    const c = await cached(s);
    let queued = 0;
    const slow = recorder(() => queued);
    const fast = recorder();
    await c.watch(
      { fromRevision: 0, bufferSize: 3 },
      {
        ...slow,
        event: (e) => {
          queued++;
          slow.events.push(e);
        },
        close: () => {
          slow.closed = true;
        },
      },
    );
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
    const { items } = await c.list({ resourceVersion: 0 });
    expect(items.map((i) => i.metadata!.name)).toEqual(['a', 'b']);
    expect(s.handlers).toHaveLength(2);
    const after = recorder();
    await c.watch({ fromRevision: 0 }, after);
    await s.create(key('c'), cm('c'));
    expect(after.summary()).toEqual([`ADDED c@${c.currentRevision}`]);
  });

  it('answers resourceVersion=0 and NotOlderThan lists from its state (whole, ignoring limit), waiting for a newer revision, then 504s', async () => {
    const s = new MemoryStorage();
    for (const n of ['e', 'a', 'c', 'b', 'd']) await s.create(key(n), cm(n, { odd: String('ace'.includes(n)) }));
    const c = await cached(s, { freshnessTimeoutMs: 100 });
    const all = await c.list({ resourceVersion: 0, limit: 2 });
    expect(all.items.map((i) => i.metadata!.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(all.revision).toBe(c.currentRevision);
    expect(all.continue).toBeUndefined();
    expect(all.items[0]).toBe(c.cached(key('a')));
    const odd = await c.list({ resourceVersion: 0, predicate: (o) => o.metadata!.labels!.odd === 'true', keyPrefix: `${P}default/` });
    expect(odd.items.map((i) => i.metadata!.name)).toEqual(['a', 'c', 'e']);
    const rev = c.currentRevision;
    const pending = c.list({ resourceVersion: rev + 1, resourceVersionMatch: 'NotOlderThan' });
    await s.create(key('f'), cm('f'));
    expect((await pending).items).toHaveLength(6);
    await expect(c.list({ resourceVersion: rev + 100 })).rejects.toMatchObject({
      status: {
        code: 504,
        reason: 'Timeout',
        message: `Timeout: Too large resource version: ${rev + 100}, current: ${rev + 1}`,
        details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 },
      },
    });
  });

  it('hands storage the lists it does not answer: consistent reads, limits, Exact, continue tokens (kube shouldDelegateList)', async () => {
    const s = new MemoryStorage();
    for (const n of ['e', 'a', 'c', 'b', 'd']) await s.create(key(n), cm(n));
    const c = await cached(s);
    const first = c.currentRevision;
    await s.guaranteedUpdate(key('a'), (o) => ({ ...o!, data: { changed: 'yes' } }));
    // A consistent read with a limit comes from storage: a copy, not the cached object.
    const consistent = await c.list({ limit: 10 });
    expect(consistent.items[0]).not.toBe(c.cached(key('a')));
    expect(consistent.items[0].data).toEqual({ changed: 'yes' });
    // A limit with an unset match reads at exactly that revision, paged with continue tokens.
    const p1 = await c.list({ resourceVersion: first, limit: 2 });
    expect(p1.items.map((i) => i.metadata!.name)).toEqual(['a', 'b']);
    expect(p1.items[0].data).toBeUndefined();
    expect(p1).toMatchObject({ revision: first, remainingItemCount: 3 });
    const p2 = await c.list({ continue: p1.continue, limit: 2 });
    expect(p2).toMatchObject({ revision: first, remainingItemCount: 1 });
    expect(p2.items.map((i) => i.metadata!.name)).toEqual(['c', 'd']);
    const p3 = await c.list({ continue: p2.continue, limit: 2 });
    expect(p3.items.map((i) => i.metadata!.name)).toEqual(['e']);
    expect(p3.continue).toBeUndefined();
    const exact = await c.list({ resourceVersion: first, resourceVersionMatch: 'Exact' });
    expect(exact.items[0].data).toBeUndefined();
    await s.compact(await s.currentRevision());
    await expect(c.list({ continue: p1.continue, limit: 2 })).rejects.toMatchObject({ status: { code: 410, reason: 'Expired' } });
    await expect(c.list({ continue: 'not base64!' })).rejects.toMatchObject({ status: { code: 400 } });
  });

  it('serves a consistent read from its state once it has seen the store revision (ConsistentListFromCache)', async () => {
    const s = new MemoryStorage();
    await s.create(key('a'), cm('a'));
    const c = await cached(s);
    await s.guaranteedUpdate(key('a'), (o) => ({ ...o!, data: { changed: 'yes' } }));
    // Writes elsewhere move the store's revision past anything this cache has seen.
    await s.create('/secrets/default/x', cm('x'));
    const storeRev = await s.currentRevision();
    const list = await c.list({});
    expect(list.items[0]).toBe(c.cached(key('a')));
    expect(list.items[0].data).toEqual({ changed: 'yes' });
    expect(list.revision).toBeGreaterThanOrEqual(storeRev);
    // A limit, a continue token or an Exact match still reads storage.
    expect((await c.list({ limit: 1 })).items[0]).not.toBe(c.cached(key('a')));
    // Without progress requests (etcd's client), a consistent read is a storage read.
    const e = new NoProgressRequests();
    await e.create(key('b'), cm('b'));
    const ec = await cached(e);
    expect((await ec.list({})).items[0]).not.toBe(ec.cached(key('b')));
  });

  it('serves a WatchList from a revision only the store has reached from storage', async () => {
    const s = new NoProgressRequests();
    const c = await cached(s, { freshnessTimeoutMs: 60_000 });
    await s.create(key('a'), cm('a'));
    await s.create('/secrets/default/s', cm('s'));
    const rev = await s.currentRevision();
    expect(c.currentRevision).toBeLessThan(rev);
    const r = recorder();
    await c.watch({ fromRevision: 0, sendInitialEvents: true, allowBookmarks: true, minRevision: rev }, r);
    await s.create(key('b'), cm('b'));
    expect(r.summary()).toEqual([`ADDED a@${rev - 1}`, `BOOKMARK @${rev}`, `ADDED b@${rev + 1}`]);
  });
});

describe('storage-backed source (--watch-cache=false)', () => {
  it('lists and watches straight from storage with the same transitions', async () => {
    const s = new MemoryStorage();
    await s.create(key('a'), cm('a', { app: 'web' }));
    const src = await createWatchSource(s, P, { cache: false, bookmarkObject });
    sources.push(src);
    expect((await src.list({})).items).toHaveLength(1);
    expect(src.cached(key('a'))).toBeUndefined();
    const r = recorder();
    await src.watch(
      { fromRevision: 0, sendInitialEvents: true, allowBookmarks: true, predicate: (o) => o.metadata?.labels?.app === 'web' },
      r,
    );
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
    expect(r.events[0].object).toMatchObject({
      code: 410,
      reason: 'Expired',
      message: 'The resourceVersion for the provided watch is too old.',
    });
    expect(r.closed).toBe(true);
  });
});

describe('WatchCache progress', () => {
  it('catches up with revisions written elsewhere through a progress request (memory backend)', async () => {
    const storage = new MemoryStorage();
    const c = await cached(storage);
    await storage.create(key('a'), cm('a'));
    const before = c.currentRevision;
    await storage.create('/secrets/default/s', cm('s'));
    const rev = await storage.currentRevision();
    expect(c.currentRevision).toBe(before);
    expect(await c.reached(rev)).toBe(true);
    expect(c.currentRevision).toBe(rev);
    expect(await c.reached(rev + 1)).toBe(false);
  });

  it('advances on an upstream progress notification, never backwards', async () => {
    const storage = new NoProgressRequests();
    const c = await cached(storage);
    await storage.create('/secrets/default/s', cm('s'));
    const rev = await storage.currentRevision();
    expect(await c.reached(rev)).toBe(false);
    storage.handlers.at(-1)!.progress!(rev);
    expect(c.currentRevision).toBe(rev);
    storage.handlers.at(-1)!.progress!(rev - 1);
    expect(c.currentRevision).toBe(rev);
  });

  it('starts a watch from a revision the store reached but the cache has not, with exactly the later events', async () => {
    const storage = new NoProgressRequests();
    const c = await cached(storage, { freshnessTimeoutMs: 60_000 });
    await storage.create(key('before'), cm('before'));
    // A write elsewhere moves the store past the cache's revision.
    await storage.create('/secrets/default/s', cm('s'));
    const rev = await storage.currentRevision();
    expect(c.currentRevision).toBeLessThan(rev);
    const r = recorder();
    const started = Date.now();
    await c.watch({ fromRevision: rev }, r);
    // The freshness wait is a minute here: returning at all shows it was not waited for.
    expect(Date.now() - started).toBeLessThan(30_000);
    await storage.create(key('after'), cm('after'));
    expect(r.summary()).toEqual([`ADDED after@${rev + 1}`]);
  });

  it('still waits (and answers 504) for a revision the store has not reached', async () => {
    const storage = new NoProgressRequests();
    const c = await cached(storage, { freshnessTimeoutMs: 100 });
    const rev = await storage.currentRevision();
    await expect(c.watch({ fromRevision: rev + 5 }, recorder())).rejects.toMatchObject({
      status: { code: 504, message: `Timeout: Too large resource version: ${rev + 5}, current: ${rev}` },
    });
  });

  it('serves resourceVersion=0 lists from its state while relisting after the upstream failed', async () => {
    const storage = new FlakyStorage();
    const c = await cached(storage, { relistBackoffMs: 60_000 });
    await storage.create(key('kept'), cm('kept'));
    await storage.close();
    storage.handlers.at(-1)!.error(new StorageError('Unreachable', P, 'etcd unreachable'));
    const r = await c.list({ resourceVersion: 0 });
    expect(r.items.map((o) => o.metadata?.name)).toEqual(['kept']);
  });
});

describe('WatchCache over a store whose revisions start again (the move to a launched etcd)', () => {
  it('refuses a watch from before the move with 410 at once, answers a list not older than it now, and waits for a later revision', async () => {
    let arrive!: (b: Backend) => void;
    const handoff = new HandoffBackend(new Promise<Backend>((resolve) => (arrive = resolve)), { rewatchTimeoutMs: 2000 });
    const storage = new ObjectStorage(handoff);
    await storage.create(key('a'), cm('a'));
    await storage.create(key('b'), cm('b'));
    // A wait for a revision would outlast the test.
    const c = await cached(storage as unknown as MemoryStorage, { freshnessTimeoutMs: 60_000 });
    const before = c.currentRevision;
    expect(before).toBeGreaterThan(PRE_MOVE_REVISION);
    arrive(new MemoryBackend());
    await handoff.settled;
    await c.list({ resourceVersion: 0 });
    const now = c.currentRevision;
    expect(now).toBeLessThan(PRE_MOVE_REVISION);
    const old = recorder();
    await c.watch({ fromRevision: before }, old);
    expect(old.events.map((e) => e.object)).toEqual([
      expect.objectContaining({ code: 410, reason: 'Expired', message: `too old resource version: ${before} (${now})` }),
    ]);
    expect(old.closed).toBe(true);
    const list = await c.list({ resourceVersion: before, resourceVersionMatch: 'NotOlderThan' });
    expect(list.items.map((i) => i.metadata!.name)).toEqual(['a', 'b']);
    expect(list.revision).toBe(now);
    // A revision past the cache's in the new store's own history is waited for, not refused.
    const next = recorder();
    const watching = c.watch({ fromRevision: now + 1 }, next);
    await storage.create(key('c'), cm('c'));
    await storage.create(key('d'), cm('d'));
    await watching;
    expect(next.summary()).toEqual([`ADDED d@${now + 2}`]);
  });
});
