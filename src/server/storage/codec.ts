// The object layer's codec (kube's APIObjectVersioner over the JSON
// serializer): values are JSON without resourceVersion; an object read back
// carries its mod revision as resourceVersion. And precondition checks.

import { stringifyObject } from '../api/managed-json.js';
import type { KubeObject } from '../api/types.js';
import { type Preconditions, StorageError } from './interface.js';

/** Serialise for storage: resourceVersion is never persisted. */
export function encode(obj: KubeObject): string {
  const m = obj.metadata;
  if (m && m.resourceVersion !== undefined) {
    const rv = m.resourceVersion;
    delete m.resourceVersion;
    const s = stringifyObject(obj);
    m.resourceVersion = rv;
    return s;
  }
  return stringifyObject(obj);
}

export function decode(value: string, revision: number): KubeObject {
  const obj = JSON.parse(value) as KubeObject;
  if (!obj.metadata) obj.metadata = {};
  obj.metadata.resourceVersion = String(revision);
  return obj;
}

/** storage.Preconditions.Check wording. */
export function checkPreconditions(key: string, obj: KubeObject, pre: Preconditions | undefined): void {
  if (!pre) return;
  const m = obj.metadata ?? {};
  if (pre.uid !== undefined && pre.uid !== m.uid) {
    throw new StorageError(
      'ResourceVersionConflicts',
      key,
      `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${m.uid ?? ''}`,
    );
  }
  if (pre.resourceVersion !== undefined && pre.resourceVersion !== m.resourceVersion) {
    throw new StorageError(
      'ResourceVersionConflicts',
      key,
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${m.resourceVersion ?? ''}`,
    );
  }
}

/** Met by `copyAsStored` where JSON would call toJSON, drop a function or fail: the text decides then. */
const NOT_PLAIN = Symbol('not plain JSON');

/**
 * decode(encode(obj), revision) without the text, or undefined when only the text can say (a value JSON
 * does not keep as it is: a class instance, toJSON, a function, a non-object metadata). JSON's rules are
 * kept: undefined members dropped, undefined array items and non-finite numbers null, resourceVersion
 * last in metadata. metadata.managedFields is shared, not copied: the server only ever replaces that list
 * whole (the field manager writes a new one, all plain JSON, on every write), never changes it in place,
 * and its FieldsV1 trees are most of a tracked object's nodes.
 */
export function copyAsStored(obj: KubeObject, revision: number): KubeObject | undefined {
  const m = obj.metadata;
  if (!isPlainRecord(obj) || (m !== undefined && !isPlainRecord(m))) return undefined;
  const out = copyMembers(obj as Record<string, unknown>, 'metadata', undefined);
  if (out === NOT_PLAIN) return undefined;
  let om: Record<string, unknown>;
  if (m === undefined) {
    om = {};
    out.metadata = om;
  } else {
    const copied = copyMembers(m, 'resourceVersion', 'managedFields');
    if (copied === NOT_PLAIN) return undefined;
    om = copied;
    out.metadata = om;
  }
  om.resourceVersion = String(revision);
  return out as KubeObject;
}

/**
 * An object's members copied as JSON would (`skip` left out, its place kept for the caller when it is
 * `metadata`; `share` taken as it is when it is an array).
 */
function copyMembers(
  o: Record<string, unknown>,
  skip: string | undefined,
  share: string | undefined,
): Record<string, unknown> | typeof NOT_PLAIN {
  if (typeof o.toJSON === 'function') return NOT_PLAIN;
  const out: Record<string, unknown> = {};
  for (const k in o) {
    if (!Object.hasOwn(o, k)) continue;
    const x = o[k];
    if (x === undefined) continue;
    let v: unknown;
    if (k === skip) {
      // metadata keeps its place among the object's keys; resourceVersion is never stored.
      if (skip !== 'metadata') continue;
      v = null;
    } else if (k === share && Array.isArray(x)) v = x;
    else {
      v = copyValue(x);
      if (v === NOT_PLAIN) return NOT_PLAIN;
    }
    set(out, k, v);
  }
  return out;
}

function copyValue(v: unknown): unknown {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isFinite(v) ? (v === 0 ? 0 : v) : null;
    case 'object': {
      if (v === null) return null;
      if (Array.isArray(v)) {
        const out = new Array(v.length);
        for (let i = 0; i < v.length; i++) {
          const x = v[i];
          const c = x === undefined ? null : copyValue(x);
          if (c === NOT_PLAIN) return NOT_PLAIN;
          out[i] = c;
        }
        return out;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
      return copyMembers(v as Record<string, unknown>, undefined, undefined);
    }
    default:
      return NOT_PLAIN;
  }
}

function isPlainRecord(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A member as JSON.parse makes it: a `__proto__` key stays an own property, never the prototype. */
function set(out: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  else out[k] = v;
}
