// FieldsV1: the JSON form of a field set in metadata.managedFields[].fieldsV1
// (structured-merge-diff fieldpath/serialize.go). Each object key is a path element's
// spelling (`f:name`, `k:{"name":"c"}`, `v:"x"`, `i:0`) in element order; `{}` ends a
// path; `".": {}` marks a node that is itself a member and also has children.

import { isPlainObject } from '../../api/types.js';
import { compareElements, parseElement } from './path.js';
import { FieldSet } from './set.js';
import { goQuote } from './value.js';

/** Set.ToJSON: the FieldsV1 text of a set (`{}` for the empty set), keys escaped as Go writes them. */
export function encodeFieldsV1(s: FieldSet): string {
  return text(fieldsV1Object(s));
}

function text(o: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const k of Object.keys(o)) parts.push(`${goQuote(k)}:${text(o[k] as Record<string, unknown>)}`);
  return `{${parts.join(',')}}`;
}

/**
 * The FieldsV1 object of a set, as JSON.parse(encodeFieldsV1(s)) would give it (keys in element
 * order; none of them looks like an array index, so insertion order is kept). Built once per set:
 * sets are not changed once made, and a manager's unchanged set is written again on every update.
 */
export function fieldsV1Object(s: FieldSet): Record<string, unknown> {
  let o = OBJECTS.get(s);
  if (!o) {
    o = build(s, false);
    OBJECTS.set(s, o);
  }
  return o;
}

const OBJECTS = new WeakMap<FieldSet, Record<string, unknown>>();

function build(s: FieldSet, includeSelf: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (includeSelf && (s.members.size > 0 || s.children.size > 0)) out['.'] = {};
  const members = s.members.size > 1 ? [...s.members.values()].sort(compareElements) : [...s.members.values()];
  const children = s.children.size > 1 ? s.sortedChildren() : [...s.children.values()];
  let mi = 0;
  let ci = 0;
  while (mi < members.length || ci < children.length) {
    const m = members[mi];
    const c = children[ci];
    const d = m === undefined ? 1 : c === undefined ? -1 : m.id === c.pe.id ? 0 : compareElements(m, c.pe);
    if (d < 0) {
      out[m.id] = {};
      mi++;
    } else {
      out[c.pe.id] = build(c.set, d === 0);
      if (d === 0) mi++;
      ci++;
    }
  }
  return out;
}

/** Set.FromJSON: a set from FieldsV1 (text or its parsed object). Unknown element types are dropped, as kube drops them. */
export function decodeFieldsV1(fields: string | Record<string, unknown>): FieldSet {
  const obj: unknown = typeof fields === 'string' ? JSON.parse(fields) : fields;
  if (!isPlainObject(obj)) throw new Error('FieldsV1 must be a JSON object');
  return read(obj).children ?? new FieldSet();
}

function read(obj: Record<string, unknown>): { children?: FieldSet; isMember: boolean } {
  let children: FieldSet | undefined;
  let isMember = false;
  for (const [key, v] of Object.entries(obj)) {
    if (key === '.') {
      isMember = true;
      continue;
    }
    if (key.length >= 2 && key[1] === ':' && !'fkvi'.includes(key[0])) continue;
    const pe = parseElement(key);
    if (!isPlainObject(v)) throw new Error(`parsing key as path element: ${key}: expected an object`);
    const sub = read(v);
    if (sub.isMember) {
      children ??= new FieldSet();
      children.addMember(pe);
    }
    if (sub.children) {
      children ??= new FieldSet();
      const existing = children.children.get(pe.id);
      children.setChild(pe, existing ? existing.set.union(sub.children) : sub.children);
    }
  }
  return { children, isMember: isMember || children === undefined };
}
