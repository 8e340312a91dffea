// The bootstrap seed (env/start-seed.ts): a start from a bundle keeps the RBAC bootstrap policy as the write
// path and the ClusterRole aggregation made it, and the next start stores that instead of making it again. The objects the two starts serve
// are the same but for what is each start's own: uids, times, resourceVersions.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { digest, KEPT_BUNDLES } from '../../src/env/compile-cache.js';
import { type Env, startEnv } from '../../src/env/index.js';
import { bootstrapSeed } from '../../src/env/start-seed.js';
import { Store } from '../../src/server/registry/store.js';
import { BACKENDS } from '../helpers/backends.js';

const BUNDLE = Symbol.for('kapi-env.bundle');
const KINDS = ['clusterroles', 'clusterrolebindings', 'roles', 'rolebindings'];

type Item = { metadata: Record<string, unknown> & { name: string; namespace?: string; managedFields?: Array<Record<string, unknown>> } };

/**
 * Metadata without what is each start's own: uid, creation time, resourceVersion, the entries' times. Entries are
 * sorted by their times first (whether a controller's update fell in the creation's second decides its place):
 * without times, they are compared by manager.
 */
function timeless(metadata: Item['metadata']): Item['metadata'] {
  const { uid: _u, creationTimestamp: _c, resourceVersion: _r, managedFields, ...m } = metadata;
  const entries = managedFields?.map(({ time: _t, ...e }) => e).sort((a, b) => String(a.manager).localeCompare(String(b.manager)));
  return { ...m, managedFields: entries } as Item['metadata'];
}

/** Each kind's objects, sorted, without what is each start's own. */
async function policy(env: Env): Promise<Record<string, Item[]>> {
  const c = env.client();
  // The aggregated roles are filled in by the aggregation controller just after the start: wait for it.
  await vi.waitFor(
    async () => {
      const admin = await c.get<{ rules?: unknown[] }>('/apis/rbac.authorization.k8s.io/v1/clusterroles/admin');
      expect(admin.body.rules?.length ?? 0).toBeGreaterThan(0);
    },
    { timeout: 10_000, interval: 50 },
  );
  const out: Record<string, Item[]> = {};
  for (const kind of KINDS) {
    const list = await c.get<{ items: Item[] }>(`/apis/rbac.authorization.k8s.io/v1/${kind}`);
    expect(list.status).toBe(200);
    out[kind] = list.body.items
      .map((o) => {
        return { ...o, metadata: timeless(o.metadata) };
      })
      .sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
  }
  return out;
}

/** The namespaces, priority classes and flow-control objects, as policy() keeps them (and the conditions without their times). */
async function systemObjects(env: Env): Promise<Record<string, Item[]>> {
  const c = env.client();
  const out: Record<string, Item[]> = {};
  for (const p of [
    '/apis/apiregistration.k8s.io/v1/apiservices',
    '/api/v1/namespaces',
    '/apis/scheduling.k8s.io/v1/priorityclasses',
    '/apis/flowcontrol.apiserver.k8s.io/v1/prioritylevelconfigurations',
    '/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas',
  ]) {
    const list = await c.get<{ items: Array<Item & { status?: { conditions?: Array<Record<string, unknown>> } }> }>(p);
    expect(list.status).toBe(200);
    out[p] = list.body.items
      .map(({ status, ...o }) => {
        const conditions = status?.conditions?.map(({ lastTransitionTime: _t, ...c }) => c);
        return { ...o, metadata: timeless(o.metadata), status: status && { ...status, conditions } };
      })
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  }
  expect(out['/api/v1/namespaces'].map((n) => n.metadata.name)).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
  expect(out['/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas'].length).toBeGreaterThan(5);
  expect(out['/apis/apiregistration.k8s.io/v1/apiservices'].map((a) => a.metadata.name)).toContain('v1.apps');
  return out;
}

describe.each(BACKENDS)('bootstrap seed on %s storage', (storage) => {
  let dir: string;
  const envs: Env[] = [];
  const saved = process.env.KAPI_ENV_COMPILE_CACHE;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kapi-env-seed-test-'));
    process.env.KAPI_ENV_COMPILE_CACHE = dir;
    // As a start from a bundle has it (compile-cache.ts loadBundle).
    (globalThis as Record<symbol, unknown>)[BUNDLE] = `/seed-test/${storage}.cjs\u00001\u00002`;
  });
  afterAll(async () => {
    for (const e of envs) await e.stop();
    delete (globalThis as Record<symbol, unknown>)[BUNDLE];
    if (saved === undefined) delete process.env.KAPI_ENV_COMPILE_CACHE;
    else process.env.KAPI_ENV_COMPILE_CACHE = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps what the first start made, and the second stores it: the same policy, each start its own uids and times', async () => {
    const seeded = vi.spyOn(Store.prototype, 'seed');
    const updates = vi.spyOn(Store.prototype, 'update');
    // ClusterRole updates through the write path: the aggregation controller's, filling in admin, edit, view...
    const updatesOf = (resource: string) =>
      updates.mock.contexts.filter((store) => (store as Store).descriptor.resource === resource).length;
    const roleUpdates = () => updatesOf('clusterroles');
    try {
      const first = await startEnv({ storage, serverThread: 'inline' });
      envs.push(first);
      expect(seeded).not.toHaveBeenCalled();
      expect(roleUpdates()).toBeGreaterThan(0);
      // The FlowSchema conditions controller's first pass set each one's Dangling condition.
      expect(updatesOf('flowschemas')).toBeGreaterThan(0);
      // Four parts: the namespaces, the system objects, the local APIServices, the RBAC policy.
      await vi.waitFor(() => expect(readdirSync(dir).filter((f) => f.startsWith('bootstrap-'))).toHaveLength(4), { timeout: 5000 });
      const made = await policy(first);
      const madeSystem = await systemObjects(first);

      updates.mockClear();
      const second = await startEnv({ storage, serverThread: 'inline' });
      envs.push(second);
      // The four RBAC kinds came from the seed, the aggregated roles as the aggregation left them: it has nothing
      // to do. So did the namespaces, the priority classes, the flow-control configuration and the local
      // APIServices; the `kubernetes` Service, which holds an allocated ClusterIP, was created.
      expect(seeded.mock.contexts.map((store) => (store as Store).descriptor.resource).sort()).toEqual([
        'apiservices',
        'clusterrolebindings',
        'clusterroles',
        'flowschemas',
        'namespaces',
        'priorityclasses',
        'prioritylevelconfigurations',
        'rolebindings',
        'roles',
      ]);
      expect(roleUpdates()).toBe(0);
      // The FlowSchemas as that pass left them: it has nothing to change.
      expect(updatesOf('flowschemas')).toBe(0);
      expect(await systemObjects(second)).toEqual(madeSystem);
      const fs = await second
        .client()
        .get<{ status: { conditions: Array<{ type: string; status: string; lastTransitionTime: string }> } }>(
          '/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas/exempt',
        );
      const dangling = fs.body.status.conditions.find((c) => c.type === 'Dangling')!;
      expect(dangling.status).toBe('False');
      // Its transition is this start's.
      expect(Math.abs(Date.now() - Date.parse(dangling.lastTransitionTime))).toBeLessThan(60_000);
      const ready = await second.client().get<string>('/readyz?verbose');
      expect(ready.status).toBe(200);
      expect(String(ready.body)).toContain('[+]poststarthook/rbac/bootstrap-roles ok');
      const stored = await policy(second);
      expect(stored).toEqual(made);
      expect(made.clusterroles.length).toBeGreaterThan(50);

      // Each start's own: new uids, times of this start.
      const c1 = await first.client().get<Item>('/apis/rbac.authorization.k8s.io/v1/clusterroles/cluster-admin');
      const c2 = await second.client().get<Item>('/apis/rbac.authorization.k8s.io/v1/clusterroles/cluster-admin');
      expect(c2.body.metadata.uid).not.toBe(c1.body.metadata.uid);
      const created = Date.parse(String(c2.body.metadata.creationTimestamp));
      expect(Math.abs(Date.now() - created)).toBeLessThan(60_000);
      expect(c2.body.metadata.managedFields?.[0]?.time).toBe(c2.body.metadata.creationTimestamp);

      // A seed that does not hold the policy given (a damaged file) is not used: the write path makes it, and keeps it anew.
      const file = readdirSync(dir).find(
        (f) => f.startsWith('bootstrap-') && readFileSync(path.join(dir, f), 'utf8').includes('cluster-admin'),
      )!;
      writeFileSync(path.join(dir, file), JSON.stringify({ 'rbac.authorization.k8s.io/clusterroles': [{ metadata: { name: 'bogus' } }] }));
      seeded.mockClear();
      const third = await startEnv({ storage, serverThread: 'inline' });
      envs.push(third);
      expect(seeded.mock.contexts.map((store) => (store as Store).descriptor.resource)).not.toContain('clusterroles');
      expect(await policy(third)).toEqual(made);
      await vi.waitFor(() => expect(readFileSync(path.join(dir, file), 'utf8')).toContain('cluster-admin'), { timeout: 5000 });
    } finally {
      seeded.mockRestore();
      updates.mockRestore();
    }
  });
});

describe('bootstrapSeed', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kapi-env-seed-test-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is kept per bundle and policy, and only from a bundle with the caches on', async () => {
    // Off a bundle (no loader has named one), or with KAPI_ENV_COMPILE_CACHE=0: none.
    expect((globalThis as Record<symbol, unknown>)[BUNDLE]).toBeUndefined();
    expect(bootstrapSeed(dir)).toBeUndefined();
    const saved = process.env.KAPI_ENV_COMPILE_CACHE;
    process.env.KAPI_ENV_COMPILE_CACHE = '0';
    try {
      expect(bootstrapSeed(undefined, '/b.cjs')).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.KAPI_ENV_COMPILE_CACHE;
      else process.env.KAPI_ENV_COMPILE_CACHE = saved;
    }
    const a = bootstrapSeed(dir, '/b.cjs\u00001\u00002')!;
    expect(await a.load('part', 'inputs')).toBeUndefined();
    a.save('part', 'inputs', { 'g/r': [{ metadata: { name: 'n' } }] });
    await vi.waitFor(async () => expect(await a.load('part', 'inputs')).toEqual({ 'g/r': [{ metadata: { name: 'n' } }] }));
    expect(await a.load('part', 'other inputs')).toBeUndefined();
    expect(await a.load('other part', 'inputs')).toBeUndefined();
    // Another part is kept beside it.
    a.save('other part', 'inputs', { 'g/r': [] });
    await vi.waitFor(async () => expect(await a.load('other part', 'inputs')).toEqual({ 'g/r': [] }));
    expect(await a.load('part', 'inputs')).toEqual({ 'g/r': [{ metadata: { name: 'n' } }] });
    // Another build of the same bundle misses, and its seed replaces the first.
    const b = bootstrapSeed(dir, '/b.cjs\u00001\u00003')!;
    expect(await b.load('part', 'inputs')).toBeUndefined();
    b.save('part', 'inputs', { 'g/r': [] });
    await vi.waitFor(async () => expect(await b.load('part', 'inputs')).toEqual({ 'g/r': [] }));
    await vi.waitFor(async () => expect(await a.load('part', 'inputs')).toBeUndefined());
    expect(existsSync(dir)).toBe(true);
  });

  it("keeps the seeds of the KEPT_BUNDLES bundles written last, a bundle's parts together", async () => {
    const many = mkdtempSync(path.join(os.tmpdir(), 'kapi-env-seed-prune-'));
    try {
      // The seeds of other bundles, written before (two parts each), the oldest first.
      const bundles = Array.from({ length: KEPT_BUNDLES + 1 }, (_, i) => String(i).padStart(16, '0'));
      bundles.forEach((b, i) => {
        for (const part of ['aaaaaaaa', 'bbbbbbbb']) {
          const f = path.join(many, `bootstrap-${b}-${part}-${'c'.repeat(16)}.json`);
          writeFileSync(f, '{}');
          const t = new Date(Date.now() - (bundles.length - i) * 60_000);
          utimesSync(f, t, t);
        }
      });
      const seed = bootstrapSeed(many, '/new.cjs\u00001\u00002')!;
      seed.save('part', 'inputs', { 'g/r': [] });
      await vi.waitFor(async () => expect(await seed.load('part', 'inputs')).toEqual({ 'g/r': [] }));
      const left = readdirSync(many);
      const kept = bundles.slice(-(KEPT_BUNDLES - 1));
      expect(left.filter((f) => !f.includes(digest('/new.cjs'))).sort()).toEqual(
        kept.flatMap((b) => ['aaaaaaaa', 'bbbbbbbb'].map((part) => `bootstrap-${b}-${part}-${'c'.repeat(16)}.json`)).sort(),
      );
    } finally {
      rmSync(many, { recursive: true, force: true });
    }
  });
});
