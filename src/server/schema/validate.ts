// OpenAPI value validation of custom resources with kube-openapi's wording as
// apiextensions-apiserver reports it (`spec.replicas: Invalid value: "string":
// spec.replicas in body must be of type integer: "string"`).

import { type FieldError, fieldErrors } from '../api/errors.js';
import { isPlainObject } from '../api/types.js';
import { checkFormat } from './formats.js';
import type { SchemaNode } from './prune.js';
import { compileRegexp, GoRegexpError, matchString } from './regex.js';

export function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'object') return 'object';
  return typeof v;
}

function typeMatches(expected: string, v: unknown): boolean {
  switch (expected) {
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return isPlainObject(v);
    default:
      return true;
  }
}

export function validateValue(v: unknown, s: SchemaNode | undefined, path: string, errs: FieldError[]): void {
  if (!s) return;
  const p = path || '<root>';
  if (v === null) {
    if (s.nullable === true || (s['x-kubernetes-preserve-unknown-fields'] === true && !s.type)) return;
    if (s.type) errs.push(fieldErrors.typeInvalid(path, 'null', `${p} in body must be of type ${s.type as string}: "null"`));
    return;
  }
  if (s['x-kubernetes-int-or-string'] === true) {
    if (!(typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v)))) {
      errs.push(fieldErrors.typeInvalid(path, jsonType(v), `${p} in body must be of type integer,string: "${jsonType(v)}"`));
      return;
    }
  } else if (typeof s.type === 'string' && !typeMatches(s.type, v)) {
    errs.push(fieldErrors.typeInvalid(path, jsonType(v), `${p} in body must be of type ${s.type}: "${jsonType(v)}"`));
    return;
  }
  if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
    errs.push(
      fieldErrors.notSupported(
        path,
        v,
        s.enum.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))),
      ),
    );
  }
  if (typeof v === 'string') {
    if (typeof s.maxLength === 'number' && [...v].length > s.maxLength) errs.push(fieldErrors.tooLong(path, s.maxLength));
    if (typeof s.minLength === 'number' && [...v].length < s.minLength)
      errs.push(fieldErrors.invalid(path, v, `${p} in body should be at least ${s.minLength} chars long`));
    if (typeof s.pattern === 'string') {
      // kube-openapi validate.Pattern: Go's regexp (linear time), an unanchored MatchString.
      const re = compileRegexp(s.pattern);
      if (re instanceof GoRegexpError)
        errs.push(fieldErrors.invalid(path, v, `${p} in body should match '${s.pattern}, but pattern is invalid: ${re.message}'`));
      else if (!matchString(re, v)) errs.push(fieldErrors.invalid(path, v, `${p} in body should match '${s.pattern}'`));
    }
    if (typeof s.format === 'string') {
      const bad = checkFormat(s.format, v);
      if (bad) errs.push(fieldErrors.invalid(path, v, `${p} in body must be of type ${bad}: ${JSON.stringify(v)}`));
    }
  }
  if (typeof v === 'number') {
    if (typeof s.maximum === 'number') {
      if (s.exclusiveMaximum === true ? v >= s.maximum : v > s.maximum) {
        errs.push(
          fieldErrors.invalid(path, v, `${p} in body should be less than ${s.exclusiveMaximum === true ? '' : 'or equal to '}${s.maximum}`),
        );
      }
    }
    if (typeof s.minimum === 'number') {
      if (s.exclusiveMinimum === true ? v <= s.minimum : v < s.minimum) {
        errs.push(
          fieldErrors.invalid(
            path,
            v,
            `${p} in body should be greater than ${s.exclusiveMinimum === true ? '' : 'or equal to '}${s.minimum}`,
          ),
        );
      }
    }
    if (typeof s.multipleOf === 'number' && s.multipleOf > 0 && Math.abs(v / s.multipleOf - Math.round(v / s.multipleOf)) > 1e-9) {
      errs.push(fieldErrors.invalid(path, v, `${p} in body should be a multiple of ${s.multipleOf}`));
    }
  }
  if (Array.isArray(v)) {
    if (typeof s.maxItems === 'number' && v.length > s.maxItems) errs.push(fieldErrors.tooMany(path, v.length, s.maxItems));
    if (typeof s.minItems === 'number' && v.length < s.minItems)
      errs.push(fieldErrors.invalid(path, v, `${p} in body should have at least ${s.minItems} items`));
    const listType = s['x-kubernetes-list-type'];
    if (s.uniqueItems === true || listType === 'set') {
      const seen = new Set<string>();
      v.forEach((x, i) => {
        const k = JSON.stringify(x);
        if (seen.has(k)) errs.push(fieldErrors.duplicate(`${path}[${i}]`, x));
        seen.add(k);
      });
    }
    if (listType === 'map' && Array.isArray(s['x-kubernetes-list-map-keys'])) {
      const keys = s['x-kubernetes-list-map-keys'] as string[];
      const items = s.items as SchemaNode | undefined;
      const seen = new Set<string>();
      v.forEach((x, i) => {
        if (!isPlainObject(x)) return;
        const id: Record<string, unknown> = {};
        for (const k of keys) {
          const def = (items?.properties as Record<string, SchemaNode> | undefined)?.[k]?.default;
          id[k] = x[k] ?? def ?? null;
        }
        const k = JSON.stringify(id);
        if (seen.has(k)) errs.push({ type: 'FieldValueDuplicate', field: `${path}[${i}]`, badValue: id, detail: '', hasBadValue: true });
        seen.add(k);
      });
    }
    const items = s.items as SchemaNode | undefined;
    if (items) for (const [i, x] of v.entries()) validateValue(x, items, `${path}[${i}]`, errs);
  }
  if (isPlainObject(v)) {
    const props = (s.properties ?? {}) as Record<string, SchemaNode>;
    for (const r of Array.isArray(s.required) ? (s.required as string[]) : []) {
      if (!Object.hasOwn(v, r)) errs.push(fieldErrors.required(path ? `${path}.${r}` : r));
    }
    const n = Object.keys(v).length;
    if (typeof s.maxProperties === 'number' && n > s.maxProperties) errs.push(fieldErrors.tooMany(path, n, s.maxProperties));
    if (typeof s.minProperties === 'number' && n < s.minProperties)
      errs.push(fieldErrors.invalid(path, n, `${p} in body should have at least ${s.minProperties} properties`));
    const additional = s.additionalProperties;
    for (const [k, x] of Object.entries(v)) {
      const child =
        (Object.hasOwn(props, k) ? props[k] : undefined) ?? (isPlainObject(additional) ? (additional as SchemaNode) : undefined);
      if (child) validateValue(x, child, path ? `${path}.${k}` : k, errs);
    }
  }
  junctors(v, s, path, p, errs);
}

/** allOf / anyOf / oneOf / not: value validations only (structural schemas carry no types inside them). */
function junctors(v: unknown, s: SchemaNode, path: string, p: string, errs: FieldError[]): void {
  const sub = (schema: SchemaNode): FieldError[] => {
    const e: FieldError[] = [];
    validateValue(v, { ...schema, type: schema.type ?? undefined }, path, e);
    return e;
  };
  if (Array.isArray(s.allOf)) for (const a of s.allOf as SchemaNode[]) errs.push(...sub(a));
  if (Array.isArray(s.anyOf)) {
    const results = (s.anyOf as SchemaNode[]).map(sub);
    if (!results.some((r) => r.length === 0)) {
      errs.push(fieldErrors.invalid(path, v, `${p} in body must validate at least one schema (anyOf)`));
    }
  }
  if (Array.isArray(s.oneOf)) {
    const ok = (s.oneOf as SchemaNode[]).map(sub).filter((r) => r.length === 0).length;
    if (ok !== 1) errs.push(fieldErrors.invalid(path, v, `${p} in body must validate one and only one schema (oneOf)`));
  }
  if (isPlainObject(s.not) && sub(s.not as SchemaNode).length === 0) {
    errs.push(fieldErrors.invalid(path, v, `${p} in body should not validate the schema`));
  }
}
