// Server-set metadata helpers shared by the generic store.

import { randomUUID } from 'node:crypto';
import { canonicalTime } from '../api/time.js';
import { isPlainObject, type KubeObject, type ObjectMeta } from '../api/types.js';

/** RFC 3339 with seconds, UTC: how metav1.Time serialises. */
export function nowRFC3339(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
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
    for (const e of r.managedFields) if (isPlainObject(e) && typeof e.time === 'string') e.time = canonicalTime(e.time);
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

export function clone<T>(v: T): T {
  return structuredClone(v);
}
