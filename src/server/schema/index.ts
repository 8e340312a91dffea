// A CRD version's schema, compiled once: structural checks and CEL compile
// errors for the CRD itself, and for its custom resources decoding (pruning,
// fieldValidation, defaulting) and validation (OpenAPI values, CEL rules).

import type { FieldError } from '../api/errors.js';
import { isPlainObject, type KubeObject } from '../api/types.js';
import { strictDecodingError } from '../api/openapi/decode.js';
import type { FieldValidation } from '../endpoints/options.js';
import { evaluateRules, type Rule } from './cel.js';
import { applyDefaults } from './defaults.js';
import { pruneUnknown, type SchemaNode } from './prune.js';
import { validateStructural } from './structural.js';
import { validateValue } from './validate.js';
import { ratchet } from './ratchet.js';

export interface CompiledSchema {
  schema: SchemaNode;
  errors: FieldError[];
  /** Prune (per fieldValidation) and default a request body in place. */
  decode(obj: Record<string, unknown>, opts: { fieldValidation: FieldValidation; warnings: string[]; kind: string; version: string }): void;
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
    const child = props[k] ?? additional;
    if (!child) continue;
    celWalk(x, o?.[k], o !== undefined && k in o, child, props[k] ? join(path, k) : `${path}[${k}]`, errs);
  }
}

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
      if (opts.fieldValidation === 'Strict') {
        const unknown = pruneUnknown(obj, s, { drop: false, keepMetadata: true });
        if (unknown.length) throw strictDecodingError(opts.kind, opts.version, unknown);
      } else {
        const dropped = pruneUnknown(obj, s, { drop: true, keepMetadata: true });
        if (opts.fieldValidation === 'Warn') for (const f of dropped) opts.warnings.push(`unknown field "${f}"`);
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
      if (withRules && (errs.length === 0 || old)) celWalk(obj, old, old !== undefined, s, '', errs);
      return old ? ratchet(errs, obj, old) : errs;
    },
  };
}
