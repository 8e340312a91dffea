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
        return undefined;
      }
      case 'call': {
        const [, args] = n.args as [string, unknown];
        this.visit(args, scope);
        return undefined;
      }
      case 'value':
        return undefined;
      default:
        this.visitChildren(n.args, scope);
        return undefined;
    }
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
