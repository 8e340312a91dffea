// Field selectors (k8s.io/apimachinery/pkg/fields): `a=b`, `a==b`, `a!=b`,
// comma = AND, with `\,` `\=` `\\` escapes in values.

import { badRequest } from '../errors.js';

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

export interface FieldSelector {
  empty: boolean;
  requirements: FieldRequirement[];
  matches(fields: Record<string, string>): boolean;
}

const EVERYTHING: FieldSelector = { empty: true, requirements: [], matches: () => true };

function splitTerms(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[++i];
    } else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function unescape(v: string, selector: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c === '\\') {
      const n = v[++i];
      if (n !== '\\' && n !== ',' && n !== '=') throw badRequest(`invalid selector: '${selector}'; can't understand '${v}'`);
      out += n;
    } else if (c === ',' || c === '=') {
      throw badRequest(`invalid selector: '${selector}'; can't understand '${v}'`);
    } else out += c;
  }
  return out;
}

export function parseFieldSelector(s: string | undefined | null): FieldSelector {
  if (!s || s.trim() === '') return EVERYTHING;
  const reqs: FieldRequirement[] = [];
  for (const term of splitTerms(s)) {
    if (term === '') continue;
    let m: RegExpExecArray | null;
    let op: '=' | '!=';
    if ((m = /^([^=!]*)!=(.*)$/s.exec(term))) op = '!=';
    else if ((m = /^([^=!]*)==(.*)$/s.exec(term)) || (m = /^([^=!]*)=(.*)$/s.exec(term))) op = '=';
    else throw badRequest(`invalid selector: '${s}'; can't understand '${term}'`);
    const field = m[1].trim();
    if (!field) throw badRequest(`invalid selector: '${s}'; can't understand '${term}'`);
    reqs.push({ field, op, value: unescape(m[2], s) });
  }
  if (reqs.length === 0) return EVERYTHING;
  return {
    empty: false,
    requirements: reqs,
    matches: (fields) => reqs.every((r) => ((fields[r.field] ?? '') === r.value) === (r.op === '=')),
  };
}
