// A CRD version's schema, compiled once: structural checks and CEL compile
// errors for the CRD itself, and for its custom resources decoding (pruning,
// fieldValidation, defaulting) and validation (OpenAPI values, CEL rules).

import type { FieldError } from '../api/errors.js';
import type { FieldValidation } from '../api/types.js';
import { isPlainObject, type KubeObject } from '../api/types.js';
import { strictDecodingError, strictDecodingIssues } from './builtin/fields.js';
import { evaluateRules, type Rule } from './cel.js';
import { applyDefaults } from './defaults.js';
import { pruneUnknown, type SchemaNode } from './prune.js';
import { ratchet } from './ratchet.js';
import { validateStructural } from './structural.js';
import { validateValue } from './validate.js';

export interface CompiledSchema {
  schema: SchemaNode;
  errors: FieldError[];
  /** Prune (per fieldValidation) and default a request body in place. */
  decode(
    obj: Record<string, unknown>,
    opts: { fieldValidation: FieldValidation; warnings: string[]; kind: string; version: string; duplicates?: string[] },
  ): void;
  /** Defaults on read (kube defaults objects read from storage too). */
  defaultOnRead(obj: KubeObject): void;
  validate(obj: KubeObject, old: KubeObject | undefined): FieldError[];
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** Walks value and old value together, evaluating x-kubernetes-validations at each node. */
function celWalk(v: unknown, old: unknown, hasOld: boolean, s: SchemaNode | undefined, path: string, errs: FieldError[]): void {
  if (!s || v === undefined) return;
  const rules = s['x-kubernetes-validations'] as Rule[] | undefined;
  if (rules?.length && v !== null) evaluateRules(rules, v, old, hasOld, s, path, errs);
  if (Array.isArray(v)) {
    const items = s.items as SchemaNode | undefined;
    if (!items) return;
    const keys = s['x-kubernetes-list-type'] === 'map' ? (s['x-kubernetes-list-map-keys'] as string[] | undefined) : undefined;
    v.forEach((x, i) => {
      let ox: unknown;
      let found = false;
      if (keys && hasOld && Array.isArray(old)) {
        ox = old.find((o) => isPlainObject(o) && isPlainObject(x) && keys.every((k) => o[k] === x[k]));
        found = ox !== undefined;
      }
      celWalk(x, ox, found, items, `${path}[${i}]`, errs);
    });
    return;
  }
  if (!isPlainObject(v)) return;
  const props = (s.properties ?? {}) as Record<string, SchemaNode>;
  const additional = isPlainObject(s.additionalProperties) ? (s.additionalProperties as SchemaNode) : undefined;
  const o = hasOld && isPlainObject(old) ? old : undefined;
  for (const [k, x] of Object.entries(v)) {
    const declared = Object.hasOwn(props, k);
    const child = declared ? props[k] : additional;
    if (!child) continue;
    const hasOldKey = o !== undefined && Object.hasOwn(o, k);
    celWalk(x, hasOldKey ? o[k] : undefined, hasOldKey, child, declared ? join(path, k) : `${path}[${k}]`, errs);
  }
}

/** hasBlockingErr: the schema error types after which CEL rules are not evaluated. */
const BLOCKING_ERRORS = new Set<FieldError['type']>([
  'FieldValueNotSupported',
  'FieldValueRequired',
  'FieldValueTooLong',
  'FieldValueTooMany',
  'FieldValueTypeInvalid',
]);

/** The error kube adds in their place: field.Invalid(nil, nil, ...), printed `<nil>: Invalid value: "null": ...`. */
const CEL_SKIPPED: FieldError = {
  type: 'FieldValueInvalid',
  field: '<nil>',
  badValue: 'null',
  detail: 'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
};

function hasRules(s: SchemaNode): boolean {
  return JSON.stringify(s).includes('"x-kubernetes-validations"');
}

export function compileVersionSchema(schema: Record<string, unknown>, path: string): CompiledSchema {
  const s = schema as SchemaNode;
  const errors = validateStructural(s, path);
  const withRules = hasRules(s);
  const valueSchema: SchemaNode = { ...s, properties: { ...((s.properties ?? {}) as Record<string, SchemaNode>) } };
  delete (valueSchema.properties as Record<string, SchemaNode>).metadata;
  return {
    schema: s,
    errors,
    decode(obj, opts) {
      const duplicates = opts.duplicates ?? [];
      if (opts.fieldValidation === 'Strict') {
        const issues = strictDecodingIssues(pruneUnknown(obj, s, { drop: false, keepMetadata: true }), duplicates);
        if (issues.length) throw strictDecodingError(opts.kind, opts.version, issues);
      } else {
        const issues = strictDecodingIssues(pruneUnknown(obj, s, { drop: true, keepMetadata: true }), duplicates);
        if (opts.fieldValidation === 'Warn') opts.warnings.push(...issues);
      }
      applyDefaults(obj, s);
    },
    defaultOnRead(obj) {
      applyDefaults(obj, s);
    },
    validate(obj, old) {
      const errs: FieldError[] = [];
      const body: Record<string, unknown> = { ...obj };
      delete body.metadata;
      delete body.apiVersion;
      delete body.kind;
      validateValue(body, valueSchema, '', errs);
      const schemaErrs = old ? ratchet(errs, obj, old) : errs;
      if (!withRules) return schemaErrs;
      // customResourceStrategy.Validate: CEL rules still run after other schema
      // errors (a list-map duplicate, a pattern, a minimum...) unless one of them
      // means the object lacks the shape the rules were written for.
      if (schemaErrs.some((e) => BLOCKING_ERRORS.has(e.type))) return [...schemaErrs, CEL_SKIPPED];
      const celErrs: FieldError[] = [];
      celWalk(obj, old, old !== undefined, s, '', celErrs);
      return [...schemaErrs, ...(old ? ratchet(celErrs, obj, old) : celErrs)];
    },
  };
}
