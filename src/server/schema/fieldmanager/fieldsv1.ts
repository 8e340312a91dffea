// FieldsV1: the JSON form of a field set in metadata.managedFields[].fieldsV1
// (structured-merge-diff fieldpath/serialize.go). Each object key is a path element's
// spelling (`f:name`, `k:{"name":"c"}`, `v:"x"`, `i:0`) in element order; `{}` ends a
// path; `".": {}` marks a node that is itself a member and also has children.

import { isPlainObject } from '../../api/types.js';
import { compareElements, parseElement } from './path.js';
import { FieldSet } from './set.js';
import { goQuote } from './value.js';

/** Set.ToJSON: the FieldsV1 text of a set (`{}` for the empty set). */
export function encodeFieldsV1(s: FieldSet): string {
  const out: string[] = [];
  emit(s, false, out);
  return out.join('');
}

function emit(s: FieldSet, includeSelf: boolean, out: string[]): void {
  out.push('{');
  let first = true;
  const sep = (): void => {
    if (first) first = false;
    else out.push(',');
  };
  if (includeSelf && (s.members.size > 0 || s.children.size > 0)) {
    sep();
    out.push('".":{}');
  }
  const members = s.members.size > 1 ? [...s.members.values()].sort(compareElements) : [...s.members.values()];
  const children = s.children.size > 1 ? s.sortedChildren() : [...s.children.values()];
  let mi = 0;
  let ci = 0;
  while (mi < members.length || ci < children.length) {
    const m = members[mi];
    const c = children[ci];
    const d = m === undefined ? 1 : c === undefined ? -1 : m.id === c.pe.id ? 0 : compareElements(m, c.pe);
    sep();
    if (d < 0) {
      out.push(goQuote(m.id), ':{}');
      mi++;
    } else {
      out.push(goQuote(c.pe.id), ':');
      emit(c.set, d === 0, out);
      if (d === 0) mi++;
      ci++;
    }
  }
  out.push('}');
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
      children.members.set(pe.id, pe);
    }
    if (sub.children) {
      children ??= new FieldSet();
      const existing = children.children.get(pe.id);
      children.children.set(pe.id, { pe, set: existing ? existing.set.union(sub.children) : sub.children });
    }
  }
  return { children, isMember: isMember || children === undefined };
}
