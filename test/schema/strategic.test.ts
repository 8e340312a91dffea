// Strategic merge patch as kube-apiserver applies it (k8s.io/apimachinery strategicpatch), with the
// built-in types' patch metadata generated from their Go struct tags.

import { describe, expect, it } from 'vitest';
import { goFormat, StrategicMergePatchError, strategicMergePatch } from '../../src/server/schema/builtin/strategic.js';
import { builtinPatchMeta, openAPIExtensions, patchMetaFor } from '../../src/server/schema/builtin/strategic-meta.js';

type Obj = Record<string, unknown>;

const POD = 'io.k8s.api.core.v1.Pod';
const DEPLOYMENT = 'io.k8s.api.apps.v1.Deployment';

function smp(definition: string, original: Obj, patch: Obj): Obj {
  return strategicMergePatch(structuredClone(original), patch, patchMetaFor(definition));
}

function smpError(definition: string, original: Obj, patch: Obj): StrategicMergePatchError {
  try {
    smp(definition, original, patch);
  } catch (e) {
    if (e instanceof StrategicMergePatchError) return e;
    throw e;
  }
  throw new Error('expected the patch to fail');
}

const pod = (spec: Obj, status?: Obj): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default' },
  spec,
  ...(status ? { status } : {}),
});

const deployment = (podSpec: Obj, spec: Obj = {}): Obj => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'd', namespace: 'default' },
  spec: { replicas: 1, template: { metadata: { labels: { app: 'd' } }, spec: podSpec }, ...spec },
});

describe('patch metadata generated from the Go types', () => {
  it('carries the struct tags and markers of k8s.io/api and apimachinery 1.32', () => {
    expect(builtinPatchMeta().source['k8s.io/api']).toBe('v0.32.0');
    const def = (name: string) => builtinPatchMeta().definition(name)!;
    expect(def('io.k8s.api.core.v1.PodSpec').fields?.containers).toMatchObject({
      ref: 'Container',
      patchStrategy: 'merge',
      patchMergeKey: 'name',
      listType: 'map',
      listMapKeys: ['name'],
    });
    expect(def('io.k8s.api.core.v1.Container').fields?.ports).toMatchObject({
      patchMergeKey: 'containerPort',
      listMapKeys: ['containerPort', 'protocol'],
    });
    expect(def('io.k8s.api.core.v1.Container').fields?.volumeMounts).toMatchObject({ patchMergeKey: 'mountPath' });
    expect(def('io.k8s.api.core.v1.PodSpec').fields?.volumes).toMatchObject({ patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' });
    expect(def('io.k8s.api.apps.v1.DeploymentSpec').fields?.strategy).toMatchObject({ patchStrategy: 'retainKeys' });
    expect(def('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta').fields).toMatchObject({
      finalizers: { patchStrategy: 'merge', listType: 'set' },
      ownerReferences: { patchStrategy: 'merge', patchMergeKey: 'uid', listType: 'map', listMapKeys: ['uid'] },
    });
    expect(def('io.k8s.api.core.v1.ServiceAccount').fields?.secrets).toMatchObject({ patchStrategy: 'merge', patchMergeKey: 'name' });
    // ServiceAccount.imagePullSecrets has no patch strategy: it is replaced.
    expect(def('io.k8s.api.core.v1.ServiceAccount').fields?.imagePullSecrets?.patchStrategy).toBeUndefined();
    expect(def('io.k8s.api.policy.v1.PodDisruptionBudgetSpec').fields?.selector).toMatchObject({ patchStrategy: 'replace' });
    expect(def('io.k8s.api.core.v1.LocalObjectReference').mapType).toBe('atomic');
  });

  it('gives the OpenAPI extensions kube-openapi publishes', () => {
    expect(openAPIExtensions('io.k8s.api.core.v1.PodSpec')?.properties.containers).toEqual({
      'x-kubernetes-list-map-keys': ['name'],
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-patch-strategy': 'merge',
    });
    expect(openAPIExtensions('io.k8s.api.core.v1.LocalObjectReference')?.definition).toEqual({ 'x-kubernetes-map-type': 'atomic' });
    expect(openAPIExtensions('io.k8s.api.core.v1.ConfigMapEnvSource')).toBeUndefined();
  });

  it('walks from a kind down to its lists, and plain merge where nothing is known', () => {
    const spec = patchMetaFor(DEPLOYMENT).lookup('spec').schema.lookup('template').schema.lookup('spec').schema;
    expect(spec.lookup('containers')).toMatchObject({ strategies: ['merge'], mergeKey: 'name' });
    expect(spec.lookup('containers').schema.lookup('env')).toMatchObject({ strategies: ['merge'], mergeKey: 'name' });
    expect(spec.lookup('nodeSelector')).toMatchObject({ strategies: [], mergeKey: '' });
    expect(patchMetaFor(undefined).lookup('anything')).toMatchObject({ strategies: [], mergeKey: '' });
  });
});

describe('maps and primitives', () => {
  it('merges maps recursively, deletes with null, replaces primitives, drops unmatched nulls', () => {
    const cm = { kind: 'ConfigMap', metadata: { name: 'c', labels: { a: '1', b: '2' } }, data: { x: '1', y: '2' } };
    const out = smp('io.k8s.api.core.v1.ConfigMap', cm, {
      metadata: { labels: { b: null, c: '3' }, annotations: { note: 'n', gone: null } },
      data: { x: 'changed', y: null, missing: null },
    });
    expect(out).toEqual({
      kind: 'ConfigMap',
      metadata: { name: 'c', labels: { a: '1', c: '3' }, annotations: { note: 'n' } },
      data: { x: 'changed' },
    });
  });

  it('treats __proto__ as an ordinary key', () => {
    const patch = JSON.parse('{"data":{"__proto__":{"polluted":"yes"},"b":"2"}}') as Obj;
    const out = smp('io.k8s.api.core.v1.ConfigMap', { kind: 'ConfigMap', data: { a: '1' } }, patch);
    const data = out.data as Obj;
    expect(Object.keys(data)).toEqual(['a', '__proto__', 'b']);
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(({} as Obj).polluted).toBeUndefined();
  });

  it('leaves the patch untouched (a retried update applies it again)', () => {
    const patch = { spec: { containers: [{ name: 'a', image: 'x', $patch: 'replace' }] }, metadata: { labels: { a: null } } };
    const copy = structuredClone(patch);
    smp(POD, pod({ containers: [{ name: 'a', image: 'old' }] }), patch);
    expect(patch).toEqual(copy);
  });

  it('$patch: replace replaces a map, $patch: delete removes it', () => {
    const original = deployment({ containers: [{ name: 'a', image: 'x' }], nodeSelector: { disk: 'ssd', zone: 'a' } });
    const replaced = smp(DEPLOYMENT, original, { spec: { template: { spec: { nodeSelector: { $patch: 'replace', zone: 'b' } } } } });
    expect((replaced.spec as Obj).template).toMatchObject({ spec: { nodeSelector: { zone: 'b' } } });
    const deleted = smp(DEPLOYMENT, original, { spec: { template: { metadata: { $patch: 'delete' } } } });
    expect(((deleted.spec as Obj).template as Obj).metadata).toEqual({});
  });

  it('a new field is taken without its nulls and without maps carrying $patch', () => {
    const out = smp(POD, pod({ containers: [{ name: 'a' }] }), {
      spec: { securityContext: { runAsUser: 1, fsGroup: null, seLinuxOptions: { $patch: 'delete' } } },
    });
    expect((out.spec as Obj).securityContext).toEqual({ runAsUser: 1 });
  });
});

describe('lists merged by key', () => {
  const base = pod({
    containers: [
      {
        name: 'app',
        image: 'app:1',
        ports: [
          { containerPort: 80, protocol: 'TCP' },
          { containerPort: 443, protocol: 'TCP' },
        ],
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
        volumeMounts: [
          { name: 'data', mountPath: '/data' },
          { name: 'cache', mountPath: '/cache' },
        ],
        args: ['--a', '--b'],
      },
      { name: 'log', image: 'log:1' },
    ],
    volumes: [
      { name: 'data', emptyDir: {} },
      { name: 'cache', emptyDir: {} },
    ],
  });
  const spec = (o: Obj) => o.spec as { containers: Obj[]; volumes: Obj[] };

  it('containers by name: a matching item is merged, other items kept', () => {
    const out = smp(POD, base, { spec: { containers: [{ name: 'log', image: 'log:2' }] } });
    expect(spec(out).containers.map((c) => [c.name, c.image])).toEqual([
      ['app', 'app:1'],
      ['log', 'log:2'],
    ]);
    expect(spec(out).containers[0].env).toHaveLength(2);
  });

  it('a new item without $setElementOrder goes before the server-only items, as kube orders it', () => {
    const out = smp(POD, base, { spec: { containers: [{ name: 'sidecar', image: 's:1' }] } });
    expect(spec(out).containers.map((c) => c.name)).toEqual(['sidecar', 'app', 'log']);
  });

  it('$setElementOrder puts the list in the given order, server-only items after the items they followed', () => {
    const out = smp(POD, base, {
      spec: {
        '$setElementOrder/containers': [{ name: 'app' }, { name: 'sidecar' }],
        containers: [{ name: 'sidecar', image: 's:1' }],
      },
    });
    expect(spec(out).containers.map((c) => c.name)).toEqual(['app', 'sidecar', 'log']);
    const reordered = smp(POD, base, { spec: { '$setElementOrder/containers': [{ name: 'log' }, { name: 'app' }] } });
    expect(spec(reordered).containers.map((c) => c.name)).toEqual(['log', 'app']);
  });

  it('ports by containerPort, env by name, volumeMounts by mountPath; non-merging lists replaced', () => {
    const out = smp(POD, base, {
      spec: {
        containers: [
          {
            name: 'app',
            ports: [{ containerPort: 443, name: 'https' }, { containerPort: 8080 }],
            env: [
              { name: 'B', value: 'two' },
              { name: 'A', $patch: 'delete' },
            ],
            volumeMounts: [{ mountPath: '/cache', readOnly: true }],
            args: ['--c'],
          },
        ],
      },
    });
    const app = spec(out).containers[0];
    expect(app.ports).toEqual([
      { containerPort: 80, protocol: 'TCP' },
      { containerPort: 443, protocol: 'TCP', name: 'https' },
      { containerPort: 8080 },
    ]);
    expect(app.env).toEqual([{ name: 'B', value: 'two' }]);
    expect(app.volumeMounts).toEqual([
      { name: 'data', mountPath: '/data' },
      { name: 'cache', mountPath: '/cache', readOnly: true },
    ]);
    expect(app.args).toEqual(['--c']);
  });

  it('$patch: delete removes every item with the key; $patch: replace makes the list the patch items', () => {
    const deleted = smp(POD, base, {
      spec: {
        containers: [
          { name: 'log', $patch: 'delete' },
          { name: 'absent', $patch: 'delete' },
        ],
      },
    });
    expect(spec(deleted).containers.map((c) => c.name)).toEqual(['app']);
    const replaced = smp(POD, base, { spec: { volumes: [{ name: 'only', emptyDir: {} }, { $patch: 'replace' }] } });
    expect(spec(replaced).volumes).toEqual([{ name: 'only', emptyDir: {} }]);
  });

  it('volumes: $retainKeys clears the other volume source', () => {
    const out = smp(POD, base, {
      spec: {
        '$setElementOrder/volumes': [{ name: 'data' }, { name: 'cache' }],
        volumes: [{ name: 'data', $retainKeys: ['configMap', 'name'], configMap: { name: 'cm' }, emptyDir: null }],
      },
    });
    expect(spec(out).volumes).toEqual([
      { name: 'data', configMap: { name: 'cm' } },
      { name: 'cache', emptyDir: {} },
    ]);
  });

  it('conditions by type (pod status)', () => {
    const original = pod(
      { containers: [{ name: 'a' }] },
      {
        phase: 'Pending',
        conditions: [
          { type: 'PodScheduled', status: 'True' },
          { type: 'Ready', status: 'False' },
        ],
      },
    );
    const out = smp(POD, original, {
      status: {
        conditions: [
          { type: 'Ready', status: 'True' },
          { type: 'Initialized', status: 'True' },
        ],
      },
    });
    expect((out.status as Obj).conditions).toEqual([
      { type: 'PodScheduled', status: 'True' },
      { type: 'Ready', status: 'True' },
      { type: 'Initialized', status: 'True' },
    ]);
  });

  it('ownerReferences by uid, finalizers as a set, $deleteFromPrimitiveList', () => {
    const original = {
      kind: 'ConfigMap',
      metadata: {
        name: 'c',
        finalizers: ['a/x', 'b/y'],
        ownerReferences: [
          { apiVersion: 'v1', kind: 'Pod', name: 'p1', uid: 'u1' },
          { apiVersion: 'v1', kind: 'Pod', name: 'p2', uid: 'u2' },
        ],
      },
    };
    const out = smp('io.k8s.api.core.v1.ConfigMap', original, {
      metadata: {
        finalizers: ['c/z', 'a/x'],
        '$deleteFromPrimitiveList/finalizers': ['b/y'],
        ownerReferences: [
          { uid: 'u2', controller: true },
          { uid: 'u1', $patch: 'delete' },
        ],
      },
    });
    expect((out.metadata as Obj).finalizers).toEqual(['c/z', 'a/x']);
    expect((out.metadata as Obj).ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Pod', name: 'p2', uid: 'u2', controller: true }]);
  });

  it('the original list as kube sees it after in-place deletes and appends orders the server-only items', () => {
    // kube's test case "add map and delete map from merging list", on ownerReferences.
    const refs = (...uids: Array<[string, string?]>) => uids.map(([uid, name]) => (name ? { uid, name } : { uid }));
    const original = { kind: 'ConfigMap', metadata: { ownerReferences: refs(['1'], ['2', 'b'], ['4', 'c']) } };
    const out = smp('io.k8s.api.core.v1.ConfigMap', original, {
      metadata: {
        '$setElementOrder/ownerReferences': refs(['2'], ['3']),
        ownerReferences: [{ uid: '3' }, { uid: '1', $patch: 'delete' }],
      },
    });
    expect((out.metadata as Obj).ownerReferences).toEqual(refs(['2', 'b'], ['4', 'c'], ['3']));
  });
});

describe('retainKeys', () => {
  it('on a Deployment strategy: RollingUpdate to Recreate drops rollingUpdate', () => {
    const original = deployment(
      { containers: [{ name: 'a' }] },
      { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } },
    );
    const out = smp(DEPLOYMENT, original, { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } });
    expect((out.spec as Obj).strategy).toEqual({ type: 'Recreate' });
    // Without the directive, the map merges.
    const merged = smp(DEPLOYMENT, original, { spec: { strategy: { type: 'Recreate' } } });
    expect((merged.spec as Obj).strategy).toMatchObject({ type: 'Recreate', rollingUpdate: { maxSurge: '25%' } });
  });

  it('a patch field missing from $retainKeys is a bad request', () => {
    const original = deployment({}, { strategy: { type: 'RollingUpdate' } });
    const e = smpError(DEPLOYMENT, original, { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: {} } } });
    expect([e.errorClass, e.message]).toEqual(['BadRequest', 'invalid patch format of retainKeys']);
    expect(smpError(DEPLOYMENT, original, { spec: { strategy: { $retainKeys: 'type' } } }).errorClass).toBe('BadRequest');
    // Only a map merged into an existing one is checked: a new map is taken as it is.
    expect(smp(DEPLOYMENT, deployment({}), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }).spec).toMatchObject({
      strategy: { $retainKeys: ['type'], type: 'Recreate' },
    });
  });
});

describe('errors with kube wording and class', () => {
  const cm = { kind: 'ConfigMap', metadata: { name: 'c', finalizers: ['a'] }, data: { a: 'b' } };

  it('unknown directives', () => {
    const e = smpError('io.k8s.api.core.v1.ConfigMap', cm, { data: { $patch: 'foo', a: 'c' } });
    expect([e.errorClass, e.message]).toEqual(['Error', 'unknown patch type: foo in map: map[$patch:foo a:c]']);
    // `merge` is not a map directive either.
    expect(smpError('io.k8s.api.core.v1.ConfigMap', cm, { data: { $patch: 'merge' } }).message).toBe(
      'unknown patch type: merge in map: map[$patch:merge]',
    );
    expect(smpError(POD, pod({ containers: [{ name: 'a' }] }), { spec: { containers: [{ name: 'a', $patch: 'merge' }] } }).message).toBe(
      'merging lists cannot yet be specified in the patch',
    );
    expect(smpError(POD, pod({ containers: [{ name: 'a' }] }), { spec: { containers: [{ name: 'a', $patch: 1 }] } }).message).toBe(
      'unknown patch type: %!s(int64=1) in map: map[$patch:1 name:a]',
    );
  });

  it('malformed parallel lists', () => {
    const setOrder = smpError(POD, pod({ containers: [{ name: 'a' }] }), { spec: { '$setElementOrder/containers': 'a' } });
    expect([setOrder.errorClass, setOrder.message]).toEqual(['Error', 'expected a []interface {}, but received a string']);
    const prefix = smpError('io.k8s.api.core.v1.ConfigMap', cm, { metadata: { $deleteFromPrimitiveListfinalizers: ['a'] } });
    expect([prefix.errorClass, prefix.message]).toEqual(['BadRequest', 'invalid patch format of primitive list']);
    const order = smpError(POD, pod({ containers: [{ name: 'a' }, { name: 'b' }] }), {
      spec: { '$setElementOrder/containers': [{ name: 'a' }], containers: [{ name: 'b', image: 'x' }] },
    });
    expect(order.message).toBe("The order in patch list:\n[map[image:x name:b]]\n doesn't match $setElementOrder list:\n[map[name:a]]\n");
  });

  it('missing merge keys, lists of lists, mixed element types', () => {
    const noKey = smpError(POD, pod({ containers: [{ name: 'a' }] }), { spec: { containers: [{ image: 'x' }] } });
    expect(noKey.message).toBe('map: map[image:x] does not contain declared merge key: name');
    const lists = smpError('io.k8s.api.core.v1.ConfigMap', { ...cm, metadata: { finalizers: [] } }, { metadata: { finalizers: [['x']] } });
    expect([lists.errorClass, lists.message]).toEqual(['Unprocessable', 'lists of lists are not supported']);
    const mixed = smpError('io.k8s.api.core.v1.ConfigMap', cm, { metadata: { finalizers: [1.5] } });
    expect(mixed.message).toBe('list element types are not identical: [[a] [1.5]]');
  });

  it("formats values as Go's %v", () => {
    expect(goFormat({ b: [1, 2.5, null], a: { c: true } })).toBe('map[a:map[c:true] b:[1 2.5 <nil>]]');
    expect(goFormat(1e-7)).toBe('1e-07');
    expect(goFormat(1e21)).toBe('1e+21');
  });
});
