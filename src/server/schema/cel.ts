// x-kubernetes-validations: CEL rules evaluated at their schema node, as
// apiextensions-apiserver's cel validator does. The evaluator is
// @marcbachmann/cel-js: among the JavaScript CEL implementations it is the one
// with optional types (optionalOldSelf, `?.`/orValue), macros, raw strings and
// custom functions; the Kubernetes CEL libraries it lacks are added here.

import { createRequire } from 'node:module';
import net from 'node:net';
import type { Environment } from '@marcbachmann/cel-js';
import type { RE2JS } from 're2js';
import { type FieldError, type FieldErrorType, fieldErrors } from '../api/errors.js';
import { isPlainObject } from '../api/types.js';
import { estimateCost, PER_CALL_LIMIT, sizedTo } from './cel-cost.js';
import type { SchemaNode } from './prune.js';
import { compileRegexp, findAllString, findString, GoRegexpError, matchString, regexpError } from './regex.js';
import { jsonType } from './validate.js';

export interface Rule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

type Program = ((ctx: Record<string, unknown>) => unknown) & { ast?: unknown };

/**
 * A rule kube-apiserver refuses when the CRD is written, with its detail as
 * there: `compilation failed: <issues>` (cel-go's AST validators) or
 * `program instantiation failed: <error>` (regex constants compiled when the
 * program is built).
 */
export class RuleCompileError extends Error {
  constructor(
    readonly stage: 'compilation' | 'program instantiation',
    readonly issues: string,
  ) {
    super(`${stage} failed: ${issues}`);
  }
}

const CEL_RESERVED = new Set([
  'true',
  'false',
  'null',
  'in',
  'as',
  'break',
  'const',
  'continue',
  'else',
  'for',
  'function',
  'if',
  'import',
  'let',
  'loop',
  'package',
  'namespace',
  'return',
  'var',
  'void',
  'while',
]);

/** Property names as CEL sees them (apiextensions-apiserver's cel.Escape). */
export function escapeName(name: string): string | undefined {
  if (CEL_RESERVED.has(name)) return `__${name}__`;
  const escaped = name.replace(/__/g, '__underscores__').replace(/\./g, '__dot__').replace(/-/g, '__dash__').replace(/\//g, '__slash__');
  return /^[_a-zA-Z][_a-zA-Z0-9]*$/.test(escaped) ? escaped : undefined;
}

function quantityValue(s: string): number {
  const m = /^([+-]?[0-9.]+)([a-zA-Z]*)$/.exec(s);
  if (!m) throw new Error(`invalid quantity ${s}`);
  const suffixes: Record<string, number> = {
    '': 1,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
    Pi: 1024 ** 5,
    Ei: 1024 ** 6,
  };
  if (!(m[2] in suffixes)) throw new Error(`invalid quantity ${s}`);
  return Number(m[1]) * suffixes[m[2]];
}

/**
 * The name rules' matches() calls take here: as long as `matches`, so every
 * position in the rewritten rule is the position in the rule as written.
 */
const MATCHES = '__match';

function buildEnvironment(): Environment {
  // Loaded with the first rule: a server without CEL rules never needs the evaluator.
  const cel = createRequire(import.meta.url)('@marcbachmann/cel-js') as typeof import('@marcbachmann/cel-js');
  const env = new cel.Environment({ unlistedVariablesAreDyn: true, enableOptionalTypes: true, homogeneousAggregateLiterals: false });
  const fn = (sig: string, h: (...a: never[]) => unknown): void => {
    try {
      env.registerFunction(sig, h as (...a: unknown[]) => unknown);
    } catch {
      // already provided by the library
    }
  };
  // CEL matches() with Go's regexp (RE2): the evaluator's own matches() uses
  // JavaScript's backtracking RegExp, so rules are renamed to this one (renameMatches).
  // A bad pattern fails as cel-go's String.Match does, with Go's error text.
  const matches = (s: string, re: string): boolean => matchString(regexpOrThrow(re, ''), s);
  fn(`string.${MATCHES}(string): bool`, matches);
  fn(`${MATCHES}(string, string): bool`, matches);
  fn('__has(dyn, string): bool', (o: unknown, field: string) => {
    if (o instanceof Map) return o.has(field);
    return isPlainObject(o) && Object.hasOwn(o, escapeName(field) ?? field);
  });
  // Kubernetes strings extension.
  fn('string.lowerAscii(): string', (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase()));
  fn('string.upperAscii(): string', (s: string) => s.replace(/[a-z]/g, (c) => c.toUpperCase()));
  fn('string.split(string): list<string>', (s: string, sep: string) => s.split(sep));
  fn('string.split(string, int): list<string>', (s: string, sep: string, n: bigint) => {
    if (n === 0n) return [];
    const parts = s.split(sep);
    return n < 0n || parts.length <= Number(n) ? parts : [...parts.slice(0, Number(n) - 1), parts.slice(Number(n) - 1).join(sep)];
  });
  fn('string.trim(): string', (s: string) => s.trim());
  fn('string.replace(string, string): string', (s: string, a: string, b: string) => s.split(a).join(b));
  fn('string.replace(string, string, int): string', (s: string, a: string, b: string, n: bigint) => {
    let out = s;
    for (let i = 0; n < 0n || i < Number(n); i++) {
      const idx = out.indexOf(a);
      if (idx < 0) break;
      out = out.slice(0, idx) + b + out.slice(idx + a.length);
    }
    return out;
  });
  fn('string.charAt(int): string', (s: string, i: bigint) => s.charAt(Number(i)));
  // Kubernetes lists library.
  fn('list.isSorted(): bool', (l: unknown[]) => l.every((x, i) => i === 0 || (l[i - 1] as number) <= (x as number)));
  fn('list.sum(): dyn', (l: unknown[]) =>
    l.reduce((a: unknown, b: unknown) => (a as number) + (b as number), typeof l[0] === 'bigint' ? 0n : 0),
  );
  fn('list.min(): dyn', (l: unknown[]) => l.reduce((a, b) => Math.min(b as number, a as number)));
  fn('list.max(): dyn', (l: unknown[]) => l.reduce((a, b) => Math.max(b as number, a as number)));
  fn('list.indexOf(dyn): int', (l: unknown[], x: unknown) => BigInt(l.indexOf(x)));
  fn('list.lastIndexOf(dyn): int', (l: unknown[], x: unknown) => {
    for (let i = l.length - 1; i >= 0; i--) if (l[i] === x) return BigInt(i);
    return -1n;
  });
  // Kubernetes regex library (k8s.io/apiserver/pkg/cel/library/regex.go), Go's regexp.
  fn('string.find(string): string', (s: string, re: string) => findString(regexpOrThrow(re, 'Illegal regex: '), s));
  fn('string.findAll(string): list<string>', (s: string, re: string) => findAllString(regexpOrThrow(re, 'Illegal regex: '), s, -1));
  fn('string.findAll(string, int): list<string>', (s: string, re: string, n: bigint) =>
    findAllString(regexpOrThrow(re, 'Illegal regex: '), s, Number(n)),
  );
  // Kubernetes url, ip, cidr and quantity libraries (value checks).
  fn('isURL(string): bool', (s: string) => {
    try {
      new URL(s);
      return true;
    } catch {
      return false;
    }
  });
  fn('isIP(string): bool', (s: string) => net.isIP(s) !== 0);
  fn('isCIDR(string): bool', (s: string) => {
    const [ip, bits] = s.split('/');
    return net.isIP(ip) !== 0 && /^\d+$/.test(bits ?? '');
  });
  fn('isQuantity(string): bool', (s: string) => {
    try {
      quantityValue(s);
      return true;
    } catch {
      return false;
    }
  });
  // Sets library.
  fn('sets.contains(list, list): bool', (a: unknown[], b: unknown[]) => b.every((x) => a.includes(x)));
  fn('sets.equivalent(list, list): bool', (a: unknown[], b: unknown[]) => a.every((x) => b.includes(x)) && b.every((x) => a.includes(x)));
  fn('sets.intersects(list, list): bool', (a: unknown[], b: unknown[]) => a.some((x) => b.includes(x)));
  return env;
}

function regexpOrThrow(pattern: string, prefix: string): RE2JS {
  const re = compileRegexp(pattern);
  if (re instanceof GoRegexpError) throw new Error(prefix + re.message);
  return re;
}

/** Skips a CEL string or bytes literal starting at `i` (after any r/b prefix); returns the index after it. */
function skipLiteral(s: string, i: number, raw: boolean): number {
  const quote = s.startsWith(s[i].repeat(3), i) ? s[i].repeat(3) : s[i];
  for (let j = i + quote.length; j < s.length; j++) {
    if (!raw && s[j] === '\\') j++;
    else if (s.startsWith(quote, j)) return j + quote.length;
  }
  return s.length;
}

/** Renames matches( calls outside string literals to the RE2-backed function. */
function renameMatches(expr: string): string {
  let out = '';
  let i = 0;
  while (i < expr.length) {
    const c = expr[i];
    if (c === '"' || c === "'" || c === '`') {
      const end = skipLiteral(expr, i, c === '`');
      out += expr.slice(i, end);
      i = end;
      continue;
    }
    const word = /[A-Za-z_][A-Za-z0-9_]*/y;
    word.lastIndex = i;
    const m = word.exec(expr);
    if (!m) {
      out += c;
      i++;
      continue;
    }
    const w = m[0];
    const next = expr[i + w.length];
    // A string prefix: r'...', b"...", rb'...', br'...'.
    if (/^(r|b|rb|br)$/i.test(w) && (next === '"' || next === "'")) {
      const end = skipLiteral(expr, i + w.length, /r/i.test(w));
      out += expr.slice(i, end);
      i = end;
      continue;
    }
    out += w === 'matches' && /^\s*\(/.test(expr.slice(i + w.length, i + w.length + 64)) ? MATCHES : w;
    i += w.length;
  }
  return out;
}

function matchingParen(s: string, open: number): number {
  let depth = 0;
  let quote = '';
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === '\\') i++;
      else if (s.startsWith(quote, i)) {
        i += quote.length - 1;
        quote = '';
      }
      continue;
    }
    if (s.startsWith('"""', i) || s.startsWith("'''", i)) {
      quote = s.slice(i, i + 3);
      i += 2;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}

/**
 * Adapts Kubernetes CEL to the evaluator: `has()` on a field of any
 * expression (the evaluator only takes identifier chains) and RE2 regexes.
 * Messages always quote the rule as written.
 */
export function rewriteRule(expr: string): string {
  let out = renameMatches(expr);
  for (let i = out.indexOf('has('); i >= 0; i = out.indexOf('has(', i + 1)) {
    if (i > 0 && /[\w.]/.test(out[i - 1])) continue;
    const close = matchingParen(out, i + 3);
    if (close < 0) break;
    const inner = out.slice(i + 4, close);
    const m = /^([\s\S]*)\.([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(inner);
    if (!m || !/[[(]/.test(m[1])) continue;
    const replaced = `__has(${rewriteRule(m[1])}, "${m[2]}")`;
    out = out.slice(0, i) + replaced + out.slice(close + 1);
  }
  return out;
}

let environment: Environment | undefined;
const programs = new Map<string, Program | Error>();

function env(): Environment {
  return (environment ??= buildEnvironment());
}

/** The evaluator's environment, for libraries registered beside the Kubernetes ones (admission's authorizer). */
export function celEnvironment(): Environment {
  return env();
}

/**
 * With optionalOldSelf, `oldSelf` is an optional: optional.of(old) on update,
 * optional.none() on create.
 */
function optionalOldSelf(expr: string): string {
  return expr.replace(/\boldSelf\b/g, '(__hasOld ? optional.of(__old) : optional.none())');
}

interface CelNode {
  op: string;
  args: unknown;
  start: number;
  end: number;
}

function isNode(x: unknown): x is CelNode {
  return typeof x === 'object' && x !== null && typeof (x as CelNode).op === 'string' && typeof (x as CelNode).start === 'number';
}

/** Sub-expressions in evaluation order, each after its operands (the order cel-go plans them). */
function postOrder(n: CelNode, out: CelNode[] = []): CelNode[] {
  const visit = (x: unknown): void => {
    if (isNode(x)) postOrder(x, out);
    else if (Array.isArray(x)) x.forEach(visit);
  };
  visit(n.args);
  out.push(n);
  return out;
}

/** A call's name, and its arguments with the receiver first (cel-go's interpreter view). */
function callParts(n: CelNode): { name: string; member: boolean; args: CelNode[] } | undefined {
  const a = n.args as unknown[];
  if (n.op === 'rcall' && isNode(a[1]) && Array.isArray(a[2]))
    return { name: a[0] as string, member: true, args: [a[1], ...(a[2] as CelNode[])] };
  if (n.op === 'call' && Array.isArray(a[1])) return { name: a[0] as string, member: false, args: a[1] as CelNode[] };
  return undefined;
}

function stringLiteral(n: CelNode | undefined): string | undefined {
  return n && n.op === 'value' && typeof n.args === 'string' ? n.args : undefined;
}

/** cel-go's error display: `ERROR: <input>:line:col: message`, the source line and a caret under the column. */
export function celIssue(expr: string, offset: number, message: string): { line: number; col: number; text: string } {
  const before = expr.slice(0, offset);
  const line = before.split('\n').length;
  const lineStart = before.lastIndexOf('\n') + 1;
  const prefix = [...expr.slice(lineStart, offset)];
  const source = expr.slice(lineStart).split('\n')[0].replace(/\t/g, ' ');
  // Runes wider than one UTF-8 byte are marked with full-width dots, as cel-go does.
  const wide = (ch: string | undefined): boolean => ch !== undefined && ch.codePointAt(0)! > 0x7f;
  const dots = prefix.map((ch) => (wide(ch) ? '\uff0e' : '.')).join('');
  const caret = wide([...expr.slice(offset, offset + 2)][0]) ? '\uff3e' : '^';
  return { line, col: prefix.length, text: `ERROR: <input>:${line}:${prefix.length + 1}: ${message}\n | ${source}\n | ${dots}${caret}` };
}

/**
 * Regex constants checked when the CRD is written, as kube-apiserver's CEL
 * environment does: cel.ValidateRegexLiterals() refuses a bad literal first
 * argument of matches() after type-check ("invalid matches argument"; for the
 * global form that argument is the string, not the pattern, as in cel-go), and
 * building the program compiles the constant pattern of matches() (with
 * OptOptimize), find() and findAll(), failing on the first bad one.
 */
function checkRegexConstants(ast: CelNode, rewritten: string, written: string): RuleCompileError | undefined {
  const nodes = postOrder(ast);
  // Positions are those of the rewritten rule; a literal that appears once in the rule as written is placed there.
  const offset = (n: CelNode): number => {
    if (rewritten === written) return n.start;
    const raw = rewritten.slice(n.start, n.end);
    const at = written.indexOf(raw);
    return at >= 0 && written.indexOf(raw, at + 1) < 0 ? at : Math.min(n.start, written.length);
  };
  const issues: Array<{ line: number; col: number; text: string }> = [];
  for (const n of nodes) {
    const call = callParts(n);
    if (call?.name !== MATCHES) continue;
    const arg = call.member ? call.args[1] : call.args[0];
    const lit = stringLiteral(arg);
    if (lit !== undefined && regexpError(lit) !== undefined) issues.push(celIssue(written, offset(arg), 'invalid matches argument'));
  }
  if (issues.length) {
    issues.sort((a, b) => a.line - b.line || a.col - b.col);
    return new RuleCompileError('compilation', issues.map((i) => i.text).join('\n'));
  }
  for (const n of nodes) {
    const call = callParts(n);
    if (!call || !(call.name === MATCHES || call.name === 'find' || call.name === 'findAll')) continue;
    const lit = stringLiteral(call.args[1]);
    const err = lit === undefined ? undefined : regexpError(lit);
    if (err !== undefined) return new RuleCompileError('program instantiation', err);
  }
  return undefined;
}

export function compileRule(expr: string, optionalOld = false): Program | Error {
  const key = optionalOld ? `optional:${expr}` : expr;
  let p = programs.get(key);
  if (!p) {
    try {
      const rewritten = rewriteRule(optionalOld ? optionalOldSelf(expr) : expr);
      const parsed = env().parse(rewritten) as unknown as Program;
      p = (isNode(parsed.ast) && checkRegexConstants(parsed.ast, rewritten, expr)) || parsed;
    } catch (e) {
      p = e instanceof Error ? e : new Error(String(e));
    }
    programs.set(key, p);
  }
  return p;
}

/** JSON -> CEL values following the schema: integers as int (BigInt), property names escaped. */
export function toCEL(v: unknown, s: SchemaNode | undefined): unknown {
  if (Array.isArray(v)) return v.map((x) => toCEL(x, s?.items as SchemaNode | undefined));
  if (typeof v === 'number') {
    if (s?.type === 'number') return v;
    return Number.isInteger(v) ? BigInt(v) : v;
  }
  if (isPlainObject(v)) {
    const props = s?.properties as Record<string, SchemaNode> | undefined;
    const additional = isPlainObject(s?.additionalProperties) ? (s!.additionalProperties as SchemaNode) : undefined;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (props?.[k]) {
        const name = escapeName(k);
        if (name) out[name] = toCEL(x, props[k]);
      } else out[k] = toCEL(x, additional);
    }
    return out;
  }
  return v;
}

const REASONS: Record<string, FieldErrorType> = {
  FieldValueInvalid: 'FieldValueInvalid',
  FieldValueForbidden: 'FieldValueForbidden',
  FieldValueRequired: 'FieldValueRequired',
  FieldValueDuplicate: 'FieldValueDuplicate',
};

function relativePath(base: string, fieldPath: string | undefined): string {
  if (!fieldPath) return base;
  const rel = fieldPath.replace(/^\./, '').replace(/\['([^']*)'\]/g, '.$1');
  return base ? `${base}.${rel}` : rel;
}

/** Evaluates the rules at one node; `oldValue` undefined means no correlated old value. */
export function evaluateRules(
  rules: Rule[],
  value: unknown,
  oldValue: unknown,
  hasOld: boolean,
  schema: SchemaNode,
  path: string,
  errs: FieldError[],
): void {
  const self = toCEL(value, schema);
  const oldSelf = hasOld ? toCEL(oldValue, schema) : undefined;
  for (const r of rules) {
    const transition = /\boldSelf\b/.test(r.rule);
    if (transition && !hasOld && !r.optionalOldSelf) continue;
    const program = compileRule(r.rule, transition && r.optionalOldSelf === true);
    if (program instanceof Error) continue;
    // The per-call budget: only rules whose worst case could exceed it are sized against the actual value.
    if (
      estimateCost(program.ast, schema) > PER_CALL_LIMIT &&
      estimateCost(program.ast, sizedTo(value, schema) ?? schema) > PER_CALL_LIMIT
    ) {
      errs.push(fieldErrors.invalid(path || '<root>', jsonType(value), `call cost exceeds limit for rule: ${r.rule}`));
      continue;
    }
    const ctx: Record<string, unknown> = { self };
    if (transition) {
      ctx.oldSelf = hasOld ? oldSelf : undefined;
      ctx.__old = hasOld ? oldSelf : null;
      ctx.__hasOld = hasOld;
    }
    let result: unknown;
    try {
      result = program(ctx);
    } catch (e) {
      // The evaluator names the function as the rule was rewritten; kube names matches().
      const detail = (e as Error).message.split('\n')[0].replace(/\b__match\b/g, 'matches');
      errs.push(fieldErrors.invalid(path || '<root>', jsonType(value), `${detail} evaluating rule: ${r.rule}`));
      continue;
    }
    if (result === true) continue;
    let message = r.message || `failed rule: ${r.rule}`;
    if (r.messageExpression) {
      const mp = compileRule(r.messageExpression);
      if (!(mp instanceof Error)) {
        try {
          const m = mp(ctx);
          if (typeof m === 'string' && m.trim()) message = m;
        } catch {
          // kube falls back to the static message
        }
      }
    }
    const field = relativePath(path, r.fieldPath);
    const type = REASONS[r.reason ?? ''] ?? 'FieldValueInvalid';
    if (type === 'FieldValueInvalid') errs.push(fieldErrors.invalid(field, jsonType(value), message));
    else errs.push({ type, field, badValue: jsonType(value), detail: message, hasBadValue: type === 'FieldValueDuplicate' });
  }
}
