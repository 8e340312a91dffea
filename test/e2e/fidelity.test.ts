// Wire fidelity of the write path: read-modify-replace with typed clients
// (times as client-node serialises them), objects stored and served without
// Go's empty omitempty fields, deprecated CRD versions answering with a
// Warning on every verb, and CEL rules still evaluated after non-blocking
// schema errors.

import * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { testCRD, waitServed } from '../helpers/crds.js';
import { useEnv } from '../helpers/env.js';

const NS = '/api/v1/namespaces/default';
const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
interface Meta {
  name: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
  deletionTimestamp?: string;
  [k: string]: unknown;
}
interface Obj {
  metadata: Meta;
  [k: string]: unknown;
}
interface StatusBody {
  code: number;
  reason: string;
  message: string;
  details?: { causes?: Array<{ field: string; reason: string; message: string }> };
}

/** Everything but values the server picks (uid, resourceVersion, times, managedFields). */
function shape(o: Obj): Obj {
  const m = { ...o.metadata };
  for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'managedFields'])
    if (k in m) m[k] = k === 'managedFields' ? undefined : '*';
  delete m.managedFields;
  return { ...o, metadata: m as Meta };
}

const EMPTY_META = {
  generateName: '',
  labels: {},
  annotations: {},
  finalizers: [],
  ownerReferences: [],
  generation: 0,
  selfLink: '',
  deletionTimestamp: null,
};

describe.each(BACKENDS)('write-path fidelity on %s storage', (storage) => {
  const s = useEnv(storage);

  it('read-modify-replace with client-node typed objects keeps creationTimestamp', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(s.env.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'rmr' }, data: { a: '1' } } });
    const read = await core.readNamespacedConfigMap({ name: 'rmr', namespace: 'default' });
    expect(read.metadata?.creationTimestamp).toBeInstanceOf(Date);
    read.data = { a: '2' };
    const replaced = await core.replaceNamespacedConfigMap({ name: 'rmr', namespace: 'default', body: read });
    expect(replaced.data).toEqual({ a: '2' });
    expect(replaced.metadata?.creationTimestamp?.getTime()).toBe(read.metadata?.creationTimestamp?.getTime());
    const raw = await s.client.get<Obj>(`${NS}/configmaps/rmr`);
    expect(raw.body.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('a raw PUT with .000Z times, or another creationTimestamp, keeps the stored ones', async () => {
    const created = await s.client.post<Obj>(`${NS}/configmaps`, { metadata: { name: 'times', finalizers: ['example.com/hold'] } });
    const ct = created.body.metadata.creationTimestamp;
    const millis = ct.replace('Z', '.000Z');
    const put = await s.client.call<Obj>('PUT', `${NS}/configmaps/times`, {
      metadata: { ...created.body.metadata, creationTimestamp: millis },
      data: { x: 'y' },
    });
    expect(put.status, put.text).toBe(200);
    expect(put.body.metadata.creationTimestamp).toBe(ct);
    const other = await s.client.call<Obj>('PUT', `${NS}/configmaps/times`, {
      metadata: { name: 'times', creationTimestamp: '2001-01-01T00:00:00Z', finalizers: ['example.com/hold'] },
    });
    expect(other.status, other.text).toBe(200);
    expect(other.body.metadata.creationTimestamp).toBe(ct);
    // Being deleted: the deletionTimestamp comes back from the store whatever the client sends.
    expect((await s.client.call('DELETE', `${NS}/configmaps/times`)).status).toBe(200);
    const deleting = (await s.client.get<Obj>(`${NS}/configmaps/times`)).body;
    const dt = deleting.metadata.deletionTimestamp!;
    const echo = await s.client.call<Obj>('PUT', `${NS}/configmaps/times`, {
      ...deleting,
      metadata: { ...deleting.metadata, deletionTimestamp: dt.replace('Z', '.000Z'), creationTimestamp: millis },
    });
    expect(echo.status, echo.text).toBe(200);
    expect(echo.body.metadata.deletionTimestamp).toBe(dt);
    const released = await s.client.call<Obj>('PUT', `${NS}/configmaps/times`, {
      ...echo.body,
      metadata: { ...echo.body.metadata, finalizers: [] },
    });
    expect(released.status).toBe(200);
    expect((await s.client.get(`${NS}/configmaps/times`)).status).toBe(404);
  });

  it('refuses setting a deletionTimestamp or grace period by update, printing the time as Go does', async () => {
    await s.client.post(`${NS}/configmaps`, { metadata: { name: 'nodel' } });
    const r = await s.client.call<StatusBody>('PUT', `${NS}/configmaps/nodel`, {
      metadata: { name: 'nodel', deletionTimestamp: '2030-01-02T03:04:05.000Z' },
    });
    expect(r.status).toBe(422);
    expect(r.body.message).toBe(
      'ConfigMap "nodel" is invalid: metadata.deletionTimestamp: Invalid value: "2030-01-02 03:04:05 +0000 UTC": field is immutable',
    );
    const grace = await s.client.call<StatusBody>('PUT', `${NS}/configmaps/nodel`, {
      metadata: { name: 'nodel', deletionGracePeriodSeconds: 30 },
    });
    expect(grace.status).toBe(422);
    expect(grace.body.message).toBe(
      'ConfigMap "nodel" is invalid: metadata.deletionGracePeriodSeconds: Invalid value: 30: field is immutable',
    );
  });

  it('stores and serves built-in objects without empty omitempty fields', async () => {
    const cases: Array<{ path: string; body: Record<string, unknown>; want: Record<string, unknown> }> = [
      { path: `${NS}/configmaps`, body: { metadata: { name: 'e-cm', ...EMPTY_META } }, want: { apiVersion: 'v1', kind: 'ConfigMap' } },
      {
        path: `${NS}/secrets`,
        body: { metadata: { name: 'e-sec', ...EMPTY_META } },
        want: { apiVersion: 'v1', kind: 'Secret', type: 'Opaque' },
      },
      {
        path: `${NS}/serviceaccounts`,
        body: { metadata: { name: 'e-sa', ...EMPTY_META } },
        want: { apiVersion: 'v1', kind: 'ServiceAccount' },
      },
      {
        path: `${NS}/events`,
        body: { metadata: { name: 'e-ev', ...EMPTY_META }, involvedObject: { kind: 'ConfigMap', name: 'x' }, firstTimestamp: null },
        want: {
          apiVersion: 'v1',
          kind: 'Event',
          involvedObject: { kind: 'ConfigMap', name: 'x' },
          source: {},
          firstTimestamp: null,
          lastTimestamp: null,
          eventTime: null,
          reportingComponent: '',
          reportingInstance: '',
        },
      },
      {
        path: '/apis/coordination.k8s.io/v1/namespaces/default/leases',
        body: { metadata: { name: 'e-lease', ...EMPTY_META } },
        want: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', spec: {} },
      },
    ];
    for (const c of cases) {
      const name = (c.body.metadata as { name: string }).name;
      const created = await s.client.post<Obj>(c.path, c.body);
      expect(created.status, created.text).toBe(201);
      const want = { ...c.want, metadata: { name, namespace: 'default', uid: '*', resourceVersion: '*', creationTimestamp: '*' } };
      expect(shape(created.body), name).toEqual(want);
      expect(shape((await s.client.get<Obj>(`${c.path}/${name}`)).body), name).toEqual(want);
    }
    const ns = await s.client.post<Obj>('/api/v1/namespaces', { metadata: { name: 'e-ns', ...EMPTY_META } });
    expect(shape(ns.body)).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'e-ns', uid: '*', resourceVersion: '*', creationTimestamp: '*', labels: { 'kubernetes.io/metadata.name': 'e-ns' } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
    // An update with empty fields leaves none behind either.
    const cm = (await s.client.get<Obj>(`${NS}/configmaps/e-cm`)).body;
    const upd = await s.client.call<Obj>('PUT', `${NS}/configmaps/e-cm`, {
      ...cm,
      metadata: { ...cm.metadata, ...EMPTY_META, generation: 0 },
    });
    expect(upd.status, upd.text).toBe(200);
    expect(
      Object.keys(upd.body.metadata)
        .filter((k) => k !== 'managedFields')
        .sort(),
    ).toEqual(['creationTimestamp', 'name', 'namespace', 'resourceVersion', 'uid']);
  });

  it('custom resources: metadata goes through the typed ObjectMeta, the rest is kept as sent', async () => {
    const crd = testCRD({ group: 'fidelity.example.com', plural: 'blobs', kind: 'Blob' });
    expect((await s.client.post(CRDS, crd)).status).toBe(201);
    const path = '/apis/fidelity.example.com/v1/namespaces/default/blobs';
    await waitServed(s.client, path);
    const created = await s.client.post<Obj>(path, {
      apiVersion: 'fidelity.example.com/v1',
      kind: 'Blob',
      metadata: { name: 'b1', ...EMPTY_META },
      spec: { empty: '', list: [], map: {} },
    });
    expect(created.status, created.text).toBe(201);
    const want = {
      apiVersion: 'fidelity.example.com/v1',
      kind: 'Blob',
      spec: { empty: '', list: [], map: {} },
      metadata: { name: 'b1', namespace: 'default', uid: '*', resourceVersion: '*', creationTimestamp: '*', generation: 1 },
    };
    expect(shape(created.body)).toEqual(want);
    expect(shape((await s.client.get<Obj>(`${path}/b1`)).body)).toEqual(want);
  });

  describe('deprecated CRD versions', () => {
    const versionSchema = {
      openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { count: { type: 'integer' } } } } },
    };
    const base = '/apis/fidelity.example.com';
    const DEFAULT_TEXT = 'fidelity.example.com/v1beta1 Gizmo is deprecated; use fidelity.example.com/v1 Gizmo';
    const CUSTOM_TEXT = 'v1alpha1 "Gizmo" is going away';

    const warnings = (h: Record<string, string | string[] | undefined>): string[] => {
      const w = h.warning;
      return w === undefined ? [] : Array.isArray(w) ? w : [w];
    };

    it('answers every verb on a deprecated version with the Warning header', async () => {
      const crd = testCRD({
        group: 'fidelity.example.com',
        plural: 'gizmos',
        kind: 'Gizmo',
        versions: [
          { name: 'v1', served: true, storage: true, schema: versionSchema },
          { name: 'v1beta1', served: true, storage: false, deprecated: true, schema: versionSchema },
          { name: 'v1alpha1', served: true, storage: false, deprecated: true, deprecationWarning: CUSTOM_TEXT, schema: versionSchema },
        ],
      });
      expect((await s.client.post(CRDS, crd)).status).toBe(201);
      const v1b = `${base}/v1beta1/namespaces/default/gizmos`;
      await waitServed(s.client, v1b);
      const expectWarned = (
        r: { headers: Record<string, string | string[] | undefined>; status: number; text: string },
        code: number,
        text = DEFAULT_TEXT,
      ): void => {
        expect(r.status, r.text).toBe(code);
        expect(warnings(r.headers)).toEqual([`299 - "${text.replace(/"/g, '\\"')}"`]);
      };
      const body = (n: number, rv?: string): unknown => ({
        apiVersion: 'fidelity.example.com/v1beta1',
        kind: 'Gizmo',
        metadata: { name: 'g1', ...(rv ? { resourceVersion: rv } : {}) },
        spec: { count: n },
      });
      const created = await s.client.post<Obj>(v1b, body(1));
      expectWarned(created, 201);
      expectWarned(await s.client.get(`${v1b}/g1`), 200);
      expectWarned(await s.client.get(v1b), 200);
      expectWarned(await s.client.get(`${v1b}?watch=true&timeoutSeconds=1`), 200);
      const updated = await s.client.call<Obj>('PUT', `${v1b}/g1`, body(2, created.body.metadata.resourceVersion));
      expectWarned(updated, 200);
      expectWarned(
        await s.client.call('PATCH', `${v1b}/g1`, { spec: { count: 3 } }, { 'content-type': 'application/merge-patch+json' }),
        200,
      );
      // Errors carry it too, as do warnings of other origins next to it.
      expectWarned(await s.client.get(`${v1b}/missing`), 404);
      const unknown = await s.client.call(
        'PATCH',
        `${v1b}/g1?fieldValidation=Warn`,
        { spec: { bogus: 1 } },
        { 'content-type': 'application/merge-patch+json' },
      );
      expect(unknown.status).toBe(200);
      expect(warnings(unknown.headers)).toEqual([`299 - "${DEFAULT_TEXT}"`, '299 - "unknown field \\"spec.bogus\\""']);
      expectWarned(await s.client.get(`${base}/v1alpha1/namespaces/default/gizmos/g1`), 200, CUSTOM_TEXT);
      expectWarned(await s.client.call('DELETE', `${v1b}/g1`), 200);
      // The served, non-deprecated version has none.
      const plain = await s.client.get(`${base}/v1/namespaces/default/gizmos`);
      expect(plain.status).toBe(200);
      expect(warnings(plain.headers)).toEqual([]);
    });

    it('kubectl prints the warning on stderr', async () => {
      const r = await s.kubectl(['get', 'gizmos.v1beta1.fidelity.example.com', '-n', 'default']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`Warning: ${DEFAULT_TEXT}`);
      const c = await s.kubectl(
        ['create', '-f', '-'],
        'apiVersion: fidelity.example.com/v1alpha1\nkind: Gizmo\nmetadata:\n  name: g2\n  namespace: default\nspec:\n  count: 1\n',
      );
      expect(c.code, c.stderr).toBe(0);
      expect(c.stderr).toContain(`Warning: ${CUSTOM_TEXT}`);
    });
  });

  describe('CEL rules after other schema errors', () => {
    it('runs CEL after a list-map duplicate, and not after a blocking error', async () => {
      const crd = testCRD({
        group: 'fidelity.example.com',
        plural: 'rules',
        kind: 'Rule',
        schema: {
          type: 'object',
          properties: {
            spec: {
              type: 'object',
              required: ['size'],
              'x-kubernetes-validations': [{ rule: 'self.min <= self.max', message: 'min must not exceed max' }],
              properties: {
                size: { type: 'string' },
                min: { type: 'integer' },
                max: { type: 'integer' },
                ports: {
                  type: 'array',
                  'x-kubernetes-list-type': 'map',
                  'x-kubernetes-list-map-keys': ['name'],
                  items: {
                    type: 'object',
                    required: ['name'],
                    properties: { name: { type: 'string' }, port: { type: 'integer' } },
                  },
                },
              },
            },
          },
        },
      });
      expect((await s.client.post(CRDS, crd)).status).toBe(201);
      const path = '/apis/fidelity.example.com/v1/namespaces/default/rules';
      await waitServed(s.client, path);
      const obj = (name: string, spec: Record<string, unknown>): unknown => ({
        apiVersion: 'fidelity.example.com/v1',
        kind: 'Rule',
        metadata: { name },
        spec,
      });
      const both = await s.client.post<StatusBody>(
        path,
        obj('dup', {
          size: 's',
          min: 5,
          max: 1,
          ports: [
            { name: 'a', port: 1 },
            { name: 'a', port: 2 },
          ],
        }),
      );
      expect(both.status).toBe(422);
      expect(both.body.message).toBe(
        'Rule.fidelity.example.com "dup" is invalid: [spec.ports[1]: Duplicate value: map[string]interface {}{"name":"a"}, spec: Invalid value: "object": min must not exceed max]',
      );
      const blocked = await s.client.post<StatusBody>(path, obj('req', { min: 5, max: 1 }));
      expect(blocked.status).toBe(422);
      expect(blocked.body.message).toBe(
        'Rule.fidelity.example.com "req" is invalid: [spec.size: Required value, <nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]',
      );
      expect(blocked.body.details?.causes?.[1]).toEqual({
        reason: 'FieldValueInvalid',
        field: '<nil>',
        message:
          'Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
      });
      expect((await s.client.get<{ items: unknown[] }>(path)).body.items).toEqual([]);
    });
  });
});
