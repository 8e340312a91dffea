// Structural-schema rules for CRD schemas (apiextensions-apiserver
// pkg/apiserver/schema/validation.go) and CEL rule compilation, reported
// at the schema's field path.

import { type FieldError, fieldErrors } from '../api/errors.js';
import { isPlainObject } from '../api/types.js';
import { compileRule, type Rule, RuleCompileError } from './cel.js';
import { estimateCost, exceedsMessage, maxSize, PER_EXPRESSION_LIMIT } from './cel-cost.js';
import type { SchemaNode } from './prune.js';
import { regexpError } from './regex.js';

const JUNCTORS = ['allOf', 'anyOf', 'oneOf'] as const;
const FORBIDDEN_IN_JUNCTORS = [
  'type',
  'default',
  'description',
  'nullable',
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-list-type',
  'x-kubernetes-map-type',
  'additionalProperties',
];

/**
 * apiextensions-apiserver validateValueValidation: a pattern must compile with
 * Go's regexp, checked on every schema node and inside allOf/anyOf/oneOf/not.
 */
function checkPattern(s: SchemaNode, path: string, errs: FieldError[]): void {
  if (typeof s.pattern !== 'string' || s.pattern === '') return;
  const err = regexpError(s.pattern);
  if (err !== undefined)
    errs.push(fieldErrors.invalid(`${path}.pattern`, s.pattern, `must be a valid regular expression, but isn't: ${err}`));
}

function checkJunctorBody(s: SchemaNode, path: string, errs: FieldError[]): void {
  checkPattern(s, path, errs);
  for (const k of FORBIDDEN_IN_JUNCTORS) {
    if (s[k] !== undefined && !(k === 'x-kubernetes-preserve-unknown-fields' && s[k] === false))
      errs.push(fieldErrors.forbidden(`${path}.${k}`, 'must be empty to be structural'));
  }
  for (const [k, v] of Object.entries((s.properties ?? {}) as Record<string, SchemaNode>))
    checkJunctorBody(v, `${path}.properties[${k}]`, errs);
  if (isPlainObject(s.items)) checkJunctorBody(s.items as SchemaNode, `${path}.items`, errs);
  for (const j of [...JUNCTORS, 'not'] as const) {
    const sub = s[j];
    if (Array.isArray(sub)) for (const [i, x] of sub.entries()) checkJunctorBody(x as SchemaNode, `${path}.${j}[${i}]`, errs);
    else if (isPlainObject(sub)) checkJunctorBody(sub as SchemaNode, `${path}.${j}`, errs);
  }
}

function isIntOrStringJunctor(j: string, sub: unknown): boolean {
  const isPair = (x: unknown): boolean =>
    Array.isArray(x) &&
    x.length === 2 &&
    x.every((e) => isPlainObject(e) && Object.keys(e).length === 1 && (e.type === 'integer' || e.type === 'string'));
  if (j === 'anyOf') return isPair(sub);
  if (j === 'allOf') return Array.isArray(sub) && sub.every((e) => isPlainObject(e) && Object.keys(e).length === 1 && isPair(e.anyOf));
  return false;
}

interface CostTotals {
  total: number;
  reported: boolean;
}

/** Where a schema node sits, as kube's ValidateStructural levels it: the root's own checks are validateStructural's. */
type Level = 'root' | 'item' | 'field';

function walk(
  s: SchemaNode,
  path: string,
  errs: FieldError[],
  level: Level,
  cardinality = 1,
  costs: CostTotals = { total: 0, reported: false },
): void {
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  if (!s.type && !intOrString && !preserve && s['x-kubernetes-embedded-resource'] !== true) {
    if (level === 'field') errs.push(fieldErrors.required(`${path}.type`, 'must not be empty for specified object fields'));
    else if (level === 'item' && (s.properties || s.items))
      errs.push(fieldErrors.required(`${path}.type`, 'must not be empty for specified array items'));
  }
  if (intOrString && s.type) errs.push(fieldErrors.forbidden(`${path}.type`, 'must be empty if x-kubernetes-int-or-string is true'));
  checkPattern(s, path, errs);
  if (s.properties && s.additionalProperties !== undefined && s.additionalProperties !== false) {
    errs.push(fieldErrors.forbidden(`${path}.additionalProperties`, 'additionalProperties and properties are mutual exclusive'));
  }
  if (
    s['x-kubernetes-list-type'] === 'map' &&
    !(Array.isArray(s['x-kubernetes-list-map-keys']) && (s['x-kubernetes-list-map-keys'] as unknown[]).length)
  ) {
    errs.push(fieldErrors.required(`${path}.x-kubernetes-list-map-keys`, 'must not be empty if x-kubernetes-list-type is map'));
  }
  if (s['x-kubernetes-list-type'] !== undefined && !['atomic', 'set', 'map'].includes(s['x-kubernetes-list-type'] as string)) {
    errs.push(fieldErrors.notSupported(`${path}.x-kubernetes-list-type`, s['x-kubernetes-list-type'], ['atomic', 'set', 'map']));
  }
  if (s['x-kubernetes-embedded-resource'] === true && s.type !== 'object') {
    errs.push(fieldErrors.required(`${path}.type`, 'must be object if x-kubernetes-embedded-resource is true'));
  }
  for (const j of [...JUNCTORS, 'not'] as const) {
    const sub = s[j];
    // x-kubernetes-int-or-string may spell itself out as anyOf [{type: integer}, {type: string}] (also under allOf).
    if (intOrString && isIntOrStringJunctor(j, sub)) continue;
    if (Array.isArray(sub)) for (const [i, x] of sub.entries()) checkJunctorBody(x as SchemaNode, `${path}.${j}[${i}]`, errs);
    else if (isPlainObject(sub)) checkJunctorBody(sub as SchemaNode, `${path}.${j}`, errs);
  }
  const rules = s['x-kubernetes-validations'];
  if (Array.isArray(rules)) {
    (rules as Rule[]).forEach((r, i) => {
      const rp = `${path}.x-kubernetes-validations[${i}]`;
      if (!r.rule) {
        errs.push(fieldErrors.required(`${rp}.rule`));
        return;
      }
      const p = compileRule(r.rule, r.optionalOldSelf === true && /\boldSelf\b/.test(r.rule));
      if (p instanceof RuleCompileError) errs.push(fieldErrors.invalid(`${rp}.rule`, r.rule, p.message));
      else if (p instanceof Error)
        errs.push(fieldErrors.invalid(`${rp}.rule`, r.rule, `compilation failed: ERROR: <input>: ${p.message.split('\n')[0]}`));
      else {
        const cost = estimateCost(p.ast, s);
        const total = cost * cardinality;
        costs.total += total;
        if (cost > PER_EXPRESSION_LIMIT) errs.push(fieldErrors.forbidden(`${rp}.rule`, exceedsMessage(cost, PER_EXPRESSION_LIMIT)));
        else if (total > PER_EXPRESSION_LIMIT * 10 && !costs.reported) {
          // Evaluated once per element of the lists above it: kube checks the product against the CRD budget.
          costs.reported = true;
          errs.push(
            fieldErrors.forbidden(
              `${rp}.rule`,
              'contributed to estimated rule & messageExpression cost total exceeding cost limit for entire OpenAPIv3 schema',
            ),
          );
        }
      }
      if (r.messageExpression) {
        const m = compileRule(r.messageExpression);
        if (m instanceof RuleCompileError)
          errs.push(fieldErrors.invalid(`${rp}.messageExpression`, r.messageExpression, `messageExpression ${m.message}`));
        else if (m instanceof Error)
          errs.push(
            fieldErrors.invalid(
              `${rp}.messageExpression`,
              r.messageExpression,
              `messageExpression compilation failed: ERROR: <input>: ${m.message.split('\n')[0]}`,
            ),
          );
      }
      if (r.reason && !['FieldValueInvalid', 'FieldValueForbidden', 'FieldValueRequired', 'FieldValueDuplicate'].includes(r.reason)) {
        errs.push(
          fieldErrors.notSupported(`${rp}.reason`, r.reason, [
            'FieldValueDuplicate',
            'FieldValueForbidden',
            'FieldValueInvalid',
            'FieldValueRequired',
          ]),
        );
      }
    });
  }
  for (const [k, v] of Object.entries((s.properties ?? {}) as Record<string, SchemaNode>)) {
    if (isPlainObject(v)) walk(v, `${path}.properties[${k}]`, errs, 'field', cardinality, costs);
  }
  if (isPlainObject(s.items))
    walk(s.items as SchemaNode, `${path}.items`, errs, 'item', Math.min(cardinality * maxSize(s), Number.MAX_SAFE_INTEGER), costs);
  if (isPlainObject(s.additionalProperties))
    walk(
      s.additionalProperties as SchemaNode,
      `${path}.additionalProperties`,
      errs,
      'item',
      Math.min(cardinality * maxSize(s), Number.MAX_SAFE_INTEGER),
      costs,
    );
}

export function validateStructural(schema: SchemaNode, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (schema.type !== 'object') {
    if (!schema.type) errs.push(fieldErrors.required(`${path}.type`, 'must not be empty at the root'));
    else errs.push(fieldErrors.invalid(`${path}.type`, schema.type, 'must be object at the root'));
  }
  const meta = (schema.properties as Record<string, SchemaNode> | undefined)?.metadata;
  if (isPlainObject(meta)) {
    const allowed = new Set(['type', 'properties']);
    const extra = Object.keys(meta).filter((k) => !allowed.has(k));
    const props = Object.keys((meta.properties ?? {}) as object).filter((k) => k !== 'name' && k !== 'generateName');
    if (extra.length || props.length || (meta.type !== undefined && meta.type !== 'object')) {
      errs.push(
        fieldErrors.forbidden(
          `${path}.properties[metadata]`,
          'must not specify anything other than name and generateName, but metadata is implicitly specified',
        ),
      );
    }
  }
  walk(schema, path, errs, 'root');
  return errs;
}
