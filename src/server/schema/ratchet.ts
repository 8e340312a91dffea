// Validation ratcheting (CRDValidationRatcheting, on by default since 1.30):
// on update, errors on a value that did not change are dropped, so objects
// stored before a schema tightened stay updatable. A Required error belongs
// to its parent object, which must be unchanged for it to ratchet.

import type { FieldError } from '../api/errors.js';
import { deepEqual, isPlainObject } from '../api/types.js';

const MISSING = Symbol('missing');

/** Resolves `spec.items[2].name` / `spec.map[key]` against an object. */
export function valueAt(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  const re = /([^.[\]]+)|\[([^\]]*)\]/g;
  for (const m of path.matchAll(re)) {
    if (cur === MISSING || cur === undefined || cur === null) return MISSING;
    if (m[1] !== undefined) {
      cur = isPlainObject(cur) && m[1] in cur ? cur[m[1]] : MISSING;
    } else {
      const k = m[2];
      if (Array.isArray(cur) && /^\d+$/.test(k)) cur = Number(k) < cur.length ? cur[Number(k)] : MISSING;
      else cur = isPlainObject(cur) && k in cur ? cur[k] : MISSING;
    }
  }
  return cur;
}

function parentPath(path: string): string {
  const i = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
  return i <= 0 ? '' : path.slice(0, i);
}

export function ratchet(errors: FieldError[], obj: unknown, old: unknown): FieldError[] {
  return errors.filter((e) => {
    const path = e.type === 'FieldValueRequired' ? parentPath(e.field) : e.field;
    const now = path ? valueAt(obj, path) : obj;
    const before = path ? valueAt(old, path) : old;
    if (now === MISSING || before === MISSING) return true;
    return !deepEqual(now, before);
  });
}
