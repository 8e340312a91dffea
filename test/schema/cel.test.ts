// CEL in CRD schemas (apiextensions-apiserver pkg/apiserver/schema/cel): rule adaptation to the
// evaluator, evaluation with oldSelf, estimated cost at CRD write time and the runtime budget.

import { describe, expect, it } from 'vitest';
import type { FieldError } from '../../src/server/api/errors.js';
import { evaluateRules, rewriteRule } from '../../src/server/schema/cel.js';
import { compileVersionSchema } from '../../src/server/schema/index.js';

describe('CEL adaptation', () => {
  it('rewrites has() on indexed fields and RE2 flags', () => {
    expect(rewriteRule('has(self.a[0].b) && has(self.c.d)')).toBe('__has(self.a[0], "b") && has(self.c.d)');
    expect(rewriteRule("self.matches('(?i)abc') && 'x.matches(y)' != ''")).toBe("self.__match('(?i)abc') && 'x.matches(y)' != ''");
  });
});

describe('CEL rules', () => {
  it('evaluates optionalOldSelf on create and update, with messageExpression and reason', () => {
    const schema = { type: 'object', properties: { n: { type: 'integer' } } };
    const rules = [
      { rule: '!oldSelf.hasValue() || self.n >= oldSelf.value().n', message: 'n may not decrease', optionalOldSelf: true },
      { rule: 'self.n < 10', messageExpression: '"n is " + string(self.n)', reason: 'FieldValueForbidden', fieldPath: '.n' },
    ];
    const onCreate: FieldError[] = [];
    evaluateRules(rules, { n: 12 }, undefined, false, schema, 'spec', onCreate);
    expect(onCreate).toEqual([{ type: 'FieldValueForbidden', field: 'spec.n', badValue: 'object', detail: 'n is 12', hasBadValue: false }]);
    const onUpdate: FieldError[] = [];
    evaluateRules(rules, { n: 3 }, { n: 5 }, true, schema, 'spec', onUpdate);
    expect(onUpdate.map((e) => e.detail)).toEqual(['n may not decrease']);
  });
});

describe('CEL cost limits', () => {
  it('refuses unbounded nested loops at CRD write time and accepts bounded ones', () => {
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
  it('refuses an evaluation whose actual cost exceeds the per-call limit', () => {
    const schema = { type: 'array', maxItems: 5000, items: { type: 'string', maxLength: 10 } };
    const rules = [{ rule: 'self.all(x, self.all(y, x == y || x != y))' }];
    const small: FieldError[] = [];
    evaluateRules(rules, ['a', 'b'], undefined, false, schema, 'spec.l', small);
    expect(small).toEqual([]);
    const big: FieldError[] = [];
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
