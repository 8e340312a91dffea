// Value validation of custom resources: kube-openapi's wording (pkg/validation/errors/schema.go) as
// apiextensions-apiserver reports it in field errors (`<path>: Invalid value: <v>: <path> in body ...`).

import { describe, expect, it } from 'vitest';
import { type FieldError, fieldErrorMessage } from '../../src/server/api/errors.js';
import { validateValue } from '../../src/server/schema/validate.js';

const messages = (schema: Record<string, unknown>, v: unknown, path = 'spec.x'): string[] => {
  const errs: FieldError[] = [];
  validateValue(v, schema, path, errs);
  return errs.map(fieldErrorMessage);
};

describe('value validation', () => {
  it('types, with the value type quoted', () => {
    expect(messages({ type: 'integer' }, 'three')).toEqual([
      'spec.x: Invalid value: "string": spec.x in body must be of type integer: "string"',
    ]);
    expect(messages({ type: 'integer' }, 1.5)).toEqual([
      'spec.x: Invalid value: "number": spec.x in body must be of type integer: "number"',
    ]);
    expect(messages({ type: 'string' }, null)).toEqual(['spec.x: Invalid value: "null": spec.x in body must be of type string: "null"']);
    expect(messages({ type: 'string', nullable: true }, null)).toEqual([]);
    expect(messages({ 'x-kubernetes-int-or-string': true }, true)).toEqual([
      'spec.x: Invalid value: "boolean": spec.x in body must be of type integer,string: "boolean"',
    ]);
    expect(messages({ 'x-kubernetes-int-or-string': true }, 8080)).toEqual([]);
  });

  it('strings: length, enum, pattern, format', () => {
    expect(messages({ type: 'string', maxLength: 3 }, 'abcd')).toEqual(['spec.x: Too long: may not be more than 3 bytes']);
    expect(messages({ type: 'string', minLength: 3 }, 'ab')).toEqual([
      'spec.x: Invalid value: "ab": spec.x in body should be at least 3 chars long',
    ]);
    expect(messages({ type: 'string', enum: ['a', 'b'] }, 'c')).toEqual(['spec.x: Unsupported value: "c": supported values: "a", "b"']);
    expect(messages({ type: 'string', pattern: '^[a-z]+$' }, 'A')).toEqual([
      'spec.x: Invalid value: "A": spec.x in body should match \'^[a-z]+$\'',
    ]);
    expect(messages({ type: 'string', format: 'ipv4' }, '1.2.3')).toEqual([
      'spec.x: Invalid value: "1.2.3": spec.x in body must be of type ipv4: "1.2.3"',
    ]);
  });

  it('numbers: bounds, exclusive bounds, multipleOf', () => {
    expect(messages({ type: 'integer', minimum: 1 }, 0)).toEqual([
      'spec.x: Invalid value: 0: spec.x in body should be greater than or equal to 1',
    ]);
    expect(messages({ type: 'integer', minimum: 1, exclusiveMinimum: true }, 1)).toEqual([
      'spec.x: Invalid value: 1: spec.x in body should be greater than 1',
    ]);
    expect(messages({ type: 'integer', maximum: 5 }, 6)).toEqual([
      'spec.x: Invalid value: 6: spec.x in body should be less than or equal to 5',
    ]);
    expect(messages({ type: 'number', maximum: 5, exclusiveMaximum: true }, 5)).toEqual([
      'spec.x: Invalid value: 5: spec.x in body should be less than 5',
    ]);
    expect(messages({ type: 'integer', multipleOf: 4 }, 6)).toEqual(['spec.x: Invalid value: 6: spec.x in body should be a multiple of 4']);
  });

  it('arrays: item counts, uniqueness, set and map list types, items', () => {
    expect(messages({ type: 'array', maxItems: 1, items: { type: 'string' } }, ['a', 'b'])).toEqual([
      'spec.x: Too many: 2: must have at most 1 items',
    ]);
    expect(messages({ type: 'array', minItems: 2, items: { type: 'string' } }, ['a'])).toEqual([
      'spec.x: Invalid value: []interface {}{"a"}: spec.x in body should have at least 2 items',
    ]);
    expect(messages({ type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } }, ['a', 'b', 'a'])).toEqual([
      'spec.x[2]: Duplicate value: "a"',
    ]);
    const ports = {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name', 'protocol'],
      items: { type: 'object', properties: { name: { type: 'string' }, protocol: { type: 'string', default: 'TCP' } } },
    };
    expect(messages(ports, [{ name: 'http' }, { name: 'http', protocol: 'TCP' }, { name: 'http', protocol: 'UDP' }])).toEqual([
      'spec.x[1]: Duplicate value: map[string]interface {}{"name":"http", "protocol":"TCP"}',
    ]);
    expect(messages({ type: 'array', items: { type: 'integer' } }, [1, 'b'])).toEqual([
      'spec.x[1]: Invalid value: "string": spec.x[1] in body must be of type integer: "string"',
    ]);
  });

  it('objects: required, property counts, additionalProperties', () => {
    expect(messages({ type: 'object', required: ['a', 'b'], properties: { a: { type: 'string' } } }, { a: 'x' })).toEqual([
      'spec.x.b: Required value',
    ]);
    expect(messages({ type: 'object', maxProperties: 1 }, { a: 1, b: 2 })).toEqual(['spec.x: Too many: 2: must have at most 1 items']);
    expect(messages({ type: 'object', minProperties: 2 }, { a: 1 })).toEqual([
      'spec.x: Invalid value: 1: spec.x in body should have at least 2 properties',
    ]);
    expect(messages({ type: 'object', additionalProperties: { type: 'string' } }, { a: 'x', b: 2 })).toEqual([
      'spec.x.b: Invalid value: "integer": spec.x.b in body must be of type string: "integer"',
    ]);
  });

  it('names the root <root> when validating the whole object', () => {
    expect(messages({ type: 'object' }, 'x', '')).toEqual([': Invalid value: "string": <root> in body must be of type object: "string"']);
  });
});
