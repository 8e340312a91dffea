// Strategic merge patch on the wire, on every backend: the patch metadata kubectl reads from
// /openapi/v3 (and /openapi/v2 as gnostic protobuf), `kubectl patch --type strategic`,
// client-side `kubectl apply` (three-way patches from the last-applied annotation) and the
// patch handler's answers to malformed patches.

import { execFile } from 'node:child_process';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { decodeOpenAPIV2Protobuf } from '../../src/server/endpoints/openapi/gnostic.js';
import { builtinPatchMeta } from '../../src/server/schema/builtin/strategic-meta.js';
import { BACKENDS } from '../helpers/backends.js';
import { type SuiteEnv, useEnv } from '../helpers/env.js';

const PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
const SMP = { 'content-type': 'application/strategic-merge-patch+json' };

/** The parts of OpenAPI schemas, gnostic messages and objects these tests read. */
interface Schema {
  properties: Record<string, Schema>;
  items?: Schema;
  $ref?: string;
  [extension: string]: unknown;
}
type Named<T> = { name: string; value: T };
interface GSchema {
  properties: { additionalProperties: Array<Named<GSchema>> };
  vendorExtension: Array<Named<{ yaml: string }>>;
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  env: Array<{ name: string; value?: string }>;
  ports: Array<{ containerPort: number }>;
}
interface Obj {
  metadata: { labels?: Record<string, string>; finalizers?: string[]; ownerReferences: Array<{ name: string }> };
  spec: { strategy?: unknown; template: { spec: { containers: Container[] } } };
  data?: Record<string, string>;
  secrets?: Array<{ name: string }>;
  imagePullSecrets?: Array<{ name: string }>;
  type?: string;
}
interface Status {
  code: number;
  reason?: string;
  message: string;
}

/** kubectl with extra environment (KUBECTL_OPENAPIV3_PATCH=false: client-side apply reads /openapi/v2). */
function kubectlEnv(s: SuiteEnv, env: Record<string, string>, args: string[], input?: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      'kubectl',
      ['--kubeconfig', s.env.kubeconfigPath, ...args],
      { timeout: 30_000, env: { ...process.env, ...env } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

async function getJSON(s: SuiteEnv, args: string[]): Promise<Obj> {
  const r = await s.kubectl(['get', ...args, '-o', 'json']);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as Obj;
}

async function ok(p: Promise<{ code: number; stdout: string; stderr: string }>): Promise<string> {
  const r = await p;
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

const deployment = (name: string, o: { labels: string; containers: string; strategy?: string }): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: default
  labels: {${o.labels}}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
${o.strategy ?? ''}  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
${o.containers}`;

const APP = (env: string) => `      - name: app
        image: nginx:1.25
        ports: [{containerPort: 80}]
        env: [${env}]
`;
const SIDECAR = `      - name: sidecar
        image: busybox:1.36
        args: [sleep, infinity]
`;

describe.each(BACKENDS)('strategic merge patch on %s storage', (storage) => {
  const s = useEnv(storage);

  it('publishes the patch metadata in /openapi/v2 (JSON and gnostic protobuf) and /openapi/v3', async () => {
    const v2 = (await s.client.get<{ definitions: Record<string, Schema> }>('/openapi/v2')).body.definitions;
    expect(v2['io.k8s.api.core.v1.PodSpec'].properties.containers).toMatchObject({
      items: { $ref: '#/definitions/io.k8s.api.core.v1.Container' },
      'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    });
    expect(v2['io.k8s.api.core.v1.Container'].properties.ports).toMatchObject({
      'x-kubernetes-patch-merge-key': 'containerPort',
      'x-kubernetes-list-map-keys': ['containerPort', 'protocol'],
    });
    expect(v2['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties.ownerReferences).toMatchObject({
      'x-kubernetes-patch-merge-key': 'uid',
      'x-kubernetes-patch-strategy': 'merge',
    });
    expect(v2['io.k8s.api.core.v1.ServiceAccount'].properties.secrets).toMatchObject({ 'x-kubernetes-patch-merge-key': 'name' });
    expect(v2['io.k8s.api.apps.v1.DeploymentSpec'].properties.strategy).toMatchObject({
      $ref: '#/definitions/io.k8s.api.apps.v1.DeploymentStrategy',
      'x-kubernetes-patch-strategy': 'retainKeys',
    });
    expect(v2['io.k8s.api.core.v1.LocalObjectReference']['x-kubernetes-map-type']).toBe('atomic');

    // Our definition names line up with the generated metadata's: every struct edge it walks
    // points where the published schema's property does.
    let edges = 0;
    const meta = builtinPatchMeta();
    for (const name of meta.names()) {
      const d = meta.definition(name)!;
      if (!v2[name]) continue;
      for (const [field, f] of Object.entries(d.fields ?? {})) {
        const prop = v2[name].properties?.[field];
        expect(prop, `${name}.${field}`).toBeDefined();
        if (!f.ref) continue;
        const ref = f.ref.includes('.') ? f.ref : `${name.slice(0, name.lastIndexOf('.'))}.${f.ref}`;
        expect(prop.$ref ?? prop.items?.$ref, `${name}.${field}`).toBe(`#/definitions/${ref}`);
        edges++;
      }
    }
    expect(edges).toBeGreaterThan(20);

    // kubectl reads /openapi/v2 as gnostic protobuf: the extensions travel as vendor extensions.
    const res = await request(`${s.client.creds.server}/openapi/v2`, { dispatcher: s.client.agent, headers: { accept: PROTOBUF } });
    const pb = decodeOpenAPIV2Protobuf(Buffer.from(await res.body.arrayBuffer())) as unknown as {
      definitions: { additionalProperties: Array<Named<GSchema>> };
    };
    const podSpec = pb.definitions.additionalProperties.find((d) => d.name === 'io.k8s.api.core.v1.PodSpec')!.value;
    const containers = podSpec.properties.additionalProperties.find((p) => p.name === 'containers')!.value;
    const ext = Object.fromEntries(containers.vendorExtension.map((e) => [e.name, parseYaml(e.value.yaml)]));
    expect(ext).toMatchObject({ 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge' });

    const v3 = (await s.client.get<{ components: { schemas: Record<string, Schema> } }>('/openapi/v3/apis/apps/v1')).body.components
      .schemas;
    expect(v3['io.k8s.api.apps.v1.DeploymentSpec'].properties.strategy).toMatchObject({
      allOf: [{ $ref: '#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy' }],
      'x-kubernetes-patch-strategy': 'retainKeys',
    });
    expect(v3['io.k8s.api.core.v1.PodSpec'].properties.volumes).toMatchObject({
      'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-patch-strategy': 'merge,retainKeys',
    });
  });

  it('kubectl patch --type strategic merges lists by their keys', async () => {
    await ok(
      s.kubectl(
        ['create', '-f', '-'],
        `apiVersion: v1
kind: ConfigMap
metadata:
  name: owned
  namespace: default
  finalizers: [example.com/a]
  ownerReferences:
  - {apiVersion: v1, kind: ConfigMap, name: o1, uid: 00000000-0000-0000-0000-000000000001}
  - {apiVersion: v1, kind: ConfigMap, name: o2, uid: 00000000-0000-0000-0000-000000000002}
data: {a: "1", b: "2"}
`,
      ),
    );
    const patch = {
      metadata: {
        finalizers: ['example.com/b'],
        ownerReferences: [{ uid: '00000000-0000-0000-0000-000000000001', $patch: 'delete' }],
      },
      data: { b: null, c: '3' },
    };
    await ok(s.kubectl(['patch', 'cm', 'owned', '--type', 'strategic', '-p', JSON.stringify(patch)]));
    let cm = await getJSON(s, ['cm', 'owned']);
    expect(cm.metadata.finalizers).toEqual(['example.com/b', 'example.com/a']);
    expect(cm.metadata.ownerReferences.map((o) => o.name)).toEqual(['o2']);
    expect(cm.data).toEqual({ a: '1', c: '3' });
    await ok(
      s.kubectl(['patch', 'cm', 'owned', '-p', '{"metadata":{"$deleteFromPrimitiveList/finalizers":["example.com/a","example.com/b"]}}']),
    );
    cm = await getJSON(s, ['cm', 'owned']);
    expect(cm.metadata.finalizers).toBeUndefined();

    // ServiceAccount secrets merge by name; a new item goes first, as kube orders it.
    await ok(
      s.kubectl(
        ['create', '-f', '-'],
        'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: robot, namespace: default}\nsecrets: [{name: s1}]\n',
      ),
    );
    await ok(s.kubectl(['patch', 'sa', 'robot', '-p', '{"secrets":[{"name":"s2"}],"imagePullSecrets":[{"name":"pull"}]}']));
    const sa = await getJSON(s, ['sa', 'robot']);
    expect(sa.secrets).toEqual([{ name: 's2' }, { name: 's1' }]);
    expect(sa.imagePullSecrets).toEqual([{ name: 'pull' }]);

    // Namespace finalizers in metadata merge as a set.
    await ok(s.kubectl(['create', 'ns', 'smp-ns']));
    await ok(s.kubectl(['patch', 'ns', 'smp-ns', '-p', '{"metadata":{"finalizers":["example.com/keep"],"labels":{"team":"a"}}}']));
    const ns = await getJSON(s, ['ns', 'smp-ns']);
    expect(ns.metadata.finalizers).toEqual(['example.com/keep']);
    expect(ns.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'smp-ns', team: 'a' });
    await ok(s.kubectl(['patch', 'ns', 'smp-ns', '-p', '{"metadata":{"finalizers":null}}']));
  });

  it('kubectl patch, set image and set env on a Deployment merge containers, env and ports', async () => {
    await ok(s.kubectl(['apply', '-f', '-'], deployment('patched', { labels: 'app: patched', containers: APP('{name: A, value: "1"}') })));
    await ok(
      s.kubectl([
        'patch',
        'deployment',
        'patched',
        '--type',
        'strategic',
        '-p',
        JSON.stringify({
          spec: {
            template: {
              spec: { containers: [{ name: 'app', env: [{ name: 'B', value: '2' }], ports: [{ containerPort: 8080, name: 'alt' }] }] },
            },
          },
        }),
      ]),
    );
    await ok(s.kubectl(['set', 'image', 'deployment/patched', 'app=nginx:1.27']));
    await ok(s.kubectl(['set', 'env', 'deployment/patched', '-c', 'app', 'C=3']));
    const d = await getJSON(s, ['deployment', 'patched']);
    const app = d.spec.template.spec.containers[0];
    expect(d.spec.template.spec.containers).toHaveLength(1);
    expect(app.image).toBe('nginx:1.27');
    expect(app.env).toEqual([
      { name: 'B', value: '2' },
      { name: 'A', value: '1' },
      { name: 'C', value: '3' },
    ]);
    expect(app.ports.map((p) => p.containerPort)).toEqual([8080, 80]);
  });

  for (const [mode, env] of [
    ['openapi v3', {}],
    ['openapi v2 protobuf', { KUBECTL_OPENAPIV3_PATCH: 'false' }],
  ] as const) {
    it(`client-side kubectl apply three-way merges a Deployment (${mode})`, async () => {
      const name = env.KUBECTL_OPENAPIV3_PATCH ? 'web-v2' : 'web-v3';
      const apply = (yaml: string) => ok(kubectlEnv(s, env, ['apply', '-f', '-'], yaml));
      await apply(deployment(name, { labels: 'app: web, tier: front', containers: APP('{name: A, value: "1"}, {name: B, value: "2"}') }));
      // Changes made on the server since, which the next applies must keep.
      await ok(s.kubectl(['set', 'env', `deployment/${name}`, '-c', 'app', 'X=server']));
      await ok(s.kubectl(['label', 'deployment', name, 'extra=server']));

      // Add a sidecar and an env var, remove an env var and a label.
      await apply(deployment(name, { labels: 'app: web', containers: APP('{name: A, value: "1"}, {name: C, value: "3"}') + SIDECAR }));
      let d = await getJSON(s, ['deployment', name]);
      expect(d.metadata.labels).toEqual({ app: 'web', extra: 'server' });
      expect(d.spec.template.spec.containers.map((c) => c.name)).toEqual(['app', 'sidecar']);
      // The server-only X sits where kube's merge leaves it: after A, before the new C.
      expect(d.spec.template.spec.containers[0].env).toEqual([
        { name: 'A', value: '1' },
        { name: 'X', value: 'server' },
        { name: 'C', value: '3' },
      ]);
      expect(d.spec.template.spec.containers[1].args).toEqual(['sleep', 'infinity']);

      // Remove the sidecar; switch the strategy to Recreate ($retainKeys drops rollingUpdate).
      await apply(
        deployment(name, {
          labels: 'app: web',
          containers: APP('{name: A, value: "1"}, {name: C, value: "3"}'),
          strategy: '  strategy: {type: Recreate}\n',
        }),
      );
      d = await getJSON(s, ['deployment', name]);
      expect(d.spec.template.spec.containers.map((c) => c.name)).toEqual(['app']);
      expect(d.spec.template.spec.containers[0].env.map((e) => e.name)).toEqual(['A', 'X', 'C']);
      expect(d.spec.strategy).toEqual({ type: 'Recreate' });
    });
  }

  it('client-side kubectl apply three-way merges ConfigMap, ServiceAccount, Namespace and Secret', async () => {
    const cm = (data: string, labels: string, finalizers: string) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  namespace: default\n  labels: {${labels}}\n  finalizers: [${finalizers}]\ndata: {${data}}\n`;
    await ok(s.kubectl(['apply', '-f', '-'], cm('a: "1", b: "2"', 'x: "1", y: "2"', 'example.com/f1, example.com/f2')));
    await ok(s.kubectl(['label', 'cm', 'applied', 'z=server']));
    await ok(s.kubectl(['patch', 'cm', 'applied', '-p', '{"metadata":{"finalizers":["example.com/server"]}}']));
    await ok(s.kubectl(['apply', '-f', '-'], cm('a: "1"', 'x: "1"', 'example.com/f1')));
    const c = await getJSON(s, ['cm', 'applied']);
    expect(c.data).toEqual({ a: '1' });
    expect(c.metadata.labels).toEqual({ x: '1', z: 'server' });
    expect(c.metadata.finalizers).toEqual(['example.com/server', 'example.com/f1']);
    await ok(s.kubectl(['patch', 'cm', 'applied', '--type', 'merge', '-p', '{"metadata":{"finalizers":null}}']));

    const sa = (secrets: string) =>
      `apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: applied, namespace: default}\nsecrets: [${secrets}]\n`;
    await ok(s.kubectl(['apply', '-f', '-'], sa('{name: s1}, {name: s2}')));
    await ok(s.kubectl(['patch', 'sa', 'applied', '-p', '{"secrets":[{"name":"s3"}]}']));
    await ok(s.kubectl(['apply', '-f', '-'], sa('{name: s1}')));
    expect((await getJSON(s, ['sa', 'applied'])).secrets).toEqual([{ name: 's3' }, { name: 's1' }]);

    const ns = (labels: string) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: applied-ns\n  labels: {${labels}}\n`;
    await ok(s.kubectl(['apply', '-f', '-'], ns('team: a, tier: b')));
    await ok(s.kubectl(['apply', '-f', '-'], ns('team: a')));
    expect((await getJSON(s, ['ns', 'applied-ns'])).metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'applied-ns', team: 'a' });

    const secret = (data: string) => `apiVersion: v1\nkind: Secret\nmetadata: {name: applied, namespace: default}\ndata: {${data}}\n`;
    await ok(s.kubectl(['apply', '-f', '-'], secret('a: YQ==, b: Yg==')));
    await ok(s.kubectl(['apply', '-f', '-'], secret('a: YQ==')));
    const sec = await getJSON(s, ['secret', 'applied']);
    expect(sec.data).toEqual({ a: 'YQ==' });
    expect(sec.type).toBe('Opaque');
  });

  it("answers malformed strategic merge patches with kube's codes and messages", async () => {
    await ok(s.kubectl(['create', 'cm', 'bad-patch', '--from-literal=a=b']));
    const path = '/api/v1/namespaces/default/configmaps/bad-patch';
    const send = (body: unknown) => s.client.call<Status>('PATCH', path, body, SMP);

    const unknown = await send({ data: { $patch: 'foo' } });
    expect(unknown.status).toBe(500);
    expect(unknown.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'unknown patch type: foo in map: map[$patch:foo]',
      code: 500,
    });
    const viaKubectl = await s.kubectl(['patch', 'cm', 'bad-patch', '-p', '{"data":{"$patch":"foo"}}']);
    expect(viaKubectl.stderr.trim()).toBe('Error from server: unknown patch type: foo in map: map[$patch:foo]');

    const retain = await send({ data: { $retainKeys: ['a'], b: 'c' } });
    expect([retain.status, retain.body.reason, retain.body.message]).toEqual([400, 'BadRequest', 'invalid patch format of retainKeys']);
    const primitive = await send({ metadata: { $deleteFromPrimitiveListfinalizers: ['x'] } });
    expect([primitive.status, primitive.body.message]).toEqual([400, 'invalid patch format of primitive list']);
    const setOrder = await send({ metadata: { $setElementOrderfinalizers: ['x'] } });
    expect([setOrder.status, setOrder.body.message]).toEqual([400, 'invalid patch format of setElementOrder list']);

    const owner = { apiVersion: 'v1', kind: 'ConfigMap', name: 'o', uid: '00000000-0000-0000-0000-000000000009' };
    await ok(s.kubectl(['patch', 'cm', 'bad-patch', '--type', 'merge', '-p', JSON.stringify({ metadata: { ownerReferences: [owner] } })]));
    const noKey = await send({ metadata: { ownerReferences: [{ name: 'x' }] } });
    expect([noKey.status, noKey.body.message]).toEqual([500, 'map: map[name:x] does not contain declared merge key: uid']);
    const mixed = await send({ metadata: { ownerReferences: ['x'] } });
    expect([mixed.status, mixed.body.message]).toEqual([
      500,
      `list element types are not identical: [[map[apiVersion:v1 kind:ConfigMap name:o uid:${owner.uid}]] [x]]`,
    ]);
    const notMap = await send(['x']);
    expect([notMap.status, notMap.body.message]).toEqual([
      400,
      'json: cannot unmarshal array into Go value of type map[string]interface {}',
    ]);
    // A null body is an empty patch.
    expect((await send(null)).status).toBe(200);
  });
});
