// A CEL checker for what kube-apiserver's cel-go environment refuses before
// evaluation: syntax errors, references to undeclared variables ("undeclared
// reference to 'x' (in container '')") and, when a variable is typed by an
// OpenAPI schema, fields its schema does not have ("undefined field 'x'"), with
// cel-go's issue display (`ERROR: <input>:line:col: message`, the line, a caret).
// The admission registration validation (expressions compiled when a policy or
// webhook configuration is written) and ValidatingAdmissionPolicy type checking
// both use it. The evaluator itself stays dynamic; this looks at the AST only.

import { isPlainObject } from '../api/types.js';
import { celEnvironment, celIssue, compileRule, RuleCompileError } from './cel.js';

type Schema = Record<string, unknown>;

/** A value's type as far as the checker follows it: an OpenAPI schema (refs through `definitions`), or dynamic. */
export interface SchemaType {
  schema: Schema;
  definitions: Record<string, Schema>;
}

export interface CheckEnvironment {
  /** The declared variables; any other free identifier is an undeclared reference. */
  variables: ReadonlySet<string>;
  /** Variables typed by a schema (`object`, `oldObject`, `params`); the rest are dynamic. */
  types?: Readonly<Record<string, SchemaType | undefined>>;
  /** The fields of the `variables` object a policy's composition declares (undefined: not checked). */
  compositionVariables?: ReadonlySet<string>;
}

interface Node {
  op: string;
  args: unknown;
  pos?: number;
  start: number;
  end: number;
}

interface Issue {
  offset: number;
  message: string;
}

const isNode = (x: unknown): x is Node =>
  typeof x === 'object' && x !== null && typeof (x as Node).op === 'string' && typeof (x as Node).start === 'number';

/** Macros binding an iteration variable (cel-go's all, exists, exists_one, map, filter and the two-variable forms). */
const ITERATION_MACROS = new Set(['all', 'exists', 'exists_one', 'existsOne', 'map', 'filter', 'transformList', 'transformMap']);

/** Identifiers every CEL environment declares: the type names. */
const BUILTIN_IDENTIFIERS = new Set(['int', 'uint', 'double', 'bool', 'string', 'bytes', 'list', 'map', 'null_type', 'type', 'dyn']);

/** Function namespaces of the CEL extension libraries kube enables (`optional.of`, `math.greatest`, `cel.bind`, `format.dns1123Label`...). */
const FUNCTION_NAMESPACES = new Set(['cel', 'optional', 'math', 'strings', 'sets', 'base64', 'lists', 'regex', 'format', 'jsonpatch']);

/** A schema with `$ref` and single-element `allOf` wrappers followed. */
function deref(t: SchemaType, s: Schema | undefined, depth = 0): Schema | undefined {
  if (!s || depth > 32) return s;
  if (typeof s.$ref === 'string') {
    const name = s.$ref.replace(/^#\/(definitions|components\/schemas)\//, '');
    return deref(t, t.definitions[name], depth + 1);
  }
  if (Array.isArray(s.allOf) && s.allOf.length === 1 && isPlainObject(s.allOf[0]) && !s.properties) {
    return deref(t, s.allOf[0] as Schema, depth + 1);
  }
  return s;
}

type Typed = SchemaType | undefined;

const sub = (t: SchemaType, s: unknown): Typed => (isPlainObject(s) ? { schema: s, definitions: t.definitions } : undefined);

/** Field selection on a typed value: the field's type, undefined when dynamic, or an error for an object without the field. */
function selectField(t: Typed, name: string): { type: Typed } | { error: string } {
  if (!t) return { type: undefined };
  const s = deref(t, t.schema);
  if (!s || s['x-kubernetes-preserve-unknown-fields'] === true || s['x-kubernetes-int-or-string'] === true) return { type: undefined };
  const props = isPlainObject(s.properties) ? s.properties : undefined;
  if (props) {
    if (name in props) return { type: sub(t, props[name]) };
    // Escaped property names (`x__dash__y`) are looked up as written only.
    if (name.includes('__')) return { type: undefined };
    return { error: `undefined field '${name}'` };
  }
  if (isPlainObject(s.additionalProperties)) return { type: sub(t, s.additionalProperties) };
  return { type: undefined };
}

/** Indexing a typed value: a list's items, a map's values; otherwise dynamic. */
function indexType(t: Typed): Typed {
  if (!t) return undefined;
  const s = deref(t, t.schema);
  if (!s) return undefined;
  if (s.type === 'array') return sub(t, s.items);
  if (isPlainObject(s.additionalProperties) && !s.properties) return sub(t, s.additionalProperties);
  return undefined;
}

/** A primitive's type in the checker's terms: a schema of that type (`x-cel-type` where OpenAPI has no name for it). */
const PRIMITIVE = (schema: Schema): SchemaType => ({ schema, definitions: {} });
const INT = PRIMITIVE({ type: 'integer' });
const UINT = PRIMITIVE({ type: 'integer', 'x-cel-type': 'uint' });
const DOUBLE = PRIMITIVE({ type: 'number' });
const STRING = PRIMITIVE({ type: 'string' });
const BYTES = PRIMITIVE({ type: 'string', format: 'byte' });
const BOOL = PRIMITIVE({ type: 'boolean' });

/**
 * The CEL type cel-go's checker gives a typed value (kube's SchemaDeclType), for the types whose
 * overloads are checked here: int, uint, double, string, bytes, bool and lists of them. Anything else
 * (objects, maps, timestamps, durations, int-or-string, nullable or unknown-preserving values) is left
 * undecided, as dynamic.
 */
function celTypeName(t: Typed, depth = 0): string | undefined {
  if (!t || depth > 8) return undefined;
  const s = deref(t, t.schema);
  if (!s) return undefined;
  if (typeof s['x-cel-type'] === 'string') return s['x-cel-type'];
  if (s.nullable === true || s['x-kubernetes-preserve-unknown-fields'] === true || s['x-kubernetes-int-or-string'] === true)
    return undefined;
  switch (s.type) {
    case 'integer':
      return 'int';
    case 'number':
      return 'double';
    case 'boolean':
      return 'bool';
    case 'string':
      if (s.format === 'byte') return 'bytes';
      // date-time, duration (timestamps, durations) and int-or-string are not strings to the checker.
      return s.format ? undefined : 'string';
    case 'array': {
      const item = celTypeName(sub(t, s.items), depth + 1);
      return item ? `list(${item})` : undefined;
    }
    default:
      return undefined;
  }
}

const NUMERIC = new Set(['int', 'uint', 'double']);
/** Operators whose result is a bool whatever their operands. */
const BOOL_RESULTS = new Set(['==', '!=', '<', '<=', '>', '>=', '&&', '||']);
const ORDERED = new Set(['int', 'uint', 'double', 'string', 'bytes', 'bool']);

/** cel-go's overloads of the operators, for the types celTypeName decides: the result's type, or undefined when none matches. */
const OPERATORS: Record<string, { fn: string; result(a: string, b: string): Typed | null }> = {
  '==': { fn: '_==_', result: (a, b) => (a === b ? BOOL : null) },
  '!=': { fn: '_!=_', result: (a, b) => (a === b ? BOOL : null) },
  '<': { fn: '_<_', result: (a, b) => ordered(a, b) },
  '<=': { fn: '_<=_', result: (a, b) => ordered(a, b) },
  '>': { fn: '_>_', result: (a, b) => ordered(a, b) },
  '>=': { fn: '_>=_', result: (a, b) => ordered(a, b) },
  '+': { fn: '_+_', result: (a, b) => (a === b && (ORDERED.has(a) || a.startsWith('list(')) && a !== 'bool' ? typeNamed(a) : null) },
  '-': { fn: '_-_', result: (a, b) => (a === b && NUMERIC.has(a) ? typeNamed(a) : null) },
  '*': { fn: '_*_', result: (a, b) => (a === b && NUMERIC.has(a) ? typeNamed(a) : null) },
  '/': { fn: '_/_', result: (a, b) => (a === b && NUMERIC.has(a) ? typeNamed(a) : null) },
  '%': { fn: '_%_', result: (a, b) => (a === b && (a === 'int' || a === 'uint') ? typeNamed(a) : null) },
  '&&': { fn: '_&&_', result: (a, b) => (a === 'bool' && b === 'bool' ? BOOL : null) },
  '||': { fn: '_||_', result: (a, b) => (a === 'bool' && b === 'bool' ? BOOL : null) },
};

/** Ordering: the same orderable type, or any two numeric types (cel-go's cross-type numeric comparisons). */
function ordered(a: string, b: string): Typed | null {
  return (a === b && ORDERED.has(a)) || (NUMERIC.has(a) && NUMERIC.has(b)) ? BOOL : null;
}

function typeNamed(name: string): Typed {
  return { int: INT, uint: UINT, double: DOUBLE, string: STRING, bytes: BYTES, bool: BOOL }[name];
}

/** A literal's type; a `u` suffix makes an unsigned integer. */
function literalType(expr: string, n: Node): Typed {
  const v = n.args;
  if (typeof v === 'bigint') return /[uU]\s*$/.test(expr.slice(n.start, n.end)) ? UINT : INT;
  if (typeof v === 'number') return /[uU]\s*$/.test(expr.slice(n.start, n.end)) ? UINT : DOUBLE;
  if (typeof v === 'string') return STRING;
  if (typeof v === 'boolean') return BOOL;
  if (v instanceof Uint8Array) return BYTES;
  if (typeof v === 'object' && v !== null && /[uU]\s*$/.test(expr.slice(n.start, n.end))) return UINT;
  return undefined;
}

/** Result types of the functions the checker follows (size() is an int; string tests are bools). */
const FUNCTION_RESULTS: Record<string, Typed> = {
  size: INT,
  int: INT,
  uint: UINT,
  double: DOUBLE,
  string: STRING,
  bool: BOOL,
  has: BOOL,
  startsWith: BOOL,
  endsWith: BOOL,
  contains: BOOL,
  matches: BOOL,
};

/** The column of a field selection: cel-go places it at the `.` (or `.?`) before the field name. */
function selectOffset(expr: string, n: Node): number {
  const at = typeof n.pos === 'number' ? n.pos : n.start;
  const dot = expr.lastIndexOf('.', at);
  return dot >= n.start ? dot : at;
}

class Checker {
  readonly issues: Issue[] = [];

  constructor(
    private readonly expr: string,
    private readonly env: CheckEnvironment,
  ) {}

  /** Checks a node; returns its type as far as it is known. */
  visit(n: unknown, scope: ReadonlyMap<string, Typed>): Typed {
    if (Array.isArray(n)) {
      for (const x of n) this.visit(x, scope);
      return undefined;
    }
    if (!isNode(n)) return undefined;
    switch (n.op) {
      case 'id': {
        const name = n.args as string;
        if (scope.has(name)) return scope.get(name);
        if (this.env.variables.has(name)) return this.env.types?.[name];
        if (BUILTIN_IDENTIFIERS.has(name)) return undefined;
        this.issues.push({ offset: n.start, message: `undeclared reference to '${name}' (in container '')` });
        return undefined;
      }
      case '.':
      case '.?': {
        const [operand, field] = n.args as [unknown, string];
        // `variables.x`: the composition's declared variables.
        if (isNode(operand) && operand.op === 'id' && operand.args === 'variables' && !scope.has('variables')) {
          this.visit(operand, scope);
          const declared = this.env.compositionVariables;
          if (declared && this.env.variables.has('variables') && !declared.has(field))
            this.issues.push({ offset: selectOffset(this.expr, n), message: `undefined field '${field}'` });
          return undefined;
        }
        const t = this.visit(operand, scope);
        const r = selectField(t, field);
        if ('error' in r) {
          this.issues.push({ offset: selectOffset(this.expr, n), message: r.error });
          return undefined;
        }
        return r.type;
      }
      case '[]':
      case '[?]': {
        const [operand, index] = n.args as [unknown, unknown];
        const t = this.visit(operand, scope);
        this.visit(index, scope);
        return indexType(t);
      }
      case 'rcall': {
        const [name, receiver, args] = n.args as [string, unknown, unknown[]];
        if (ITERATION_MACROS.has(name) && Array.isArray(args) && args.length >= 2 && isNode(args[0]) && args[0].op === 'id') {
          const t = this.visit(receiver, scope);
          const inner = new Map(scope);
          const two = args.length === 3 && isNode(args[1]) && args[1].op === 'id';
          const s = t ? deref(t, t.schema) : undefined;
          const isList = s?.type === 'array';
          if (two) {
            inner.set(args[0].args as string, undefined);
            inner.set((args[1] as Node).args as string, isList ? indexType(t) : undefined);
          } else inner.set(args[0].args as string, isList ? indexType(t) : undefined);
          for (const a of args.slice(two ? 2 : 1)) this.visit(a, inner);
          return undefined;
        }
        // cel.bind(name, init, body)
        if (name === 'bind' && isNode(receiver) && receiver.op === 'id' && receiver.args === 'cel' && isNode(args?.[0])) {
          const init = this.visit(args[1], scope);
          const inner = new Map(scope);
          inner.set((args[0] as Node).args as string, init);
          this.visit(args[2], inner);
          return undefined;
        }
        const namespaced = isNode(receiver) && receiver.op === 'id' && FUNCTION_NAMESPACES.has(receiver.args as string);
        if (!(namespaced && !scope.has(receiver.args as string) && !this.env.variables.has(receiver.args as string)))
          this.visit(receiver, scope);
        this.visit(args, scope);
        return FUNCTION_RESULTS[name];
      }
      case 'call': {
        const [name, args] = n.args as [string, unknown];
        this.visit(args, scope);
        return FUNCTION_RESULTS[name];
      }
      case 'value':
        return literalType(this.expr, n);
      case '!_':
      case '-_': {
        const t = this.visit(n.args, scope);
        const name = celTypeName(t);
        if (!name) return undefined;
        const ok = n.op === '!_' ? name === 'bool' : name === 'int' || name === 'double';
        if (ok) return t;
        this.issues.push({ offset: n.start, message: `found no matching overload for '${n.op}' applied to '(${name})'` });
        return undefined;
      }
      case '?:': {
        const [cond, then, otherwise] = n.args as [Node, Node, Node];
        const types = [this.visit(cond, scope), this.visit(then, scope), this.visit(otherwise, scope)];
        const names = types.map((t) => celTypeName(t));
        if (names.some((x) => !x)) return undefined;
        if (names[0] === 'bool' && names[1] === names[2]) return types[1];
        const at = this.expr.indexOf('?', cond.end);
        this.issues.push({
          offset: at < 0 ? n.start : at,
          message: `found no matching overload for '_?_:_' applied to '(${names.join(', ')})'`,
        });
        return undefined;
      }
      default:
        if (n.op in OPERATORS && Array.isArray(n.args) && n.args.length === 2) return this.binary(n, scope);
        this.visitChildren(n.args, scope);
        return undefined;
    }
  }

  /** A binary operator: its operands' types against the operator's overloads (cel-go's `found no matching overload`). */
  private binary(n: Node, scope: ReadonlyMap<string, Typed>): Typed {
    const [left, right] = n.args as [Node, Node];
    const a = celTypeName(this.visit(left, scope));
    const b = celTypeName(this.visit(right, scope));
    const op = OPERATORS[n.op];
    if (!a || !b) return BOOL_RESULTS.has(n.op) ? BOOL : undefined;
    const result = op.result(a, b);
    if (result !== null) return result;
    // cel-go places the call at its operator.
    const at = this.expr.indexOf(n.op, isNode(left) ? left.end : n.start);
    this.issues.push({ offset: at < 0 ? n.start : at, message: `found no matching overload for '${op.fn}' applied to '(${a}, ${b})'` });
    return undefined;
  }

  private visitChildren(args: unknown, scope: ReadonlyMap<string, Typed>): void {
    if (isNode(args)) this.visit(args, scope);
    else if (Array.isArray(args)) for (const a of args) this.visitChildren(a, scope);
  }
}

/** Position of a parse error, as the evaluator reports it. */
function errorOffset(e: unknown, expr: string): number {
  const x = e as { range?: { start?: number }; node?: { start?: number; pos?: number } };
  const at = x.range?.start ?? x.node?.pos ?? x.node?.start;
  return typeof at === 'number' ? Math.min(at, expr.length) : 0;
}

/** What cel-go's grammar expects where an expression starts (ANTLR's expected-token set, CEL v0.22). */
const EXPRESSION_START = "{'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}";

/** Characters no CEL token starts with, and the first halves of two-character operators met alone. */
const UNRECOGNIZED = new Set(['@', '$', '#', '~', '^', ';', '\\', '`']);
const HALVES: Record<string, string> = { '|': '|', '&': '&', '=': '=' };

/** Operators after which an operand must follow. */
const TRAILING_OPERATORS = /(==|!=|<=|>=|&&|\|\||[<>+*/%?:]|\bin)\s*$/;

/** One lexer token at `at`: an identifier, a number, a quoted string, a two-character operator or one character. */
function tokenAt(expr: string, at: number): string {
  const rest = expr.slice(at);
  const m =
    /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest) ??
    /^(0x[0-9a-fA-F]+|[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?[uU]?)/.exec(rest) ??
    /^("([^"\\\n]|\\.)*"|'([^'\\\n]|\\.)*')/.exec(rest) ??
    /^(==|!=|<=|>=|&&|\|\|)/.exec(rest);
  return m ? m[0] : rest.slice(0, 1);
}

function parses(expr: string): boolean {
  try {
    celEnvironment().parse(expr);
    return true;
  } catch {
    return false;
  }
}

/**
 * cel-go's ANTLR syntax errors for the shapes met most (its test suite's wording): characters the lexer
 * does not recognise (`token recognition error at: '@'`), an expression ending after an operator
 * (`mismatched input '<EOF>' expecting {...}`) and input left after a complete expression (`extraneous
 * input 'b' expecting <EOF>` for one token, `mismatched input` for more). Undefined for other shapes.
 */
function antlrSyntaxIssues(expr: string): Issue[] | undefined {
  const issues: Issue[] = [];
  const chars = [...expr];
  let cleaned = '';
  let quote = '';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (quote) {
      if (c === '\\') {
        cleaned += c + (chars[i + 1] ?? '');
        i++;
        continue;
      }
      if (c === quote) quote = '';
      cleaned += c;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    const half = HALVES[c];
    const pairs = half && (chars[i + 1] === half || (c === '=' && /[=!<>]/.test(chars[i - 1] ?? '')));
    if (UNRECOGNIZED.has(c) || (half && !pairs)) {
      const text = UNRECOGNIZED.has(c) ? c : c + (chars[i + 1] ?? '');
      issues.push({ offset: cleaned.length, message: `token recognition error at: '${text}'` });
      cleaned += ' ';
      continue;
    }
    if (half && pairs && chars[i + 1] === half) {
      cleaned += c + chars[i + 1];
      i++;
      continue;
    }
    cleaned += c;
  }
  if (parses(cleaned)) return issues.length ? issues : undefined;
  const trimmed = cleaned.trimEnd();
  if (TRAILING_OPERATORS.test(trimmed) && parses(trimmed.replace(TRAILING_OPERATORS, ''))) {
    issues.push({ offset: cleaned.length, message: `mismatched input '<EOF>' expecting ${EXPRESSION_START}` });
    return issues;
  }
  let at: number;
  try {
    celEnvironment().parse(cleaned);
    return undefined;
  } catch (e) {
    at = errorOffset(e, cleaned);
  }
  const token = tokenAt(cleaned, at);
  const head = cleaned.slice(0, at);
  // An operator where an operand belongs, the rest complete without it: ANTLR drops the one token.
  if (/^(==|!=|<=|>=|&&|\|\||[<>+*/%?:])$/.test(token) && TRAILING_OPERATORS.test(head.trimEnd())) {
    if (!parses(head + cleaned.slice(at + token.length))) return undefined;
    issues.push({ offset: at, message: `extraneous input '${token}' expecting ${EXPRESSION_START}` });
    return issues;
  }
  // A complete expression, then input that cannot continue it (an operand, a closing bracket).
  if (/^[A-Za-z0-9_"')\]},]/.test(token) && head.trim() && parses(head)) {
    const more = cleaned.slice(at + token.length).trim();
    issues.push({ offset: at, message: `${more ? 'mismatched' : 'extraneous'} input '${token}' expecting <EOF>` });
    return issues;
  }
  return undefined;
}

/**
 * The issues cel-go's compile (parse and check) would report for `expr` in `env`, as its
 * issues.String() prints them; undefined when there are none. Program-instantiation failures
 * (bad regex constants) come back as `program instantiation failed: ...` with `stage`.
 */
export function checkExpression(
  expr: string,
  env: CheckEnvironment,
): { stage: 'compilation' | 'program instantiation'; issues: string } | undefined {
  let ast: unknown;
  try {
    ast = (celEnvironment().parse(expr) as unknown as { ast: unknown }).ast;
  } catch (e) {
    const issues = antlrSyntaxIssues(expr);
    if (issues)
      return { stage: 'compilation', issues: issues.map((i) => celIssue(expr, i.offset, `Syntax error: ${i.message}`).text).join('\n') };
    const message = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    return { stage: 'compilation', issues: celIssue(expr, errorOffset(e, expr), `Syntax error: ${message}`).text };
  }
  const checker = new Checker(expr, env);
  checker.visit(ast, new Map());
  if (checker.issues.length) {
    const seen = new Set<string>();
    const texts = checker.issues
      .sort((a, b) => a.offset - b.offset)
      .map((i) => celIssue(expr, i.offset, i.message).text)
      .filter((t) => !seen.has(t) && !!seen.add(t));
    return { stage: 'compilation', issues: texts.join('\n') };
  }
  // The regex constants the server's own compile checks (matches() literals, find/findAll patterns).
  const compiled = compileRule(expr);
  if (compiled instanceof RuleCompileError) return { stage: compiled.stage, issues: compiled.issues };
  return undefined;
}

/** cel-go's spelling of a type the evaluator's checker names (`list<int>` -> `list(int)`, `null` -> `null_type`). */
function celGoTypeName(t: string): string {
  return t
    .replace(/</g, '(')
    .replace(/>/g, ')')
    .replace(/\bnull\b/g, 'null_type');
}

const CONCRETE = /^(int|uint|double|string|bytes|bool|null|list<.*>|map<.*>)$/;

/**
 * The expression's output type when the checker can tell it without knowing the variables (they are
 * dynamic), in cel-go's spelling; undefined when dynamic or not decided here. What needs functions or
 * overloads this checker does not know is left undecided rather than guessed.
 */
export function outputType(expr: string): string | undefined {
  try {
    const r = celEnvironment().check(expr);
    if (!r.valid || typeof r.type !== 'string' || !CONCRETE.test(r.type)) return undefined;
    return celGoTypeName(r.type);
  } catch {
    return undefined;
  }
}
