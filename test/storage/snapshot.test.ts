// Snapshot and restore at the storage seam, on both drivers: the keyspace
// returns to the snapshot, revisions only go forward (restored keys get new
// ones, unchanged keys keep theirs), history stays readable, and the watches
// on changed keys end with Compacted.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EtcdProcess, startNativeEtcd } from '../../src/etcd/index.js';
import type { KubeObject } from '../../src/server/api/types.js';
import type { KeyValue } from '../../src/server/storage/backend.js';
import { EtcdBackend } from '../../src/server/storage/etcd/index.js';
import { createStorage } from '../../src/server/storage/factory.js';
import { hasSnapshots, type Snapshots, type Storage, StorageError } from '../../src/server/storage/interface.js';
import { etcdBinary } from '../helpers/backends.js';
import { until } from '../helpers/until.js';

const cm = (name: string, v: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'ns' },
  data: { v },
});
const rv = (o: KubeObject | null): number => Number(o?.metadata?.resourceVersion);

function suite(name: string, make: () => Promise<Storage>): void {
  describe(`snapshot and restore: ${name}`, () => {
    it('returns the keyspace to the snapshot at new revisions; unchanged keys keep theirs; watches on changed keys end with Compacted', async () => {
      const s = await make();
      expect(hasSnapshots(s)).toBe(true);
      const snaps = s as Storage & Snapshots;
      const kept = await s.create('/configmaps/ns/kept', cm('kept', '1'));
      await s.create('/configmaps/ns/changed', cm('changed', 'before'));
      await s.create('/configmaps/ns/removed', cm('removed', '1'));
      const snap = await snaps.snapshot();
      expect(snap.size).toBe(3);
      await s.guaranteedUpdate('/configmaps/ns/changed', (cur) => ({ ...cur!, data: { v: 'after' } }));
      await s.delete('/configmaps/ns/removed');
      for (let i = 0; i < 200; i++) await s.create(`/configmaps/ns/added-${i}`, cm(`added-${i}`, '1'));
      const before = await s.currentRevision();
      const errors: StorageError[] = [];
      // etcd may deliver some of the restore's events first (memory delivers none): the end is what matters.
      s.watch('/configmaps/', { fromRevision: before }, { event: () => undefined, error: (e) => errors.push(e) });
      const secrets: string[] = [];
      s.watch('/secrets/', { fromRevision: 0 }, { event: (e) => secrets.push(e.key), error: (e) => errors.push(e) });

      const revision = await snaps.restore(snap);
      expect(revision).toBeGreaterThan(before);
      const list = await s.list('/configmaps/ns/');
      expect(list.items.map((o) => [o.metadata!.name, o.data!.v])).toEqual([
        ['changed', 'before'],
        ['kept', '1'],
        ['removed', '1'],
      ]);
      // Restored keys are written anew, above every revision a client has seen; the untouched key is as it was.
      expect(rv(list.items[0])).toBeGreaterThan(before);
      expect(rv(list.items[2])).toBeGreaterThan(before);
      expect(rv(list.items[1])).toBe(rv(kept));
      await until(() => errors.length === 1);
      expect(errors.map((e) => e.code)).toEqual(['Compacted']);
      // Restoring again with nothing changed writes nothing and ends no watch.
      expect(await snaps.restore(snap)).toBe(revision);
      expect(await s.currentRevision()).toBe(revision);
      // A watch on keys the restore did not change has missed nothing: it goes on.
      await s.create('/secrets/ns/s', cm('s', '1'));
      await until(() => secrets.length === 1);
      expect(errors).toHaveLength(1);
      // The state before the restore is still readable at its revision (history, not a rewrite of it).
      expect((await s.list('/configmaps/ns/', { revision: before })).items).toHaveLength(202);
      // A watch from before the restore replays it as ordinary events.
      const replay: string[] = [];
      const w = s.watch(
        '/configmaps/ns/',
        { fromRevision: before },
        { event: (e) => replay.push(`${e.type} ${e.key}`), error: () => undefined },
      );
      await until(() => replay.length === 202);
      w.stop();
      expect(replay).toContain('MODIFIED /configmaps/ns/changed');
      expect(replay).toContain('ADDED /configmaps/ns/removed');
      expect(replay).toContain('DELETED /configmaps/ns/added-0');
      await s.close();
    });

    it('refuses a handle it did not make', async () => {
      const s = (await make()) as Storage & Snapshots;
      expect(() => s.restore({ revision: 1, size: 0 })).toThrow(StorageError);
      await s.close();
    });
  });
}

suite('memory', () => createStorage({ kind: 'memory' }));

describe.skipIf(!etcdBinary)('etcd', () => {
  let etcd: EtcdProcess;
  let n = 0;
  beforeAll(async () => {
    etcd = await startNativeEtcd({ binary: etcdBinary! });
  });
  afterAll(async () => {
    await etcd?.stop();
  });
  suite('etcd', () => createStorage({ kind: 'etcd', endpoints: [etcd.endpoint], prefix: `/snap${++n}` }));

  it('answers the state a restore leaves as a read of etcd would: kept, rewritten, recreated and deleted keys', async () => {
    const b = new EtcdBackend({ endpoints: [etcd.endpoint], prefix: `/snap-state${++n}` });
    const bytes = (v: string): Buffer => Buffer.from(v);
    await b.create('/cm/kept', bytes('k'));
    const changed = await b.create('/cm/changed', bytes('before'));
    await b.create('/cm/removed', bytes('r'));
    const snap = await b.snapshot();
    await b.update('/cm/changed', bytes('after'), changed);
    const removed = await b.get('/cm/removed');
    await b.delete('/cm/removed', removed.kv!.modRevision);
    await b.create('/cm/added', bytes('a'));
    const state = await b.restoreState(snap);
    const read = await b.snapshot();
    const plain = (m: ReadonlyMap<string, KeyValue>) =>
      [...m.values()].map((kv) => [kv.key, kv.value.toString(), kv.createRevision, kv.modRevision]).sort();
    expect(plain(state.kvs)).toEqual(plain(read.kvs));
    expect(state.revision).toBe(read.revision);
    expect(state.size).toBe(3);
    // The rewritten key keeps its create revision; the recreated one has a new one; the kept one is untouched.
    const at = (k: string) => state.kvs.get(k)!;
    expect(at('/cm/changed').createRevision).toBe(changed);
    expect(at('/cm/changed').modRevision).toBeGreaterThan(changed);
    expect(at('/cm/removed').createRevision).toBe(at('/cm/removed').modRevision);
    expect(at('/cm/kept')).toEqual(snap.kvs.get('/cm/kept'));
    await b.close();
  });
});
