// The object layer's copies: what an update attempt and a watch event get instead of a decode of the text.

import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/server/api/types.js';
import { copyAsStored, decode, encode } from '../../src/server/storage/codec.js';
import { MemoryStorage } from '../../src/server/storage/memory/index.js';

const asStored = (o: KubeObject, rv: number): KubeObject => decode(encode(o), rv);

describe('copyAsStored', () => {
  const managedFields = [{ manager: 'm', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {} } } }];

  it('is the decode of the encoded object, key order and resourceVersion last included, sharing managedFields', () => {
    const proto = JSON.parse('{"__proto__": {"x": 1}, "n": 1}');
    const obj = {
      kind: 'ConfigMap',
      metadata: { name: 'a', resourceVersion: '7', managedFields, labels: { '10': 'ten', b: 'bee' }, gone: undefined },
      data: { a: 'x', nan: Number.NaN, inf: Number.POSITIVE_INFINITY, negZero: -0, nothing: undefined, nested: proto },
      list: [1, undefined, null, { b: [true, 'x'] }],
    } as unknown as KubeObject;
    const copy = copyAsStored(obj, 9)!;
    expect(JSON.stringify(copy)).toBe(JSON.stringify(asStored(obj, 9)));
    expect(copy).toEqual(asStored(obj, 9));
    expect(Object.keys(copy.metadata!)).toEqual(['name', 'managedFields', 'labels', 'resourceVersion']);
    expect(Object.hasOwn((copy.data as Record<string, Record<string, unknown>>).nested, '__proto__')).toBe(true);
    expect(copy.metadata!.managedFields).toBe(managedFields);
    expect(copy.data).not.toBe(obj.data);
  });

  it('adds metadata where a decode would', () => {
    const obj = { kind: 'X', spec: { a: 1 } } as KubeObject;
    const copy = copyAsStored(obj, 3)!;
    expect(JSON.stringify(copy)).toBe(JSON.stringify(asStored(obj, 3)));
  });

  it('leaves to the text what JSON turns into something else', () => {
    expect(copyAsStored({ metadata: {}, spec: { at: new Date(0) } } as unknown as KubeObject, 1)).toBeUndefined();
    expect(copyAsStored({ metadata: {}, spec: { toJSON: () => 'x' } } as unknown as KubeObject, 1)).toBeUndefined();
    expect(copyAsStored({ metadata: {}, spec: { f: () => 1 } } as unknown as KubeObject, 1)).toBeUndefined();
    expect(copyAsStored({ metadata: null } as unknown as KubeObject, 1)).toBeUndefined();
  });
});

describe('the object layer over the memory driver', () => {
  it("gives a write's watch event and the next update's attempt the object as stored, sharing managedFields", async () => {
    const s = new MemoryStorage();
    const events: KubeObject[] = [];
    const w = s.watch('/cms/', { fromRevision: 0 }, { event: (e) => events.push(e.object), error: () => {} });
    const managedFields = [{ manager: 'm', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': {} } }];
    const created = await s.create('/cms/a', {
      kind: 'ConfigMap',
      metadata: { name: 'a', managedFields },
      data: { a: 'x', skipped: undefined },
    } as unknown as KubeObject);
    expect(events).toHaveLength(1);
    expect(events[0]).toEqual(await s.get('/cms/a'));
    expect(events[0]).not.toBe(created);
    expect(events[0].metadata!.managedFields).toBe(managedFields);

    // The watch cache's copy stands in for the first read: the attempt gets a copy of it, equal to the stored object.
    let seen: { text: string; same: boolean; managedFields: unknown } | undefined;
    const updated = await s.guaranteedUpdate(
      '/cms/a',
      (cur) => {
        seen = { text: JSON.stringify(cur), same: cur === events[0], managedFields: cur!.metadata!.managedFields };
        return { ...cur!, metadata: { ...cur!.metadata }, data: { a: 'y' } };
      },
      { cachedExisting: events[0] },
    );
    expect(seen).toEqual({ text: JSON.stringify(events[0]), same: false, managedFields });
    expect(seen!.managedFields).toBe(managedFields);
    expect(events[1]).toEqual(await s.get('/cms/a'));
    expect(events[1].metadata!.resourceVersion).toBe(updated.metadata!.resourceVersion);
    w.stop();
    await s.close();
  });

  it('keeps what JSON escapes as the stored text has it (a lone surrogate)', async () => {
    const s = new MemoryStorage();
    const events: KubeObject[] = [];
    const w = s.watch('/cms/', { fromRevision: 0 }, { event: (e) => events.push(e.object), error: () => {} });
    await s.create('/cms/b', { kind: 'ConfigMap', metadata: { name: 'b' }, data: { a: 'x\ud800y' } } as unknown as KubeObject);
    expect(events[0]).toEqual(await s.get('/cms/b'));
    expect(events[0].data).toEqual({ a: 'x\ud800y' });
    w.stop();
    await s.close();
  });
});
