// The store a server starts on while its etcd starts (storage/handoff.ts): a driver like any other before
// and after its keys move; the move keeps every key, ends the watches so their owners relist from the new
// store, holds calls made meanwhile, and fails a compare-and-swap that read before it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EtcdProcess, startNativeEtcd } from '../../src/etcd/index.js';
import type { Backend, BackendEvent, BackendSnapshot } from '../../src/server/storage/backend.js';
import { EtcdBackend } from '../../src/server/storage/etcd/index.js';
import { HandoffBackend } from '../../src/server/storage/handoff.js';
import { MemoryBackend } from '../../src/server/storage/memory/index.js';
import { ObjectStorage } from '../../src/server/storage/objects.js';
import { etcdBinary } from '../helpers/backends.js';
import { runBackendConformance, runStorageConformance } from './conformance.js';

const bytes = (s: string): Buffer => Buffer.from(s);

/** A handoff whose target arrives when the test says. */
function pending(): { h: HandoffBackend; arrive(b: Backend): void; fail(e: Error): void } {
  let arrive!: (b: Backend) => void;
  let fail!: (e: Error) => void;
  const next = new Promise<Backend>((resolve, reject) => {
    arrive = resolve;
    fail = reject;
  });
  return { h: new HandoffBackend(next, { rewatchTimeoutMs: 2000 }), arrive, fail };
}

runBackendConformance('handoff, before the move', async () => pending().h);
runBackendConformance('handoff, moved to another store', async () => {
  const h = new HandoffBackend(Promise.resolve(new MemoryBackend()));
  await h.settled;
  return h;
});
runStorageConformance('handoff, moved to another store', async () => {
  const h = new HandoffBackend(Promise.resolve(new MemoryBackend()));
  await h.settled;
  return new ObjectStorage(h);
});

describe('moving the keys', () => {
  it('keeps every key, ends the watches with Compacted and settles once their owners watch again', async () => {
    const { h, arrive } = pending();
    await h.create('/cm/a', bytes('a'));
    const rb = await h.create('/cm/b', bytes('b'));
    await h.update('/cm/b', bytes('b2'), rb);
    await h.create('/other/x', bytes('x'));
    const before = await h.get('/cm/b');
    const seen: BackendEvent[] = [];
    const errors: string[] = [];
    h.watch('/cm/', before.revision, {
      event: (e) => seen.push(e),
      error: (e) => errors.push(`${e.code}: ${e.message}`),
      progress: () => {},
    });
    let settled = false;
    void h.settled.then(() => {
      settled = true;
    });
    const target = new MemoryBackend();
    arrive(target);
    // The watch ended; settled waits for a watch on its prefix again.
    await new Promise((r) => setTimeout(r, 20));
    expect(errors).toEqual(['Compacted: the store moved to etcd: relist']);
    expect(settled).toBe(false);
    const list = await h.list('/cm/');
    expect(list.kvs.map((kv) => [kv.key, kv.value.toString()])).toEqual([
      ['/cm/a', 'a'],
      ['/cm/b', 'b2'],
    ]);
    // Everything is in the new store, read from it.
    expect((await target.get('/other/x')).kv?.value.toString()).toBe('x');
    h.watch('/cm/', list.revision, { event: (e) => seen.push(e), error: () => {}, progress: () => {} });
    await h.settled;
    expect(settled).toBe(true);
    await h.create('/cm/c', bytes('c'));
    await new Promise((r) => setTimeout(r, 10));
    expect(seen.map((e) => `${e.type} ${e.kv.key}`)).toEqual(['put /cm/c']);
    await h.close();
  });

  it('answers the relists the move sets off from the state it left, until the first write', async () => {
    const { h, arrive } = pending();
    await h.create('/cm/a', bytes('a'));
    await h.create('/cm/b', bytes('b'));
    await h.create('/other/x', bytes('x'));
    const rev = (await h.get('/cm/a')).revision;
    const ended: string[] = [];
    for (const prefix of ['/cm/', '/other/'])
      h.watch(prefix, rev, { event: () => {}, error: () => ended.push(prefix), progress: () => {} });
    const target = new MemoryBackend();
    const ranges: string[] = [];
    const list = target.list.bind(target);
    target.list = (prefix, opts) => {
      ranges.push(prefix);
      return list(prefix, opts);
    };
    arrive(target);
    await new Promise((r) => setTimeout(r, 20));
    expect(ended).toEqual(['/cm/', '/other/']);
    const cm = await h.list('/cm/');
    const other = await h.list('/other/');
    const none = await h.list('/nothing/');
    // Not one range: the state is the one the move wrote (a store that cannot tell it is read once, by snapshot()).
    expect(ranges).toEqual([]);
    expect(cm.kvs.map((kv) => [kv.key, kv.value.toString()])).toEqual([
      ['/cm/a', 'a'],
      ['/cm/b', 'b'],
    ]);
    expect(other.kvs.map((kv) => kv.key)).toEqual(['/other/x']);
    expect(none.kvs).toEqual([]);
    const current = await target.currentRevision();
    expect([cm.revision, other.revision, none.revision, cm.more]).toEqual([current, current, current, false]);
    // A paged or past read is the store's own.
    await h.list('/cm/', { limit: 1 });
    expect(ranges).toEqual(['/cm/']);
    // After a write the view is gone: the write is in the next list.
    await h.create('/cm/c', bytes('c'));
    expect((await h.list('/cm/')).kvs.map((kv) => kv.key)).toEqual(['/cm/a', '/cm/b', '/cm/c']);
    expect(ranges).toEqual(['/cm/', '/cm/']);
    for (const prefix of ['/cm/', '/other/']) h.watch(prefix, current, { event: () => {}, error: () => {}, progress: () => {} });
    await h.settled;
    await h.close();
  });

  it('holds calls made while it moves, and a compare-and-swap that read before it fails and reads again', async () => {
    const { h, arrive } = pending();
    const rev = await h.create('/cm/a', bytes('one'));
    const target = new MemoryBackend();
    let release!: () => void;
    const slow = new Promise<void>((r) => {
      release = r;
    });
    // The target's restore takes its time: calls made meanwhile wait for it.
    const restore = target.restore.bind(target);
    target.restore = async (snap: BackendSnapshot) => {
      await slow;
      return restore(snap);
    };
    arrive(target);
    await new Promise((r) => setTimeout(r, 5));
    const created = h.create('/cm/b', bytes('two'));
    const cas = h.update('/cm/a', bytes('stale'), rev);
    release();
    expect(await created).toBeGreaterThan(0);
    expect((await target.get('/cm/b')).kv?.value.toString()).toBe('two');
    const res = await cas;
    expect(res.succeeded).toBe(false);
    if (!res.succeeded) expect(res.current?.value.toString()).toBe('one');
    await h.settled;
    await h.close();
  });

  it('answers a revision from before the move as compacted, and skips a compaction planned before it', async () => {
    const { h, arrive } = pending();
    const old = await h.create('/cm/a', bytes('a'));
    arrive(new MemoryBackend());
    await h.settled;
    await expect(h.list('/cm/', { revision: old })).rejects.toMatchObject({ code: 'Compacted' });
    const errors: string[] = [];
    h.watch('/cm/', old, { event: () => {}, error: (e) => errors.push(e.code), progress: () => {} });
    await new Promise((r) => setTimeout(r, 5));
    expect(errors).toEqual(['Compacted']);
    await h.compact(old);
    expect(await h.compactedRevision()).toBe(0);
    // The moved key is read at etcd's revisions.
    const now = await h.get('/cm/a');
    expect(now.kv!.modRevision).toBeLessThan(old);
    expect((await h.list('/cm/', { revision: now.revision })).kvs).toHaveLength(1);
    await h.close();
  });

  it('rejects settled when the new store never comes, and closes a store that comes after close', async () => {
    const failing = pending();
    failing.fail(new Error('etcd did not start'));
    await expect(failing.h.settled).rejects.toThrow('etcd did not start');
    const late = pending();
    await late.h.close();
    const target = new MemoryBackend();
    let closed = false;
    target.close = async () => {
      closed = true;
    };
    late.arrive(target);
    await late.h.settled;
    expect(closed).toBe(true);
  });
});

describe.skipIf(!etcdBinary)('moving to etcd', () => {
  let etcd: EtcdProcess;
  beforeAll(async () => {
    etcd = await startNativeEtcd({ binary: etcdBinary! });
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  it('writes the keys into etcd, where the next calls go', async () => {
    const h = new HandoffBackend(
      new Promise((r) => setTimeout(() => r(new EtcdBackend({ endpoints: [etcd.endpoint], prefix: '/handoff-test' })), 50)),
    );
    for (let i = 0; i < 300; i++) await h.create(`/cm/k${String(i).padStart(3, '0')}`, bytes(`v${i}`));
    await h.settled;
    const direct = new EtcdBackend({ endpoints: [etcd.endpoint], prefix: '/handoff-test' });
    const listed = await direct.list('/cm/');
    expect(listed.kvs).toHaveLength(300);
    expect(listed.kvs[299].value.toString()).toBe('v299');
    await h.create('/cm/after', bytes('x'));
    expect((await direct.get('/cm/after')).kv?.value.toString()).toBe('x');
    await direct.close();
    await h.close();
  });

  it('answers the relists from the state the restore into etcd left: the revisions etcd gave the keys', async () => {
    const prefix = `/handoff-view-${Date.now()}`;
    const h = new HandoffBackend(new Promise((r) => setTimeout(() => r(new EtcdBackend({ endpoints: [etcd.endpoint], prefix })), 50)), {
      rewatchTimeoutMs: 2000,
    });
    for (let i = 0; i < 200; i++) await h.create(`/cm/k${String(i).padStart(3, '0')}`, bytes(`v${i}`));
    await h.create('/other/x', bytes('x'));
    const rev = (await h.get('/other/x')).revision;
    const relisted = new Promise<Awaited<ReturnType<Backend['list']>>>((resolve) => {
      h.watch('/cm/', rev, { event: () => {}, error: () => resolve(h.list('/cm/')), progress: () => {} });
    });
    const fromView = await relisted;
    const baseline = await h.snapshot();
    const direct = new EtcdBackend({ endpoints: [etcd.endpoint], prefix });
    const read = await direct.list('/cm/');
    const plain = (kvs: readonly { key: string; value: Buffer; createRevision: number; modRevision: number }[]) =>
      kvs.map((kv) => [kv.key, kv.value.toString(), kv.createRevision, kv.modRevision]);
    expect(fromView.kvs).toHaveLength(200);
    expect(plain(fromView.kvs)).toEqual(plain(read.kvs));
    expect(fromView.revision).toBe(read.revision);
    const all = await direct.snapshot();
    expect(baseline.revision).toBe(all.revision);
    expect(plain([...baseline.kvs.values()].sort((a, b) => (a.key < b.key ? -1 : 1)))).toEqual(plain([...all.kvs.values()]));
    h.watch('/cm/', fromView.revision, { event: () => {}, error: () => {}, progress: () => {} });
    await h.settled;
    await direct.close();
    await h.close();
  });

  runBackendConformance('handoff, moved to etcd', async () => {
    const h = new HandoffBackend(Promise.resolve(new EtcdBackend({ endpoints: [etcd.endpoint] })));
    await h.settled;
    return h;
  });
});
