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

  runBackendConformance('handoff, moved to etcd', async () => {
    const h = new HandoffBackend(Promise.resolve(new EtcdBackend({ endpoints: [etcd.endpoint] })));
    await h.settled;
    return h;
  });
});
