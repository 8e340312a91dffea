// StatefulSet claims and DaemonSet history, end to end with kubectl on both backends: PVCs
// `<template>-<set>-<ordinal>` from volumeClaimTemplates (the pods' volumes pointing at them; with
// whenDeleted: Delete collected with the set, the pvc-protection controller letting a claim go once no
// pod uses it), and DaemonSet ControllerRevisions so
// `kubectl rollout history|undo daemonset` work.

import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { useEnv } from '../helpers/env.js';

interface Obj {
  metadata: {
    name: string;
    labels?: Record<string, string>;
    ownerReferences?: Array<{ kind: string; name: string }>;
    deletionTimestamp?: string;
    finalizers?: string[];
  };
  spec?: Record<string, unknown> & { volumes?: Array<{ name: string; persistentVolumeClaim?: { claimName: string } }> };
  revision?: number;
  status?: { phase?: string };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; ) {
    const v = await fn();
    if (v !== undefined) return v;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const statefulSet = (name: string, retention?: Record<string, string>) => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name },
  spec: {
    replicas: 2,
    serviceName: name,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'db', image: 'postgres' }] } },
    volumeClaimTemplates: [
      {
        metadata: { name: 'data', labels: { tier: 'storage' } },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
    ],
    ...(retention ? { persistentVolumeClaimRetentionPolicy: retention } : {}),
  },
});

describe.each(BACKENDS)('workload history and claims on %s storage', (storage) => {
  const s = useEnv(storage, {
    controllers: ['statefulset', 'daemonset', 'garbagecollector', 'pvc-protection'],
    simulation: { nodes: 2 },
  });
  const list = async (path: string): Promise<Obj[]> => (await s.client.get<{ items: Obj[] }>(path)).body.items;
  const pvcs = () => list('/api/v1/namespaces/default/persistentvolumeclaims');

  it('a StatefulSet gives each pod its claims from volumeClaimTemplates', async () => {
    expect((await s.client.post('/apis/apps/v1/namespaces/default/statefulsets', statefulSet('db'))).status).toBe(201);
    const status = await s.kubectl(['rollout', 'status', 'statefulset/db', '--timeout=20s']);
    expect(status.code, status.stderr).toBe(0);
    const claims = (await pvcs()).filter((c) => c.metadata.name.endsWith('-db-0') || c.metadata.name.endsWith('-db-1'));
    expect(claims.map((c) => c.metadata.name).sort()).toEqual(['data-db-0', 'data-db-1']);
    for (const c of claims) {
      expect(c.metadata.labels).toEqual({ tier: 'storage', app: 'db' });
      expect(c.spec).toMatchObject({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } });
      // Retain by default: no owner.
      expect(c.metadata.ownerReferences).toBeUndefined();
    }
    for (const i of [0, 1]) {
      const pod = (await s.client.get<Obj>(`/api/v1/namespaces/default/pods/db-${i}`)).body;
      expect(pod.spec?.volumes).toEqual(expect.arrayContaining([{ name: 'data', persistentVolumeClaim: { claimName: `data-db-${i}` } }]));
    }
    expect((await s.kubectl(['get', 'pvc', 'data-db-1'])).stdout).toMatch(/data-db-1\s+Pending/);
    // Deleted, the set leaves its claims (Retain).
    expect((await s.kubectl(['delete', 'statefulset', 'db', '--wait=true', '--timeout=20s'])).code).toBe(0);
    await sleep(200);
    expect((await pvcs()).map((c) => c.metadata.name)).toEqual(expect.arrayContaining(['data-db-0', 'data-db-1']));
  });

  it('whenDeleted: Delete makes the set own its claims; they go with it', async () => {
    const body = statefulSet('cache', { whenDeleted: 'Delete', whenScaled: 'Retain' });
    expect((await s.client.post('/apis/apps/v1/namespaces/default/statefulsets', body)).status).toBe(201);
    const claims = await until('claims', async () => {
      const c = (await pvcs()).filter((x) => x.metadata.name.startsWith('data-cache-'));
      return c.length === 2 ? c : undefined;
    });
    for (const c of claims) expect(c.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'StatefulSet', name: 'cache' })]);
    expect((await s.kubectl(['delete', 'statefulset', 'cache'])).code).toBe(0);
    // The garbage collector deletes them; the pvc-protection controller lets them go once no pod uses them.
    await until('claims collected', async () => ((await pvcs()).some((x) => x.metadata.name.startsWith('data-cache-')) ? undefined : true));
  });

  it("whenScaled: Delete: a scale-down takes the removed pod's claims with it", async () => {
    const body = statefulSet('queue', { whenDeleted: 'Retain', whenScaled: 'Delete' });
    expect((await s.client.post('/apis/apps/v1/namespaces/default/statefulsets', body)).status).toBe(201);
    expect((await s.kubectl(['rollout', 'status', 'statefulset/queue', '--timeout=20s'])).code).toBe(0);
    expect((await s.kubectl(['scale', 'statefulset', 'queue', '--replicas=1'])).code).toBe(0);
    await until('the scaled-down claim collected', async () => {
      const names = (await pvcs()).map((x) => x.metadata.name);
      return names.includes('data-queue-0') && !names.includes('data-queue-1') ? true : undefined;
    });
    const kept = (await s.client.get<Obj>('/api/v1/namespaces/default/persistentvolumeclaims/data-queue-0')).body;
    expect(kept.metadata.deletionTimestamp).toBeUndefined();
  });

  it('pvc-protection keeps a claim a running pod uses until the pod goes', async () => {
    const pvc = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'held' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    };
    expect((await s.client.post('/api/v1/namespaces/default/persistentvolumeclaims', pvc)).status).toBe(201);
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'user' },
      spec: {
        containers: [{ name: 'c', image: 'busybox' }],
        volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'held' } }],
      },
    };
    expect((await s.client.post('/api/v1/namespaces/default/pods', pod)).status).toBe(201);
    expect((await s.kubectl(['wait', '--for=condition=Ready', 'pod/user', '--timeout=10s'])).code).toBe(0);
    expect((await s.kubectl(['delete', 'pvc', 'held', '--wait=false'])).code).toBe(0);
    await sleep(300);
    const held = (await s.client.get<Obj>('/api/v1/namespaces/default/persistentvolumeclaims/held')).body;
    expect(held.metadata.deletionTimestamp).toBeTruthy();
    expect(held.metadata.finalizers).toEqual(['kubernetes.io/pvc-protection']);
    expect((await s.kubectl(['delete', 'pod', 'user'])).code).toBe(0);
    const wait = await s.kubectl(['wait', '--for=delete', 'pvc/held', '--timeout=10s']);
    expect(wait.code, wait.stderr).toBe(0);
  });

  it('a DaemonSet keeps ControllerRevisions: kubectl rollout history and undo work', async () => {
    const ds = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent' },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'agent', image: 'agent:1' }] } },
      },
    };
    expect((await s.client.post('/apis/apps/v1/namespaces/default/daemonsets', ds)).status).toBe(201);
    expect((await s.kubectl(['rollout', 'status', 'daemonset/agent', '--timeout=20s'])).code).toBe(0);
    expect((await s.kubectl(['set', 'image', 'daemonset/agent', 'agent=agent:2'])).code).toBe(0);
    const second = await s.kubectl(['rollout', 'status', 'daemonset/agent', '--timeout=20s']);
    expect(second.code, second.stderr).toBe(0);
    const revs = await until('two revisions', async () => {
      const r = await list('/apis/apps/v1/namespaces/default/controllerrevisions?labelSelector=app%3Dagent');
      return r.length === 2 ? r : undefined;
    });
    expect(revs.map((r) => r.revision).sort()).toEqual([1, 2]);
    for (const r of revs) {
      expect(r.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'DaemonSet', name: 'agent' })]);
      expect(r.metadata.name).toBe(`agent-${r.metadata.labels?.['controller-revision-hash']}`);
    }
    // The pods carry the current revision's hash.
    const current = revs.find((r) => r.revision === 2)!;
    const pods = await list('/api/v1/namespaces/default/pods?labelSelector=app%3Dagent');
    for (const p of pods.filter((x) => x.status?.phase === 'Running'))
      expect(p.metadata.labels?.['controller-revision-hash']).toBe(current.metadata.labels?.['controller-revision-hash']);
    const history = await s.kubectl(['rollout', 'history', 'daemonset/agent']);
    expect(history.code, history.stderr).toBe(0);
    expect(history.stdout).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
    const one = await s.kubectl(['rollout', 'history', 'daemonset/agent', '--revision=1']);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toContain('Image:\tagent:1');
    // Undo to revision 1: its template comes back as revision 3.
    const undo = await s.kubectl(['rollout', 'undo', 'daemonset/agent']);
    expect(undo.code, undo.stderr).toBe(0);
    expect((await s.kubectl(['rollout', 'status', 'daemonset/agent', '--timeout=20s'])).code).toBe(0);
    const after = await until('renumbered', async () => {
      const h = await s.kubectl(['rollout', 'history', 'daemonset/agent']);
      return /\n2\s+<none>\n3\s+<none>/.test(h.stdout) ? h.stdout : undefined;
    });
    expect(after).not.toMatch(/\n1\s+<none>/);
    const image = await s.kubectl(['get', 'daemonset', 'agent', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
    expect(image.stdout).toBe('agent:1');
  });
});
