// The field manager's bookkeeping around the sets (k8s.io/apimachinery managedfields' wrappers):
// manager names, times, the cap on update managers, untracked objects and the first apply, resets,
// kubectl's last-applied annotation, reset fields, and the typed-configuration errors.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { stringifyObject } from '../../src/server/api/managed-json.js';
import type { KubeObject } from '../../src/server/api/types.js';
import { FieldManager, LAST_APPLIED, managerOrUserAgent } from '../../src/server/registry/fieldmanager.js';
import { ModelCatalog } from '../../src/server/schema/builtin/models.js';
import { builtinPatchMeta } from '../../src/server/schema/builtin/strategic-meta.js';
import { FieldSet, fieldElement, type ManagedFieldsEntry, typeFromOpenAPI } from '../../src/server/schema/fieldmanager/index.js';

const catalog = new ModelCatalog();
const cmName = catalog.load('V1ConfigMap', '');
const cmType = typeFromOpenAPI(catalog.definitions[cmName], { resolve: (ref) => catalog.definitions[ref] });
const depName = catalog.load('V1Deployment', 'apps');
const depType = typeFromOpenAPI(catalog.definitions[depName], { resolve: (ref) => catalog.definitions[ref] });

const configMaps = (): FieldManager =>
  new FieldManager({ group: '', version: 'v1', kind: 'ConfigMap', hasStatusSubresource: false, type: () => cmType });
const cm = (data: Record<string, string>, extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'c', namespace: 'default', ...extra },
  data,
});
const entries = (o: KubeObject): ManagedFieldsEntry[] => (o.metadata?.managedFields ?? []) as ManagedFieldsEntry[];
/** What the Store does around a write: the stored object gets a uid and resourceVersion. */
const stored = (o: KubeObject, rv: number): KubeObject => ({ ...o, metadata: { ...o.metadata, uid: 'u1', resourceVersion: String(rv) } });

describe('managerOrUserAgent', () => {
  it('names a writer by fieldManager, else its user agent up to the first slash, printable, 128 bytes', () => {
    expect(managerOrUserAgent('mine', 'kubectl/v1.32')).toBe('mine');
    expect(managerOrUserAgent('', 'kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07')).toBe('kubectl');
    expect(managerOrUserAgent(null, 'Go-http-client/2.0')).toBe('Go-http-client');
    expect(managerOrUserAgent(undefined, 'a\u0007b/1')).toBe('ab');
    expect(managerOrUserAgent(undefined, 'x'.repeat(200))).toHaveLength(128);
    expect(managerOrUserAgent(undefined, undefined)).toBe('');
  });
});

describe('FieldManager.update', () => {
  it('records a create, stamps the time only when the writer takes fields, and keeps the request’s own entries', () => {
    const fm = configMaps();
    const created = cm({ a: '1' });
    fm.update(null, created, { manager: 'kubectl-create' });
    expect(entries(created)).toEqual([
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'v1',
        time: expect.any(String),
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { '.': {}, 'f:a': {} } },
      },
    ]);
    const live = stored(created, 2);
    // Nothing changes: no new entry, the old time stays.
    const same = structuredClone(live);
    fm.update(live, same, { manager: 'kubectl-edit' });
    expect(entries(same).map((e) => e.manager)).toEqual(['kubectl-create']);
    // An entry a client writes itself replaces the stored ones (a client editing managedFields).
    const edited = structuredClone(live);
    edited.metadata!.managedFields = [
      { manager: 'x', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': {} } },
    ];
    fm.update(live, edited, { manager: 'kubectl-edit' });
    expect(entries(edited).map((e) => e.manager)).toEqual(['x']);
  });

  it('resets on [{}] and []; an untracked object stays untracked until an apply, which starts with before-first-apply', () => {
    const fm = configMaps();
    const created = cm({ a: '1' });
    fm.update(null, created, { manager: 'kubectl-create' });
    for (const reset of [[{}], []]) {
      const next = structuredClone(stored(created, 2));
      next.metadata!.managedFields = reset;
      fm.update(stored(created, 2), next, { manager: 'kubectl-patch' });
      expect(next.metadata?.managedFields).toBeUndefined();
    }
    const untracked = stored(cm({ a: '1' }), 3);
    const next = cm({ a: '2' }, { uid: 'u1', resourceVersion: '3' });
    fm.update(untracked, next, { manager: 'kubectl-edit' });
    expect(next.metadata?.managedFields).toBeUndefined();
    const applied = fm.apply(untracked, cm({ b: '2' }), { manager: 'op' }, false, 'c');
    expect(entries(applied).map((e) => `${e.manager}/${e.operation}`)).toEqual(['op/Apply', 'before-first-apply/Update']);
    expect(applied.data).toEqual({ a: '1', b: '2' });
  });

  it('keeps at most 10 update managers: the oldest merge into ancient-changes', () => {
    const fm = configMaps();
    let live = cm({});
    live.metadata!.managedFields = Array.from({ length: 10 }, (_, i) => ({
      manager: `m${i}`,
      operation: 'Update',
      apiVersion: 'v1',
      time: `2026-01-01T00:00:${String(i).padStart(2, '0')}Z`,
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:data': { [`f:k${i}`]: {} } },
    })) as unknown as KubeObject['metadata'] extends infer M ? (M extends { managedFields?: infer F } ? F : never) : never;
    live.data = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, 'v']));
    live = stored(live, 5);
    const next = structuredClone(live);
    next.data = { ...next.data, k10: 'v' };
    fm.update(live, next, { manager: 'm10' });
    const names = entries(next).map((e) => e.manager);
    expect(names).toHaveLength(10);
    expect(names).toContain('ancient-changes');
    expect(names).not.toContain('m0');
    expect(names).not.toContain('m1');
    expect(entries(next).find((e) => e.manager === 'ancient-changes')?.fieldsV1).toEqual({ 'f:data': { 'f:k0': {}, 'f:k1': {} } });
  });

  it('compares a create with the Go zero value; never gives a main-resource writer its reset fields', () => {
    const zero = builtinPatchMeta().zero('io.k8s.api.apps.v1.Deployment');
    expect(zero).toEqual({
      metadata: { creationTimestamp: null },
      spec: { selector: null, template: { metadata: { creationTimestamp: null }, spec: { containers: null } }, strategy: {} },
      status: {},
    });
    const fm = new FieldManager({
      group: 'apps',
      version: 'v1',
      kind: 'Deployment',
      hasStatusSubresource: true,
      type: () => depType,
      zero: () => zero,
    });
    const d: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', labels: { a: 'b' } },
      spec: { replicas: 1, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } },
      status: { replicas: 1 },
    };
    fm.update(null, d, { manager: 'kubectl-create' });
    // Structs the zero value has (spec, strategy) own no `.`; new maps and pointers (labels, rollingUpdate) do.
    expect(entries(d)[0].fieldsV1).toEqual({
      'f:metadata': { 'f:labels': { '.': {}, 'f:a': {} } },
      'f:spec': { 'f:replicas': {}, 'f:strategy': { 'f:rollingUpdate': { '.': {}, 'f:maxSurge': {} }, 'f:type': {} } },
    });
  });
});

describe('FieldManager.apply', () => {
  it('keeps kubectl’s last-applied annotation following what it applies', () => {
    const fm = configMaps();
    const live = cm({ a: '1' }, { annotations: { [LAST_APPLIED]: '{"apiVersion":"v1","data":{"a":"1"},"kind":"ConfigMap"}\n' } });
    fm.update(null, live, { manager: 'kubectl-client-side-apply' });
    const out = fm.apply(stored(live, 2), cm({ a: '2' }), { manager: 'kubectl' }, false, 'c');
    expect(out.data).toEqual({ a: '2' });
    expect(out.metadata?.annotations?.[LAST_APPLIED]).toBe(
      '{"apiVersion":"v1","data":{"a":"2"},"kind":"ConfigMap","metadata":{"name":"c","namespace":"default"}}\n',
    );
    // Another manager than kubectl gets the conflict.
    expect(() => fm.apply(stored(live, 2), cm({ a: '3' }), { manager: 'other' }, false, 'c')).toThrow(
      expect.objectContaining({ status: expect.objectContaining({ code: 409 }) }),
    );
  });

  it('refuses a wrong type, managedFields in the configuration and undeclared fields with kube’s errors', () => {
    const fm = configMaps();
    const bad = (config: Record<string, unknown>) => {
      try {
        fm.apply(null, config, { manager: 'm' }, false, 'c');
      } catch (e) {
        return (e as { status: { code: number; message: string } }).status;
      }
      throw new Error('accepted');
    };
    expect(bad({ apiVersion: 'apps/v1', kind: 'ConfigMap' })).toMatchObject({
      code: 400,
      message: 'invalid object type: apps/v1, Kind=ConfigMap',
    });
    expect(bad({ ...cm({}), metadata: { name: 'c', managedFields: [] } })).toMatchObject({
      code: 400,
      message: 'metadata.managedFields must be nil',
    });
    expect(bad({ ...cm({}), spec: 1 })).toMatchObject({
      code: 500,
      message: 'failed to create typed patch object (default/c; /v1, Kind=ConfigMap): .spec: field not declared in schema',
    });
  });
});

describe('FieldSet.recursiveDifference', () => {
  it('removes a member’s whole subtree, unlike difference', () => {
    const s = FieldSet.of([fieldElement('status'), fieldElement('phase')], [fieldElement('spec'), fieldElement('x')]);
    const status = FieldSet.of([fieldElement('status')]);
    expect(s.difference(status).has([fieldElement('status'), fieldElement('phase')])).toBe(true);
    const r = s.recursiveDifference(status);
    expect(r.has([fieldElement('status'), fieldElement('phase')])).toBe(false);
    expect(r.has([fieldElement('spec'), fieldElement('x')])).toBe(true);
  });
});

describe('managedFields of repeated writes', () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  const at = (second: number): void => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(Date.UTC(2026, 0, 1, 0, 0, second)));
  };
  const time = (second: number): string => `2026-01-01T00:00:${String(second).padStart(2, '0')}Z`;
  const summary = (o: KubeObject): string[] => entries(o).map((e) => `${e.manager}/${e.operation}@${e.time?.slice(17, 19)}`);
  const three = (): KubeObject => {
    const o = cm({ x: '1', y: '1', z: '1' }, { uid: 'u3', resourceVersion: '7' });
    o.metadata!.managedFields = [
      { manager: 'a', operation: 'Apply', apiVersion: 'v1', time: time(1), fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:x': {} } } },
      { manager: 'b', operation: 'Update', apiVersion: 'v1', time: time(2), fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:y': {} } } },
      { manager: 'c', operation: 'Update', apiVersion: 'v1', time: time(3), fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:z': {} } } },
    ] as never;
    return o;
  };
  const write = (fm: FieldManager, live: KubeObject, key: string, value: string, manager: string, rv: number): KubeObject => {
    const next = structuredClone({ ...live, metadata: { ...live.metadata, managedFields: undefined } }) as KubeObject;
    delete next.metadata!.managedFields;
    next.data = { ...next.data, [key]: value };
    fm.update(live, next, { manager });
    const out = { ...next, metadata: { ...next.metadata, resourceVersion: String(rv) } };
    fm.committed(next, out);
    return out;
  };

  it('moves only the writer’s entry to its new time, in kube’s order, as a full encoding gives it', () => {
    const fm = configMaps();
    at(4);
    const one = write(fm, three(), 'y', '2', 'b', 8);
    expect(summary(one)).toEqual(['a/Apply@01', 'c/Update@03', 'b/Update@04']);
    // The next writes start from the list made above: only the writer's time moves.
    at(5);
    const two = write(fm, one, 'y', '3', 'b', 9);
    expect(summary(two)).toEqual(['a/Apply@01', 'c/Update@03', 'b/Update@05']);
    expect(entries(two)[0]).toBe(entries(one)[0]);
    at(6);
    const three_ = write(fm, two, 'z', '2', 'c', 10);
    expect(summary(three_)).toEqual(['a/Apply@01', 'b/Update@05', 'c/Update@06']);
    // The same writes from entries a client sent (decoded, encoded whole) give equal lists, and the kept texts are
    // the lists' JSON.
    const fresh = configMaps();
    const parsed = JSON.parse(JSON.stringify(two)) as KubeObject;
    const again = write(fresh, { ...parsed, metadata: { ...parsed.metadata, uid: 'other' } }, 'z', '2', 'c', 10);
    expect(entries(again)).toEqual(entries(three_));
    for (const o of [one, two, three_]) expect(stringifyObject(o)).toBe(JSON.stringify(o));
    // A write in the same second that takes the same fields keeps the list itself.
    const four = write(fm, three_, 'z', '3', 'c', 11);
    expect(entries(four)).toBe(entries(three_));
  });

  it('gives objects whose managers wrote the same fields at the same times one list, and one next list', () => {
    const fm = configMaps();
    at(20);
    const applied = ['o1', 'o2'].map((uid, i) => {
      const o = fm.apply(null, cm({ k: 'v', l: 'w' }), { manager: 'op' }, false, 'c');
      return { ...o, metadata: { ...o.metadata, uid, resourceVersion: String(1 + i) } } as KubeObject;
    });
    expect(entries(applied[0])).toBe(entries(applied[1]));
    at(21);
    const first = applied.map((o, i) => write(fm, o, 'k', 'changed', 'ctl', 10 + i));
    expect(summary(first[0])).toEqual(['op/Apply@20', 'ctl/Update@21']);
    expect(entries(first[0])).toBe(entries(first[1]));
    at(22);
    const second = first.map((o, i) => write(fm, o, 'k', 'again', 'ctl', 20 + i));
    expect(summary(second[0])).toEqual(['op/Apply@20', 'ctl/Update@22']);
    expect(entries(second[0])).toBe(entries(second[1]));
    // Shared lists are frozen: no object's write changes another's.
    expect(Object.isFrozen(entries(second[0]))).toBe(true);
    expect(entries(first[0]).map((e) => e.time)).toEqual([time(20), time(21)]);
  });
});
