// Structural defaulting (apiextensions-apiserver pkg/apiserver/schema/defaulting): missing fields, and
// nulls where null is not allowed, take the schema default; nullable fields keep their null.

import { describe, expect, it } from 'vitest';
import { applyDefaults } from '../../src/server/schema/defaults.js';

const schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      default: {},
      properties: {
        replicas: { type: 'integer', default: 1 },
        mode: { type: 'string', default: 'auto' },
        note: { type: 'string', nullable: true, default: 'n' },
        ports: {
          type: 'array',
          items: { type: 'object', properties: { protocol: { type: 'string', default: 'TCP' } } },
        },
        labels: { type: 'object', additionalProperties: { type: 'string', default: 'x' } },
      },
    },
  },
};

describe('defaulting', () => {
  it('fills missing fields, recursing into a defaulted parent', () => {
    const obj: Record<string, unknown> = {};
    applyDefaults(obj, schema);
    expect(obj).toEqual({ spec: { replicas: 1, mode: 'auto', note: 'n' } });
  });

  it('keeps set values; a null takes the default unless the field is nullable', () => {
    const obj = { spec: { replicas: 3, mode: null, note: null } };
    applyDefaults(obj, schema);
    expect(obj.spec).toEqual({ replicas: 3, mode: 'auto', note: null });
  });

  it('defaults inside array items and additionalProperties values', () => {
    const obj = { spec: { ports: [{}, { protocol: 'UDP' }], labels: { a: null, b: 'kept' } } };
    applyDefaults(obj, schema);
    expect(obj.spec.ports).toEqual([{ protocol: 'TCP' }, { protocol: 'UDP' }]);
    expect(obj.spec.labels).toEqual({ a: 'x', b: 'kept' });
  });

  it('copies defaults: objects defaulted from one schema do not share state', () => {
    const a: Record<string, { list?: unknown[] }> = {};
    const b: Record<string, { list?: unknown[] }> = {};
    const s = { type: 'object', properties: { spec: { type: 'object', default: { list: [] } } } };
    applyDefaults(a, s);
    applyDefaults(b, s);
    a.spec.list?.push(1);
    expect(b.spec.list).toEqual([]);
  });
});
