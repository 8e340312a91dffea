// Field selectors as k8s.io/apimachinery/pkg/fields parses them (selector.go):
// `a=b`, `a==b`, `a!=b`, comma = AND, `\,` `\=` `\\` escapes in values; terms
// are sorted, the left side is taken verbatim (no trimming), and errors carry
// kube's wording. Which fields a resource supports is the registry's business;
// assertSupportedFields gives the `field label not supported: X` answer.

import { badRequest } from '../errors.js';
import { asBadRequest, SelectorError } from './error.js';

export interface FieldRequirement {
  field: string;
  /** selection.Equals ('=' and '==') or selection.NotEquals. */
  op: '=' | '!=';
  value: string;
}

export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  isEmpty(): boolean;
  matches(fields: Record<string, string>): boolean;
  /** Canonical form: sorted terms, values escaped. */
  toString(): string;
}

/** Splits on unescaped commas, keeping escapes for unescapeValue. */
function splitTerms(s: string): string[] {
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

/** The first operator occurrence splits the term; `!=` and `==` win over `=` at the same position. */
function splitTerm(term: string): [string, '=' | '!=', string] | undefined {
  for (let i = 0; i < term.length; i++) {
    if (term.startsWith('!=', i)) return [term.slice(0, i), '!=', term.slice(i + 2)];
    if (term.startsWith('==', i)) return [term.slice(0, i), '=', term.slice(i + 2)];
    if (term[i] === '=') return [term.slice(0, i), '=', term.slice(i + 1)];
  }
  return undefined;
}

/** fields.UnescapeValue, including its error texts (a rune is printed as its code point, as Go's %v does). */
export function unescapeFieldValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=') throw new SelectorError(`invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      inSlash = false;
    } else if (c === '\\') inSlash = true;
    else if (c === ',' || c === '=') throw new SelectorError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    else out += c;
  }
  if (inSlash) throw new SelectorError('invalid field selector: invalid escape sequence: \\');
  return out;
}

export function escapeFieldValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => `\\${c}`);
}

class Selector implements FieldSelector {
  constructor(readonly requirements: readonly FieldRequirement[]) {}
  isEmpty(): boolean {
    return this.requirements.length === 0;
  }
  matches(fields: Record<string, string>): boolean {
    for (const r of this.requirements) {
      const v = Object.hasOwn(fields, r.field) ? fields[r.field] : '';
      if ((v === r.value) !== (r.op === '=')) return false;
    }
    return true;
  }
  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.op}${escapeFieldValue(r.value)}`).join(',');
  }
}

export const everythingFields: FieldSelector = new Selector([]);

/** Parses a fieldSelector query value; a bad one is a 400 with fields.ParseSelector's message. */
export function parseFieldSelector(s: string | undefined | null): FieldSelector {
  if (!s) return everythingFields;
  const reqs: FieldRequirement[] = [];
  for (const part of splitTerms(s).sort()) {
    if (part === '') continue;
    const t = splitTerm(part);
    if (!t) throw badRequest(`invalid selector: '${s}'; can't understand '${part}'`);
    reqs.push({ field: t[0], op: t[1], value: asBadRequest(() => unescapeFieldValue(t[2])) });
  }
  return reqs.length ? new Selector(reqs) : everythingFields;
}

/**
 * The registry's field label conversion: the first requirement (in sorted
 * order) naming an unsupported field is a 400 `field label not supported: X`.
 */
export function assertSupportedFields(selector: FieldSelector, supported: ReadonlySet<string> | readonly string[]): void {
  const ok = supported instanceof Set ? supported : new Set(supported as readonly string[]);
  for (const r of selector.requirements) {
    if (!ok.has(r.field)) throw badRequest(`field label not supported: ${r.field}`);
  }
}
