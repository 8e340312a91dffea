// The opt-in kube-controller-manager controllers (`--controllers`), end to end with kubectl on both
// backends: namespace deletion with content (a custom resource held by a finalizer, and the
// conditions kube writes), garbage collection through ownerReferences (background, foreground,
// orphan; a 3-level chain across a cluster-scoped custom resource, a ConfigMap and a Secret), the
// `default` ServiceAccount and `kube-root-ca.crt` in every namespace.

import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { CRDS_PATH, testCRD, waitServed } from '../helpers/crds.js';
import { useEnv } from '../helpers/env.js';

interface Obj {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid: string;
    finalizers?: string[];
    deletionTimestamp?: string;
    ownerReferences?: Array<Record<string, unknown>>;
  };
  data?: Record<string, string>;
  status?: { phase?: string; conditions?: Array<{ type: string; status: string; reason: string; message: string }> };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 8_000): Promise<T> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; ) {
    const v = await fn();
    if (v !== undefined) return v;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const ref = (o: Obj, block = true) => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  name: o.metadata.name,
  uid: o.metadata.uid,
  ...(block ? { blockOwnerDeletion: true } : {}),
});

describe.each(BACKENDS)('controllers on %s storage', (storage) => {
  const s = useEnv(storage, { controllers: ['all'] });

  const create = async (path: string, body: unknown): Promise<Obj> => {
    const r = await s.client.post<Obj>(path, body);
    expect(r.status, r.text).toBe(201);
    return r.body;
  };
  const get = async (path: string): Promise<Obj | undefined> => {
    const r = await s.client.get<Obj>(path);
    return r.status === 200 ? r.body : undefined;
  };
  const gone = (path: string) => until(`${path} gone`, async () => ((await s.client.get(path)).status === 404 ? true : undefined));

  it('gives every namespace a default ServiceAccount and kube-root-ca.crt with the cluster CA', async () => {
    expect((await s.kubectl(['create', 'ns', 'sa-ns'])).code).toBe(0);
    const sa = await until('default SA', () => get('/api/v1/namespaces/sa-ns/serviceaccounts/default'));
    expect(sa.metadata.name).toBe('default');
    const cm = await until('root CA', () => get('/api/v1/namespaces/sa-ns/configmaps/kube-root-ca.crt'));
    expect(cm.data).toEqual({ 'ca.crt': s.env.ca });
    // The system namespaces have them too.
    expect(await get('/api/v1/namespaces/kube-system/serviceaccounts/default')).toBeDefined();
    // Deleted, they come back; changed, the CA is restored.
    expect((await s.kubectl(['delete', 'sa', 'default', '-n', 'sa-ns'])).code).toBe(0);
    await until('default SA recreated', async () => {
      const again = await get('/api/v1/namespaces/sa-ns/serviceaccounts/default');
      return again && again.metadata.uid !== sa.metadata.uid ? again : undefined;
    });
    expect((await s.kubectl(['patch', 'cm', 'kube-root-ca.crt', '-n', 'sa-ns', '-p', '{"data":{"ca.crt":"x"}}'])).code).toBe(0);
    await until('CA restored', async () => {
      const again = await get('/api/v1/namespaces/sa-ns/configmaps/kube-root-ca.crt');
      return again?.data?.['ca.crt'] === s.env.ca ? true : undefined;
    });
    // With the controller, the ServiceAccount admission plugin is on: a pod gets the default account and its token volume.
    await until('default SA back', () => get('/api/v1/namespaces/sa-ns/serviceaccounts/default'));
    expect((await s.kubectl(['run', 'p', '--image=nginx', '-n', 'sa-ns'])).code).toBe(0);
    const pod = (await get('/api/v1/namespaces/sa-ns/pods/p')) as unknown as {
      spec: { serviceAccountName: string; volumes: Array<{ name: string; projected?: unknown }> };
    };
    expect(pod.spec.serviceAccountName).toBe('default');
    expect(pod.spec.volumes.find((v) => v.name.startsWith('kube-api-access-'))?.projected).toBeDefined();
  });

  it('deletes a namespace with its content; a finalizer keeps it Terminating with kube conditions', async () => {
    await create(CRDS_PATH, testCRD({ group: 'ctl.example.com', plural: 'gadgets', kind: 'Gadget' }));
    await waitServed(s.client, '/apis/ctl.example.com/v1/gadgets');
    expect((await s.kubectl(['create', 'ns', 'doomed'])).code).toBe(0);
    expect((await s.kubectl(['create', 'configmap', 'c1', '-n', 'doomed'])).code).toBe(0);
    expect((await s.kubectl(['create', 'deployment', 'd1', '--image=nginx', '-n', 'doomed'])).code).toBe(0);
    await create('/apis/ctl.example.com/v1/namespaces/doomed/gadgets', {
      apiVersion: 'ctl.example.com/v1',
      kind: 'Gadget',
      metadata: { name: 'held', finalizers: ['ctl.example.com/cleanup'] },
    });
    await create('/apis/ctl.example.com/v1/namespaces/doomed/gadgets', {
      apiVersion: 'ctl.example.com/v1',
      kind: 'Gadget',
      metadata: { name: 'free' },
    });
    expect((await s.kubectl(['delete', 'ns', 'doomed', '--wait=false'])).code).toBe(0);
    const ns = await until('conditions', async () => {
      const n = await get('/api/v1/namespaces/doomed');
      // Pods in their grace period may fail a first pass (ContentDeletionFailed, as on a cluster); the kubelet lets them go.
      const settled = n?.status?.conditions?.some(
        (c) => c.type === 'NamespaceContentRemaining' && c.message.startsWith('Some resources are remaining: gadgets.'),
      );
      return settled && n?.status?.conditions?.some((c) => c.type === 'NamespaceDeletionContentFailure' && c.status === 'False')
        ? n
        : undefined;
    });
    expect(ns.status?.phase).toBe('Terminating');
    const conds = Object.fromEntries((ns.status?.conditions ?? []).map((c) => [c.type, c]));
    expect(conds.NamespaceDeletionDiscoveryFailure).toMatchObject({
      status: 'False',
      reason: 'ResourcesDiscovered',
      message: 'All resources successfully discovered',
    });
    expect(conds.NamespaceDeletionGroupVersionParsingFailure).toMatchObject({ status: 'False', reason: 'ParsedGroupVersions' });
    expect(conds.NamespaceDeletionContentFailure).toMatchObject({
      status: 'False',
      reason: 'ContentDeleted',
      message: 'All content successfully deleted, may be waiting on finalization',
    });
    expect(conds.NamespaceContentRemaining).toMatchObject({
      status: 'True',
      reason: 'SomeResourcesRemain',
      message: 'Some resources are remaining: gadgets.ctl.example.com has 1 resource instances',
    });
    expect(conds.NamespaceFinalizersRemaining).toMatchObject({
      status: 'True',
      reason: 'SomeFinalizersRemain',
      message: 'Some content in the namespace has finalizers remaining: ctl.example.com/cleanup in 1 resource instances',
    });
    // The rest of the content is gone; the held one is marked.
    expect(await get('/api/v1/namespaces/doomed/configmaps/c1')).toBeUndefined();
    expect(await get('/apis/apps/v1/namespaces/doomed/deployments/d1')).toBeUndefined();
    expect(await get('/apis/ctl.example.com/v1/namespaces/doomed/gadgets/free')).toBeUndefined();
    expect((await get('/apis/ctl.example.com/v1/namespaces/doomed/gadgets/held'))?.metadata.deletionTimestamp).toBeTruthy();
    // Its controller lets go; the namespace then goes.
    expect(
      (await s.kubectl(['patch', 'gadget', 'held', '-n', 'doomed', '--type=merge', '-p', '{"metadata":{"finalizers":null}}'])).code,
    ).toBe(0);
    const wait = await s.kubectl(['wait', '--for=delete', 'ns/doomed', '--timeout=10s']);
    expect(wait.code, wait.stderr).toBe(0);
    await gone('/api/v1/namespaces/doomed');
  });

  it('kubectl delete ns returns once an empty namespace is finalized', async () => {
    expect((await s.kubectl(['create', 'ns', 'quick'])).code).toBe(0);
    expect((await s.kubectl(['create', 'secret', 'generic', 's', '-n', 'quick', '--from-literal=a=b'])).code).toBe(0);
    const started = Date.now();
    const r = await s.kubectl(['delete', 'ns', 'quick', '--timeout=10s']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('namespace "quick" deleted');
    expect(Date.now() - started).toBeLessThan(8_000);
    expect((await s.client.get('/api/v1/namespaces/quick')).status).toBe(404);
  });

  describe('garbage collection', () => {
    // A 3-level chain: a cluster-scoped custom resource owns a ConfigMap, which owns a Secret.
    const chain = async (ns: string, tag: string): Promise<{ root: Obj; mid: Obj; leaf: Obj }> => {
      const root = await create('/apis/ctl.example.com/v1/widgets', {
        apiVersion: 'ctl.example.com/v1',
        kind: 'Widget',
        metadata: { name: `root-${tag}` },
      });
      const mid = await create(`/api/v1/namespaces/${ns}/configmaps`, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `mid-${tag}`, ownerReferences: [ref(root)] },
      });
      const leaf = await create(`/api/v1/namespaces/${ns}/secrets`, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: `leaf-${tag}`, ownerReferences: [ref(mid)] },
      });
      return { root, mid, leaf };
    };

    it('collects a 3-level chain in the background, across scopes and kinds', async () => {
      await create(CRDS_PATH, testCRD({ group: 'ctl.example.com', plural: 'widgets', kind: 'Widget', scope: 'Cluster' }));
      await waitServed(s.client, '/apis/ctl.example.com/v1/widgets');
      expect((await s.kubectl(['create', 'ns', 'gc'])).code).toBe(0);
      await chain('gc', 'bg');
      const r = await s.kubectl(['delete', 'widget', 'root-bg']);
      expect(r.code, r.stderr).toBe(0);
      await gone('/api/v1/namespaces/gc/configmaps/mid-bg');
      await gone('/api/v1/namespaces/gc/secrets/leaf-bg');
    });

    it('--cascade=foreground waits for the dependents, then completes', async () => {
      const { mid } = await chain('gc', 'fg');
      const r = await s.kubectl(['delete', 'widget', 'root-fg', '--cascade=foreground', '--timeout=10s']);
      expect(r.code, r.stderr).toBe(0);
      // kubectl waited for the owner itself, which goes only after its blocking dependents.
      expect((await s.client.get('/apis/ctl.example.com/v1/widgets/root-fg')).status).toBe(404);
      expect((await s.client.get('/api/v1/namespaces/gc/configmaps/mid-fg')).status).toBe(404);
      expect((await s.client.get('/api/v1/namespaces/gc/secrets/leaf-fg')).status).toBe(404);
      expect(mid.metadata.uid).toBeTruthy();
    });

    it('a foreground owner stays, with foregroundDeletion, while a blocking dependent is held', async () => {
      const { mid } = await chain('gc', 'hold');
      // The leaf is held by a finalizer of its own.
      expect(
        (
          await s.kubectl([
            'patch',
            'secret',
            'leaf-hold',
            '-n',
            'gc',
            '--type=merge',
            '-p',
            '{"metadata":{"finalizers":["ctl.example.com/keep"]}}',
          ])
        ).code,
      ).toBe(0);
      expect((await s.kubectl(['delete', 'widget', 'root-hold', '--cascade=foreground', '--wait=false'])).code).toBe(0);
      const root = await until('root marked', async () => {
        const o = await get('/apis/ctl.example.com/v1/widgets/root-hold');
        const m = o && (await get(`/api/v1/namespaces/gc/configmaps/${mid.metadata.name}`));
        return m?.metadata.deletionTimestamp ? o : undefined;
      });
      expect(root.metadata.finalizers).toEqual(['foregroundDeletion']);
      await sleep(200);
      expect((await get('/apis/ctl.example.com/v1/widgets/root-hold'))?.metadata.deletionTimestamp).toBeTruthy();
      expect((await get('/api/v1/namespaces/gc/configmaps/mid-hold'))?.metadata.finalizers).toEqual(['foregroundDeletion']);
      expect(
        (await s.kubectl(['patch', 'secret', 'leaf-hold', '-n', 'gc', '--type=merge', '-p', '{"metadata":{"finalizers":null}}'])).code,
      ).toBe(0);
      await gone('/apis/ctl.example.com/v1/widgets/root-hold');
      await gone('/api/v1/namespaces/gc/configmaps/mid-hold');
      await gone('/api/v1/namespaces/gc/secrets/leaf-hold');
    });

    it('--cascade=orphan removes the owner and leaves the dependents without the reference', async () => {
      const { mid, leaf } = await chain('gc', 'or');
      const r = await s.kubectl(['delete', 'widget', 'root-or', '--cascade=orphan', '--timeout=10s']);
      expect(r.code, r.stderr).toBe(0);
      await gone('/apis/ctl.example.com/v1/widgets/root-or');
      const kept = await until('reference removed', async () => {
        const o = await get('/api/v1/namespaces/gc/configmaps/mid-or');
        return o && !o.metadata.ownerReferences ? o : undefined;
      });
      expect(kept.metadata.uid).toBe(mid.metadata.uid);
      await sleep(200);
      expect((await get('/api/v1/namespaces/gc/secrets/leaf-or'))?.metadata.uid).toBe(leaf.metadata.uid);
    });

    it('a dependent whose owner never existed is collected; one with a live owner keeps it', async () => {
      const owner = await create('/api/v1/namespaces/gc/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'alive' } });
      await create('/api/v1/namespaces/gc/configmaps', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'two-owners',
          ownerReferences: [
            ref(owner, false),
            { apiVersion: 'v1', kind: 'ConfigMap', name: 'ghost', uid: '00000000-0000-0000-0000-000000000001' },
          ],
        },
      });
      await create('/api/v1/namespaces/gc/configmaps', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'orphaned',
          ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'ghost', uid: '00000000-0000-0000-0000-000000000001' }],
        },
      });
      await gone('/api/v1/namespaces/gc/configmaps/orphaned');
      const kept = await until('dangling reference dropped', async () => {
        const o = await get('/api/v1/namespaces/gc/configmaps/two-owners');
        return o?.metadata.ownerReferences?.length === 1 ? o : undefined;
      });
      expect(kept.metadata.ownerReferences?.[0]).toMatchObject({ name: 'alive', uid: owner.metadata.uid });
    });
  });
});

describe('controllers are off by default', () => {
  const s = useEnv('memory');
  it('a namespace stays Terminating and gets no default ServiceAccount', async () => {
    expect((await s.kubectl(['create', 'ns', 'plain'])).code).toBe(0);
    await sleep(200);
    expect((await s.client.get('/api/v1/namespaces/plain/serviceaccounts/default')).status).toBe(404);
    expect((await s.kubectl(['delete', 'ns', 'plain', '--wait=false'])).code).toBe(0);
    await sleep(200);
    expect(((await s.client.get('/api/v1/namespaces/plain')).body as Obj).status?.phase).toBe('Terminating');
  });
});
