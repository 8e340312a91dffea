// Server-side apply's field management, table-driven from structured-merge-diff's documented
// cases (fieldpath/serialize_test.go, merge/multiple_appliers_test.go, leaf_test.go, set_test.go,
// key_test.go) and kube's FieldsV1 and conflict wording.

import { describe, expect, it } from 'vitest';
import { ModelCatalog } from '../../src/server/schema/builtin/models.js';
import {
  ApplyConflicts,
  apply,
  applyConflictStatus,
  compare,
  decodeFieldsV1,
  encodeFieldsV1,
  FieldSet,
  fieldElement,
  keyElement,
  listOf,
  type ManagedFields,
  makePath,
  managerIdentifier,
  mapOf,
  type Path,
  pathString,
  SCALAR,
  struct,
  TypedValueError,
  type TypeNode,
  toFieldSet,
  typeFromOpenAPI,
  update,
  updateOperation,
  valueElement,
} from '../../src/server/schema/fieldmanager/index.js';

// Round trips from fieldpath/serialize_test.go (already in kube's order).
const SERIALIZED = [
  '{"f:aaa":{},"f:aab":{},"f:aac":{},"f:aad":{},"f:aae":{},"f:aaf":{},"k:{\\"name\\":\\"first\\"}":{},"k:{\\"name\\":\\"second\\"}":{},"k:{\\"port\\":443,\\"protocol\\":\\"tcp\\"}":{},"k:{\\"port\\":443,\\"protocol\\":\\"udp\\"}":{},"v:1":{},"v:2":{},"v:3":{},"v:\\"aa\\"":{},"v:\\"ab\\"":{},"v:true":{},"i:1":{},"i:2":{},"i:3":{},"i:4":{}}',
  '{"f:aaa":{"k:{\\"name\\":\\"second\\"}":{"v:3":{"f:aab":{}}},"v:3":{},"v:true":{}},"f:aab":{"f:aaa":{},"f:aaf":{"k:{\\"port\\":443,\\"protocol\\":\\"udp\\"}":{"k:{\\"port\\":443,\\"protocol\\":\\"tcp\\"}":{}}},"k:{\\"name\\":\\"first\\"}":{}},"f:aac":{"f:aaa":{"v:1":{}},"f:aac":{},"v:3":{"k:{\\"name\\":\\"second\\"}":{}}},"f:aad":{"f:aac":{"v:1":{}},"f:aaf":{"k:{\\"name\\":\\"first\\"}":{"k:{\\"name\\":\\"first\\"}":{}}},"i:1":{"i:1":{},"i:3":{"v:true":{}}}},"f:aae":{"f:aae":{},"k:{\\"port\\":443,\\"protocol\\":\\"tcp\\"}":{"k:{\\"port\\":443,\\"protocol\\":\\"udp\\"}":{}},"i:4":{"f:aaf":{}}},"f:aaf":{"i:1":{"f:aac":{}},"i:2":{},"i:3":{}},"k:{\\"name\\":\\"first\\"}":{"f:aad":{"f:aaf":{}}},"k:{\\"port\\":443,\\"protocol\\":\\"tcp\\"}":{"f:aaa":{"f:aad":{}}},"k:{\\"port\\":443,\\"protocol\\":\\"udp\\"}":{"f:aac":{},"k:{\\"name\\":\\"first\\"}":{"i:3":{}},"k:{\\"port\\":443,\\"protocol\\":\\"udp\\"}":{"i:4":{}}},"v:1":{"f:aac":{"i:4":{}},"f:aaf":{},"k:{\\"port\\":443,\\"protocol\\":\\"tcp\\"}":{}},"v:2":{"f:aad":{"f:aaf":{}},"i:1":{}},"v:3":{"f:aaa":{},"k:{\\"name\\":\\"first\\"}":{},"i:2":{}},"v:\\"aa\\"":{"f:aab":{"f:aaf":{}},"f:aae":{},"k:{\\"name\\":\\"first\\"}":{"f:aad":{}},"i:2":{}},"v:\\"ab\\"":{"f:aaf":{"i:4":{}},"k:{\\"port\\":443,\\"protocol\\":\\"tcp\\"}":{},"k:{\\"port\\":443,\\"protocol\\":\\"udp\\"}":{},"v:1":{"k:{\\"port\\":443,\\"protocol\\":\\"udp\\"}":{}},"i:1":{"f:aae":{"i:4":{}}}},"v:true":{"k:{\\"name\\":\\"second\\"}":{"f:aaa":{}},"i:2":{"k:{\\"port\\":443,\\"protocol\\":\\"tcp\\"}":{}}},"i:1":{"i:3":{"f:aaf":{}}},"i:2":{"f:aae":{},"k:{\\"port\\":443,\\"protocol\\":\\"tcp\\"}":{"v:1":{}}},"i:3":{"f:aab":{"v:true":{"v:\\"aa\\"":{}}},"f:aaf":{},"i:1":{}},"i:4":{"v:\\"aa\\"":{"f:aab":{"k:{\\"name\\":\\"second\\"}":{}}}}}',
  '{"f:spec":{".":{},"f:apps":{".":{},"k:{\\"name\\":\\" app-\ud83d\udcbb\\"}":{".":{},"f:container":{".":{},"f:image":{},"f:name":{},"f:ports":{".":{},"k:{\\"name\\":\\"port \ud83d\udd11\\"}":{".":{},"f:containerPort":{},"f:name":{}}}},"f:name":{}},"k:{\\"name\\":\\" app-\ud83d\ude80\\"}":{".":{},"f:container":{".":{},"f:image":{},"f:name":{},"f:ports":{".":{},"k:{\\"name\\":\\"port-\u2705 \\"}":{".":{},"f:containerPort":{},"f:name":{}}}},"f:name":{}}}}}',
];

const k = (name: string): ReturnType<typeof keyElement> => keyElement([['name', name]]);
const P = (...parts: Array<string | ReturnType<typeof keyElement>>): Path => makePath(...parts);
const fields = (s: FieldSet): string => encodeFieldsV1(s);

describe('FieldsV1', () => {
  it.each(SERIALIZED.map((s, i) => [i, s]))('round trips serialize_test case %i', (_i, s) => {
    expect(encodeFieldsV1(decodeFieldsV1(s as string))).toBe(s);
  });

  it('sorts fields, keys, values and indexes as kube does', () => {
    const s = FieldSet.of(
      [fieldElement('b')],
      [
        keyElement([
          ['protocol', 'tcp'],
          ['port', 443],
        ]),
      ],
      [valueElement(true)],
      [valueElement('aa')],
      [valueElement(1)],
      [fieldElement('a')],
      [keyElement([['name', 'first']])],
    );
    expect(encodeFieldsV1(s)).toBe(
      '{"f:a":{},"f:b":{},"k:{\\"name\\":\\"first\\"}":{},"k:{\\"port\\":443,\\"protocol\\":\\"tcp\\"}":{},"v:1":{},"v:\\"aa\\"":{},"v:true":{}}',
    );
  });

  it('normalises an unsorted document and marks owned parents with "."', () => {
    const s = decodeFieldsV1('{"f:spec":{"f:b":{},".":{},"f:a":{}},"f:metadata":{"f:labels":{"f:app":{},".":{}}}}');
    expect(encodeFieldsV1(s)).toBe('{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{".":{},"f:a":{},"f:b":{}}}');
    expect(s.has(P('spec'))).toBe(true);
    expect(s.has(P('metadata'))).toBe(false);
    expect(s.has(P('metadata', 'labels', 'app'))).toBe(true);
  });

  it('escapes as Go does and rejects malformed documents', () => {
    // The value is Go JSON inside the key, and the key is Go JSON again: backslashes double.
    expect(encodeFieldsV1(FieldSet.of([valueElement('<a&b>')]))).toBe('{"v:\\"\\\\u003ca\\\\u0026b\\\\u003e\\"":{}}');
    expect(decodeFieldsV1('{"v:\\"\\\\u003ca\\\\u0026b\\\\u003e\\"":{}}').has([valueElement('<a&b>')])).toBe(true);
    expect(() => decodeFieldsV1('{"f:a":1}')).toThrow();
    expect(() => decodeFieldsV1('{"x":{}}')).toThrow();
    // Unknown element types are dropped (a newer server's kinds).
    expect(encodeFieldsV1(decodeFieldsV1('{"z:q":{},"f:a":{}}'))).toBe('{"f:a":{}}');
  });
});

describe('paths and sets', () => {
  it('prints paths as conflicts name them', () => {
    expect(pathString(P('spec', 'replicas'))).toBe('.spec.replicas');
    expect(pathString(P('spec', 'containers', k('c'), 'image'))).toBe('.spec.containers[name="c"].image');
    expect(
      pathString([
        fieldElement('ports'),
        keyElement([
          ['protocol', 'TCP'],
          ['containerPort', 80],
        ]),
      ]),
    ).toBe('.ports[containerPort=80,protocol="TCP"]');
    expect(pathString([fieldElement('finalizers'), valueElement('x')])).toBe('.finalizers[="x"]');
  });

  it('unions, intersects, subtracts and finds leaves', () => {
    const a = FieldSet.of(P('a'), P('b', 'c'), P('b', 'd'));
    const b = FieldSet.of(P('b', 'c'), P('e'));
    expect(fields(a.union(b))).toBe('{"f:a":{},"f:b":{"f:c":{},"f:d":{}},"f:e":{}}');
    expect(fields(a.intersection(b))).toBe('{"f:b":{"f:c":{}}}');
    expect(fields(a.difference(b))).toBe('{"f:a":{},"f:b":{"f:d":{}}}');
    expect(a.difference(a).empty()).toBe(true);
    const withParent = FieldSet.of(P('b'), P('b', 'c'), P('x'));
    expect(fields(withParent.leaves())).toBe('{"f:b":{"f:c":{}},"f:x":{}}');
    expect([...a.paths()].map(pathString)).toEqual(['.a', '.b.c', '.b.d']);
  });
});

// The schema of structured-merge-diff's multiple_appliers_test: `list` keyed by name,
// `listOfLists` whose items carry a set.
const ITEM = struct({ name: SCALAR, value: SCALAR });
const SCHEMA = struct({
  list: listOf(ITEM, 'map', ['name']),
  listOfLists: listOf(struct({ name: SCALAR, value: listOf(SCALAR, 'set') }), 'map', ['name']),
  set: listOf(SCALAR, 'set'),
  atomicList: listOf(SCALAR, 'atomic'),
  atomicStruct: struct({ a: SCALAR, b: SCALAR }, { atomic: true }),
  nested: struct({ inner: struct({ a: SCALAR, b: SCALAR }), labels: mapOf(SCALAR) }),
  a: SCALAR,
  b: SCALAR,
});

type Op =
  | { apply: string; object: Record<string, unknown>; force?: boolean; conflicts?: string[] }
  | { update: string; object: Record<string, unknown> };

interface Case {
  ops: Op[];
  object: Record<string, unknown>;
  managed: Record<string, string>;
}

const applier = (m: string): string => managerIdentifier({ manager: m, operation: 'Apply' });
const updater = (m: string): string => managerIdentifier({ manager: m, operation: 'Update', apiVersion: 'v1' });

function run(c: Case): { object: unknown; managed: ManagedFields } {
  let live: unknown = {};
  let managed: ManagedFields = new Map();
  for (const op of c.ops) {
    if ('apply' in op) {
      try {
        const r = apply(live, op.object, applier(op.apply), 'v1', managed, op.force === true, SCHEMA);
        expect(op.conflicts, 'expected conflicts').toBeUndefined();
        live = r.object;
        managed = r.managed;
      } catch (e) {
        if (!(e instanceof ApplyConflicts) || !op.conflicts) throw e;
        expect(e.conflicts.map((x) => `${JSON.parse(x.manager).manager}${pathString(x.path)}`)).toEqual(op.conflicts);
      }
    } else {
      managed = update(live, op.object, updater(op.update), 'v1', managed, SCHEMA);
      live = op.object;
    }
  }
  return { object: live, managed };
}

const CASES: Record<string, Case> = {
  // multiple_appliers_test remove_one
  "remove one associative item, keep the other applier's": {
    ops: [
      { apply: 'apply-one', object: { list: [{ name: 'a' }, { name: 'b' }] } },
      { apply: 'apply-two', object: { list: [{ name: 'c' }] } },
      { apply: 'apply-one', object: { list: [{ name: 'a' }] } },
    ],
    object: { list: [{ name: 'a' }, { name: 'c' }] },
    managed: {
      'apply-one': '{"f:list":{"k:{\\"name\\":\\"a\\"}":{".":{},"f:name":{}}}}',
      'apply-two': '{"f:list":{"k:{\\"name\\":\\"c\\"}":{".":{},"f:name":{}}}}',
    },
  },
  // same_value_no_conflict: shared ownership
  'same value is shared, no conflict': {
    ops: [
      { apply: 'apply-one', object: { list: [{ name: 'a', value: 0 }] } },
      { apply: 'apply-two', object: { list: [{ name: 'a', value: 0 }] } },
    ],
    object: { list: [{ name: 'a', value: 0 }] },
    managed: {
      'apply-one': '{"f:list":{"k:{\\"name\\":\\"a\\"}":{".":{},"f:name":{},"f:value":{}}}}',
      'apply-two': '{"f:list":{"k:{\\"name\\":\\"a\\"}":{".":{},"f:name":{},"f:value":{}}}}',
    },
  },
  // change_value_yes_conflict, then forced
  'a different value conflicts; force moves ownership': {
    ops: [
      { apply: 'apply-one', object: { list: [{ name: 'a', value: 0 }] } },
      { apply: 'apply-two', object: { list: [{ name: 'a', value: 1 }] }, conflicts: ['apply-one.list[name="a"].value'] },
      { apply: 'apply-two', object: { list: [{ name: 'a', value: 1 }] }, force: true },
    ],
    object: { list: [{ name: 'a', value: 1 }] },
    managed: {
      'apply-one': '{"f:list":{"k:{\\"name\\":\\"a\\"}":{".":{},"f:name":{}}}}',
      'apply-two': '{"f:list":{"k:{\\"name\\":\\"a\\"}":{".":{},"f:name":{},"f:value":{}}}}',
    },
  },
  // remove_one_keep_one_with_dangling_subitem
  'dangling sub-items stay with their updater': {
    ops: [
      { apply: 'apply-one', object: { listOfLists: [{ name: 'a' }, { name: 'b', value: ['c'] }] } },
      { apply: 'apply-two', object: { listOfLists: [{ name: 'b', value: ['d'] }] } },
      { update: 'controller', object: { listOfLists: [{ name: 'a' }, { name: 'b', value: ['c', 'd', 'e'] }] } },
      { apply: 'apply-one', object: { listOfLists: [{ name: 'a' }] } },
    ],
    object: { listOfLists: [{ name: 'a' }, { name: 'b', value: ['d', 'e'] }] },
    managed: {
      'apply-one': '{"f:listOfLists":{"k:{\\"name\\":\\"a\\"}":{".":{},"f:name":{}}}}',
      'apply-two': '{"f:listOfLists":{"k:{\\"name\\":\\"b\\"}":{".":{},"f:name":{},"f:value":{"v:\\"d\\"":{}}}}}',
      controller: '{"f:listOfLists":{"k:{\\"name\\":\\"b\\"}":{"f:value":{"v:\\"e\\"":{}}}}}',
    },
  },
  // leaf_test unset_scalar_sole_owner / shared_with_applier / shared_with_updater
  'an unapplied scalar is removed when its applier owned it alone': {
    ops: [
      { apply: 'apply-one', object: { a: 'x', b: 'y' } },
      { apply: 'apply-one', object: { a: 'x' } },
    ],
    object: { a: 'x' },
    managed: { 'apply-one': '{"f:a":{}}' },
  },
  'an unapplied scalar another applier shares is kept': {
    ops: [
      { apply: 'apply-one', object: { a: 'x', b: 'y' } },
      { apply: 'apply-two', object: { b: 'y' } },
      { apply: 'apply-one', object: { a: 'x' } },
    ],
    object: { a: 'x', b: 'y' },
    managed: { 'apply-one': '{"f:a":{}}', 'apply-two': '{"f:b":{}}' },
  },
  'an updater takes a field; the applier no longer removes it (update_apply_omits)': {
    ops: [
      { apply: 'apply-one', object: { a: 'x', b: 'y' } },
      { update: 'controller', object: { a: 'x', b: 'z' } },
      { apply: 'apply-one', object: { a: 'x' } },
    ],
    object: { a: 'x', b: 'z' },
    managed: { 'apply-one': '{"f:a":{}}', controller: '{"f:b":{}}' },
  },
  'applying a field an updater changed conflicts with it': {
    ops: [
      { apply: 'apply-one', object: { a: 'x' } },
      { update: 'controller', object: { a: 'y' } },
      { apply: 'apply-one', object: { a: 'x' }, conflicts: ['controller.a'] },
    ],
    object: { a: 'y' },
    managed: { controller: '{"f:a":{}}' },
  },
  // set_test: items merge per value, removed per value
  'sets merge per value': {
    ops: [
      { apply: 'apply-one', object: { set: ['a', 'b'] } },
      { apply: 'apply-two', object: { set: ['c'] } },
      { apply: 'apply-one', object: { set: ['a'] } },
    ],
    object: { set: ['a', 'c'] },
    managed: { 'apply-one': '{"f:set":{"v:\\"a\\"":{}}}', 'apply-two': '{"f:set":{"v:\\"c\\"":{}}}' },
  },
  'atomic lists are owned whole and conflict whole': {
    ops: [
      { apply: 'apply-one', object: { atomicList: [1, 2] } },
      { apply: 'apply-two', object: { atomicList: [3] }, conflicts: ['apply-one.atomicList'] },
      { apply: 'apply-two', object: { atomicList: [3] }, force: true },
    ],
    object: { atomicList: [3] },
    managed: { 'apply-two': '{"f:atomicList":{}}' },
  },
  'atomic structs are replaced whole': {
    ops: [
      { apply: 'apply-one', object: { atomicStruct: { a: 1, b: 2 } } },
      { apply: 'apply-one', object: { atomicStruct: { a: 1 } } },
    ],
    object: { atomicStruct: { a: 1 } },
    managed: { 'apply-one': '{"f:atomicStruct":{}}' },
  },
  'nested structs and maps merge granularly': {
    ops: [
      { apply: 'apply-one', object: { nested: { inner: { a: 1 }, labels: { x: '1' } } } },
      { apply: 'apply-two', object: { nested: { inner: { b: 2 }, labels: { y: '2' } } } },
      { apply: 'apply-one', object: { nested: { inner: { a: 1 } } } },
    ],
    object: { nested: { inner: { a: 1, b: 2 }, labels: { y: '2' } } },
    managed: {
      'apply-one': '{"f:nested":{"f:inner":{"f:a":{}}}}',
      'apply-two': '{"f:nested":{"f:inner":{"f:b":{}},"f:labels":{"f:y":{}}}}',
    },
  },
  'an update gains what it changes and takes it from others': {
    ops: [
      { apply: 'apply-one', object: { a: 'x', list: [{ name: 'a', value: 1 }] } },
      { update: 'editor', object: { a: 'x', list: [{ name: 'a', value: 2 }, { name: 'b' }] } },
    ],
    object: { a: 'x', list: [{ name: 'a', value: 2 }, { name: 'b' }] },
    managed: {
      'apply-one': '{"f:a":{},"f:list":{"k:{\\"name\\":\\"a\\"}":{".":{},"f:name":{}}}}',
      editor: '{"f:list":{"k:{\\"name\\":\\"a\\"}":{"f:value":{}},"k:{\\"name\\":\\"b\\"}":{".":{},"f:name":{}}}}',
    },
  },
  'an update removing a field drops it from every manager': {
    ops: [
      { apply: 'apply-one', object: { a: 'x', b: 'y' } },
      { update: 'editor', object: { a: 'x' } },
    ],
    object: { a: 'x' },
    managed: { 'apply-one': '{"f:a":{}}' },
  },
};

describe('apply and update (structured-merge-diff merge/ cases)', () => {
  it.each(Object.entries(CASES))('%s', (_name, c) => {
    const { object, managed } = run(c);
    expect(object).toEqual(c.object);
    const got: Record<string, string> = {};
    for (const [id, vs] of managed) got[JSON.parse(id).manager] = encodeFieldsV1(vs.set);
    expect(got).toEqual(c.managed);
  });

  it('orders merged associative items as structured-merge-diff does', () => {
    const live = { list: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] };
    const names = (config: unknown): unknown =>
      (apply(live, config, applier('x'), 'v1', new Map(), false, SCHEMA).object as typeof live).list.map((i) => i.name);
    expect(names({ list: [{ name: 'b', value: 1 }, { name: 'd' }] })).toEqual(['a', 'b', 'c', 'd']);
    // The configuration's order wins among the items it shares with the live list.
    expect(names({ list: [{ name: 'c' }, { name: 'a' }] })).toEqual(['b', 'c', 'a']);
  });

  it('returns the live object itself when an apply changes nothing', () => {
    const live = { a: 'x' };
    const first = apply(live, { a: 'x' }, applier('x'), 'v1', new Map(), false, SCHEMA);
    expect(first.object).toBe(live);
    expect(encodeFieldsV1(first.managed.get(applier('x'))!.set)).toBe('{"f:a":{}}');
  });

  it('refuses duplicate keys in a configuration', () => {
    expect(() => apply({}, { list: [{ name: 'a' }, { name: 'a' }] }, applier('x'), 'v1', new Map(), false, SCHEMA)).toThrow(
      new TypedValueError('.list', 'duplicate entries for key [name="a"]'),
    );
  });
});

describe('toFieldSet and compare', () => {
  const POD_LIKE = struct({
    metadata: struct({ name: SCALAR, labels: mapOf(SCALAR) }),
    spec: struct({ containers: listOf(struct({ name: SCALAR, image: SCALAR }), 'map', ['name']) }),
  });
  const obj = { metadata: { name: 'x', labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };

  it("owns an applied configuration's leaves and list items", () => {
    expect(encodeFieldsV1(toFieldSet(obj, POD_LIKE))).toBe(
      '{"f:metadata":{"f:labels":{"f:app":{}},"f:name":{}},"f:spec":{"f:containers":{"k:{\\"name\\":\\"c\\"}":{".":{},"f:image":{},"f:name":{}}}}}',
    );
  });

  it('an update from a typed empty object owns new maps themselves (kube\'s "." on labels)', () => {
    const c = compare({ metadata: {}, spec: {} }, obj, POD_LIKE);
    expect(encodeFieldsV1(c.added)).toBe(
      '{"f:metadata":{"f:labels":{".":{},"f:app":{}},"f:name":{}},"f:spec":{"f:containers":{".":{},"k:{\\"name\\":\\"c\\"}":{".":{},"f:image":{},"f:name":{}}}}}',
    );
    expect(c.modified.empty() && c.removed.empty()).toBe(true);
  });
});

describe('compare over maps', () => {
  const CM = struct({ data: mapOf(SCALAR) });
  const fields = (s: FieldSet): string => encodeFieldsV1(s);
  /** The comparison of `before` with `after`, checked to be the one with `reordered` (the same content, keys in another order, compared by key). */
  const addedModifiedRemoved = (before: unknown, after: unknown, reordered: unknown, T: TypeNode): string[] => {
    const same = compare(before, after, T);
    const other = compare(before, reordered, T);
    for (const k of ['added', 'modified', 'removed'] as const) expect(fields(same[k])).toBe(fields(other[k]));
    return [fields(same.added), fields(same.modified), fields(same.removed)];
  };

  it('records only the changed entry of a large map', () => {
    const data = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, `v${i}`]));
    const c = compare({ data }, { data: { ...data, k7: 'changed' } }, CM);
    expect([fields(c.added), fields(c.modified), fields(c.removed)]).toEqual(['{}', '{"f:data":{"f:k7":{}}}', '{}']);
  });

  it('tells keys named like inherited members, undefined and null values, and new keys apart', () => {
    const before = { data: { constructor: 'a', same: null, gone: 'x', unset: undefined } as Record<string, unknown> };
    const after = { data: { constructor: 'a', same: null, toString: 'y', valueOf: null, unset: 'z' } as Record<string, unknown> };
    const c = compare(before, after, CM);
    expect(fields(c.added)).toBe('{"f:data":{"f:toString":{},"f:unset":{},"f:valueOf":{}}}');
    expect(fields(c.removed)).toBe('{"f:data":{"f:gone":{}}}');
    expect(c.modified.empty()).toBe(true);
    // The same keys the other way round: what was added is removed.
    const back = compare(after, before, CM);
    expect(fields(back.removed)).toBe('{"f:data":{"f:toString":{},"f:unset":{},"f:valueOf":{}}}');
    expect(fields(back.added)).toBe('{"f:data":{"f:gone":{}}}');
  });

  it('compares maps with the same keys in the same order as it compares them in any order', () => {
    const T = struct({ data: mapOf(SCALAR), spec: struct({ a: SCALAR, b: mapOf(SCALAR) }) });
    const before = { data: { x: '1', y: undefined, z: null, w: '4' }, spec: { a: 1, b: { p: 'q' } } } as Record<string, unknown>;
    const after = { data: { x: '2', y: 'now', z: null, w: undefined }, spec: { a: 1, b: { p: 'r' } } } as Record<string, unknown>;
    // The same content with its keys in another order takes the key-by-key comparison.
    const reordered = { spec: { b: { p: 'r' }, a: 1 }, data: { w: undefined, z: null, y: 'now', x: '2' } } as Record<string, unknown>;
    expect(addedModifiedRemoved(before, after, reordered, T)).toEqual([
      '{"f:data":{"f:y":{}}}',
      '{"f:data":{"f:x":{}},"f:spec":{"f:b":{"f:p":{}}}}',
      '{"f:data":{"f:w":{}}}',
    ]);
  });

  it('compares large maps with the same keys in the same order position by position, as it compares them by key', () => {
    const T = struct({ data: mapOf(SCALAR), spec: mapOf(struct({ a: SCALAR, b: mapOf(SCALAR) })) });
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
    const data = (f: (i: number) => unknown) => Object.fromEntries(keys.map((k, i) => [k, f(i)]));
    const before = {
      data: data((i) => (i === 3 ? null : `v${i}`)),
      spec: data((i) => ({ a: i, b: { p: `q${i}` } })),
    };
    const after = {
      data: data((i) => (i === 3 ? null : i === 5 ? 'changed' : `v${i}`)),
      spec: data((i) => ({ a: i === 7 ? 'seven' : i, b: { p: i === 9 ? 'r' : `q${i}` } })),
    };
    const reverse = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).reverse());
    const reordered = { spec: reverse(after.spec), data: reverse(after.data) };
    expect(addedModifiedRemoved(before, after, reordered, T)).toEqual([
      '{}',
      '{"f:data":{"f:k5":{}},"f:spec":{"f:k7":{"f:a":{}},"f:k9":{"f:b":{"f:p":{}}}}}',
      '{}',
    ]);
    // An undefined value among the same keys is an absent key, as the comparison by key has it.
    const unset = { data: { ...after.data, k2: undefined }, spec: after.spec };
    expect(fields(compare(before, unset, T).removed)).toBe('{"f:data":{"f:k2":{}}}');
    expect(fields(compare(unset, before, T).added)).toBe('{"f:data":{"f:k2":{}}}');
  });
});

describe('conflict Status', () => {
  const updaterId = managerIdentifier({ manager: 'kubectl', operation: 'Update', apiVersion: 'apps/v1' });
  it('names one conflict as kube-apiserver does', () => {
    const s = applyConflictStatus([{ manager: updaterId, path: P('spec', 'replicas') }]).status;
    expect(s).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Apply failed with 1 conflict: conflict with "kubectl" using apps/v1: .spec.replicas',
      reason: 'Conflict',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl" using apps/v1', field: '.spec.replicas' }] },
      code: 409,
    });
  });

  it('groups several conflicts by manager', () => {
    const s = applyConflictStatus([
      { manager: updaterId, path: P('spec', 'replicas') },
      { manager: applier('helm'), path: P('spec', 'paused') },
      {
        manager: managerIdentifier({ manager: 'ctl', operation: 'Update', apiVersion: 'apps/v1', subresource: 'status' }),
        path: P('status'),
      },
    ]).status;
    expect(s.message).toBe(
      'Apply failed with 3 conflicts: conflicts with "ctl" with subresource "status" using apps/v1:\n- .status\nconflicts with "helm":\n- .spec.paused\nconflicts with "kubectl" using apps/v1:\n- .spec.replicas',
    );
    expect(s.details?.causes?.[1]).toEqual({ reason: 'FieldManagerConflict', message: 'conflict with "helm"', field: '.spec.paused' });
  });

  it('identifies managers as kube keys them', () => {
    expect(applier('kubectl')).toBe('{"manager":"kubectl","operation":"Apply"}');
    expect(updaterId).toBe('{"manager":"kubectl","operation":"Update","apiVersion":"apps/v1"}');
  });
});

describe('built-in schemas (typeFromOpenAPI over the published definitions)', () => {
  const catalog = new ModelCatalog();
  const name = catalog.load('V1Deployment', 'apps');
  const type = typeFromOpenAPI(catalog.definitions[name], { resolve: (ref) => catalog.definitions[ref] });
  const deployment = (replicas: number, image: string): Record<string, unknown> => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', labels: { app: 'd' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'd' } },
      template: {
        metadata: { labels: { app: 'd' } },
        spec: { containers: [{ name: 'c', image, ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }] }] },
      },
    },
  });

  it('keys containers by name, ports by their published keys (protocol defaulted to TCP), env by name; selectors atomic', () => {
    const s = toFieldSet(deployment(1, 'nginx'), type);
    expect(encodeFieldsV1(s)).toBe(
      '{"f:apiVersion":{},"f:kind":{},"f:metadata":{"f:labels":{"f:app":{}},"f:name":{}},"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{"k:{\\"name\\":\\"c\\"}":{".":{},"f:env":{"k:{\\"name\\":\\"A\\"}":{".":{},"f:name":{},"f:value":{}}},"f:image":{},"f:name":{},"f:ports":{"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{}}}}}}}}}',
    );
  });

  it("conflicts on a Deployment field with kube's message", () => {
    const kubectl = managerIdentifier({ manager: 'kubectl', operation: 'Update', apiVersion: 'apps/v1' });
    const managed = update({}, deployment(1, 'nginx'), kubectl, 'apps/v1', new Map(), type);
    try {
      apply(deployment(1, 'nginx'), deployment(3, 'nginx'), applier('helm'), 'apps/v1', managed, false, type);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ApplyConflicts);
      expect(applyConflictStatus((e as ApplyConflicts).conflicts).status.message).toBe(
        'Apply failed with 1 conflict: conflict with "kubectl" using apps/v1: .spec.replicas',
      );
    }
  });
});

describe('sets without copies', () => {
  const p = (...names: string[]): Path => names.map((n) => fieldElement(n));
  it('intersects and isSubsetOf agree with intersection and difference', () => {
    const a = FieldSet.of(p('data', 'a'), p('data', 'b'), p('spec'), p('spec', 'x', 'y'));
    const cases = [
      FieldSet.of(p('data', 'a')),
      FieldSet.of(p('data', 'c')),
      FieldSet.of(p('spec', 'x', 'y')),
      FieldSet.of(p('spec', 'x')),
      FieldSet.of(p('data')),
      new FieldSet(),
      FieldSet.of(p('data', 'a'), p('data', 'b'), p('spec'), p('spec', 'x', 'y'), p('other')),
    ];
    for (const b of cases) {
      expect(a.intersects(b)).toBe(!a.intersection(b).empty());
      expect(b.intersects(a)).toBe(!b.intersection(a).empty());
      expect(b.isSubsetOf(a)).toBe(b.difference(a).empty());
      expect(a.isSubsetOf(b)).toBe(a.difference(b).empty());
    }
  });
});

describe('sets shared, never changed', () => {
  const p = (...names: string[]): Path => names.map((n) => fieldElement(n));
  it('answers an operand itself when the result is that operand, and leaves the operands as they were', () => {
    const a = FieldSet.of(p('data', 'a'), p('data', 'b'), p('spec', 'x'));
    const text = encodeFieldsV1(a);
    const empty = new FieldSet();
    expect(a.union(empty)).toBe(a);
    expect(empty.union(a)).toBe(a);
    expect(a.difference(FieldSet.of(p('other')))).toBe(a);
    expect(a.difference(FieldSet.of(p('data', 'c')))).toBe(a);
    expect(a.recursiveDifference(FieldSet.of(p('status')))).toBe(a);
    // A result that differs shares the sub-sets it does not change.
    const d = a.difference(FieldSet.of(p('data', 'a')));
    expect(encodeFieldsV1(d)).toBe('{"f:data":{"f:b":{}},"f:spec":{"f:x":{}}}');
    expect(d.withPrefix(fieldElement('spec'))).toBe(a.withPrefix(fieldElement('spec')));
    const u = a.union(FieldSet.of(p('data', 'c')));
    expect(encodeFieldsV1(u)).toBe('{"f:data":{"f:a":{},"f:b":{},"f:c":{}},"f:spec":{"f:x":{}}}');
    expect(u.withPrefix(fieldElement('spec'))).toBe(a.withPrefix(fieldElement('spec')));
    expect(a.recursiveDifference(FieldSet.of(p('data'))).has(p('data', 'a'))).toBe(false);
    expect(encodeFieldsV1(a)).toBe(text);
  });
});

describe('an update that moves no field', () => {
  const type = struct({ data: mapOf(SCALAR), other: SCALAR });
  const W = managerIdentifier({ manager: 'writer', operation: 'Update', apiVersion: 'v1' });
  const A = managerIdentifier({ manager: 'applier', operation: 'Apply' });
  const f = (...names: string[]): Path => names.map((n) => fieldElement(n));
  const managed = (): ManagedFields =>
    new Map([
      [A, { set: FieldSet.of(f('data', 'b'), f('data', 'c')), apiVersion: 'v1', applied: true }],
      [W, { set: FieldSet.of(f('data', 'a')), apiVersion: 'v1', applied: false }],
    ]);

  it('keeps the managers and every set when the writer changes only its own fields', () => {
    const m = managed();
    const r = updateOperation({ data: { a: '1', b: '2', c: '3' } }, { data: { a: '9', b: '2', c: '3' } }, W, 'v1', m, type);
    expect(r.took).toBe(true);
    expect(r.managed).toBe(m);
  });

  it('moves a field to the writer (a copy; the given managers unchanged) and drops removed fields from their owners', () => {
    const m = managed();
    const before = m.get(A)!.set;
    const r = updateOperation({ data: { a: '1', b: '2', c: '3' } }, { data: { a: '1', b: '7' } }, W, 'v1', m, type);
    expect(r.managed).not.toBe(m);
    expect(m.get(A)!.set).toBe(before);
    // The applier lost b to the writer and c to the removal: owning nothing, it is gone.
    expect(r.managed.has(A)).toBe(false);
    expect(encodeFieldsV1(r.managed.get(W)!.set)).toBe('{"f:data":{"f:a":{},"f:b":{}}}');
    // The writer removing its own field loses it; owning nothing, it is gone.
    const r2 = updateOperation(
      { data: { a: '1' } },
      { data: {} },
      W,
      'v1',
      new Map([[W, { set: FieldSet.of(f('data', 'a')), apiVersion: 'v1', applied: false }]]),
      type,
    );
    expect(r2.took).toBe(false);
    expect(r2.managed.has(W)).toBe(false);
  });

  it('matches update() of the same inputs, field set by field set', () => {
    const pairs: Array<[unknown, unknown]> = [
      [{ data: { a: '1', b: '2', c: '3' } }, { data: { a: '9', b: '2', c: '3' } }],
      [{ data: { a: '1', b: '2', c: '3' } }, { data: { a: '1', b: '2', c: '4', d: '5' } }],
      [{ data: { a: '1', b: '2', c: '3' } }, { other: 'x' }],
      [{ data: { a: '1' } }, { data: { a: '1' } }],
    ];
    for (const [l, r] of pairs) {
      const out = updateOperation(l, r, W, 'v1', managed(), type).managed;
      const legacy = update(l, r, W, 'v1', managed(), type);
      expect([...out.keys()].sort()).toEqual([...legacy.keys()].sort());
      for (const [id, vs] of out) expect(encodeFieldsV1(vs.set)).toBe(encodeFieldsV1(legacy.get(id)!.set));
    }
  });
});
