// Reading decoded JSON as Go's typed fields see it: a missing or mistyped field reads as its zero
// value. Every built-in kind's strategy reads its objects through these.

import { isPlainObject, type KubeObject } from '../../api/types.js';

export type Obj = Record<string, unknown>;

/** The object at `v`, or undefined (a missing or mistyped field). */
export function objOf(v: unknown): Obj | undefined {
  return isPlainObject(v) ? v : undefined;
}

/** The object at `v`, or an empty one (not attached to anything). */
export function objOrEmpty(v: unknown): Obj {
  return isPlainObject(v) ? v : {};
}

export function arrOf(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** The objects of a list field (a Go slice of structs); anything else in it is skipped. */
export function objsOf(v: unknown): Obj[] {
  return Array.isArray(v) ? v.filter(isPlainObject) : [];
}

export function strOf(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function numOf(v: unknown, fallback = 0): number {
  return typeof v === 'number' ? v : fallback;
}

/** A pointer field that is set (neither absent nor null). */
export function isSet(v: unknown): boolean {
  return v !== undefined && v !== null;
}

/** The object at `obj[key]`, created (and set) when absent or not an object (Go's non-pointer struct fields always exist). */
export function child(obj: Obj, key: string): Obj {
  const v = obj[key];
  if (isPlainObject(v)) return v;
  const created: Obj = {};
  obj[key] = created;
  return created;
}

/** The object at `obj[key]` or an empty one, without changing `obj`. */
export function peek(obj: unknown, key: string): Obj {
  if (!isPlainObject(obj)) return {};
  const v = obj[key];
  return isPlainObject(v) ? v : {};
}

/** An object's spec, created when absent (strategies that default or write into it). */
export const specOf = (obj: KubeObject): Obj => child(obj as Obj, 'spec');
export const statusOf = (obj: KubeObject): Obj => peek(obj, 'status');
