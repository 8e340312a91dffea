// Server-side apply end to end on both backends: kubectl apply --server-side (create, update,
// conflicts, --force-conflicts, removal, shared ownership, diff, dry run, /status and /scale,
// client-side apply migration), managedFields on ordinary writes, the API's own checks, and
// client-node's PatchStrategy.ServerSideApply over a custom resource's list-map.

import * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { useEnv } from '../helpers/env.js';

interface Entry {
  manager: string;
  operation: string;
  apiVersion: string;
  time?: string;
  fieldsType: string;
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

const APPLY = { 'content-type': 'application/apply-patch+yaml' };

const deployment = (name: string, replicas: number | undefined, image = 'nginx'): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: default
spec:
${replicas === undefined ? '' : `  replicas: ${replicas}\n`}  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: c
        image: ${image}
        ports: [{containerPort: 80}]
`;

const configMap = (name: string, data: Record<string, string>, labels?: Record<string, string>): string =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', ...(labels ? { labels } : {}) }, data });

const WIDGETS_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gadgets.ssa.example.com' },
  spec: {
    group: 'ssa.example.com',
    scope: 'Namespaced',
    names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: {
                  size: { type: 'integer' },
                  ports: {
                    type: 'array',
                    'x-kubernetes-list-type': 'map',
                    'x-kubernetes-list-map-keys': ['name'],
                    items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, port: { type: 'integer' } } },
                  },
                  tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
                },
              },
              status: { type: 'object', properties: { phase: { type: 'string' } } },
            },
          },
        },
      },
    ],
  },
};

describe.each(BACKENDS)('server-side apply on %s storage', (storage) => {
  const s = useEnv(storage);

  const managed = async (kind: string, name: string): Promise<Entry[]> => {
    const r = await s.kubectl(['get', kind, name, '-o', 'json', '--show-managed-fields']);
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout).metadata.managedFields ?? [];
  };
  // biome-ignore lint/suspicious/noExplicitAny: kubectl's JSON output, read field by field
  const get = async (kind: string, name: string): Promise<Record<string, any>> =>
    JSON.parse((await s.kubectl(['get', kind, name, '-o', 'json'])).stdout);

  it('creates and updates with kubectl apply --server-side; the applier owns exactly its fields', async () => {
    const created = await s.kubectl(['apply', '--server-side', '-f', '-'], deployment('web', 1));
    expect(created.stdout.trim()).toBe('deployment.apps/web serverside-applied');
    const entries = await managed('deploy', 'web');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1' });
    expect(entries[0].time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(entries[0].subresource).toBeUndefined();
    expect(entries[0].fieldsV1).toEqual({
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:containers': {
              'k:{"name":"c"}': {
                '.': {},
                'f:image': {},
                'f:name': {},
                'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
              },
            },
          },
        },
      },
    });
    // Defaults are applied as on any create.
    const obj = await get('deploy', 'web');
    expect(obj.spec.strategy.type).toBe('RollingUpdate');
    expect(obj.spec.template.spec.containers[0].ports[0].protocol).toBe('TCP');
    // An update by apply: a new image, the same owner.
    const updated = await s.kubectl(['apply', '--server-side', '-f', '-'], deployment('web', 1, 'nginx:2'));
    expect(updated.stdout.trim()).toBe('deployment.apps/web serverside-applied');
    expect((await get('deploy', 'web')).spec.template.spec.containers[0].image).toBe('nginx:2');
    expect((await get('deploy', 'web')).metadata.generation).toBe(2);
    // Applying the same configuration again changes nothing: same resourceVersion.
    const rv = (await get('deploy', 'web')).metadata.resourceVersion;
    await s.kubectl(['apply', '--server-side', '-f', '-'], deployment('web', 1, 'nginx:2'));
    expect((await get('deploy', 'web')).metadata.resourceVersion).toBe(rv);
  });

  it('refuses a conflicting apply with kubectl’s message, and --force-conflicts takes ownership', async () => {
    await s.kubectl(['apply', '--server-side', '-f', '-'], deployment('conf', 1));
    const refused = await s.kubectl(['apply', '--server-side', '--field-manager=helm', '-f', '-'], deployment('conf', 3));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.split('\n')[0]).toBe('error: Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas');
    expect((await get('deploy', 'conf')).spec.replicas).toBe(1);
    const forced = await s.kubectl(
      ['apply', '--server-side', '--field-manager=helm', '--force-conflicts', '-f', '-'],
      deployment('conf', 3),
    );
    expect(forced.code).toBe(0);
    expect((await get('deploy', 'conf')).spec.replicas).toBe(3);
    const entries = await managed('deploy', 'conf');
    const kubectl = entries.find((e) => e.manager === 'kubectl')!;
    const helm = entries.find((e) => e.manager === 'helm')!;
    expect(kubectl.fieldsV1['f:spec']).not.toHaveProperty('f:replicas');
    expect(helm.fieldsV1['f:spec']).toHaveProperty('f:replicas');
    // Both apply the same image: shared, not a conflict.
    expect(kubectl.fieldsV1['f:spec']).toHaveProperty('f:template');
    expect(helm.fieldsV1['f:spec']).toHaveProperty('f:template');
    // An update manager (kubectl scale) conflicts with the next apply, named with its subresource and version.
    expect((await s.kubectl(['scale', 'deploy/conf', '--replicas=5'])).code).toBe(0);
    const scaled = (await managed('deploy', 'conf')).find((e) => e.subresource === 'scale')!;
    expect(scaled).toMatchObject({
      manager: 'kubectl',
      operation: 'Update',
      apiVersion: 'apps/v1',
      fieldsV1: { 'f:spec': { 'f:replicas': {} } },
    });
    const again = await s.kubectl(['apply', '--server-side', '--field-manager=helm', '-f', '-'], deployment('conf', 3));
    expect(again.stderr.split('\n')[0]).toBe(
      'error: Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas',
    );
  });

  it('removes a field its applier stops applying, unless another manager owns it', async () => {
    await s.kubectl(['apply', '--server-side', '-f', '-'], configMap('rm', { a: '1', b: '2', c: '3' }, { x: 'y' }));
    // Another applier shares c (same value).
    await s.kubectl(['apply', '--server-side', '--field-manager=other', '-f', '-'], configMap('rm', { c: '3' }));
    await s.kubectl(['apply', '--server-side', '-f', '-'], configMap('rm', { a: '1' }));
    const cm = await get('cm', 'rm');
    expect(cm.data).toEqual({ a: '1', c: '3' });
    expect(cm.metadata.labels).toBeUndefined();
    const entries = await managed('cm', 'rm');
    expect(entries.find((e) => e.manager === 'kubectl')!.fieldsV1).toEqual({ 'f:data': { 'f:a': {} } });
    expect(entries.find((e) => e.manager === 'other')!.fieldsV1).toEqual({ 'f:data': { 'f:c': {} } });
    // A field an update manager set stays when the applier drops it.
    await s.kubectl(['label', 'cm', 'rm', 'team=core']);
    expect((await managed('cm', 'rm')).find((e) => e.manager === 'kubectl-label')).toMatchObject({
      operation: 'Update',
      apiVersion: 'v1',
      fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:team': {} } } },
    });
  });

  it('kubectl diff --server-side shows exactly the changed fields; --dry-run=server stores nothing', async () => {
    await s.kubectl(['apply', '--server-side', '-f', '-'], deployment('dif', 1));
    const diff = await s.kubectl(['diff', '--server-side', '-f', '-'], deployment('dif', 2));
    expect(diff.code).toBe(1);
    const changes = diff.stdout.split('\n').filter((l) => /^[-+] /.test(l));
    expect(changes).toEqual(['-  generation: 1', '+  generation: 2', '-  replicas: 1', '+  replicas: 2']);
    const same = await s.kubectl(['diff', '--server-side', '-f', '-'], deployment('dif', 1));
    expect(same.code).toBe(0);
    expect(same.stdout).toBe('');
    const dry = await s.kubectl(['apply', '--server-side', '--dry-run=server', '-o', 'json', '-f', '-'], deployment('dif', 7));
    expect(JSON.parse(dry.stdout).spec.replicas).toBe(7);
    expect((await get('deploy', 'dif')).spec.replicas).toBe(1);
    const dryCreate = await s.kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], deployment('ghost', 1));
    expect(dryCreate.stdout.trim()).toBe('deployment.apps/ghost serverside-applied (server dry run)');
    expect((await s.kubectl(['get', 'deploy', 'ghost'])).stderr.trim()).toBe(
      'Error from server (NotFound): deployments.apps "ghost" not found',
    );
  });

  it('migrates from client-side apply and back as kubectl expects', async () => {
    expect((await s.kubectl(['apply', '-f', '-'], configMap('mig', { a: '1', b: '2' }))).stdout.trim()).toBe('configmap/mig created');
    const before = await managed('cm', 'mig');
    expect(before.map((e) => `${e.manager}/${e.operation}`)).toEqual(['kubectl-client-side-apply/Update']);
    // The server-side apply changes a value the client-side apply set: no conflict (last-applied allows it).
    const ssa = await s.kubectl(['apply', '--server-side', '-f', '-'], configMap('mig', { a: '9', b: '2' }));
    expect(ssa.stderr).toBe('');
    expect(ssa.stdout.trim()).toBe('configmap/mig serverside-applied');
    const cm = await get('cm', 'mig');
    expect(cm.data).toEqual({ a: '9', b: '2' });
    // kubectl upgraded the client-side manager's entry (its csaupgrade: the fields to its apply manager, the
    // annotation to kubectl-last-applied); the server kept the annotation following the applied configuration.
    const after = await managed('cm', 'mig');
    expect(after.map((e) => `${e.manager}/${e.operation}`)).toEqual(['kubectl-last-applied/Apply', 'kubectl/Apply']);
    expect(after[1].fieldsV1).toEqual({ 'f:data': { 'f:a': {}, 'f:b': {} } });
    const last = JSON.parse(cm.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
    expect(last.data).toEqual({ a: '9', b: '2' });
    // Back to client-side apply: dropping b removes it (three-way merge against the annotation).
    expect((await s.kubectl(['apply', '-f', '-'], configMap('mig', { a: '9' }))).code).toBe(0);
    expect((await get('cm', 'mig')).data).toEqual({ a: '9' });
  });

  it('names update managers after the client and resets managedFields with [{}]', async () => {
    await s.kubectl(['create', 'cm', 'upd', '--from-literal=a=1']);
    expect((await managed('cm', 'upd')).map((e) => `${e.manager}/${e.operation}`)).toEqual(['kubectl-create/Update']);
    await s.kubectl(['annotate', 'cm', 'upd', 'n=1']);
    await s.kubectl(['patch', 'cm', 'upd', '--type=merge', '-p', '{"data":{"b":"2"}}']);
    const names = (await managed('cm', 'upd')).map((e) => e.manager).sort();
    expect(names).toEqual(['kubectl-annotate', 'kubectl-create', 'kubectl-patch']);
    // A raw client is named after its user agent up to the first slash.
    const r = await s.env.client().call(
      'PATCH',
      '/api/v1/namespaces/default/configmaps/upd',
      { data: { c: '3' } },
      {
        'content-type': 'application/merge-patch+json',
        'user-agent': 'my-operator/1.2.3 (linux)',
      },
    );
    expect(r.status).toBe(200);
    expect((await managed('cm', 'upd')).map((e) => e.manager)).toContain('my-operator');
    const reset = await s.kubectl(['patch', 'cm', 'upd', '--type=merge', '-p', '{"metadata":{"managedFields":[{}]}}']);
    expect(reset.code).toBe(0);
    expect(await managed('cm', 'upd')).toEqual([]);
    // Untracked now: ordinary updates leave it so until an apply, which starts with before-first-apply.
    await s.kubectl(['label', 'cm', 'upd', 'l=1']);
    expect(await managed('cm', 'upd')).toEqual([]);
    await s.kubectl(['apply', '--server-side', '-f', '-'], configMap('upd', { z: '26' }));
    expect((await managed('cm', 'upd')).map((e) => e.manager).sort()).toEqual(['before-first-apply', 'kubectl']);
  });

  it('keeps at most 10 update managers, the oldest merged into ancient-changes', async () => {
    // (An object created with no field to own would stay untracked: kube's skipNonApplied.)
    await s.kubectl(['create', 'cm', 'many', '--from-literal=seed=1']);
    for (let i = 0; i < 12; i++) {
      const r = await s.kubectl([
        'patch',
        'cm',
        'many',
        '--type=merge',
        `--field-manager=m${i}`,
        '-p',
        JSON.stringify({ data: { [`k${i}`]: 'v' } }),
      ]);
      expect(r.code).toBe(0);
    }
    const entries = await managed('cm', 'many');
    expect(entries.filter((e) => e.operation === 'Update')).toHaveLength(10);
    const ancient = entries.find((e) => e.manager === 'ancient-changes')!;
    expect(ancient).toBeDefined();
    expect(Object.keys((ancient.fieldsV1['f:data'] ?? {}) as object).length).toBeGreaterThanOrEqual(1);
  });

  it('applies to the status subresource of a custom resource; the main resource cannot set status', async () => {
    expect((await s.kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(WIDGETS_CRD))).code).toBe(0);
    await s.kubectl(['wait', '--for=condition=Established', 'crd/gadgets.ssa.example.com', '--timeout=20s']);
    const gadget = (spec: object, status?: object): string =>
      JSON.stringify({
        apiVersion: 'ssa.example.com/v1',
        kind: 'Gadget',
        metadata: { name: 'g1', namespace: 'default' },
        spec,
        ...(status ? { status } : {}),
      });
    expect((await s.kubectl(['apply', '--server-side', '-f', '-'], gadget({ size: 1 }, { phase: 'Ignored' }))).code).toBe(0);
    let g = await get('gadget', 'g1');
    expect(g.status).toBeUndefined();
    expect((await managed('gadget', 'g1'))[0].fieldsV1).toEqual({ 'f:spec': { 'f:size': {} } });
    const st = await s.kubectl(
      ['apply', '--server-side', '--subresource=status', '--field-manager=ctrl', '-f', '-'],
      gadget({ size: 99 }, { phase: 'Ready' }),
    );
    expect(st.code).toBe(0);
    g = await get('gadget', 'g1');
    expect(g.status).toEqual({ phase: 'Ready' });
    expect(g.spec.size).toBe(1);
    const ctrl = (await managed('gadget', 'g1')).find((e) => e.manager === 'ctrl')!;
    expect(ctrl).toMatchObject({ operation: 'Apply', subresource: 'status', fieldsV1: { 'f:status': { 'f:phase': {} } } });
  });

  it('applies a Scale to the scale subresource: the applier owns the replicas, recorded under scale', async () => {
    await s.kubectl(['apply', '--server-side', '-f', '-'], deployment('sc', undefined));
    const scale = JSON.stringify({
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: 'sc', namespace: 'default' },
      spec: { replicas: 4 },
    });
    // (kubectl cannot map the Scale kind, on a real cluster neither: an autoscaler applies it through the API.)
    const r = await s.env.client().call('PATCH', '/apis/apps/v1/namespaces/default/deployments/sc/scale?fieldManager=hpa', scale, APPLY);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 4 } });
    expect((await get('deploy', 'sc')).spec.replicas).toBe(4);
    const hpa = (await managed('deploy', 'sc')).find((e) => e.manager === 'hpa')!;
    expect(hpa).toMatchObject({ operation: 'Apply', subresource: 'scale', fieldsV1: { 'f:spec': { 'f:replicas': {} } } });
    // The main resource's applier now conflicts on replicas with the scale applier.
    const conflict = await s.kubectl(['apply', '--server-side', '-f', '-'], deployment('sc', 2));
    expect(conflict.stderr.split('\n')[0]).toBe(
      'error: Apply failed with 1 conflict: conflict with "hpa" with subresource "scale": .spec.replicas',
    );
  });

  it('checks what the API checks: fieldManager, force, type, name, body and media type', async () => {
    const c = s.env.client();
    const path = '/api/v1/namespaces/default/configmaps/chk';
    const noManager = await c.call('PATCH', path, configMap('chk', {}), APPLY);
    expect(noManager.status).toBe(422);
    expect(noManager.body).toMatchObject({
      reason: 'Invalid',
      message: 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    });
    const force = await c.call('PATCH', `${path}?force=true`, { data: {} }, { 'content-type': 'application/merge-patch+json' });
    expect(force.status).toBe(422);
    expect((force.body as { message: string }).message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
    );
    const long = await c.call('PATCH', `${path}?fieldManager=${'x'.repeat(129)}`, configMap('chk', {}), APPLY);
    expect((long.body as { message: string }).message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes',
    );
    const wrongKind = await c.call(
      'PATCH',
      `${path}?fieldManager=t`,
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'chk' } },
      APPLY,
    );
    expect(wrongKind.status).toBe(400);
    expect((wrongKind.body as { message: string }).message).toBe('invalid object type: /v1, Kind=Secret');
    const wrongName = await c.call('PATCH', `${path}?fieldManager=t`, configMap('other', {}), APPLY);
    expect(wrongName.status).toBe(400);
    expect((wrongName.body as { message: string }).message).toBe('the name of the object (other) does not match the name on the URL (chk)');
    const withManaged = await c.call(
      'PATCH',
      `${path}?fieldManager=t`,
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'chk', managedFields: [] } },
      APPLY,
    );
    expect((withManaged.body as { message: string }).message).toBe('metadata.managedFields must be nil');
    const undeclared = await c.call(
      'PATCH',
      `${path}?fieldManager=t`,
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'chk' }, spec: {} },
      APPLY,
    );
    expect(undeclared.status).toBe(500);
    expect((undeclared.body as { message: string }).message).toBe(
      'failed to create typed patch object (/chk; /v1, Kind=ConfigMap): .spec: field not declared in schema',
    );
    const cbor = await c.call('PATCH', `${path}?fieldManager=t`, '{}', { 'content-type': 'application/apply-patch+cbor' });
    expect(cbor.status).toBe(415);
    expect((cbor.body as { message: string }).message).toBe(
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml',
    );
    // YAML bodies; a 201 for a create.
    const yaml = await c.call(
      'PATCH',
      `${path}?fieldManager=t`,
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: chk\ndata:\n  k: v\n',
      APPLY,
    );
    expect(yaml.status).toBe(201);
    expect((yaml.body as { data: object }).data).toEqual({ k: 'v' });
    expect(
      (await c.call('PATCH', `${path}?fieldManager=t`, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: chk\n', APPLY)).status,
    ).toBe(200);
  });

  it('client-node PatchStrategy.ServerSideApply: a ConfigMap, and two managers owning keys of one list-map', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(s.env.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const opts = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply);
    const cm = await core.patchNamespacedConfigMap(
      {
        name: 'cn-ssa',
        namespace: 'default',
        fieldManager: 'op',
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cn-ssa' }, data: { a: '1' } },
      },
      opts,
    );
    expect(cm.data).toEqual({ a: '1' });
    expect(cm.metadata?.managedFields?.[0]).toMatchObject({ manager: 'op', operation: 'Apply' });
    await s.kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(WIDGETS_CRD));
    await s.kubectl(['wait', '--for=condition=Established', 'crd/gadgets.ssa.example.com', '--timeout=20s']);
    const objects = kc.makeApiClient(k8s.CustomObjectsApi);
    const applyGadget = (manager: string, ports: Array<{ name: string; port: number }>, force = false) =>
      objects.patchNamespacedCustomObject(
        {
          group: 'ssa.example.com',
          version: 'v1',
          namespace: 'default',
          plural: 'gadgets',
          name: 'lm',
          fieldManager: manager,
          force,
          body: { apiVersion: 'ssa.example.com/v1', kind: 'Gadget', metadata: { name: 'lm' }, spec: { ports } },
        },
        opts,
      );
    await applyGadget('alpha', [{ name: 'http', port: 80 }]);
    const both = (await applyGadget('beta', [{ name: 'grpc', port: 9090 }])) as {
      spec: { ports: unknown[] };
      metadata: { managedFields: Entry[] };
    };
    expect(both.spec.ports).toEqual([
      { name: 'http', port: 80 },
      { name: 'grpc', port: 9090 },
    ]);
    const byManager = Object.fromEntries(both.metadata.managedFields.map((e) => [e.manager, e.fieldsV1]));
    expect(byManager.alpha).toEqual({ 'f:spec': { 'f:ports': { 'k:{"name":"http"}': { '.': {}, 'f:name': {}, 'f:port': {} } } } });
    expect(byManager.beta).toEqual({ 'f:spec': { 'f:ports': { 'k:{"name":"grpc"}': { '.': {}, 'f:name': {}, 'f:port': {} } } } });
    // beta changing alpha's port conflicts; forced, it takes the field; alpha dropping its item keeps beta's.
    await expect(
      applyGadget('beta', [
        { name: 'grpc', port: 9090 },
        { name: 'http', port: 8080 },
      ]),
    ).rejects.toMatchObject({ code: 409 });
    await applyGadget(
      'beta',
      [
        { name: 'grpc', port: 9090 },
        { name: 'http', port: 8080 },
      ],
      true,
    );
    // The merge keeps the applied order for shared items (structured-merge-diff's list merge).
    const after = (await applyGadget('alpha', [])) as { spec: { ports: unknown[] } };
    expect(after.spec.ports).toEqual([
      { name: 'grpc', port: 9090 },
      { name: 'http', port: 8080 },
    ]);
  });
});
