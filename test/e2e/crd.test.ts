// CustomResourceDefinitions end to end with kubectl: the fixture CRD's schema,
// defaults, CEL rules, subresources and printer columns, on every backend.

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { useEnv } from '../helpers/env.js';

const FIXTURES = path.resolve(__dirname, '../../fixtures');

const widget = (name: string, spec: string): string => `apiVersion: example.com/v1
kind: Widget
metadata:
  name: ${name}
  namespace: demo
spec:
${spec}
`;

describe.each(BACKENDS)('CRDs on %s storage', (storage) => {
  const s = useEnv(storage, { crds: [path.join(FIXTURES, 'crds')], manifests: [path.join(FIXTURES, 'manifests')] });

  it('establishes the fixture CRD and serves it in discovery', async () => {
    const crd = JSON.parse((await s.kubectl(['get', 'crd', 'widgets.example.com', '-o', 'json'])).stdout);
    const conds = Object.fromEntries(
      crd.status.conditions.map((c: { type: string; status: string; reason: string }) => [c.type, `${c.status}/${c.reason}`]),
    );
    expect(conds).toEqual({ NamesAccepted: 'True/NoConflicts', Established: 'True/InitialNamesAccepted' });
    expect(crd.status.storedVersions).toEqual(['v1']);
    expect(crd.metadata.finalizers).toEqual(['customresourcecleanup.apiextensions.k8s.io']);
    const ar = await s.kubectl(['api-resources', '--api-group=example.com', '--no-headers']);
    expect(ar.stdout).toMatch(/^widgets\s+wd\s+example\.com\/v1\s+true\s+Widget$/m);
  });

  it('applies defaults and prints the printer columns', async () => {
    const table = await s.kubectl(['get', 'wd', '-n', 'demo']);
    expect(table.stdout).toMatch(/^NAME\s+SIZE\s+REPLICAS\s+READY\s+AGE\nbig-one\s+large\s+3\s+\d+s\nsmall-one\s+small\s+1\s+\d+s\n$/);
    const obj = JSON.parse((await s.kubectl(['get', 'widget', 'small-one', '-n', 'demo', '-o', 'json'])).stdout);
    expect(obj.spec).toEqual({ size: 'small', color: 'blue', replicas: 1, minReplicas: 0 });
    expect(obj.metadata.generation).toBe(1);
  });

  it('refuses invalid objects with kube-apiserver wording', async () => {
    // Type, enum and required errors are blocking: the CEL rules are not run and kube says so (hasBlockingErr).
    const skipped =
      '* <nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation';
    const typed = await s.kubectl(['create', '-f', '-'], widget('bad-type', '  size: small\n  replicas: "three"'));
    expect(typed.stderr).toContain(
      'The Widget "bad-type" is invalid: \n* spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"\n' +
        skipped,
    );
    const enumErr = await s.kubectl(['create', '-f', '-'], widget('bad-enum', '  size: huge'));
    expect(enumErr.stderr).toContain('spec.size: Unsupported value: "huge": supported values: "small", "medium", "large"');
    expect(enumErr.stderr).toContain(skipped);
    const required = await s.kubectl(['create', '-f', '-'], widget('bad-req', '  replicas: 1'));
    expect(required.stderr).toContain(`The Widget "bad-req" is invalid: \n* spec.size: Required value\n${skipped}`);
    const cel = await s.kubectl(['create', '-f', '-'], widget('bad-cel', '  size: small\n  replicas: 1\n  minReplicas: 4'));
    expect(cel.stderr).toContain('The Widget "bad-cel" is invalid: spec: Invalid value: "object": replicas must be at least minReplicas');
    const dup = await s.kubectl(
      ['create', '-f', '-'],
      widget('bad-map', '  size: small\n  ports: [{name: a, port: 1}, {name: a, port: 2}]'),
    );
    expect(dup.stderr).toContain('spec.ports[1]: Duplicate value: map[string]interface {}{"name":"a"}');
    const unknown = await s.kubectl(['create', '-f', '-'], widget('bad-field', '  size: small\n  bogus: true'));
    expect(unknown.stderr).toContain('unknown field "spec.bogus"');
  });

  it('enforces transition rules and refuses strategic merge patch', async () => {
    const r = await s.kubectl(['patch', 'widget', 'small-one', '-n', 'demo', '--type=merge', '-p', '{"spec":{"color":"green"}}']);
    expect(r.stderr).toContain('The Widget "small-one" is invalid: spec.color: Invalid value: "string": color is immutable');
    const smp = await s.kubectl(['patch', 'widget', 'small-one', '-n', 'demo', '-p', '{"spec":{"size":"medium"}}']);
    expect(smp.stderr).toContain(
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json',
    );
  });

  it('serves status and scale subresources', async () => {
    expect((await s.kubectl(['scale', 'widget', 'big-one', '-n', 'demo', '--replicas=5'])).stdout).toContain(
      'widget.example.com/big-one scaled',
    );
    const scaled = JSON.parse((await s.kubectl(['get', 'widget', 'big-one', '-n', 'demo', '-o', 'json'])).stdout);
    expect(scaled.spec.replicas).toBe(5);
    expect(scaled.metadata.generation).toBe(2);
    const missing = await s.client.call<{ code: number; reason: string; message: string }>(
      'PUT',
      '/apis/example.com/v1/namespaces/demo/widgets/nope/scale',
      { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'nope', namespace: 'demo' }, spec: { replicas: 1 } },
    );
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ reason: 'NotFound', message: 'widgets.example.com "nope" not found' });
    const st = await s.kubectl([
      'patch',
      'widget',
      'big-one',
      '-n',
      'demo',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"replicas":5,"selector":"app=big","conditions":[{"type":"Ready","status":"True"}]},"spec":{"replicas":9}}',
    ]);
    expect(st.code).toBe(0);
    const after = JSON.parse((await s.kubectl(['get', 'widget', 'big-one', '-n', 'demo', '-o', 'json'])).stdout);
    expect(after.spec.replicas).toBe(5);
    expect(after.status.replicas).toBe(5);
    expect(after.metadata.generation).toBe(2);
    const main = await s.kubectl(['patch', 'widget', 'big-one', '-n', 'demo', '--type=merge', '-p', '{"status":{"replicas":1}}']);
    expect(main.code).toBe(0);
    expect(JSON.parse((await s.kubectl(['get', 'widget', 'big-one', '-n', 'demo', '-o', 'json'])).stdout).status.replicas).toBe(5);
    const table = await s.kubectl(['get', 'widget', 'big-one', '-n', 'demo', '--no-headers']);
    expect(table.stdout).toMatch(/^big-one\s+large\s+5\s+True\s+\d+s$/m);
    const scale = await s.client.get<{ kind: string; spec: { replicas: number }; status: { replicas: number; selector: string } }>(
      '/apis/example.com/v1/namespaces/demo/widgets/big-one/scale',
    );
    expect(scale.body).toMatchObject({ kind: 'Scale', spec: { replicas: 5 }, status: { replicas: 5, selector: 'app=big' } });
  });

  it('filters on selectableFields and explains the schema', async () => {
    const r = await s.kubectl(['get', 'widgets', '-n', 'demo', '--field-selector', 'spec.size=large', '-o', 'name']);
    expect(r.stdout.trim()).toBe('widget.example.com/big-one');
    const bad = await s.kubectl(['get', 'widgets', '-n', 'demo', '--field-selector', 'spec.color=blue']);
    expect(bad.stderr).toContain('field label not supported: spec.color');
    const explain = await s.kubectl(['explain', 'widget.spec']);
    expect(explain.stdout).toContain('KIND:       Widget');
    expect(explain.stdout).toMatch(/replicas\s+<integer>/);
  });

  it('decodes CRD bodies as a typed built-in: fieldValidation, pruning, Go types, duplicate keys', async () => {
    const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
    const body = (name: string, extra: Record<string, unknown> = {}) => ({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${name}s.decode.example.com` },
      spec: {
        group: 'decode.example.com',
        scope: 'Namespaced',
        names: { plural: `${name}s`, kind: name[0].toUpperCase() + name.slice(1) },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }],
        ...extra,
      },
    });
    const cannot = 'CustomResourceDefinition in version "v1" cannot be handled as a CustomResourceDefinition: ';
    // Strict: 400, nothing stored.
    const strict = await s.client.post<{ message: string }>(`${CRDS}?fieldValidation=Strict`, body('strict', { foo: 1 }));
    expect(strict.status).toBe(400);
    expect(strict.body.message).toBe(`${cannot}strict decoding error: unknown field "spec.foo"`);
    expect((await s.client.get(`${CRDS}/stricts.decode.example.com`)).status).toBe(404);
    // Warn (the default): stored without the unknown field, with a warning.
    const warn = await s.client.post<{ spec: Record<string, unknown> }>(CRDS, body('warned', { foo: 1 }));
    expect(warn.status, warn.text).toBe(201);
    expect([warn.headers.warning].flat()).toEqual(['299 - "unknown field \\"spec.foo\\""']);
    expect(warn.body.spec).not.toHaveProperty('foo');
    // PUT gets the same decoding.
    const current = await s.client.get<{ metadata: Record<string, unknown> }>(`${CRDS}/warneds.decode.example.com`);
    const put = await s.client.call<{ message: string }>('PUT', `${CRDS}/warneds.decode.example.com?fieldValidation=Strict`, {
      ...body('warned', { bar: true }),
      metadata: current.body.metadata,
    });
    expect(put.status).toBe(400);
    expect(put.body.message).toBe(`${cannot}strict decoding error: unknown field "spec.bar"`);
    // Go types: a string where the API has a bool.
    const typed = await s.client.post<{ message: string }>(CRDS, {
      ...body('typed'),
      spec: { ...body('typed').spec, versions: [{ name: 'v1', served: 'yes', storage: true }] },
    });
    expect(typed.status).toBe(400);
    expect(typed.body.message).toContain(cannot);
    // Repeated keys, as kube's strict JSON decoder reports them.
    const text = JSON.stringify(body('dup')).replace('"scope":"Namespaced"', '"scope":"Cluster","scope":"Namespaced"');
    const dup = await s.client.post<{ message: string }>(`${CRDS}?fieldValidation=Strict`, text);
    expect(dup.status).toBe(400);
    expect(dup.body.message).toBe(`${cannot}strict decoding error: duplicate field "spec.scope"`);
    // kubectl's --validate=strict is this server-side check.
    const yaml = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: kubectls.decode.example.com}
spec:
  group: decode.example.com
  scope: Namespaced
  names: {plural: kubectls, kind: Kubectl}
  foo: 1
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
`;
    const create = await s.kubectl(['create', '--validate=strict', '-f', '-'], yaml);
    expect(create.code).not.toBe(0);
    expect(create.stderr).toContain(
      `Error from server (BadRequest): error when creating "STDIN": ${cannot}strict decoding error: unknown field "spec.foo"`,
    );
  });

  it('removes the API and every custom resource when the CRD is deleted', async () => {
    expect((await s.kubectl(['delete', 'crd', 'widgets.example.com'])).code).toBe(0);
    const gone = await s.kubectl(['get', 'crd', 'widgets.example.com']);
    expect(gone.stderr).toContain('customresourcedefinitions.apiextensions.k8s.io "widgets.example.com" not found');
    const api = await s.client.get('/apis/example.com/v1/namespaces/demo/widgets');
    expect(api.status).toBe(404);
    const keys = await s.env.client().get<{ groups: Array<{ name: string }> }>('/apis');
    expect(keys.body.groups.map((g) => g.name)).not.toContain('example.com');
  });
});

describe('validation ratcheting', () => {
  const s = useEnv('memory', { crds: [path.join(FIXTURES, 'crds')] });

  it('lets an unchanged invalid field through an update once the schema tightened', async () => {
    await s.kubectl(['create', 'ns', 'demo']);
    expect((await s.kubectl(['create', '-f', '-'], widget('old', '  size: small\n  color: abc'))).code).toBe(0);
    const crd = JSON.parse((await s.kubectl(['get', 'crd', 'widgets.example.com', '-o', 'json'])).stdout);
    crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.color.maxLength = 2;
    expect((await s.kubectl(['replace', '-f', '-'], JSON.stringify(crd))).code).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    // color is now too long, but an update that leaves it alone still succeeds.
    const r = await s.kubectl(['patch', 'widget', 'old', '-n', 'demo', '--type=merge', '-p', '{"spec":{"replicas":4}}']);
    expect(r.stderr).toBe('');
    const fresh = await s.kubectl(['create', '-f', '-'], widget('new', '  size: small\n  color: abc'));
    expect(fresh.stderr).toContain('spec.color: Too long: may not be more than 2 bytes');
  });
});
