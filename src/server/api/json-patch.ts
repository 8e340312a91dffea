// JSON Patch (RFC 6902) as gopkg.in/evanphx/json-patch.v4 applies it, shared by PATCH
// requests (endpoints/patch.ts) and mutating admission webhooks' patches.
//
// Objects here are decoded JSON: keys such as `__proto__` or `constructor`
// are ordinary own properties, so every lookup is an own-property check and
// every write defines a property.

import { isPlainObject } from './types.js';

export interface JsonPatchLimits {
  /** The accumulated size copy operations may add (kube-apiserver's JSONPatchMaxCopyBytes). */
  maxCopyBytes: number;
  /** Whether a value to copy is nested too deep to encode. */
  copyTooDeep?: (value: unknown) => boolean;
}

export type Json = unknown;
export type JsonObject = Record<string, Json>;

export const has = (o: JsonObject, k: string): boolean => Object.hasOwn(o, k);

export function setOwn(o: JsonObject, k: string, v: Json): void {
  Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
}

/** A deep copy through JSON text, which also gives the copy's encoded size (json-patch's deepCopy does the same). */
export function copyJSON(v: Json): { value: Json; size: number } {
  const text = JSON.stringify(v) ?? 'null';
  return { value: JSON.parse(text) as Json, size: Buffer.byteLength(text) };
}

/** Go's json.Unmarshal type names, for the decode errors kube reports as 400. */
export function goKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

/** A failed JSON Patch operation; the handler answers all of them with kube's single 422. */
export class PatchApplyError extends Error {}

function fail(why: string): never {
  throw new PatchApplyError(why);
}

function decodePointer(path: unknown): string[] {
  if (typeof path !== 'string') fail('missing path');
  // As json-patch's findObject: a path must have at least one "/" separated segment.
  const parts = path.split('/');
  if (parts.length < 2 || parts[0] !== '') fail(`invalid path ${path}`);
  return parts.slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The container holding the last segment of `path`, and that segment. */
function parentOf(doc: Json, parts: string[]): { parent: JsonObject | Json[]; key: string } {
  let cur: Json = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    cur = child(cur, parts[i]);
    if (cur === undefined || cur === null || typeof cur !== 'object') fail('missing path');
  }
  if (cur === null || typeof cur !== 'object') fail('missing path');
  return { parent: cur as JsonObject | Json[], key: parts[parts.length - 1] };
}

function arrayIndex(key: string, length: number, forInsert: boolean): number {
  if (!/^-?\d+$/.test(key)) fail(`invalid index ${key}`);
  let idx = Number(key);
  // json-patch v4 accepts negative indices counted from the end.
  if (idx < 0) idx += forInsert ? length + 1 : length;
  if (idx < 0 || idx > (forInsert ? length : length - 1)) fail(`invalid index ${key}`);
  return idx;
}

function child(container: Json, key: string): Json {
  if (Array.isArray(container)) {
    if (!/^\d+$/.test(key)) return undefined;
    return container[Number(key)];
  }
  if (isPlainObject(container)) return has(container, key) ? container[key] : undefined;
  return undefined;
}

function getAt(doc: Json, parts: string[]): Json {
  const { parent, key } = parentOf(doc, parts);
  const v = child(parent, key);
  if (v === undefined) fail('missing value');
  return v;
}

function addAt(doc: Json, parts: string[], value: Json): void {
  const { parent, key } = parentOf(doc, parts);
  if (Array.isArray(parent)) {
    if (key === '-') parent.push(value);
    else parent.splice(arrayIndex(key, parent.length, true), 0, value);
    return;
  }
  setOwn(parent, key, value);
}

function removeAt(doc: Json, parts: string[]): Json {
  const { parent, key } = parentOf(doc, parts);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(key, parent.length, false), 1)[0];
  if (!has(parent, key)) fail('missing key');
  const v = parent[key];
  delete parent[key];
  return v;
}

/** Deep equality of JSON values, without recursion (values may be wide and deep). */
function jsonEqual(a: Json, b: Json): boolean {
  const stack: Array<[Json, Json]> = [[a, b]];
  while (stack.length) {
    const [x, y] = stack.pop()!;
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    if (Array.isArray(x) !== Array.isArray(y)) return false;
    if (Array.isArray(x)) {
      const ya = y as Json[];
      if (x.length !== ya.length) return false;
      for (let i = 0; i < x.length; i++) stack.push([x[i], ya[i]]);
      continue;
    }
    const xo = x as JsonObject;
    const yo = y as JsonObject;
    const keys = Object.keys(xo);
    if (keys.length !== Object.keys(yo).length) return false;
    for (const k of keys) {
      if (!has(yo, k)) return false;
      stack.push([xo[k], yo[k]]);
    }
  }
  return true;
}

/**
 * Applies RFC 6902 operations to `doc` in place (json-patch v4's semantics); every failure is a
 * PatchApplyError. `maxCopyBytes` bounds what copy operations may add in total (AccumulatedCopySizeLimit).
 */
export function applyJsonPatch(doc: Json, ops: JsonObject[], limits: JsonPatchLimits): Json {
  let copied = 0;
  for (const op of ops) {
    const kind = has(op, 'op') ? op.op : undefined;
    switch (kind) {
      case 'add':
        if (!has(op, 'value')) fail('missing value');
        addAt(doc, decodePointer(op.path), op.value);
        break;
      case 'remove':
        removeAt(doc, decodePointer(op.path));
        break;
      case 'replace': {
        if (!has(op, 'value')) fail('missing value');
        const parts = decodePointer(op.path);
        const { parent, key } = parentOf(doc, parts);
        if (Array.isArray(parent)) parent[arrayIndex(key, parent.length, false)] = op.value;
        else if (has(parent, key)) setOwn(parent, key, op.value);
        else fail('missing key');
        break;
      }
      case 'move': {
        const from = decodePointer(op.from);
        const to = decodePointer(op.path);
        addAt(doc, to, removeAt(doc, from));
        break;
      }
      case 'copy': {
        const value = getAt(doc, decodePointer(op.from));
        const to = decodePointer(op.path);
        // Refuse before encoding: a copy can at most double the depth, and the encoder recurses.
        if (limits.copyTooDeep?.(value)) fail('too deep');
        const c = copyJSON(value);
        copied += c.size;
        if (copied > limits.maxCopyBytes) {
          fail(
            `Unable to complete the copy, the accumulated size increase of copy is ${copied}, exceeding the limit ${limits.maxCopyBytes}`,
          );
        }
        addAt(doc, to, c.value);
        break;
      }
      case 'test': {
        const parts = decodePointer(op.path);
        const { parent, key } = parentOf(doc, parts);
        const actual = child(parent, key);
        const expected = has(op, 'value') ? op.value : null;
        if (actual === undefined ? expected !== null : !jsonEqual(actual, expected)) fail('test failed');
        break;
      }
      default:
        fail(`Unexpected kind: ${String(kind)}`);
    }
  }
  return doc;
}
