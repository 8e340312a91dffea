// JSON values as structured-merge-diff's value package orders and prints them
// (sigs.k8s.io/structured-merge-diff value.Compare, value.Equals, value.ToString),
// and Go's encoding/json output for values inside FieldsV1 keys.

import { isPlainObject } from '../../api/types.js';

/** Rank of a value's kind in value.Compare: numbers, strings, booleans, lists, maps, null. */
function rank(v: unknown): number {
  switch (typeof v) {
    case 'number':
      return 0;
    case 'string':
      return 1;
    case 'boolean':
      return 2;
    default:
      if (Array.isArray(v)) return 3;
      if (isPlainObject(v)) return 4;
      return 5;
  }
}

/** Byte order of the UTF-8 encodings (Go's strings.Compare), which UTF-16 order matches outside the surrogates. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (U+D800-DFFF, a code point past U+FFFF) sorts after U+E000-FFFF in UTF-8.
    const sx = x >= 0xd800 && x <= 0xdfff ? x + 0x2000 : x >= 0xe000 ? x - 0x800 : x;
    const sy = y >= 0xd800 && y <= 0xdfff ? y + 0x2000 : y >= 0xe000 ? y - 0x800 : y;
    return sx < sy ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/** value.Compare: a total order over JSON values. */
export function compareValues(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case 1:
      return compareStrings(a as string, b as string);
    case 2:
      return a === b ? 0 : a ? 1 : -1;
    case 3: {
      const x = a as unknown[];
      const y = b as unknown[];
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const c = compareValues(x[i], y[i]);
        if (c !== 0) return c;
      }
      return x.length - y.length < 0 ? -1 : x.length > y.length ? 1 : 0;
    }
    case 4: {
      // Keys in lexical order; the map whose next key is absent from the other sorts first.
      const x = a as Record<string, unknown>;
      const y = b as Record<string, unknown>;
      const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].sort(compareStrings);
      for (const k of keys) {
        if (!Object.hasOwn(x, k)) return 1;
        if (!Object.hasOwn(y, k)) return -1;
        const c = compareValues(x[k], y[k]);
        if (c !== 0) return c;
      }
      return 0;
    }
    default:
      return 0;
  }
}

/** value.Equals: deep equality, map key order ignored. */
export function equalValues(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equalValues(a[i], b[i])) return false;
    return true;
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    let n = 0;
    for (const k in a) {
      if (!Object.hasOwn(a, k)) continue;
      n++;
      if (!Object.hasOwn(b, k) || !equalValues(a[k], b[k])) return false;
    }
    let m = 0;
    for (const k in b) if (Object.hasOwn(b, k)) m++;
    return n === m;
  }
  return false;
}

const HTML_UNSAFE = /[<>&\u2028\u2029]/g;
const HTML_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** A JSON string as Go's encoding/json writes it (HTML-safe escaping of <, >, &, U+2028, U+2029). */
export function goQuote(s: string): string {
  const q = JSON.stringify(s);
  return HTML_UNSAFE.test(q) ? q.replace(HTML_UNSAFE, (c) => HTML_ESCAPES[c]) : q;
}

/** A value as Go's encoding/json marshals it: map keys sorted, HTML-safe strings. */
export function goJSON(v: unknown): string {
  if (typeof v === 'string') return goQuote(v);
  if (Array.isArray(v)) return `[${v.map(goJSON).join(',')}]`;
  if (isPlainObject(v)) {
    const keys = Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort(compareStrings);
    return `{${keys.map((k) => `${goQuote(k)}:${goJSON(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

/** value.ToString: how a path prints a key's or set item's value (`"c"`, `80`, `true`, `null`). */
export function valueToString(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(valueToString).join(',')}]`;
  if (isPlainObject(v))
    return Object.keys(v)
      .sort(compareStrings)
      .map((k) => `${k}=${valueToString(v[k])}`)
      .join('');
  return String(v);
}
