// Typed decoding of built-in objects. kube-apiserver decodes a request body
// into the kind's Go struct before anything else, so a value of the wrong JSON
// type, a malformed base64 `[]byte`, time or quantity never reaches storage:
// the request fails with 400 `ConfigMap in version "v1" cannot be handled as a
// ConfigMap: json: cannot unmarshal number into Go struct field
// ConfigMap.data of type string`. The same walk leaves the object as Go's
// decode then encode would: times in their canonical form (metav1.Time in
// whole seconds, MicroTime with six digits, UTC), null map and list values of
// string type as "", null fields absent.
//
// Error text follows encoding/json (as forked by sigs.k8s.io/json): a type
// mismatch is remembered and decoding goes on, the first one is reported,
// with the innermost struct's Go name and the JSON field names from the root
// (map keys and list indices are not part of it); errors of custom decoders
// (metav1.Time, resource.Quantity, intstr.IntOrString) stop decoding at once.
// The walk is iterative: its depth costs heap, not stack.

import { formatMicroTime, formatTime, parseTime, RFC3339_LAYOUT, RFC3339_MICRO_LAYOUT } from '../../api/time.js';
import type { Schema } from './models.js';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const TIME = `${META}.Time`;
const MICRO_TIME = `${META}.MicroTime`;
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

type Resolve = (ref: string) => Schema | undefined;

interface Resolved {
  schema: Schema;
  /** Definition name when the schema came through a $ref (`io.k8s.api.core.v1.LeaseSpec`). */
  name?: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function resolve(s: Schema | undefined, lookup: Resolve): Resolved | undefined {
  let cur = s;
  let name: string | undefined;
  for (let i = 0; cur && i < 32; i++) {
    if (typeof cur.$ref === 'string') {
      name = cur.$ref.replace(/^#\/(definitions|components\/schemas)\//, '');
      cur = lookup(cur.$ref);
    } else if (Array.isArray(cur.allOf) && cur.allOf.length === 1 && !cur.properties) {
      cur = cur.allOf[0] as Schema;
    } else break;
  }
  return cur ? { schema: cur, name } : undefined;
}

/** What kind of Go value a schema stands for. */
type GoKind =
  | { k: 'any' }
  | { k: 'struct'; name: string; props: Record<string, Schema> }
  | { k: 'map'; values: Schema }
  | { k: 'slice'; items: Schema }
  | { k: 'bytes' }
  | { k: 'string' }
  | { k: 'int'; bits: 32 | 64 }
  | { k: 'float' }
  | { k: 'bool' }
  | { k: 'time'; micro: boolean }
  | { k: 'intOrString' }
  | { k: 'quantity' };

function goKind(r: Resolved): GoKind {
  const s = r.schema;
  if (r.name === TIME) return { k: 'time', micro: false };
  if (r.name === MICRO_TIME) return { k: 'time', micro: true };
  if (r.name === INT_OR_STRING || s.format === 'int-or-string') return { k: 'intOrString' };
  if (r.name === QUANTITY || s.format === 'quantity') return { k: 'quantity' };
  if (s['x-kubernetes-preserve-unknown-fields'] === true && !s.properties) return { k: 'any' };
  switch (s.type) {
    case 'string':
      return s.format === 'byte' ? { k: 'bytes' } : { k: 'string' };
    case 'integer':
      return { k: 'int', bits: s.format === 'int32' ? 32 : 64 };
    case 'number':
      return { k: 'float' };
    case 'boolean':
      return { k: 'bool' };
    case 'array':
      return isObject(s.items) ? { k: 'slice', items: s.items as Schema } : { k: 'any' };
    case 'object':
      if (isObject(s.additionalProperties)) return { k: 'map', values: s.additionalProperties as Schema };
      if (isObject(s.properties)) return { k: 'struct', name: shortName(r.name), props: s.properties as Record<string, Schema> };
      return { k: 'any' };
    default:
      return { k: 'any' };
  }
}

/** `io.k8s.api.coordination.v1.LeaseSpec` -> `LeaseSpec`. */
function shortName(def: string | undefined): string {
  return def ? def.slice(def.lastIndexOf('.') + 1) : '';
}

/** reflect's Type.String() for the Go type behind a schema: `string`, `int32`, `map[string][]uint8`, `v1.LeaseSpec`. */
function goTypeName(s: Schema, lookup: Resolve, depth = 0): string {
  const r = resolve(s, lookup);
  if (!r || depth > 8) return 'interface {}';
  const g = goKind(r);
  switch (g.k) {
    case 'string':
      return 'string';
    case 'bytes':
      return '[]uint8';
    case 'int':
      return g.bits === 32 ? 'int32' : 'int64';
    case 'float':
      return 'float64';
    case 'bool':
      return 'bool';
    case 'map':
      return `map[string]${goTypeName(g.values, lookup, depth + 1)}`;
    case 'slice':
      return `[]${goTypeName(g.items, lookup, depth + 1)}`;
    case 'struct': {
      const def = r.name ?? '';
      const parts = def.split('.');
      return parts.length >= 2 ? `${parts[parts.length - 2]}.${parts[parts.length - 1]}` : g.name;
    }
    case 'time':
      return 'string';
    case 'intOrString':
      return 'intstr.IntOrString';
    case 'quantity':
      return 'resource.Quantity';
    default:
      return 'interface {}';
  }
}

/** encoding/json's name for a JSON value's kind in UnmarshalTypeError. */
function jsonValueName(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

/** The first error of Go's base64.StdEncoding.Decode, as `illegal base64 data at input byte N`; undefined when valid. */
export function base64Error(s: string): string | undefined {
  const bytes = Buffer.from(s, 'utf8');
  const isAlpha = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47;
  const nl = (c: number): boolean => c === 10 || c === 13;
  const corrupt = (n: number): string => `illegal base64 data at input byte ${n}`;
  let si = 0;
  while (si < bytes.length) {
    // One quantum of up to four symbols (base64.decodeQuantum with padding).
    let j = 0;
    for (; j < 4; j++) {
      if (si === bytes.length) {
        if (j === 0) return undefined;
        return corrupt(si - j);
      }
      const c = bytes[si++];
      if (isAlpha(c)) continue;
      if (nl(c)) {
        j--;
        continue;
      }
      if (c !== 61) return corrupt(si - 1);
      // Padding: only after two or three symbols, then only newlines may follow.
      if (j === 0 || j === 1) return corrupt(si - 1);
      if (j === 2) {
        while (si < bytes.length && nl(bytes[si])) si++;
        if (si === bytes.length) return corrupt(bytes.length);
        if (bytes[si] !== 61) return corrupt(si - 1);
        si++;
      }
      while (si < bytes.length && nl(bytes[si])) si++;
      if (si < bytes.length) return corrupt(si);
      return undefined;
    }
    while (si < bytes.length && nl(bytes[si])) si++;
  }
  return undefined;
}

const QUANTITY_FORMAT = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const QUANTITY_SUFFIX = "unable to parse quantity's suffix";
const DECIMAL_SUFFIXES = new Set(['', 'n', 'u', 'm', 'k', 'M', 'G', 'T', 'P', 'E']);
const BINARY_SUFFIXES = new Set(['Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei']);

/** resource.ParseQuantity's error for a string, undefined when it parses. */
export function quantityError(input: string): string | undefined {
  const str = input.trim();
  if (str.length === 0) return QUANTITY_FORMAT;
  if (str === '0') return undefined;
  let pos = 0;
  if (str[0] === '-' || str[0] === '+') pos++;
  const digitsFrom = (i: number): number => {
    let k = i;
    while (k < str.length && str[k] >= '0' && str[k] <= '9') k++;
    return k;
  };
  pos = digitsFrom(pos);
  if (pos >= str.length) return undefined;
  if (str[pos] === '.') {
    pos = digitsFrom(pos + 1);
    if (pos >= str.length) return undefined;
  }
  const suffixStart = pos;
  while (pos < str.length && 'eEinumkKMGTP'.includes(str[pos])) pos++;
  if (pos < str.length && (str[pos] === '-' || str[pos] === '+')) pos++;
  pos = digitsFrom(pos);
  if (pos < str.length) return QUANTITY_FORMAT;
  const suffix = str.slice(suffixStart);
  if (DECIMAL_SUFFIXES.has(suffix) || BINARY_SUFFIXES.has(suffix)) return undefined;
  if ((suffix[0] === 'e' || suffix[0] === 'E') && /^[-+]?\d+$/.test(suffix.slice(1))) return undefined;
  return QUANTITY_SUFFIX;
}

interface FieldPath {
  name: string;
  parent: FieldPath | undefined;
}

function joinPath(p: FieldPath | undefined): string {
  const names: string[] = [];
  for (let cur = p; cur; cur = cur.parent) names.push(cur.name);
  return names.reverse().join('.');
}

interface Frame {
  value: unknown;
  schema: Schema;
  /** Where the value lives, to normalise it in place. */
  parent: Record<string, unknown> | unknown[];
  key: string | number;
  /** The innermost struct's Go name and the JSON field names from the root (innermost first, shared between frames). */
  struct: string;
  fields: FieldPath | undefined;
  /** A map value or list element: null is the element type's zero value, not an absent field. */
  element: boolean;
}

export interface TypedTarget {
  kind: string;
  schema: Schema;
  definitions: Record<string, Schema>;
}

/**
 * Checks `obj` against its kind's schema as Go's typed decode would and
 * normalises it in place. Returns the decode error's text (the part after
 * `cannot be handled as a <Kind>: `), or undefined when the object decodes.
 */
export function decodeTyped(target: TypedTarget, obj: Record<string, unknown>): string | undefined {
  const lookup: Resolve = (ref) => target.definitions[ref.replace(/^#\/(definitions|components\/schemas)\//, '')];
  let saved: string | undefined;
  const typeError = (f: Frame, value: string, s: Schema): string => {
    const type = goTypeName(s, lookup);
    return f.struct || f.fields
      ? `json: cannot unmarshal ${value} into Go struct field ${f.struct}.${joinPath(f.fields)} of type ${type}`
      : `json: cannot unmarshal ${value} into Go value of type ${type}`;
  };
  const save = (msg: string): void => {
    saved ??= msg;
  };
  const root = { root: obj };
  const stack: Frame[] = [{ value: obj, schema: target.schema, parent: root, key: 'root', struct: '', fields: undefined, element: false }];
  while (stack.length) {
    const f = stack.pop()!;
    const r = resolve(f.schema, lookup);
    if (!r) continue;
    const g = goKind(r);
    const v = f.value;
    const set = (x: unknown): void => {
      (f.parent as Record<string, unknown>)[f.key as string] = x;
    };
    if (v === null) {
      // null leaves a Go value at its zero value: an absent field, "" in a map of strings.
      if (f.element && (g.k === 'string' || g.k === 'bytes')) set('');
      else if (!f.element && !Array.isArray(f.parent)) delete (f.parent as Record<string, unknown>)[f.key as string];
      continue;
    }
    switch (g.k) {
      case 'any':
        break;
      case 'string':
        if (typeof v !== 'string') save(typeError(f, jsonValueName(v), f.schema));
        break;
      case 'bytes':
        if (typeof v !== 'string') save(typeError(f, jsonValueName(v), f.schema));
        else {
          const e = base64Error(v);
          if (e) save(e);
        }
        break;
      case 'bool':
        if (typeof v !== 'boolean') save(typeError(f, jsonValueName(v), f.schema));
        break;
      case 'float':
        if (typeof v !== 'number') save(typeError(f, jsonValueName(v), f.schema));
        else if (!Number.isFinite(v)) save(typeError(f, `number ${String(v)}`, f.schema));
        break;
      case 'int': {
        if (typeof v !== 'number') {
          save(typeError(f, jsonValueName(v), f.schema));
          break;
        }
        const limit = g.bits === 32 ? 2 ** 31 : 2 ** 63;
        if (!Number.isInteger(v) || v < -limit || v >= limit) save(typeError(f, `number ${String(v)}`, f.schema));
        break;
      }
      case 'time': {
        // metav1.Time / MicroTime UnmarshalJSON: a JSON string, parsed with the kind's layout.
        if (typeof v !== 'string') return typeError(f, jsonValueName(v), { type: 'string' });
        const p = parseTime(v, g.micro ? RFC3339_MICRO_LAYOUT : RFC3339_LAYOUT);
        if (!p.ok) return p.error;
        // Written only when it changes: a sealed managedFields entry (frozen) already holds its canonical time.
        const canonical = g.micro ? formatMicroTime(p.time) : formatTime(p.time);
        if (canonical !== v) set(canonical);
        break;
      }
      case 'intOrString':
        // intstr.IntOrString: a JSON string is the string form, anything else must be an int32.
        if (typeof v === 'string') break;
        if (typeof v !== 'number') return typeError(f, jsonValueName(v), { type: 'integer', format: 'int32' });
        if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31)
          return typeError(f, `number ${String(v)}`, { type: 'integer', format: 'int32' });
        break;
      case 'quantity': {
        // resource.Quantity accepts a JSON string or a bare number.
        if (typeof v !== 'string' && typeof v !== 'number') return QUANTITY_FORMAT;
        const e = quantityError(typeof v === 'number' ? String(v) : v);
        if (e) return e;
        break;
      }
      case 'map': {
        if (!isObject(v)) {
          save(typeError(f, jsonValueName(v), f.schema));
          break;
        }
        const entries = Object.keys(v);
        for (let i = entries.length - 1; i >= 0; i--) {
          stack.push({
            value: v[entries[i]],
            schema: g.values,
            parent: v,
            key: entries[i],
            struct: f.struct,
            fields: f.fields,
            element: true,
          });
        }
        break;
      }
      case 'slice': {
        if (!Array.isArray(v)) {
          save(typeError(f, jsonValueName(v), f.schema));
          break;
        }
        for (let i = v.length - 1; i >= 0; i--) {
          stack.push({ value: v[i], schema: g.items, parent: v, key: i, struct: f.struct, fields: f.fields, element: true });
        }
        break;
      }
      case 'struct': {
        if (!isObject(v)) {
          save(typeError(f, jsonValueName(v), f.schema));
          break;
        }
        const keys = Object.keys(v);
        // The kind's own definition is given directly, not through a $ref: its Go name is the kind.
        const struct = g.name || (f.parent === root ? target.kind : '');
        for (let i = keys.length - 1; i >= 0; i--) {
          const child = g.props[keys[i]];
          // Unknown fields are fieldValidation's concern.
          if (!child) continue;
          stack.push({
            value: v[keys[i]],
            schema: child,
            parent: v,
            key: keys[i],
            struct,
            fields: { name: keys[i], parent: f.fields },
            element: false,
          });
        }
        break;
      }
    }
  }
  return saved;
}

/** 400 text: `ConfigMap in version "v1" cannot be handled as a ConfigMap: <decode error>`. */
export function cannotBeHandledMessage(kind: string, version: string, err: string): string {
  return `${kind} in version "${version}" cannot be handled as a ${kind}: ${err}`;
}
