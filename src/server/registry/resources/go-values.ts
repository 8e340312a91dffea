// Go's `%#v` rendering of the typed bad values kube's field errors carry (field.Invalid prints
// them as Go prints them, not as JSON).

import { type FieldError, fieldErrors, GoValue } from '../../api/errors.js';
import { isPlainObject } from '../../api/types.js';
import { arrOf, objOrEmpty, strOf } from './values.js';

export const goQuote = (s: unknown): string => JSON.stringify(typeof s === 'string' ? s : String(s ?? ''));

export interface GoStringsOptions {
  /** The element type's name (a named string type's, e.g. `admissionregistration.OperationType`). */
  type?: string;
  /** An absent field prints as a nil slice, `[]string(nil)`; otherwise as an empty one. */
  nilWhenAbsent?: boolean;
}

/** A string slice: `[]string{"a", "b"}`. */
export function goStrings(v: unknown, opts: GoStringsOptions = {}): string {
  const type = opts.type ?? 'string';
  if (opts.nilWhenAbsent && !Array.isArray(v)) return `[]${type}(nil)`;
  return `[]${type}{${arrOf(v).map(goQuote).join(', ')}}`;
}

/** A map[string]string, keys sorted as fmt sorts them. */
export function goStringMap(m: unknown): string {
  if (!isPlainObject(m)) return 'map[string]string(nil)';
  const keys = Object.keys(m).sort();
  return `map[string]string{${keys.map((k) => `${goQuote(k)}:${goQuote(m[k])}`).join(', ')}}`;
}

/** A byte slice: `[]byte{0x2d, 0x2d}`. */
export function goBytes(b: Buffer): string {
  return `[]byte{${[...b].map((x) => `0x${x.toString(16)}`).join(', ')}}`;
}

/**
 * A pointer field: `(*T)(nil)`, or a heap address when set. Go prints the pointer's address; the one
 * here is derived from what it points at, so the same field renders the same text twice (kube's error
 * list prints a repeated message once).
 */
export function goPointer(type: string, target: unknown): string {
  if (target === undefined || target === null) return `(*${type})(nil)`;
  let h = 2166136261;
  for (const c of `${type}:${JSON.stringify(target)}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return `(*${type})(0xc00${(h & 0xffffff0).toString(16).padStart(7, '0')})`;
}

/** v1.LabelSelector (the dereferenced *metav1.LabelSelector of a spec). */
export function goLabelSelector(sel: unknown): GoValue | null {
  if (!isPlainObject(sel)) return null;
  const exprs = Array.isArray(sel.matchExpressions)
    ? `[]v1.LabelSelectorRequirement{${sel.matchExpressions
        .map((e) => {
          const r = objOrEmpty(e);
          return `v1.LabelSelectorRequirement{Key:${goQuote(r.key)}, Operator:${goQuote(r.operator)}, Values:${goStrings(r.values, { nilWhenAbsent: true })}}`;
        })
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return new GoValue(`v1.LabelSelector{MatchLabels:${goStringMap(sel.matchLabels)}, MatchExpressions:${exprs}}`);
}

/** intstr.IntOrString. */
export function goIntOrString(v: unknown): GoValue {
  return typeof v === 'number'
    ? new GoValue(`intstr.IntOrString{Type:0, IntVal:${v}, StrVal:""}`)
    : new GoValue(`intstr.IntOrString{Type:1, IntVal:0, StrVal:${goQuote(v)}}`);
}

/** Fields that are Go maps (string keys kept as they are), not structs. */
const GO_MAP_FIELDS = new Set(['labels', 'annotations', 'nodeSelector', 'matchLabels', 'limits', 'requests', 'data']);

/** A JSON value as a Go struct's fields: names capitalised (the embedded ObjectMeta under its type name, first). */
function goFields(x: unknown, key = ''): string {
  if (x === null || x === undefined) return 'nil';
  if (typeof x === 'string') return goQuote(x);
  if (typeof x !== 'object') return String(x);
  if (Array.isArray(x)) return `[]interface {}{${x.map((y) => goFields(y)).join(', ')}}`;
  if (GO_MAP_FIELDS.has(key)) return goStringMap(x);
  return `{${Object.entries(x)
    .sort(([a], [b]) => Number(b === 'metadata') - Number(a === 'metadata'))
    .map(([k, y]) => `${k === 'metadata' ? 'ObjectMeta' : `${k[0].toUpperCase()}${k.slice(1)}`}:${goFields(y, k)}`)
    .join(', ')}}`;
}

export interface GoStructOptions {
  /**
   * A struct of string fields printed in full: each Go field name with its JSON key, in Go's order
   * (`rbac.RoleRef{APIGroup:"x", Kind:"y", Name:"z"}`; an absent field prints as "").
   */
  stringFields?: ReadonlyArray<readonly [goName: string, jsonKey: string]>;
}

/**
 * A struct kube's validation passes whole. Without `stringFields` (a PodTemplateSpec, a policy): the
 * fields the JSON carries, in its order, rendered recursively; kube's own text also lists every zero
 * field of the Go type, this keeps the prefix and the fields that are set.
 */
export function goStruct(type: string, v: unknown, opts: GoStructOptions = {}): GoValue {
  const o = objOrEmpty(v);
  if (opts.stringFields)
    return new GoValue(`${type}{${opts.stringFields.map(([g, k]) => `${g}:${JSON.stringify(strOf(o[k]))}`).join(', ')}}`);
  return new GoValue(`${type}${goFields(o)}`);
}

/** field.Invalid whose bad value is printed as Go prints it (a struct or slice), not as JSON. */
export function invalidGo(field: string, goValue: string | GoValue, detail: string): FieldError {
  return fieldErrors.invalid(field, goValue instanceof GoValue ? goValue : new GoValue(goValue), detail);
}
