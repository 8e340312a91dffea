// Path elements and paths (structured-merge-diff fieldpath.PathElement, fieldpath.Path):
// a field name `f:`, an associative list item by its keys `k:`, a set item by its value
// `v:`, or a list index `i:`. Each element carries its FieldsV1 spelling (`id`), which
// is also its identity: two elements are equal exactly when their ids are.

import { compareStrings, compareValues, goJSON, valueToString } from './value.js';

export type PathElement =
  | { readonly kind: 'f'; readonly id: string; readonly name: string }
  | { readonly kind: 'k'; readonly id: string; readonly key: ReadonlyArray<readonly [string, unknown]> }
  | { readonly kind: 'v'; readonly id: string; readonly value: unknown }
  | { readonly kind: 'i'; readonly id: string; readonly index: number };

export type Path = readonly PathElement[];

/** Field elements by name, shared (they are immutable): a walk over an object makes one per key otherwise. */
const FIELDS = new Map<string, PathElement>();
const MAX_INTERNED_FIELDS = 50_000;

export function fieldElement(name: string): PathElement {
  let pe = FIELDS.get(name);
  if (!pe) {
    // Map keys come from user data: the table is dropped rather than grown without bound.
    if (FIELDS.size >= MAX_INTERNED_FIELDS) FIELDS.clear();
    pe = { kind: 'f', id: `f:${name}`, name };
    FIELDS.set(name, pe);
  }
  return pe;
}

/** A key element; fields are sorted by name, as fieldpath.KeyElement's callers sort them. */
export function keyElement(fields: Iterable<readonly [string, unknown]>): PathElement {
  const key = [...fields].sort((a, b) => compareStrings(a[0], b[0]));
  return { kind: 'k', id: `k:${goJSON(Object.fromEntries(key))}`, key };
}

export function valueElement(value: unknown): PathElement {
  return { kind: 'v', id: `v:${goJSON(value)}`, value };
}

export function indexElement(index: number): PathElement {
  return { kind: 'i', id: `i:${index}`, index };
}

const KIND_ORDER = { f: 0, k: 1, v: 2, i: 3 } as const;

/** fieldpath.PathElement.Compare: fields, then keys, then values, then indexes. */
export function compareElements(a: PathElement, b: PathElement): number {
  if (a.kind !== b.kind) return KIND_ORDER[a.kind] < KIND_ORDER[b.kind] ? -1 : 1;
  switch (a.kind) {
    case 'f':
      return compareStrings(a.name, (b as typeof a).name);
    case 'k': {
      const x = a.key;
      const y = (b as typeof a).key;
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const c = compareStrings(x[i][0], y[i][0]) || compareValues(x[i][1], y[i][1]);
        if (c !== 0) return c;
      }
      return x.length < y.length ? -1 : x.length > y.length ? 1 : 0;
    }
    case 'v':
      return compareValues(a.value, (b as typeof a).value);
    default: {
      const j = (b as typeof a).index;
      return a.index < j ? -1 : a.index > j ? 1 : 0;
    }
  }
}

/** fieldpath.DeserializePathElement: an element from its FieldsV1 spelling. */
export function parseElement(s: string): PathElement {
  if (s.length < 2 || s[1] !== ':') throw new Error(s.length < 2 ? 'key must be 2 characters long:' : `missing colon: ${s}`);
  const body = s.slice(2);
  switch (s[0]) {
    case 'f':
      return fieldElement(body);
    case 'v':
      return valueElement(JSON.parse(body));
    case 'k': {
      const obj: unknown = JSON.parse(body);
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new Error(`invalid key: ${s}`);
      return keyElement(Object.entries(obj));
    }
    case 'i': {
      if (!/^-?\d+$/.test(body)) throw new Error(`invalid index: ${s}`);
      return indexElement(Number(body));
    }
    default:
      throw new Error('unknown path element type');
  }
}

/** fieldpath.PathElement.String: `.name`, `[name="c",port=80]`, `[="v"]`, `[0]`. */
export function elementString(pe: PathElement): string {
  switch (pe.kind) {
    case 'f':
      return `.${pe.name}`;
    case 'k':
      return `[${pe.key.map(([k, v]) => `${k}=${valueToString(v)}`).join(',')}]`;
    case 'v':
      return `[=${valueToString(pe.value)}]`;
    default:
      return `[${pe.index}]`;
  }
}

/** fieldpath.Path.String: `.spec.containers[name="c"].image`. */
export function pathString(p: Path): string {
  let s = '';
  for (const pe of p) s += elementString(pe);
  return s;
}

/** A path from its printed elements' builders, for tests and callers naming fixed fields: `makePath('spec', 'replicas')`. */
export function makePath(...parts: Array<string | PathElement>): PathElement[] {
  return parts.map((p) => (typeof p === 'string' ? fieldElement(p) : p));
}
