// Typed decoding of built-in objects (kube's decode into Go structs): Go's
// error texts for type mismatches, base64, times and quantities, and the
// normalisation a decode then encode leaves behind.

import { describe, expect, it } from 'vitest';
import { canonicalTime, parseTime, RFC3339_MICRO_LAYOUT, sameTime } from '../../src/server/api/time.js';
import { ModelCatalog, type Schema } from '../../src/server/schema/builtin/models.js';
import { base64Error, decodeTyped, quantityError } from '../../src/server/schema/builtin/typed.js';

const catalog = new ModelCatalog();
const target = (cls: string, group: string, kind: string): { kind: string; schema: Schema; definitions: Record<string, Schema> } => {
  const name = catalog.load(cls, group);
  return { kind, schema: catalog.definitions[name], definitions: catalog.definitions };
};

describe('Go base64 (StdEncoding) errors', () => {
  it('accepts padded base64 with newlines and reports the first bad byte', () => {
    expect(base64Error('aGVsbG8=')).toBeUndefined();
    expect(base64Error('aGVs\nbG8=')).toBeUndefined();
    expect(base64Error('')).toBeUndefined();
    expect(base64Error('!!!')).toBe('illegal base64 data at input byte 0');
    expect(base64Error('aGVsbG8')).toBe('illegal base64 data at input byte 4');
    expect(base64Error('aG=sbG8=')).toBe('illegal base64 data at input byte 2');
    expect(base64Error('aGVsbG8=x')).toBe('illegal base64 data at input byte 8');
  });
});

describe('resource.Quantity parsing', () => {
  it('accepts kube quantities and refuses the rest with ParseQuantity wording', () => {
    for (const q of ['0', '1', '100m', '1.5Gi', '2e3', '+1k', '.5', '1E-3']) expect(quantityError(q), q).toBeUndefined();
    expect(quantityError('')).toBe("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    expect(quantityError('abc')).toBe("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    expect(quantityError('1Qi')).toBe("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    expect(quantityError('1Mk')).toBe("unable to parse quantity's suffix");
  });
});

describe('metav1.Time and MicroTime parsing', () => {
  it('parses RFC 3339 as Go does and normalises to UTC seconds', () => {
    expect(canonicalTime('2024-05-06T07:08:03.000Z')).toBe('2024-05-06T07:08:03Z');
    expect(canonicalTime('2024-05-06T07:08:03.999+02:00')).toBe('2024-05-06T05:08:03Z');
    expect(sameTime('2024-05-06T07:08:03.000Z', '2024-05-06T07:08:03Z')).toBe(true);
    expect(sameTime('2024-05-06T07:08:04Z', '2024-05-06T07:08:03Z')).toBe(false);
    expect(parseTime('yesterday')).toEqual({
      ok: false,
      error: 'parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"',
    });
    expect(parseTime('2024-13-01T00:00:00Z')).toEqual({ ok: false, error: 'parsing time "2024-13-01T00:00:00Z": month out of range' });
    expect(parseTime('2023-02-29T00:00:00Z')).toEqual({ ok: false, error: 'parsing time "2023-02-29T00:00:00Z": day out of range' });
    expect(parseTime('2024-01-01T00:00:00Zjunk')).toEqual({
      ok: false,
      error: 'parsing time "2024-01-01T00:00:00Zjunk": extra text: "junk"',
    });
    expect(parseTime('2024-01-01T00:00:00Z', RFC3339_MICRO_LAYOUT)).toEqual({
      ok: false,
      error: 'parsing time "2024-01-01T00:00:00Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "Z" as ".000000"',
    });
  });
});

describe('decodeTyped', () => {
  it('reports the first type mismatch with the innermost struct and the JSON field path', () => {
    const cm = target('V1ConfigMap', '', 'ConfigMap');
    expect(decodeTyped(cm, { metadata: { name: 'a' }, data: { a: 5 } })).toBe(
      'json: cannot unmarshal number into Go struct field ConfigMap.data of type string',
    );
    expect(decodeTyped(cm, { metadata: { name: 'a', labels: { a: true } } })).toBe(
      'json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.labels of type string',
    );
    expect(decodeTyped(cm, { metadata: { name: 'a', ownerReferences: [{ uid: 7 }] } })).toBe(
      'json: cannot unmarshal number into Go struct field OwnerReference.metadata.ownerReferences.uid of type string',
    );
    expect(decodeTyped(cm, { metadata: 'x' })).toBe(
      'json: cannot unmarshal string into Go struct field ConfigMap.metadata of type v1.ObjectMeta',
    );
    expect(decodeTyped(cm, { binaryData: { a: 'aGk=' }, immutable: 'yes' })).toBe(
      'json: cannot unmarshal string into Go struct field ConfigMap.immutable of type bool',
    );
    expect(decodeTyped(cm, { binaryData: { a: 'a' } })).toBe('illegal base64 data at input byte 0');
    expect(decodeTyped(cm, { binaryData: 'x' })).toBe(
      'json: cannot unmarshal string into Go struct field ConfigMap.binaryData of type map[string][]uint8',
    );
    // Remembered errors: the first in document order wins.
    expect(decodeTyped(cm, { data: { a: 1 }, immutable: 'x' })).toBe(
      'json: cannot unmarshal number into Go struct field ConfigMap.data of type string',
    );
  });

  it('checks integers, times and micro times', () => {
    const lease = target('V1Lease', 'coordination.k8s.io', 'Lease');
    expect(decodeTyped(lease, { spec: { leaseDurationSeconds: '15' } })).toBe(
      'json: cannot unmarshal string into Go struct field LeaseSpec.spec.leaseDurationSeconds of type int32',
    );
    expect(decodeTyped(lease, { spec: { leaseDurationSeconds: 1.5 } })).toBe(
      'json: cannot unmarshal number 1.5 into Go struct field LeaseSpec.spec.leaseDurationSeconds of type int32',
    );
    expect(decodeTyped(lease, { spec: { leaseTransitions: 2 ** 31 } })).toBe(
      'json: cannot unmarshal number 2147483648 into Go struct field LeaseSpec.spec.leaseTransitions of type int32',
    );
    expect(decodeTyped(lease, { spec: { renewTime: 5 } })).toBe(
      'json: cannot unmarshal number into Go struct field LeaseSpec.spec.renewTime of type string',
    );
    const ok: Record<string, unknown> = {
      metadata: { creationTimestamp: '2024-01-01T00:00:00.000Z' },
      spec: { renewTime: '2024-01-01T01:00:00.123456+01:00', holderIdentity: null },
    };
    expect(decodeTyped(lease, ok)).toBeUndefined();
    expect(ok).toEqual({ metadata: { creationTimestamp: '2024-01-01T00:00:00Z' }, spec: { renewTime: '2024-01-01T00:00:00.123456Z' } });
  });

  it('turns null map values into "" as Go maps of strings do', () => {
    const cm = target('V1ConfigMap', '', 'ConfigMap');
    const obj: Record<string, unknown> = { data: { a: null }, metadata: { labels: { l: null } } };
    expect(decodeTyped(cm, obj)).toBeUndefined();
    expect(obj).toEqual({ data: { a: '' }, metadata: { labels: { l: '' } } });
  });

  it('checks quantities and int-or-strings named by their definitions', () => {
    const definitions: Record<string, Schema> = {
      'io.k8s.apimachinery.pkg.api.resource.Quantity': { type: 'string' },
      'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { type: 'string', format: 'int-or-string' },
      'x.v1.Spec': {
        type: 'object',
        properties: {
          limits: { type: 'object', additionalProperties: { $ref: 'io.k8s.apimachinery.pkg.api.resource.Quantity' } },
          port: { $ref: 'io.k8s.apimachinery.pkg.util.intstr.IntOrString' },
        },
      },
    };
    const t = { kind: 'Thing', schema: { type: 'object', properties: { spec: { $ref: 'x.v1.Spec' } } }, definitions };
    expect(decodeTyped(t, { spec: { limits: { cpu: '100m', memory: 2 }, port: 'http' } })).toBeUndefined();
    expect(decodeTyped(t, { spec: { limits: { cpu: 'lots' } } })).toBe(
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    );
    expect(decodeTyped(t, { spec: { port: true } })).toBe('json: cannot unmarshal bool into Go struct field Spec.spec.port of type int32');
  });

  it('walks deep values without recursion', () => {
    // A self-referencing definition (as JSONSchemaProps is) nested 50,000 deep.
    const definitions: Record<string, Schema> = {
      'x.v1.Node': { type: 'object', properties: { n: { type: 'integer', format: 'int32' }, child: { $ref: 'x.v1.Node' } } },
    };
    const t = { kind: 'Thing', schema: { type: 'object', properties: { root: { $ref: 'x.v1.Node' } } }, definitions };
    let deep: Record<string, unknown> = { n: 'bad' };
    for (let i = 0; i < 50_000; i++) deep = { child: deep };
    const err = decodeTyped(t, { root: deep });
    expect(err).toMatch(/^json: cannot unmarshal string into Go struct field Node\.root(\.child){50000}\.n of type int32$/);
    const cm = target('V1ConfigMap', '', 'ConfigMap');
    const many: Record<string, unknown> = {};
    for (let i = 0; i < 20_000; i++) many[`k${i}`] = 'v';
    expect(decodeTyped(cm, { data: many })).toBeUndefined();
  });
});
