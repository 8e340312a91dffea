// fieldValidation for built-in types: kube decodes a request body into Go
// structs, which drops fields the type does not declare; with
// fieldValidation=Strict the decoder reports them (and duplicate JSON keys)
// instead, Warn turns each into a `Warning` header, Ignore drops silently.
// Paths are named as sigs.k8s.io/json names them: `spec.foo`,
// `spec.containers[0].bar`, `metadata.labels` is a map (any key is known).

import { badRequest } from '../../api/errors.js';
import type { Schema } from './models.js';

export type FieldValidationDirective = 'Strict' | 'Warn' | 'Ignore';

type Resolve = (ref: string) => Schema | undefined;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Follows $ref and single-element allOf wrappers (v3 documents) to the schema that has the shape. */
function deref(s: Schema | undefined, resolve: Resolve): Schema | undefined {
  let cur = s;
  for (let i = 0; cur && i < 32; i++) {
    if (typeof cur.$ref === 'string') cur = resolve(cur.$ref);
    else if (Array.isArray(cur.allOf) && cur.allOf.length === 1 && !cur.properties) cur = cur.allOf[0] as Schema;
    else break;
  }
  return cur;
}

function walk(value: unknown, schema: Schema | undefined, path: string, resolve: Resolve, drop: boolean, out: string[]): void {
  const s = deref(schema, resolve);
  if (!s) return;
  if (Array.isArray(value)) {
    if (isObject(s.items)) for (const [i, v] of value.entries()) walk(v, s.items, `${path}[${i}]`, resolve, drop, out);
    return;
  }
  if (!isObject(value)) return;
  const props = isObject(s.properties) ? (s.properties as Record<string, Schema>) : undefined;
  if (isObject(s.additionalProperties)) {
    for (const [k, v] of Object.entries(value)) walk(v, s.additionalProperties as Schema, path ? `${path}.${k}` : k, resolve, drop, out);
    return;
  }
  // RawExtension, JSON and friends: anything goes below them.
  if (!props || s['x-kubernetes-preserve-unknown-fields'] === true || s.additionalProperties === true) {
    if (props)
      for (const [k, v] of Object.entries(value))
        if (Object.hasOwn(props, k)) walk(v, props[k], path ? `${path}.${k}` : k, resolve, drop, out);
    return;
  }
  for (const key of Object.keys(value)) {
    // Own properties only: a field named `constructor` or `__proto__` is unknown like any other.
    const child = Object.hasOwn(props, key) ? props[key] : undefined;
    const p = path ? `${path}.${key}` : key;
    if (child) {
      walk(value[key], child, p, resolve, drop, out);
      continue;
    }
    out.push(p);
    if (drop) delete value[key];
  }
}

/** Resolves bare names and `#/definitions/x` / `#/components/schemas/x` refs in `definitions`. */
export function definitionResolver(definitions: Record<string, Schema>): Resolve {
  return (ref) => definitions[ref.replace(/^#\/(definitions|components\/schemas)\//, '')];
}

/**
 * Removes from `obj` every field its kind's schema does not declare and
 * returns their paths in document order (`spec.foo`, `metadata.bar`).
 * `kindSchema` is the kind's definition; refs resolve through `definitions`.
 */
export function pruneUnknownFields(kindSchema: Schema, definitions: Record<string, Schema>, obj: Record<string, unknown>): string[] {
  const out: string[] = [];
  walk(obj, kindSchema, '', definitionResolver(definitions), true, out);
  return out;
}

/** Same paths as pruneUnknownFields, leaving `obj` untouched. */
export function findUnknownFields(kindSchema: Schema, definitions: Record<string, Schema>, obj: Record<string, unknown>): string[] {
  const out: string[] = [];
  walk(obj, kindSchema, '', definitionResolver(definitions), false, out);
  return out;
}

/**
 * Keys repeated within one JSON object of `raw`, as paths (`metadata.name`,
 * `spec.containers[0].image`), in the order met. JSON.parse keeps the last
 * value silently; kube's strict decoder reports `duplicate field "x"`.
 * Returns [] for text that is not JSON (YAML bodies are checked by their parser).
 */
export function findDuplicateFields(raw: string): string[] {
  const out: string[] = [];
  // The path is kept as a stack of keys and indexes and only joined for a duplicate: most bodies have none.
  const stack: (string | number)[] = [];
  const pathOf = (key: string): string => {
    let p = '';
    for (const k of stack) p = typeof k === 'number' ? `${p}[${k}]` : p ? `${p}.${k}` : k;
    return p ? `${p}.${key}` : key;
  };
  let i = 0;
  const ws = (): void => {
    for (let c = raw.charCodeAt(i); c === 32 || c === 10 || c === 13 || c === 9; c = raw.charCodeAt(++i));
  };
  /** After a member or an element: `,` means another follows (true), `close` ends the container (false). */
  const more = (close: string, what: string): boolean => {
    ws();
    if (raw[i] === ',' || raw[i] === close) return raw[i++] === ',';
    throw new Error(what);
  };
  /** Skips the string that starts at i (its closing quote is the first one after an even run of backslashes). */
  const skipStr = (): void => {
    for (let from = i + 1; ; ) {
      const q = raw.indexOf('"', from);
      if (q < 0) throw new Error('string');
      let b = q - 1;
      while (raw.charCodeAt(b) === 92) b--;
      if (((q - 1 - b) & 1) === 0) {
        i = q + 1;
        return;
      }
      from = q + 1;
    }
  };
  /** A key: sliced as is, decoded by JSON.parse only when it holds an escape. */
  const key = (): string => {
    const start = i;
    for (let j = i + 1; j < raw.length; j++) {
      const c = raw.charCodeAt(j);
      if (c === 34) {
        i = j + 1;
        return raw.slice(start + 1, j);
      }
      if (c === 92) break;
    }
    skipStr();
    return JSON.parse(raw.slice(start, i)) as string;
  };
  const value = (depth: number): void => {
    if (depth > 1000) throw new Error('too deep');
    ws();
    const c = raw[i];
    if (c === '{') {
      i++;
      ws();
      if (raw[i] === '}') {
        i++;
        return;
      }
      const seen = new Set<string>();
      for (;;) {
        ws();
        if (raw[i] !== '"') throw new Error('key');
        const k = key();
        if (seen.has(k)) out.push(pathOf(k));
        seen.add(k);
        ws();
        if (raw[i++] !== ':') throw new Error('colon');
        stack.push(k);
        value(depth + 1);
        stack.pop();
        if (!more('}', 'object')) return;
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (raw[i] === ']') {
        i++;
        return;
      }
      for (let n = 0; ; n++) {
        stack.push(n);
        value(depth + 1);
        stack.pop();
        if (!more(']', 'array')) return;
      }
    }
    if (c === '"') {
      skipStr();
      return;
    }
    while (i < raw.length && !',}] \n\r\t'.includes(raw[i])) i++;
  };
  try {
    value(0);
  } catch {
    return [];
  }
  return out;
}

/** The strict decoding issues, unknown and duplicate, in kube's wording. */
export function strictDecodingIssues(unknown: string[], duplicates: string[] = []): string[] {
  return [...unknown.map((f) => `unknown field "${f}"`), ...duplicates.map((f) => `duplicate field "${f}"`)];
}

/** Strict: 400 `ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "x"`. */
export function strictDecodingMessage(kind: string, version: string, issues: string[]): string {
  return `${kind} in version "${version}" cannot be handled as a ${kind}: strict decoding error: ${issues.join(', ')}`;
}

export function strictDecodingError(kind: string, version: string, issues: string[]): Error {
  return badRequest(strictDecodingMessage(kind, version, issues));
}

/**
 * Applies a fieldValidation directive to a decoded body: Strict throws the
 * 400 when anything is unknown or duplicated; Warn drops unknown fields and
 * returns one warning per issue; Ignore drops them silently.
 */
export function applyFieldValidation(
  directive: FieldValidationDirective,
  target: { kind: string; version: string; schema: Schema; definitions: Record<string, Schema> },
  obj: Record<string, unknown>,
  duplicates: string[] = [],
): string[] {
  if (directive === 'Strict') {
    const issues = strictDecodingIssues(findUnknownFields(target.schema, target.definitions, obj), duplicates);
    if (issues.length) throw strictDecodingError(target.kind, target.version, issues);
    return [];
  }
  const issues = strictDecodingIssues(pruneUnknownFields(target.schema, target.definitions, obj), duplicates);
  return directive === 'Warn' ? issues : [];
}
