// Label selectors with k8s.io/apimachinery/pkg/labels' grammar and messages:
// `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, `a>1`, `a<1`; comma = AND.

import { badRequest } from '../errors.js';
import { isQualifiedName, isValidLabelValue } from '../../registry/validation/names.js';

type Op = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

interface Requirement {
  key: string;
  op: Op;
  values: string[];
}

export interface LabelSelector {
  empty: boolean;
  matches(labels: Record<string, string> | undefined): boolean;
  toString(): string;
}

const EVERYTHING: LabelSelector = { empty: true, matches: () => true, toString: () => '' };

class Lexer {
  pos = 0;
  constructor(readonly s: string) {}

  skipSpace(): void {
    while (this.pos < this.s.length && /\s/.test(this.s[this.pos])) this.pos++;
  }

  peek(): string {
    this.skipSpace();
    return this.s[this.pos] ?? '';
  }

  /** An identifier or value: everything up to a special character. */
  word(): string {
    this.skipSpace();
    const start = this.pos;
    while (this.pos < this.s.length && !/[\s,()=!<>]/.test(this.s[this.pos])) this.pos++;
    return this.s.slice(start, this.pos);
  }

  operator(): string {
    this.skipSpace();
    const two = this.s.slice(this.pos, this.pos + 2);
    if (two === '==' || two === '!=') {
      this.pos += 2;
      return two;
    }
    const one = this.s[this.pos];
    if (one === '=' || one === '>' || one === '<') {
      this.pos++;
      return one;
    }
    return this.word();
  }
}

function fail(msg: string): never {
  throw badRequest(`unable to parse requirement: ${msg}`);
}

function validateKey(key: string): void {
  const errs = isQualifiedName(key);
  if (errs.length) fail(`key: Invalid value: ${JSON.stringify(key)}: ${errs.join('; ')}`);
}

function validateValue(v: string, i: number): void {
  const errs = isValidLabelValue(v);
  if (errs.length) fail(`values[${i}][${''}]: Invalid value: ${JSON.stringify(v)}: ${errs.join('; ')}`);
}

function parseRequirement(lx: Lexer): Requirement {
  if (lx.peek() === '!') {
    lx.pos++;
    const key = lx.word();
    validateKey(key);
    return { key, op: '!', values: [] };
  }
  const key = lx.word();
  if (!key) throw badRequest(`found '${lx.peek() || 'EOS'}', expected: !, identifier, or 'end of string'`);
  validateKey(key);
  const next = lx.peek();
  if (next === '' || next === ',') return { key, op: 'exists', values: [] };
  const op = lx.operator();
  switch (op) {
    case '=': case '==': case '!=': {
      const v = lx.word();
      validateValue(v, 0);
      return { key, op: op as Op, values: [v] };
    }
    case '>': case '<': {
      const v = lx.word();
      if (!/^-?\d+$/.test(v)) fail(`values[0]: Invalid value: ${JSON.stringify(v)}: for 'Gt', 'Lt' operators, the value must be an integer`);
      return { key, op: op === '>' ? 'gt' : 'lt', values: [v] };
    }
    case 'in': case 'notin': {
      if (lx.peek() !== '(') throw badRequest(`found '${lx.peek() || 'EOS'}', expected: '('`);
      lx.pos++;
      const values: string[] = [];
      for (;;) {
        if (lx.peek() === ')') { lx.pos++; break; }
        const v = lx.word();
        validateValue(v, values.length);
        values.push(v);
        const sep = lx.peek();
        if (sep === ',') { lx.pos++; continue; }
        if (sep === ')') { lx.pos++; break; }
        throw badRequest(`found '${sep || 'EOS'}', expected: ',' or ')'`);
      }
      if (values.length === 0 && op === 'in') values.push('');
      return { key, op, values };
    }
    default:
      throw badRequest(`found '${op || 'EOS'}', expected: in, notin, =, ==, !=, gt, lt`);
  }
}

function matchOne(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = labels[r.key];
  switch (r.op) {
    case '=': case '==': case 'in': return has && r.values.includes(v);
    case '!=': case 'notin': return !has || !r.values.includes(v);
    case 'exists': return has;
    case '!': return !has;
    case 'gt': case 'lt': {
      if (!has || !/^-?\d+$/.test(v)) return false;
      return r.op === 'gt' ? Number(v) > Number(r.values[0]) : Number(v) < Number(r.values[0]);
    }
  }
}

export function parseLabelSelector(s: string | undefined | null): LabelSelector {
  if (!s || s.trim() === '') return EVERYTHING;
  const lx = new Lexer(s);
  const reqs: Requirement[] = [];
  for (;;) {
    reqs.push(parseRequirement(lx));
    const c = lx.peek();
    if (c === '') break;
    if (c !== ',') throw badRequest(`found '${c}', expected: ',' or 'end of string'`);
    lx.pos++;
  }
  return {
    empty: false,
    matches: (labels) => reqs.every((r) => matchOne(r, labels ?? {})),
    toString: () => s,
  };
}
