// One behavioural suite for every storage driver: the driver interface
// itself (backend.ts: ranges at a revision, compare-and-swap writes, watches
// with previous values, compaction), and the object layer over it (Storage:
// try-update loop, preconditions, cached objects, dry run, paging, watches).

import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/server/api/types.js';
import type { Backend, BackendEvent } from '../../src/server/storage/backend.js';
import { isStorageError, type Storage, type WatchEvent } from '../../src/server/storage/interface.js';
import { until } from '../helpers/until.js';

const cm = (name: string, data: Record<string, string> = {}, ns = 'default'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns, labels: { app: name } },
  data,
});

function collect(storage: Storage, prefix: string, fromRevision: number): { events: WatchEvent[]; errors: string[]; stop(): void } {
  const events: WatchEvent[] = [];
  const errors: string[] = [];
  const w = storage.watch(prefix, { fromRevision, prevObject: true }, { event: (e) => events.push(e), error: (e) => errors.push(e.code) });
  return { events, errors, stop: () => w.stop() };
}

export function runStorageConformance(name: string, make: () => Promise<Storage>): void {
  describe(`storage conformance: ${name}`, () => {
    let n = 0;
    const fresh = async (): Promise<{ s: Storage; p: string }> => ({ s: await make(), p: `/configmaps/t${++n}-${Date.now()}/` });

    it('creates, refuses duplicates, gets with resourceVersion = mod revision', async () => {
      const { s, p } = await fresh();
      const created = await s.create(`${p}a`, cm('a', { x: '1' }));
      expect(Number(created.metadata!.resourceVersion)).toBeGreaterThan(0);
      await expect(s.create(`${p}a`, cm('a'))).rejects.toSatisfy((e: unknown) => isStorageError(e, 'KeyExists'));
      const got = await s.get(`${p}a`);
      expect(got?.data).toEqual({ x: '1' });
      expect(got?.metadata?.resourceVersion).toBe(created.metadata!.resourceVersion);
      expect(await s.get(`${p}missing`)).toBeNull();
      await s.close();
    });

    it('lists in key order with limit, continuation, predicate, remaining count and snapshots', async () => {
      const { s, p } = await fresh();
      for (const k of ['c', 'a', 'e', 'b', 'd']) await s.create(`${p}${k}`, cm(k));
      await s.create(`${p.slice(0, -1)}x/z`, cm('z'));
      const all = await s.list(p);
      expect(all.items.map((o) => o.metadata!.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
      const page1 = await s.list(p, { limit: 2 });
      expect(page1.items.map((o) => o.metadata!.name)).toEqual(['a', 'b']);
      expect(page1.more).toBe(true);
      expect(page1.remainingItemCount).toBe(3);
      await s.guaranteedUpdate(`${p}c`, (cur) => ({ ...cur!, data: { changed: 'yes' } }));
      const page2 = await s.list(p, { limit: 2, startAfterKey: page1.lastKey, revision: page1.revision });
      expect(page2.items.map((o) => o.metadata!.name)).toEqual(['c', 'd']);
      expect(page2.items[0].data).toEqual({});
      const filtered = await s.list(p, { predicate: (o) => ['b', 'd'].includes(o.metadata!.name!), limit: 1 });
      expect(filtered.items.map((o) => o.metadata!.name)).toEqual(['b']);
      expect(filtered.more).toBe(true);
      expect(await s.count(p)).toBe(5);
      await s.close();
    });

    it('guaranteedUpdate retries conflicting writers, skips no-ops, honours preconditions', async () => {
      const { s, p } = await fresh();
      const first = await s.create(`${p}n`, { ...cm('n'), data: { v: '0' } });
      await Promise.all(
        Array.from({ length: 20 }, () =>
          s.guaranteedUpdate(`${p}n`, (cur) => ({
            ...cur!,
            data: { v: String(Number(cur!.data && (cur!.data as Record<string, string>).v) + 1) },
          })),
        ),
      );
      const after = await s.get(`${p}n`);
      expect((after!.data as Record<string, string>).v).toBe('20');
      const same = await s.guaranteedUpdate(`${p}n`, (cur) => cur!);
      expect(same.metadata!.resourceVersion).toBe(after!.metadata!.resourceVersion);
      await expect(
        s.guaranteedUpdate(`${p}n`, (c) => c!, { preconditions: { resourceVersion: first.metadata!.resourceVersion } }),
      ).rejects.toSatisfy((e: unknown) => isStorageError(e, 'ResourceVersionConflicts'));
      await expect(s.guaranteedUpdate(`${p}missing`, (c) => c!)).rejects.toSatisfy((e: unknown) => isStorageError(e, 'KeyNotFound'));
      await s.close();
    });

    it('dry runs persist nothing', async () => {
      const { s, p } = await fresh();
      await s.create(`${p}d`, cm('d'), { dryRun: true });
      expect(await s.get(`${p}d`)).toBeNull();
      await s.create(`${p}d`, cm('d'));
      await s.guaranteedUpdate(`${p}d`, (c) => ({ ...c!, data: { y: '1' } }), { dryRun: true });
      expect((await s.get(`${p}d`))!.data).toEqual({});
      await s.delete(`${p}d`, { dryRun: true });
      expect(await s.get(`${p}d`)).not.toBeNull();
      await s.close();
    });

    it('deletes with preconditions and validation, returning the last state at the deletion revision', async () => {
      const { s, p } = await fresh();
      const c = await s.create(`${p}x`, cm('x', { k: 'v' }));
      await expect(s.delete(`${p}x`, { preconditions: { uid: 'other' } })).rejects.toSatisfy((e: unknown) =>
        isStorageError(e, 'ResourceVersionConflicts'),
      );
      await expect(
        s.delete(`${p}x`, {
          validateDeletion: () => {
            throw new Error('refused');
          },
        }),
      ).rejects.toThrow('refused');
      const gone = await s.delete(`${p}x`);
      expect(gone.data).toEqual({ k: 'v' });
      expect(Number(gone.metadata!.resourceVersion)).toBeGreaterThan(Number(c.metadata!.resourceVersion));
      await expect(s.delete(`${p}x`)).rejects.toSatisfy((e: unknown) => isStorageError(e, 'KeyNotFound'));
      await s.close();
    });

    it('watches from now and replays history from a revision exactly once, in order', async () => {
      const { s, p } = await fresh();
      const a = await s.create(`${p}a`, cm('a'));
      const start = Number(a.metadata!.resourceVersion);
      await s.guaranteedUpdate(`${p}a`, (c) => ({ ...c!, data: { n: '1' } }));
      const live = collect(s, p, await s.currentRevision());
      const replay = collect(s, p, start);
      await s.create(`${p}b`, cm('b'));
      await s.delete(`${p}a`);
      await until(() => live.events.length >= 2 && replay.events.length >= 3);
      await new Promise((r) => setTimeout(r, 50));
      expect(live.events.map((e) => `${e.type}:${e.object.metadata!.name}`)).toEqual(['ADDED:b', 'DELETED:a']);
      expect(replay.events.map((e) => `${e.type}:${e.object.metadata!.name}`)).toEqual(['MODIFIED:a', 'ADDED:b', 'DELETED:a']);
      const del = replay.events[2];
      expect(del.object.data).toEqual({ n: '1' });
      expect(del.prevObject?.data).toEqual({ n: '1' });
      const revs = replay.events.map((e) => e.revision);
      expect([...revs].sort((x, y) => x - y)).toEqual(revs);
      live.stop();
      replay.stop();
      await s.close();
    });

    it('keeps prefixes apart', async () => {
      const { s, p } = await fresh();
      const other = `${p.slice(0, -1)}b/`;
      await s.create(`${p}1`, cm('1'));
      await s.create(`${other}1`, cm('1'));
      expect((await s.list(p)).items).toHaveLength(1);
      await s.close();
    });

    it('answers compacted and future revisions with their errors', async () => {
      const { s, p } = await fresh();
      const a = await s.create(`${p}a`, cm('a'));
      await s.guaranteedUpdate(`${p}a`, (c) => ({ ...c!, data: { n: '1' } }));
      await s.guaranteedUpdate(`${p}a`, (c) => ({ ...c!, data: { n: '2' } }));
      const now = await s.currentRevision();
      await s.compact(now);
      await expect(s.list(p, { revision: Number(a.metadata!.resourceVersion) })).rejects.toSatisfy((e: unknown) =>
        isStorageError(e, 'Compacted'),
      );
      await expect(s.list(p, { revision: now + 1000 })).rejects.toSatisfy((e: unknown) => isStorageError(e, 'TooLargeResourceVersion'));
      const w = collect(s, p, Number(a.metadata!.resourceVersion));
      await until(() => w.errors.length > 0);
      expect(w.errors).toEqual(['Compacted']);
      w.stop();
      await s.close();
    });

    it('retries a stale cached object and reports failures only against current state', async () => {
      const { s, p } = await fresh();
      const v1 = await s.create(`${p}c`, cm('c', { v: '1' }));
      const v2 = await s.guaranteedUpdate(`${p}c`, (c) => ({ ...c!, data: { v: '2' } }));
      const seen: string[] = [];
      const v3 = await s.guaranteedUpdate(
        `${p}c`,
        (c) => {
          seen.push(c!.metadata!.resourceVersion!);
          return { ...c!, data: { v: String(Number((c!.data as Record<string, string>).v) + 1) } };
        },
        { cachedExisting: v1 },
      );
      // The stale copy loses the compare-and-swap; the retry works on the stored state.
      expect(seen).toEqual([v1.metadata!.resourceVersion, v2.metadata!.resourceVersion]);
      expect(v3.data).toEqual({ v: '3' });
      // A precondition that fails on the stale copy but holds on the stored state succeeds.
      const v4 = await s.guaranteedUpdate(`${p}c`, (c) => ({ ...c!, data: { v: '4' } }), {
        cachedExisting: v1,
        preconditions: { resourceVersion: v3.metadata!.resourceVersion },
      });
      expect(v4.data).toEqual({ v: '4' });
      // A no-op against a stale copy is checked against storage, not returned stale.
      const same = await s.guaranteedUpdate(`${p}c`, (c) => c!, { cachedExisting: v2 });
      expect(same.metadata!.resourceVersion).toBe(v4.metadata!.resourceVersion);
      // Delete with a stale copy: validation sees the stored state in the end.
      const validated: string[] = [];
      const gone = await s.delete(`${p}c`, {
        cachedExisting: v1,
        validateDeletion: (c) => {
          validated.push(c.metadata!.resourceVersion!);
        },
      });
      expect(validated.at(-1)).toBe(v4.metadata!.resourceVersion);
      expect(gone.data).toEqual({ v: '4' });
      await s.close();
    });

    it('dry runs answer as the write would: conflicts, revisions, no event', async () => {
      const { s, p } = await fresh();
      const w = collect(s, p, await s.currentRevision());
      const a = await s.create(`${p}a`, cm('a'));
      await expect(s.create(`${p}a`, cm('a'), { dryRun: true })).rejects.toSatisfy((e: unknown) => isStorageError(e, 'KeyExists'));
      const dry = await s.guaranteedUpdate(`${p}a`, (c) => ({ ...c!, data: { y: '1' } }), { dryRun: true });
      expect(dry.data).toEqual({ y: '1' });
      expect(dry.metadata!.resourceVersion).toBe(a.metadata!.resourceVersion);
      const created = await s.guaranteedUpdate(`${p}new`, () => cm('new'), { dryRun: true, ignoreNotFound: true });
      expect(created.metadata!.resourceVersion).toBe(String(await s.currentRevision()));
      await expect(s.delete(`${p}a`, { dryRun: true, preconditions: { resourceVersion: '1' } })).rejects.toSatisfy((e: unknown) =>
        isStorageError(e, 'ResourceVersionConflicts'),
      );
      expect((await s.delete(`${p}a`, { dryRun: true })).metadata!.resourceVersion).toBe(a.metadata!.resourceVersion);
      await s.create(`${p}b`, cm('b'));
      await until(() => w.events.length >= 2);
      expect(w.events.map((e) => `${e.type}:${e.object.metadata!.name}`)).toEqual(['ADDED:a', 'ADDED:b']);
      w.stop();
      await s.close();
    });

    it('pages through a snapshot with a predicate, the continue key past filtered keys', async () => {
      const { s, p } = await fresh();
      for (let i = 0; i < 12; i++) await s.create(`${p}k${String(i).padStart(2, '0')}`, cm(`k${i}`, { even: String(i % 2 === 0) }));
      const even = (o: KubeObject): boolean => (o.data as Record<string, string>).even === 'true';
      const first = await s.list(p, { predicate: even, limit: 4 });
      expect(first.items.map((o) => o.metadata!.name)).toEqual(['k0', 'k2', 'k4', 'k6']);
      expect(first).toMatchObject({ more: true, lastKey: `${p}k06` });
      expect(first.remainingItemCount).toBeUndefined();
      await s.delete(`${p}k08`);
      await s.create(`${p}k13`, cm('k13', { even: 'true' }));
      const rest = await s.list(p, { predicate: even, limit: 4, startAfterKey: first.lastKey, revision: first.revision });
      expect(rest.items.map((o) => o.metadata!.name)).toEqual(['k8', 'k10']);
      expect(rest.more).toBe(false);
      const latest = await s.list(p, { predicate: even, startAfterKey: first.lastKey });
      expect(latest.items.map((o) => o.metadata!.name)).toEqual(['k10', 'k13']);
      // A start key before the prefix never widens the range.
      expect((await s.list(p, { startAfterKey: '/' })).items).toHaveLength(12);
      await s.close();
    });

    it('delivers ADDED / MODIFIED with the previous state, and DELETED at the deletion revision', async () => {
      const { s, p } = await fresh();
      const a = await s.create(`${p}a`, cm('a', { v: '1' }));
      const b = await s.guaranteedUpdate(`${p}a`, (c) => ({ ...c!, data: { v: '2' } }));
      const gone = await s.delete(`${p}a`);
      await s.create(`${p}a`, cm('a', { v: 'again' }));
      const w = collect(s, p, Number(a.metadata!.resourceVersion) - 1);
      await until(() => w.events.length >= 4);
      expect(w.events.map((e) => `${e.type}@${e.object.metadata!.resourceVersion}`)).toEqual([
        `ADDED@${a.metadata!.resourceVersion}`,
        `MODIFIED@${b.metadata!.resourceVersion}`,
        `DELETED@${gone.metadata!.resourceVersion}`,
        `ADDED@${Number(gone.metadata!.resourceVersion) + 1}`,
      ]);
      expect(w.events[0].prevObject).toBeUndefined();
      expect(w.events[1].prevObject).toMatchObject({ data: { v: '1' }, metadata: { resourceVersion: a.metadata!.resourceVersion } });
      expect(w.events[2].object.data).toEqual({ v: '2' });
      expect(w.events[2].prevObject).toMatchObject({ data: { v: '2' }, metadata: { resourceVersion: b.metadata!.resourceVersion } });
      expect(w.events[3].prevObject).toBeUndefined();
      w.stop();
      await s.close();
    });
  });
}

const bytes = (s: string): Buffer => Buffer.from(s);

/** The driver interface below the object layer (kine's Backend): bytes, revisions, compare-and-swap. */
export function runBackendConformance(name: string, make: () => Promise<Backend>): void {
  describe(`storage driver conformance: ${name}`, () => {
    let n = 0;
    const fresh = async (): Promise<{ b: Backend; p: string }> => ({ b: await make(), p: `/drv/t${++n}-${Date.now()}/` });

    it('creates if absent, gets with create and mod revisions', async () => {
      const { b, p } = await fresh();
      const rev = await b.create(`${p}a`, bytes('one'));
      expect(rev).toBeGreaterThan(0);
      expect(await b.create(`${p}a`, bytes('two'))).toBe(0);
      const got = await b.get(`${p}a`);
      expect(got.revision).toBeGreaterThanOrEqual(rev);
      expect(got.kv).toMatchObject({ key: `${p}a`, createRevision: rev, modRevision: rev });
      expect(got.kv!.value.toString()).toBe('one');
      expect((await b.get(`${p}missing`)).kv).toBeUndefined();
      expect(await b.currentRevision()).toBe(got.revision);
      expect(await b.healthy()).toBe(true);
      await b.close();
    });

    it('updates and deletes only on the expected mod revision, answering the current version otherwise', async () => {
      const { b, p } = await fresh();
      const r1 = await b.create(`${p}a`, bytes('1'));
      const ok = await b.update(`${p}a`, bytes('2'), r1);
      expect(ok.succeeded).toBe(true);
      const r2 = ok.succeeded ? ok.revision : 0;
      const lost = await b.update(`${p}a`, bytes('3'), r1);
      expect(lost.succeeded).toBe(false);
      expect(!lost.succeeded && lost.current).toMatchObject({ modRevision: r2, createRevision: r1 });
      expect((await b.update(`${p}new`, bytes('n'), 0)).succeeded).toBe(true);
      expect((await b.update(`${p}new`, bytes('n'), 0)).succeeded).toBe(false);
      const stale = await b.delete(`${p}a`, r1);
      expect(!stale.succeeded && stale.current?.modRevision).toBe(r2);
      const del = await b.delete(`${p}a`, r2);
      expect(del.succeeded).toBe(true);
      const missing = await b.delete(`${p}a`, r2);
      expect(missing).toEqual({ succeeded: false, current: undefined });
      await b.close();
    });

    it('ranges in key order from a start key at a revision, with limit, more and count', async () => {
      const { b, p } = await fresh();
      for (const k of ['c', 'a', 'e', 'b', 'd']) await b.create(`${p}${k}`, bytes(k));
      await b.create(`${p.slice(0, -1)}x/z`, bytes('z'));
      const page = await b.list(p, { limit: 2, count: true });
      expect(page.kvs.map((kv) => kv.key)).toEqual([`${p}a`, `${p}b`]);
      expect(page).toMatchObject({ more: true, count: 5 });
      const at = page.revision;
      const cur = (await b.get(`${p}c`)).kv!;
      await b.update(`${p}c`, bytes('C'), cur.modRevision);
      await b.delete(`${p}d`, (await b.get(`${p}d`)).kv!.modRevision);
      const rest = await b.list(p, { startKey: `${p}b\0`, revision: at, count: true });
      expect(rest.kvs.map((kv) => `${kv.key.slice(p.length)}=${kv.value.toString()}`)).toEqual(['c=c', 'd=d', 'e=e']);
      expect(rest).toMatchObject({ revision: at, more: false, count: 3 });
      const now = await b.list(p, { startKey: `${p}b\0`, limit: 1, count: true });
      expect(now.kvs.map((kv) => kv.value.toString())).toEqual(['C']);
      expect(now).toMatchObject({ more: true, count: 2 });
      expect(await b.count(p)).toBe(4);
      await expect(b.list(p, { revision: (await b.currentRevision()) + 100 })).rejects.toSatisfy((e: unknown) =>
        isStorageError(e, 'TooLargeResourceVersion'),
      );
      await b.close();
    });

    it('watches from a revision with previous values, then compacts', async () => {
      const { b, p } = await fresh();
      const r1 = await b.create(`${p}a`, bytes('1'));
      const events: BackendEvent[] = [];
      const errors: string[] = [];
      const w = b.watch(p, r1 - 1, { event: (e) => events.push(e), error: (e) => errors.push(e.code), progress: () => undefined });
      const up = await b.update(`${p}a`, bytes('2'), r1);
      const r2 = up.succeeded ? up.revision : 0;
      await b.delete(`${p}a`, r2);
      await until(() => events.length >= 3);
      expect(events.map((e) => `${e.type} ${e.kv.modRevision} ${e.kv.value.toString()} prev=${e.prevKv?.value.toString() ?? '-'}`)).toEqual(
        [`put ${r1} 1 prev=-`, `put ${r2} 2 prev=1`, `delete ${r2 + 1}  prev=2`],
      );
      expect(events[1].kv.createRevision).toBe(r1);
      w.stop();
      const now = await b.currentRevision();
      await b.compact(now);
      expect(await b.compactedRevision()).toBe(now);
      await expect(b.list(p, { revision: r1 })).rejects.toSatisfy((e: unknown) => isStorageError(e, 'Compacted'));
      b.watch(p, r1, { event: () => undefined, error: (e) => errors.push(e.code), progress: () => undefined });
      await until(() => errors.length > 0);
      expect(errors).toEqual(['Compacted']);
      await b.close();
    });
  });
}
