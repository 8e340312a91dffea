// One behavioural suite for every Storage backend.

import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/server/api/types.js';
import { isStorageError, type Storage, type WatchEvent } from '../../src/server/storage/interface.js';

const cm = (name: string, data: Record<string, string> = {}, ns = 'default'): KubeObject =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels: { app: name } }, data });

function collect(storage: Storage, prefix: string, fromRevision: number): { events: WatchEvent[]; errors: string[]; stop(): void } {
  const events: WatchEvent[] = [];
  const errors: string[] = [];
  const w = storage.watch(prefix, { fromRevision, prevObject: true }, { event: (e) => events.push(e), error: (e) => errors.push(e.code) });
  return { events, errors, stop: () => w.stop() };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
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
      await Promise.all(Array.from({ length: 20 }, () => s.guaranteedUpdate(`${p}n`, (cur) => ({ ...cur!, data: { v: String(Number(cur!.data && (cur!.data as Record<string, string>).v) + 1) } }))));
      const after = await s.get(`${p}n`);
      expect((after!.data as Record<string, string>).v).toBe('20');
      const same = await s.guaranteedUpdate(`${p}n`, (cur) => cur!);
      expect(same.metadata!.resourceVersion).toBe(after!.metadata!.resourceVersion);
      await expect(s.guaranteedUpdate(`${p}n`, (c) => c!, { preconditions: { resourceVersion: first.metadata!.resourceVersion } }))
        .rejects.toSatisfy((e: unknown) => isStorageError(e, 'ResourceVersionConflicts'));
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
      await expect(s.delete(`${p}x`, { preconditions: { uid: 'other' } })).rejects.toSatisfy((e: unknown) => isStorageError(e, 'ResourceVersionConflicts'));
      await expect(s.delete(`${p}x`, { validateDeletion: () => { throw new Error('refused'); } })).rejects.toThrow('refused');
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
      await expect(s.list(p, { revision: Number(a.metadata!.resourceVersion) })).rejects.toSatisfy((e: unknown) => isStorageError(e, 'Compacted'));
      await expect(s.list(p, { revision: now + 1000 })).rejects.toSatisfy((e: unknown) => isStorageError(e, 'TooLargeResourceVersion'));
      const w = collect(s, p, Number(a.metadata!.resourceVersion));
      await until(() => w.errors.length > 0);
      expect(w.errors).toEqual(['Compacted']);
      w.stop();
      await s.close();
    });
  });
}
