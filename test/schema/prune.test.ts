// Structural pruning (apiextensions-apiserver pkg/apiserver/schema/pruning): unknown fields dropped,
// or only reported for fieldValidation Warn/Strict, named as kube names them.

import { describe, expect, it } from 'vitest';
import { pruneUnknown } from '../../src/server/schema/prune.js';

const schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        a: { type: 'string' },
        items: { type: 'array', items: { type: 'object', properties: { n: { type: 'integer' } } } },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        port: { 'x-kubernetes-int-or-string': true },
        template: {
          type: 'object',
          'x-kubernetes-embedded-resource': true,
          properties: { spec: { type: 'object', properties: { b: { type: 'string' } } } },
        },
      },
    },
  },
};

const object = (): Record<string, unknown> => ({
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name: 'w', anything: 1 },
  spec: {
    a: 'x',
    bogus: 1,
    items: [{ n: 1, extra: true }],
    labels: { k: 'v' },
    free: { anything: { goes: 1 } },
    port: 80,
    template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { b: 'y', c: 'z' } },
  },
  status: { phase: 'x' },
});

describe('pruning', () => {
  it('drops unknown fields; apiVersion, kind and metadata stay at the root and in embedded resources', () => {
    const obj = object();
    expect(pruneUnknown(obj, schema, { drop: true, keepMetadata: true })).toEqual([
      'spec.bogus',
      'spec.items[0].extra',
      'spec.template.spec.c',
      'status',
    ]);
    expect(obj).toEqual({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', anything: 1 },
      spec: {
        a: 'x',
        items: [{ n: 1 }],
        labels: { k: 'v' },
        free: { anything: { goes: 1 } },
        port: 80,
        template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { b: 'y' } },
      },
    });
  });

  it('reports without dropping for fieldValidation Warn and Strict', () => {
    const obj = object();
    expect(pruneUnknown(obj, schema, { drop: false, keepMetadata: true })).toHaveLength(4);
    expect(obj).toEqual(object());
  });

  it('treats inherited names (constructor, __proto__) as unknown fields', () => {
    const obj = JSON.parse('{"spec":{"a":"x","constructor":1,"__proto__":{"polluted":true}}}') as Record<string, unknown>;
    expect(pruneUnknown(obj, schema, { drop: true })).toEqual(['spec.constructor', 'spec.__proto__']);
    expect(Object.keys(obj.spec as object)).toEqual(['a']);
  });

  it('follows $ref through the resolver (built-in schemas)', () => {
    const defs: Record<string, Record<string, unknown>> = {
      Inner: { type: 'object', properties: { ok: { type: 'string' } } },
    };
    const obj = { inner: { ok: 'y', no: 1 } };
    const s = { type: 'object', properties: { inner: { $ref: 'Inner' } } };
    expect(pruneUnknown(obj, s, { drop: true, resolve: (ref) => defs[ref] })).toEqual(['inner.no']);
    expect(obj).toEqual({ inner: { ok: 'y' } });
  });
});
