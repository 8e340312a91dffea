// The JSON of objects carrying a sealed managedFields list: exactly JSON.stringify's, from kept texts.

import { describe, expect, it } from 'vitest';
import { sealManagedFields, stringifyObject, withTime } from '../../src/server/api/managed-json.js';

const tree = { 'f:data': { '.': {}, 'f:a': {}, 'f:"q\\': {} } };
const entries = () => [
  { manager: 'apply-m', operation: 'Apply', apiVersion: 'v1', time: '2026-12-02T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: tree },
  {
    manager: 'kubectl-edit',
    operation: 'Update',
    apiVersion: 'v1',
    time: '2026-12-02T00:00:01Z',
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:data': { 'f:b': {} } },
    subresource: 'status',
  },
];

describe('stringifyObject', () => {
  it('writes an object with a sealed list exactly as JSON.stringify does, the list in its place', () => {
    const list = sealManagedFields(entries());
    const obj = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'a', annotations: { note: 'managedFields "x"' }, managedFields: list, finalizers: ['f'] },
      data: { a: '1', b: 'two' },
    };
    expect(stringifyObject(obj)).toBe(JSON.stringify(obj));
    // Again, from the kept text, and with another list sharing an entry of the first.
    expect(stringifyObject(obj)).toBe(JSON.stringify(obj));
    const next = sealManagedFields([list[0], { ...list[1], time: '2026-12-02T00:00:09Z' }]);
    const obj2 = { ...obj, metadata: { ...obj.metadata, managedFields: next } };
    expect(stringifyObject(obj2)).toBe(JSON.stringify(obj2));
    // The object is left as it was.
    expect(obj.metadata.managedFields).toBe(list);
  });

  it('writes anything else as JSON.stringify does', () => {
    const unsealed = { metadata: { name: 'a', managedFields: entries() } };
    expect(stringifyObject(unsealed)).toBe(JSON.stringify(unsealed));
    const frozenMeta = { metadata: Object.freeze({ name: 'a', managedFields: sealManagedFields(entries()) }) };
    expect(stringifyObject(frozenMeta)).toBe(JSON.stringify(frozenMeta));
    const withToJSON = { metadata: { managedFields: sealManagedFields(entries()), toJSON: () => ({ replaced: true }) } };
    expect(stringifyObject(withToJSON)).toBe(JSON.stringify(withToJSON));
    for (const v of [null, 1, 'x', [1, 2], { a: 1 }, { metadata: null }]) expect(stringifyObject(v)).toBe(JSON.stringify(v));
  });

  it('remakes an entry at another time with its text, and keeps texts out of sight', () => {
    const list = sealManagedFields(entries());
    const later = withTime(list[1], '2026-12-02T00:09:00Z');
    expect(later).toEqual({ ...entries()[1], time: '2026-12-02T00:09:00Z' });
    expect(Object.isFrozen(later)).toBe(true);
    const next = sealManagedFields([list[0], later]);
    const obj = { metadata: { name: 'a', managedFields: next } };
    expect(stringifyObject(obj)).toBe(JSON.stringify(obj));
    // An entry without a time gets one, in the place JSON gives it.
    const untimed = sealManagedFields([{ manager: 'm', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: tree }]);
    const timed = sealManagedFields([withTime(untimed[0] as { time?: string }, '2026-12-02T00:00:00Z')]);
    expect(stringifyObject({ metadata: { managedFields: timed } })).toBe(JSON.stringify({ metadata: { managedFields: timed } }));
    // The kept texts are no members: keys, copies and comparisons see the entries alone.
    expect(Object.keys(next)).toEqual(['0', '1']);
    expect(Object.getOwnPropertySymbols({ ...later })).toEqual([]);
    expect([...next]).toEqual([entries()[0], { ...entries()[1], time: '2026-12-02T00:09:00Z' }]);
  });

  it('seals: the list and its entries are frozen', () => {
    const list = sealManagedFields(entries());
    expect(Object.isFrozen(list)).toBe(true);
    expect(Object.isFrozen(list[0])).toBe(true);
    expect(() => {
      (list[0] as { time: string }).time = 'changed';
    }).toThrow(TypeError);
  });
});
