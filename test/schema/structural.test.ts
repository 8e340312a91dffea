// Structural-schema checks at CRD write time, with apiextensions-apiserver's field paths and
// wording (pkg/apiserver/schema/validation.go ValidateStructural, apis/apiextensions/validation).

import { describe, expect, it } from 'vitest';
import { fieldErrorMessage } from '../../src/server/api/errors.js';
import { validateStructural } from '../../src/server/schema/structural.js';

const ROOT = 'spec.versions[0].schema.openAPIV3Schema';
const messages = (schema: Record<string, unknown>): string[] => validateStructural(schema, ROOT).map(fieldErrorMessage);
const object = (properties: Record<string, unknown>): Record<string, unknown> => ({ type: 'object', properties });

describe('structural schema', () => {
  it('accepts a typed schema, int-or-string, preserve-unknown-fields and embedded resources', () => {
    expect(
      messages(
        object({
          spec: object({
            replicas: { type: 'integer', minimum: 0 },
            port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
            raw: { 'x-kubernetes-preserve-unknown-fields': true },
            template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
            tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
            ports: {
              type: 'array',
              'x-kubernetes-list-type': 'map',
              'x-kubernetes-list-map-keys': ['name'],
              items: object({ name: { type: 'string' } }),
            },
          }),
        }),
      ),
    ).toEqual([]);
  });

  it('the root is an object', () => {
    expect(messages({ properties: {} })).toEqual([`${ROOT}.type: Required value: must not be empty at the root`]);
    expect(messages({ type: 'string' })).toEqual([`${ROOT}.type: Invalid value: "string": must be object at the root`]);
  });

  it('specified fields and array items carry a type', () => {
    expect(
      messages(object({ spec: { properties: { a: { type: 'string' } } }, list: { type: 'array', items: { properties: {} } } })),
    ).toEqual([
      `${ROOT}.properties[spec].type: Required value: must not be empty for specified object fields`,
      `${ROOT}.properties[list].items.type: Required value: must not be empty for specified array items`,
    ]);
  });

  it('x-kubernetes-int-or-string leaves type empty', () => {
    expect(messages(object({ port: { type: 'string', 'x-kubernetes-int-or-string': true } }))).toEqual([
      `${ROOT}.properties[port].type: Forbidden: must be empty if x-kubernetes-int-or-string is true`,
    ]);
  });

  it('x-kubernetes-embedded-resource needs type object', () => {
    expect(
      messages(object({ template: { 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true } })),
    ).toEqual([`${ROOT}.properties[template].type: Required value: must be object if x-kubernetes-embedded-resource is true`]);
  });

  it('metadata at the root may only restrict name and generateName', () => {
    expect(messages(object({ metadata: object({ name: { type: 'string', maxLength: 10 } }) }))).toEqual([]);
    expect(messages(object({ metadata: object({ labels: { type: 'object' } }) }))).toEqual([
      `${ROOT}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified`,
    ]);
  });

  it('types and defaults stay out of allOf/anyOf/oneOf/not', () => {
    expect(messages(object({ a: { type: 'string', anyOf: [{ type: 'string', maxLength: 3 }, { minLength: 5 }] } }))).toEqual([
      `${ROOT}.properties[a].anyOf[0].type: Forbidden: must be empty to be structural`,
    ]);
  });

  it('list types: map needs keys, and only atomic, set and map exist', () => {
    expect(messages(object({ l: { type: 'array', items: { type: 'object' }, 'x-kubernetes-list-type': 'map' } }))).toEqual([
      `${ROOT}.properties[l].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map`,
    ]);
    expect(messages(object({ l: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'bag' } }))).toEqual([
      `${ROOT}.properties[l].x-kubernetes-list-type: Unsupported value: "bag": supported values: "atomic", "set", "map"`,
    ]);
  });

  it('properties and additionalProperties are exclusive', () => {
    expect(
      messages(object({ m: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } } })),
    ).toEqual([`${ROOT}.properties[m].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`]);
  });

  it('CEL rules compile, with a reason kube knows', () => {
    expect(
      messages(
        object({
          spec: {
            ...object({ n: { type: 'integer' } }),
            'x-kubernetes-validations': [{ rule: 'self.n > 0' }, { rule: '' }, { rule: 'self.n > 0', reason: 'Bogus' }],
          },
        }),
      ),
    ).toEqual([
      `${ROOT}.properties[spec].x-kubernetes-validations[1].rule: Required value`,
      `${ROOT}.properties[spec].x-kubernetes-validations[2].reason: Unsupported value: "Bogus": supported values: "FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"`,
    ]);
  });
});
