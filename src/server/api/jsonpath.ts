// The JSONPath subset kubectl and additionalPrinterColumns use
// (k8s.io/client-go/util/jsonpath): `.a.b`, `['a.b']`, `[0]`, `[*]`,
// `[?(@.type=="Ready")]` with == and !=, numbers, strings and booleans.

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'wildcard' }
  | { kind: 'filter'; path: Step[]; op: '==' | '!=' | 'exists'; value?: unknown };

export class JSONPathError extends Error {}

function parseSteps(expr: string): Step[] {
  let s = expr.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1).trim();
  if (s.startsWith('$')) s = s.slice(1);
  if (s.startsWith('@')) s = s.slice(1);
  const steps: Step[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '.') {
      i++;
      let name = '';
      while (i < s.length && s[i] !== '.' && s[i] !== '[') name += s[i++];
      if (name === '*') steps.push({ kind: 'wildcard' });
      else if (name) steps.push({ kind: 'field', name });
      continue;
    }
    if (c === '[') {
      const end = matchingBracket(s, i);
      const inner = s.slice(i + 1, end).trim();
      i = end + 1;
      if (inner === '*') steps.push({ kind: 'wildcard' });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else if (/^'.*'$|^".*"$/.test(inner)) steps.push({ kind: 'field', name: inner.slice(1, -1) });
      else if (inner.startsWith('?(') && inner.endsWith(')')) steps.push(parseFilter(inner.slice(2, -1)));
      else throw new JSONPathError(`unrecognized identifier ${inner}`);
      continue;
    }
    throw new JSONPathError(`unrecognized character in action: ${c}`);
  }
  return steps;
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

function parseFilter(f: string): Step {
  const m = /^\s*@([^=!<>]*?)\s*(==|!=)\s*(.+?)\s*$/.exec(f);
  if (!m) {
    const e = /^\s*@(.*?)\s*$/.exec(f);
    if (!e) throw new JSONPathError(`unrecognized filter ${f}`);
    return { kind: 'filter', path: parseSteps(e[1]), op: 'exists' };
  }
  let raw = m[3];
  let value: unknown;
  if (/^".*"$|^'.*'$/.test(raw)) value = raw.slice(1, -1);
  else if (raw === 'true' || raw === 'false') value = raw === 'true';
  else if (!Number.isNaN(Number(raw))) value = Number(raw);
  else value = (raw = raw.trim());
  return { kind: 'filter', path: parseSteps(m[1]), op: m[2] as '==' | '!=', value };
}

function apply(values: unknown[], step: Step): unknown[] {
  const out: unknown[] = [];
  for (const v of values) {
    switch (step.kind) {
      case 'field':
        if (v && typeof v === 'object' && !Array.isArray(v) && step.name in (v as object)) out.push((v as Record<string, unknown>)[step.name]);
        break;
      case 'index':
        if (Array.isArray(v)) {
          const idx = step.index < 0 ? v.length + step.index : step.index;
          if (idx >= 0 && idx < v.length) out.push(v[idx]);
        }
        break;
      case 'wildcard':
        if (Array.isArray(v)) out.push(...v);
        else if (v && typeof v === 'object') out.push(...Object.values(v));
        break;
      case 'filter':
        if (Array.isArray(v)) {
          for (const item of v) {
            const got = evaluate(item, step.path);
            if (step.op === 'exists' ? got.length > 0 : got.length > 0 && (got[0] === step.value || String(got[0]) === String(step.value)) === (step.op === '==')) out.push(item);
          }
        }
        break;
    }
  }
  return out;
}

function evaluate(root: unknown, steps: Step[]): unknown[] {
  let values = [root];
  for (const s of steps) values = apply(values, s);
  return values;
}

const compiled = new Map<string, Step[]>();

/** All values the path selects (kubectl prints them space-separated). */
export function jsonPathValues(obj: unknown, expr: string): unknown[] {
  let steps = compiled.get(expr);
  if (!steps) {
    steps = parseSteps(expr);
    compiled.set(expr, steps);
  }
  return evaluate(obj, steps);
}

export function validateJSONPath(expr: string): string | undefined {
  try {
    parseSteps(expr);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
