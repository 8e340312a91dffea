// Unit tests for the request pipeline's pure stages.

import { describe, expect, it } from 'vitest';
import { parseRequestInfo } from '../../src/server/http/request-info.js';
import { negotiateOutput } from '../../src/server/http/negotiation.js';
import { parseLabelSelector } from '../../src/server/api/selectors/labels.js';
import { parseFieldSelector } from '../../src/server/api/selectors/fields.js';
import { fieldErrors, invalid } from '../../src/server/api/errors.js';
import { compareVersions, negotiateDiscovery, storageVersionHash } from '../../src/server/endpoints/discovery.js';
import { jsonPathValues } from '../../src/server/api/jsonpath.js';
import { rewriteRule } from '../../src/server/schema/cel.js';
import { humanDuration } from '../../src/server/registry/resources/printers.js';

const q = (s = ''): URLSearchParams => new URLSearchParams(s);

describe('RequestInfo', () => {
  it('parses resource URLs as kube-apiserver does', () => {
    expect(parseRequestInfo('GET', '/api/v1/namespaces/ns/configmaps/a', q())).toMatchObject({
      verb: 'get',
      apiGroup: '',
      apiVersion: 'v1',
      namespace: 'ns',
      resource: 'configmaps',
      name: 'a',
    });
    expect(parseRequestInfo('GET', '/apis/example.com/v1/widgets', q())).toMatchObject({
      verb: 'list',
      apiGroup: 'example.com',
      resource: 'widgets',
      namespace: '',
    });
    expect(parseRequestInfo('GET', '/api/v1/namespaces/ns/configmaps', q('watch=true')).verb).toBe('watch');
    expect(parseRequestInfo('GET', '/api/v1/watch/namespaces/ns/configmaps', q())).toMatchObject({
      verb: 'watch',
      namespace: 'ns',
      resource: 'configmaps',
    });
    expect(parseRequestInfo('DELETE', '/api/v1/namespaces/ns/configmaps', q()).verb).toBe('deletecollection');
    expect(parseRequestInfo('PUT', '/api/v1/namespaces/ns/status', q())).toMatchObject({
      resource: 'namespaces',
      name: 'ns',
      subresource: 'status',
    });
    expect(parseRequestInfo('PATCH', '/apis/example.com/v1/namespaces/d/widgets/w/scale', q())).toMatchObject({
      verb: 'patch',
      subresource: 'scale',
      name: 'w',
    });
    expect(parseRequestInfo('GET', '/healthz', q()).isResourceRequest).toBe(false);
    expect(parseRequestInfo('GET', '/apis/apps/v1', q()).isResourceRequest).toBe(false);
  });
});

describe('negotiation', () => {
  it('picks tables, YAML and JSON, and aggregated discovery', () => {
    expect(negotiateOutput('application/json;as=Table;v=v1;g=meta.k8s.io,application/json', { tableAllowed: true }).format).toBe('table');
    expect(negotiateOutput('application/yaml', { tableAllowed: true }).format).toBe('yaml');
    expect(() => negotiateOutput('text/html', { tableAllowed: true })).toThrow(/only the following media types are accepted/);
    expect(negotiateDiscovery('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json')).toBe('v2');
    expect(negotiateDiscovery('application/json')).toBe('legacy');
  });
});

describe('selectors', () => {
  it('matches the full label grammar', () => {
    const sel = parseLabelSelector('a=1,b!=2,c in (x, y),d notin (z),e,!f,g>3');
    expect(sel.matches({ a: '1', b: '3', c: 'x', d: 'q', e: '', g: '4' })).toBe(true);
    expect(sel.matches({ a: '1', b: '3', c: 'x', d: 'q', e: '', g: '4', f: 'x' })).toBe(false);
    expect(sel.matches({ a: '1', c: 'y', e: '', g: '2' })).toBe(false);
    expect(() => parseLabelSelector('a in x')).toThrow(/expected: '\('/);
  });
  it('parses field selectors with escapes', () => {
    const f = parseFieldSelector('metadata.name=a\\,b,type!=x');
    expect(f.requirements).toEqual([
      { field: 'metadata.name', op: '=', value: 'a,b' },
      { field: 'type', op: '!=', value: 'x' },
    ]);
    expect(() => parseFieldSelector('nonsense')).toThrow("invalid selector: 'nonsense'; can't understand 'nonsense'");
  });
});

describe('Status wording', () => {
  it('formats Invalid with one and several causes', () => {
    expect(invalid({ group: '', kind: 'ConfigMap' }, 'x', [fieldErrors.required('data')]).message).toBe(
      'ConfigMap "x" is invalid: data: Required value',
    );
    const two = invalid({ group: 'example.com', kind: 'Widget' }, 'w', [
      fieldErrors.invalid('spec.a', -1, 'must be positive'),
      fieldErrors.notSupported('spec.b', 'x', ['y']),
    ]);
    expect(two.message).toBe(
      'Widget.example.com "w" is invalid: [spec.a: Invalid value: -1: must be positive, spec.b: Unsupported value: "x": supported values: "y"]',
    );
    expect(two.status.details?.causes).toEqual([
      { reason: 'FieldValueInvalid', message: 'Invalid value: -1: must be positive', field: 'spec.a' },
      { reason: 'FieldValueNotSupported', message: 'Unsupported value: "x": supported values: "y"', field: 'spec.b' },
    ]);
  });
});

describe('discovery helpers', () => {
  it('orders versions and hashes storage versions like kube', () => {
    expect(['v1alpha1', 'v2', 'v1beta2', 'v1', 'v1beta1', 'foo'].sort(compareVersions)).toEqual([
      'v2',
      'v1',
      'v1beta2',
      'v1beta1',
      'v1alpha1',
      'foo',
    ]);
    expect(storageVersionHash('', 'v1', 'ConfigMap')).toMatch(/^[A-Za-z0-9+/]{11}=$/);
  });
});

describe('printing', () => {
  it('evaluates kubectl JSONPath and ages', () => {
    const obj = {
      status: {
        conditions: [
          { type: 'A', status: 'False' },
          { type: 'Ready', status: 'True' },
        ],
        addresses: [{ value: '1' }, { value: '2' }],
      },
    };
    expect(jsonPathValues(obj, '.status.conditions[?(@.type == "Ready")].status')).toEqual(['True']);
    expect(jsonPathValues(obj, '.status.addresses[*].value')).toEqual(['1', '2']);
    expect(humanDuration(5_000)).toBe('5s');
    expect(humanDuration(150_000)).toBe('2m30s');
    expect(humanDuration(3 * 3600_000 + 5 * 60_000)).toBe('3h5m');
    expect(humanDuration(3 * 86400_000)).toBe('3d');
  });
});

describe('CEL adaptation', () => {
  it('rewrites has() on indexed fields and RE2 flags', () => {
    expect(rewriteRule('has(self.a[0].b) && has(self.c.d)')).toBe('__has(self.a[0], "b") && has(self.c.d)');
    expect(rewriteRule("self.matches('(?i)abc') && 'x.matches(y)' != ''")).toBe("self.__match('(?i)abc') && 'x.matches(y)' != ''");
  });
});

describe('CEL rules', () => {
  it('evaluates optionalOldSelf on create and update, with messageExpression and reason', async () => {
    const { evaluateRules } = await import('../../src/server/schema/cel.js');
    const schema = { type: 'object', properties: { n: { type: 'integer' } } };
    const rules = [
      { rule: '!oldSelf.hasValue() || self.n >= oldSelf.value().n', message: 'n may not decrease', optionalOldSelf: true },
      { rule: 'self.n < 10', messageExpression: '"n is " + string(self.n)', reason: 'FieldValueForbidden', fieldPath: '.n' },
    ];
    const onCreate: import('../../src/server/api/errors.js').FieldError[] = [];
    evaluateRules(rules, { n: 12 }, undefined, false, schema, 'spec', onCreate);
    expect(onCreate).toEqual([{ type: 'FieldValueForbidden', field: 'spec.n', badValue: 'object', detail: 'n is 12', hasBadValue: false }]);
    const onUpdate: import('../../src/server/api/errors.js').FieldError[] = [];
    evaluateRules(rules, { n: 3 }, { n: 5 }, true, schema, 'spec', onUpdate);
    expect(onUpdate.map((e) => e.detail)).toEqual(['n may not decrease']);
  });
});

describe('CEL cost limits', () => {
  it('refuses unbounded nested loops at CRD write time and accepts bounded ones', async () => {
    const { compileVersionSchema } = await import('../../src/server/schema/index.js');
    const rule = [{ rule: 'self.all(x, self.all(y, x == y))' }];
    const schema = (list: Record<string, unknown>): Record<string, unknown> => ({
      type: 'object',
      properties: { spec: { type: 'object', properties: { l: { ...list, 'x-kubernetes-validations': rule } } } },
    });
    const unbounded = compileVersionSchema(schema({ type: 'array', items: { type: 'string' } }), 'spec.versions[0].schema.openAPIV3Schema');
    expect(unbounded.errors.map((e) => `${e.field}: ${e.detail}`)).toEqual([
      'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[l].x-kubernetes-validations[0].rule: estimated rule cost exceeds budget by factor of more than 100x (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)',
    ]);
    const bounded = compileVersionSchema(schema({ type: 'array', maxItems: 100, items: { type: 'string', maxLength: 63 } }), 'x');
    expect(bounded.errors).toEqual([]);
  });
});

describe('CEL runtime budget', () => {
  it('refuses an evaluation whose actual cost exceeds the per-call limit', async () => {
    const { evaluateRules } = await import('../../src/server/schema/cel.js');
    const schema = { type: 'array', maxItems: 5000, items: { type: 'string', maxLength: 10 } };
    const rules = [{ rule: 'self.all(x, self.all(y, x == y || x != y))' }];
    const small: import('../../src/server/api/errors.js').FieldError[] = [];
    evaluateRules(rules, ['a', 'b'], undefined, false, schema, 'spec.l', small);
    expect(small).toEqual([]);
    const big: import('../../src/server/api/errors.js').FieldError[] = [];
    evaluateRules(
      rules,
      Array.from({ length: 3000 }, (_, i) => `v${i}`),
      undefined,
      false,
      schema,
      'spec.l',
      big,
    );
    expect(big.map((e) => `${e.field}: ${e.detail}`)).toEqual([
      'spec.l: call cost exceeds limit for rule: self.all(x, self.all(y, x == y || x != y))',
    ]);
  });
});
