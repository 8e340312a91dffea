// The JSONPath dialect of k8s.io/client-go/util/jsonpath, as kubectl and
// additionalPrinterColumns use it: `.a.b`, `['a.b']`, `[0]`, `[-1]`,
// `[1:3]`, `[*]`, `..name` (recursive descent), `[0,2]` / `['a','b']`
// (unions) and filters `[?(@.type=="Ready")]` with ==, !=, <, <=, >, >= or a
// bare path (existence). Missing keys select nothing (AllowMissingKeys).

type Step =
  | { kind: 'field'; names: string[] }
  | { kind: 'index'; indexes: number[] }
  | { kind: 'slice'; start?: number; end?: number; step?: number }
  | { kind: 'wildcard' }
  | { kind: 'recursive' }
  | { kind: 'filter'; path: Step[]; op: FilterOp; value?: unknown; rightPath?: Step[] };

type FilterOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'exists';

export class JSONPathError extends Error {}

const quoted = /^'(.*)'$|^"(.*)"$/;

function parseSteps(expr: string): Step[] {
  let s = expr.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1).trim();
  if (s.startsWith('$') || s.startsWith('@')) s = s.slice(1);
  const steps: Step[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '.') {
      i++;
      if (s[i] === '.') {
        steps.push({ kind: 'recursive' });
        i++;
      }
      let name = '';
      while (i < s.length && s[i] !== '.' && s[i] !== '[') name += s[i++];
      name = name.trim();
      if (name === '*') steps.push({ kind: 'wildcard' });
      else if (name) steps.push({ kind: 'field', names: [name.replace(/\\\./g, '.')] });
      continue;
    }
    if (c === '[') {
      const end = matchingBracket(s, i);
      steps.push(parseBracket(s.slice(i + 1, end).trim()));
      i = end + 1;
      continue;
    }
    if (c === ' ') {
      i++;
      continue;
    }
    throw new JSONPathError(`unrecognized character in action: ${c}`);
  }
  return steps;
}

function parseBracket(inner: string): Step {
  if (inner === '*') return { kind: 'wildcard' };
  if (inner.startsWith('?(') && inner.endsWith(')')) return parseFilter(inner.slice(2, -1));
  if (/^-?\d*\s*:\s*-?\d*(\s*:\s*-?\d*)?$/.test(inner)) {
    const [a, b, c] = inner.split(':').map((x) => x.trim());
    const num = (x: string | undefined): number | undefined => (x === undefined || x === '' ? undefined : Number(x));
    return { kind: 'slice', start: num(a), end: num(b), step: num(c) };
  }
  const parts = inner.split(',').map((p) => p.trim());
  if (parts.every((p) => /^-?\d+$/.test(p))) return { kind: 'index', indexes: parts.map(Number) };
  if (parts.every((p) => quoted.test(p))) return { kind: 'field', names: parts.map((p) => p.slice(1, -1)) };
  throw new JSONPathError(`invalid array index ${inner}`);
}

function matchingBracket(s: string, start: number): number {
  let depth = 0;
  let quote = '';
  for (let i = start; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '[') depth++;
    else if (c === ']' && --depth === 0) return i;
  }
  throw new JSONPathError('unclosed array expect ]');
}

function literal(raw: string): { value?: unknown; path?: Step[] } {
  const t = raw.trim();
  if (quoted.test(t)) return { value: t.slice(1, -1) };
  if (t === 'true' || t === 'false') return { value: t === 'true' };
  if (t === 'null') return { value: null };
  if (t !== '' && !Number.isNaN(Number(t))) return { value: Number(t) };
  if (t.startsWith('@') || t.startsWith('$')) return { path: parseSteps(t) };
  return { value: t };
}

function parseFilter(f: string): Step {
  const m = /^\s*(@[^=!<>]*?)\s*(==|!=|<=|>=|<|>)\s*(.+?)\s*$/.exec(f);
  if (!m) {
    const e = /^\s*(@.*?)\s*$/.exec(f);
    if (!e) throw new JSONPathError(`unrecognized filter ${f}`);
    return { kind: 'filter', path: parseSteps(e[1]), op: 'exists' };
  }
  const right = literal(m[3]);
  return { kind: 'filter', path: parseSteps(m[1]), op: m[2] as FilterOp, value: right.value, rightPath: right.path };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function compare(op: FilterOp, left: unknown, right: unknown): boolean {
  if (op === '==')
    return (
      left === right ||
      (typeof left !== 'object' && typeof right !== 'object' && String(left) === String(right) && typeof left === typeof right)
    );
  if (op === '!=') return !compare('==', left, right);
  if (typeof left === 'number' && typeof right === 'number') {
    return op === '<' ? left < right : op === '<=' ? left <= right : op === '>' ? left > right : left >= right;
  }
  return false;
}

function descend(v: unknown, out: unknown[]): void {
  out.push(v);
  if (Array.isArray(v)) for (const x of v) descend(x, out);
  else if (isObject(v)) for (const k of Object.keys(v).sort()) descend(v[k], out);
}

function apply(values: unknown[], step: Step, root: unknown): unknown[] {
  const out: unknown[] = [];
  for (const v of values) {
    switch (step.kind) {
      case 'field':
        if (isObject(v)) for (const n of step.names) if (n in v) out.push(v[n]);
        break;
      case 'index':
        if (Array.isArray(v)) {
          for (const i of step.indexes) {
            const idx = i < 0 ? v.length + i : i;
            if (idx >= 0 && idx < v.length) out.push(v[idx]);
          }
        }
        break;
      case 'slice':
        if (Array.isArray(v)) {
          const norm = (x: number | undefined, dflt: number): number =>
            x === undefined ? dflt : x < 0 ? Math.max(0, v.length + x) : Math.min(x, v.length);
          const by = step.step && step.step > 0 ? step.step : 1;
          for (let i = norm(step.start, 0); i < norm(step.end, v.length); i += by) out.push(v[i]);
        }
        break;
      case 'wildcard':
        if (Array.isArray(v)) out.push(...v);
        else if (isObject(v)) for (const k of Object.keys(v).sort()) out.push(v[k]);
        break;
      case 'recursive':
        descend(v, out);
        break;
      case 'filter': {
        const items = Array.isArray(v)
          ? v
          : isObject(v)
            ? Object.keys(v)
                .sort()
                .map((k) => v[k])
            : [];
        for (const item of items) {
          const got = evaluate(item, step.path, root);
          if (step.op === 'exists') {
            if (got.length > 0) out.push(item);
            continue;
          }
          const right = step.rightPath ? evaluate(item, step.rightPath, root)[0] : step.value;
          if (got.length > 0 && compare(step.op, got[0], right)) out.push(item);
        }
        break;
      }
    }
  }
  return out;
}

function evaluate(start: unknown, steps: Step[], root: unknown): unknown[] {
  let values = [start];
  for (const s of steps) values = apply(values, s, root);
  return values;
}

const compiled = new Map<string, Step[]>();

/** All values the path selects, in order (kubectl prints them space-separated; tables take the first). */
export function jsonPathValues(obj: unknown, expr: string): unknown[] {
  let steps = compiled.get(expr);
  if (!steps) {
    steps = parseSteps(expr);
    if (compiled.size > 1000) compiled.clear();
    compiled.set(expr, steps);
  }
  return evaluate(obj, steps, obj);
}

/** Undefined when `expr` parses, else the parse error. */
export function validateJSONPath(expr: string): string | undefined {
  try {
    parseSteps(expr);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
