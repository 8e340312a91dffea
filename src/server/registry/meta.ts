// Server-set metadata helpers shared by the generic store.

import { randomUUID } from 'node:crypto';
import { canonicalTime } from '../api/time.js';
import { isPlainObject, type KubeObject, type ObjectMeta } from '../api/types.js';

/** RFC 3339 with seconds, UTC: how metav1.Time serialises. */
let nowSecond = -1;
let nowText = '';

/** The current time in RFC 3339 at second precision (as metav1.Time marshals), formatted once per second. */
export function nowRFC3339(): string {
  const s = Math.floor(Date.now() / 1000);
  if (s !== nowSecond) {
    nowSecond = s;
    nowText = new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  return nowText;
}

/** ObjectMeta fields that are `omitempty` strings in Go: absent when empty. */
const OMITEMPTY_STRINGS = ['name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion'] as const;
const OMITEMPTY_MAPS = ['labels', 'annotations'] as const;
const OMITEMPTY_LISTS = ['ownerReferences', 'finalizers', 'managedFields'] as const;

/**
 * ObjectMeta as kube's typed decode then encode leaves it: empty `omitempty`
 * fields vanish (`"generateName": ""`, `"labels": {}`, `"generation": 0`, a
 * null deletionTimestamp), null label and annotation values become "" (Go map
 * values), and times are RFC 3339 seconds in UTC (`...:03.000Z` -> `...:03Z`).
 * Custom resources get the same: their metadata goes through the typed
 * ObjectMeta too. Values of the wrong type are left for validation to report.
 */
export function normalizeObjectMeta(m: ObjectMeta): void {
  const r = m as Record<string, unknown>;
  for (const f of OMITEMPTY_STRINGS) if (r[f] === '' || r[f] === null) delete r[f];
  if (r.generation === 0 || r.generation === null) delete r.generation;
  if (r.deletionGracePeriodSeconds === null) delete r.deletionGracePeriodSeconds;
  if (r.deletionTimestamp === null) delete r.deletionTimestamp;
  for (const f of ['creationTimestamp', 'deletionTimestamp'] as const) {
    if (typeof r[f] === 'string') r[f] = canonicalTime(r[f] as string);
  }
  for (const f of OMITEMPTY_MAPS) {
    const v = r[f];
    if (v === null || (isPlainObject(v) && Object.keys(v).length === 0)) delete r[f];
    else if (isPlainObject(v)) for (const [k, x] of Object.entries(v)) if (x === null) v[k] = '';
  }
  for (const f of OMITEMPTY_LISTS) {
    const v = r[f];
    if (v === null || (Array.isArray(v) && v.length === 0)) delete r[f];
  }
  if (Array.isArray(r.managedFields)) {
    // Written only when it changes: a stored object's list (sealed, frozen) is already canonical.
    for (const e of r.managedFields) {
      if (!isPlainObject(e) || typeof e.time !== 'string') continue;
      const t = canonicalTime(e.time);
      if (t !== e.time) e.time = t;
    }
  }
}

const generateAlphabet = 'bcdfghjklmnpqrstvwxz2456789';
const MAX_GENERATE_PREFIX = 58;

/** names.SimpleNameGenerator: prefix cut to 58 characters plus 5 random characters. */
export function generateName(prefix: string): string {
  let s = prefix.length > MAX_GENERATE_PREFIX ? prefix.slice(0, MAX_GENERATE_PREFIX) : prefix;
  for (let i = 0; i < 5; i++) s += generateAlphabet[Math.floor(Math.random() * generateAlphabet.length)];
  return s;
}

export function meta(obj: KubeObject): ObjectMeta {
  if (!obj.metadata || typeof obj.metadata !== 'object') obj.metadata = {};
  return obj.metadata;
}

export function newUID(): string {
  return randomUUID();
}

/** Everything but metadata (and status when it is a subresource): what bumps generation. */
export function specPart(obj: KubeObject, excludeStatus: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'metadata' || k === 'apiVersion' || k === 'kind') continue;
    if (excludeStatus && k === 'status') continue;
    out[k] = v;
  }
  return out;
}

/**
 * A deep copy of a JSON value (what objects are): a plain walk, several times faster than
 * structuredClone on API objects; anything not plain JSON (a Date, bytes) goes to structuredClone.
 */
export function clone<T>(v: T): T {
  return copyJSON(v) as T;
}

function copyJSON(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    const out = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = copyJSON(v[i]);
    return out;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return structuredClone(v);
  // A spread copies the source's shape (its hidden class) at once, and the nested values are then replaced
  // in place. Adding the keys one by one instead, as a keyed store, leaves a map of more than about
  // sixteen keys (a ConfigMap's data) as a slow dictionary object, which every later walk pays for.
  // The spread defines a `__proto__` key (JSON.parse makes it an own property) as a property, as it must.
  const out: Record<string, unknown> = { ...(v as Record<string, unknown>) };
  for (const k in out) {
    const x = out[k];
    if (x === null || typeof x !== 'object' || !Object.hasOwn(out, k)) continue;
    if (k === '__proto__') Object.defineProperty(out, k, { value: copyJSON(x), enumerable: true, writable: true, configurable: true });
    else out[k] = copyJSON(x);
  }
  return out;
}
