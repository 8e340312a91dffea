// The schema-driven operations on plain JSON objects (structured-merge-diff typed/):
// the field set of a value, the comparison of two values, the merge of an applied
// configuration into a live object, and the removal of a set of fields.

import { isPlainObject } from '../../api/types.js';
import { fieldElement, keyElement, type Path, type PathElement, pathString, valueElement } from './path.js';
import { FieldSet } from './set.js';
import { atomFor, type ListType, type MapType, type TypeNode } from './typing.js';
import { equalValues } from './value.js';

/** A value that does not fit its schema (duplicate map-list keys in a configuration, an item without its keys). */
export class TypedValueError extends Error {
  constructor(
    readonly path: string,
    readonly detail: string,
  ) {
    super(path ? `${path}: ${detail}` : detail);
    this.name = 'TypedValueError';
  }
}

/** listItemToPathElement: a granular list item's element, by its keys (map lists) or its value (sets). */
export function listItemElement(t: ListType, item: unknown, path: Path): PathElement {
  if (t.listType === 'map' && t.keys.length > 0) {
    if (!isPlainObject(item))
      throw new TypedValueError(
        pathString(path),
        item === null
          ? 'associative list with keys may not have a null element'
          : 'associative list with keys may not have non-map elements',
      );
    const fields: Array<[string, unknown]> = [];
    for (const k of t.keys) {
      if (Object.hasOwn(item, k) && item[k] !== undefined) fields.push([k, item[k]]);
      else {
        const d = t.keyDefault?.(k);
        if (d !== undefined) fields.push([k, d]);
      }
    }
    if (fields.length === 0)
      throw new TypedValueError(
        pathString(path),
        `associative list with keys has an element that omits all key fields ${JSON.stringify(t.keys)} (and doesn't have default values for any key fields)`,
      );
    return keyElement(fields);
  }
  if (isPlainObject(item)) throw new TypedValueError(pathString(path), "associative list without keys has an element that's a map type");
  if (Array.isArray(item)) throw new TypedValueError(pathString(path), 'not supported: associative list with lists as elements');
  if (item === null) throw new TypedValueError(pathString(path), "associative list without keys has an element that's an explicit null");
  return valueElement(item);
}

const isEmptyMap = (v: unknown): boolean => v === null || (isPlainObject(v) && isEmptyObject(v));

function isEmptyObject(o: Record<string, unknown>): boolean {
  for (const k in o) if (Object.hasOwn(o, k)) return false;
  return true;
}

const fieldType = (t: MapType, key: string): TypeNode | undefined => t.field(key) ?? t.elem;

/** Whether `o` has `k` as an own, defined property; a scalar value is own without asking (objects inherit only functions and objects). */
function ownDefined(o: Record<string, unknown>, k: string): boolean {
  const v = o[k];
  if (v === undefined) return false;
  return v !== null && (typeof v === 'object' || typeof v === 'function') ? Object.hasOwn(o, k) : true;
}

// ---------------------------------------------------------------------------------------------
// toFieldSet

/** TypedValue.ToFieldSet: every field the value sets, as an applier of that value would own them. */
export function toFieldSet(value: unknown, type: TypeNode): FieldSet {
  const out = new FieldSet();
  const path: PathElement[] = [];
  const t = atomFor(type, value);
  if (t.kind === 'map' && !t.atomic && isPlainObject(value)) mapItems(value, t, out, path);
  else if (t.kind === 'list' && t.listType !== 'atomic' && Array.isArray(value)) listItems(value, t, out, path);
  return out;
}

/** Walks the value under `pe` of `parent`: a leaf becomes a member, a granular node a child set. */
function descend(v: unknown, type: TypeNode | undefined, parent: FieldSet, pe: PathElement, path: PathElement[]): void {
  const t = type ? atomFor(type, v) : undefined;
  if (t?.kind === 'map' && !t.atomic) {
    if (isPlainObject(v)) {
      const child = parent.child(pe);
      path.push(pe);
      mapItems(v, t, child, path);
      path.pop();
      if (child.members.size === 0 && child.children.size === 0) parent.deleteChild(pe.id);
      return;
    }
  } else if (t?.kind === 'list' && t.listType !== 'atomic') {
    if (Array.isArray(v)) {
      const child = parent.child(pe);
      path.push(pe);
      listItems(v, t, child, path);
      path.pop();
      if (child.members.size === 0 && child.children.size === 0) parent.deleteChild(pe.id);
      return;
    }
  }
  // Scalars, atomic lists and maps, values of no known type and values not of their type are leaves.
  parent.addMember(pe);
}

function mapItems(m: Record<string, unknown>, t: MapType, set: FieldSet, path: PathElement[]): void {
  for (const key in m) {
    if (!Object.hasOwn(m, key)) continue;
    const v = m[key];
    if (v === undefined) continue;
    const pe = fieldElement(key);
    const declared = t.field(key);
    descend(v, declared ?? t.elem, set, pe, path);
    // A map's keys, nulls and empty objects are owned themselves; a struct's fields only through their contents.
    if (v === null || !declared || (isPlainObject(v) && isEmptyObject(v))) set.addMember(pe);
  }
}

function listItems(l: unknown[], t: ListType, set: FieldSet, path: PathElement[]): void {
  const pes = l.map((item) => listItemElement(t, item, path));
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const pe of pes) {
    if (seen.has(pe.id)) {
      // Duplicated items are owned as a whole, not per field.
      if (!dup.has(pe.id)) set.addMember(pe);
      dup.add(pe.id);
    } else seen.add(pe.id);
  }
  for (let i = 0; i < l.length; i++) {
    const pe = pes[i];
    if (dup.has(pe.id)) continue;
    descend(l[i], t.elem, set, pe, path);
    set.addMember(pe);
  }
}

/**
 * The checks typed conversion makes of an applied configuration: a struct declares every
 * field set, granular lists' items carry their keys (or are scalars, for sets) and do not repeat.
 */
export function validateConfig(value: unknown, type: TypeNode): void {
  validateNode(value, type, []);
}

function validateNode(v: unknown, type: TypeNode | undefined, path: PathElement[]): void {
  if (!type) return;
  const t = atomFor(type, v);
  if (t.kind === 'map' && !t.atomic && isPlainObject(v)) {
    for (const key in v) {
      if (!Object.hasOwn(v, key)) continue;
      path.push(fieldElement(key));
      const ft = fieldType(t, key);
      // A struct's undeclared field (typed conversion's `field not declared in schema`).
      if (!ft) throw new TypedValueError(pathString(path), 'field not declared in schema');
      validateNode(v[key], ft, path);
      path.pop();
    }
  } else if (t.kind === 'list' && t.listType !== 'atomic' && Array.isArray(v)) {
    const seen = new Set<string>();
    for (const item of v) {
      const pe = listItemElement(t, item, path);
      if (seen.has(pe.id)) throw new TypedValueError(pathString(path), `duplicate entries for key ${pathString([pe])}`);
      seen.add(pe.id);
      path.push(pe);
      validateNode(item, t.elem, path);
      path.pop();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// compare

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/** TypedValue.Compare: the fields `rhs` adds, changes and removes relative to `lhs` (undefined: absent). */
export function compare(lhs: unknown, rhs: unknown, type: TypeNode): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  if (lhs === undefined && rhs === undefined) return c;
  compareNode(lhs, rhs, type, [], c);
  return c;
}

/** A leaf of a comparison: added, removed or modified as a whole. */
function compareLeaf(l: unknown, r: unknown, path: PathElement[], c: Comparison): void {
  if (l === undefined) c.added.insert(path);
  else if (r === undefined) c.removed.insert(path);
  else if (l !== r && !equalValues(l, r)) c.modified.insert(path);
}

function compareNode(l: unknown, r: unknown, type: TypeNode | undefined, path: PathElement[], c: Comparison): void {
  // Two equal scalars (most of any object): nothing to record.
  if (l === r && (l === null || typeof l !== 'object')) return;
  const tl = type ? atomFor(type, l === undefined ? r : l) : undefined;
  const tr = type ? atomFor(type, r === undefined ? l : r) : undefined;
  if (!tl || !tr || tl !== tr) {
    compareLeaf(l, r, path, c);
    return;
  }
  if (tl.kind === 'map') {
    const lm = l === undefined ? undefined : isPlainObject(l) ? l : null;
    const rm = r === undefined ? undefined : isPlainObject(r) ? r : null;
    if (tl.atomic || ((lm == null || isEmptyMap(lm)) && (rm == null || isEmptyMap(rm))) || lm === null || rm === null) {
      compareLeaf(l, r, path, c);
      return;
    }
    if (lm && rm && compareSameKeys(lm, rm, tl, path, c)) return;
    // Keys of `rm` found (own and defined) in `lm`: when they are all of rm's keys, none is new.
    let shared = 0;
    if (lm)
      for (const k in lm) {
        const lv = lm[k];
        if (lv === undefined || !Object.hasOwn(lm, k)) continue;
        // An unchanged scalar records nothing: skipped before its path element and type are looked up
        // (an update that changes one value of a large map compares every other entry this way). A
        // scalar found on `rm` is its own: what objects inherit are functions and objects.
        if (rm && lv === rm[k] && (lv === null || typeof lv !== 'object')) {
          shared++;
          continue;
        }
        const rv = rm && Object.hasOwn(rm, k) ? rm[k] : undefined;
        if (rv !== undefined) shared++;
        path.push(fieldElement(k));
        compareNode(lv, rv, fieldType(tl, k), path, c);
        path.pop();
      }
    if (rm && shared !== Object.keys(rm).length)
      for (const k in rm) {
        if (!Object.hasOwn(rm, k) || rm[k] === undefined || (lm && ownDefined(lm, k))) continue;
        path.push(fieldElement(k));
        compareNode(undefined, rm[k], fieldType(tl, k), path, c);
        path.pop();
      }
  } else if (tl.kind === 'list') {
    const ll = l === undefined ? undefined : Array.isArray(l) ? l : null;
    const rl = r === undefined ? undefined : Array.isArray(r) ? r : null;
    if (tl.listType === 'atomic' || ((ll == null || ll.length === 0) && (rl == null || rl.length === 0)) || ll === null || rl === null) {
      compareLeaf(l, r, path, c);
      return;
    }
    compareListItems(ll ?? [], rl ?? [], tl, path, c);
  } else {
    compareLeaf(l, r, path, c);
    return;
  }
  if (l === undefined) c.added.insert(path);
  else if (r === undefined) c.removed.insert(path);
}

/**
 * Two maps with the same keys in the same order (an update of a large map mostly changes values): compared
 * position by position from their key and value lists, without a keyed lookup per member. False, having
 * recorded nothing, when the keys differ or a value is undefined (the walk by key decides those), and for
 * maps of fewer than eight keys, where the lists cost more than the lookups they save.
 */
function compareSameKeys(
  lm: Record<string, unknown>,
  rm: Record<string, unknown>,
  t: MapType,
  path: PathElement[],
  c: Comparison,
): boolean {
  const lk = Object.keys(lm);
  const rk = Object.keys(rm);
  const n = lk.length;
  if (n !== rk.length || n < 8) return false;
  for (let i = 0; i < n; i++) if (lk[i] !== rk[i]) return false;
  const lv = Object.values(lm);
  const rv = Object.values(rm);
  for (let i = 0; i < n; i++) if (lv[i] === undefined || rv[i] === undefined) return false;
  for (let i = 0; i < n; i++) {
    const a = lv[i];
    if (a === rv[i] && (a === null || typeof a !== 'object')) continue;
    path.push(fieldElement(lk[i]));
    compareNode(a, rv[i], fieldType(t, lk[i]), path, c);
    path.pop();
  }
  return true;
}

function groupItems(
  l: unknown[],
  t: ListType,
  path: Path,
  order: PathElement[],
  seen: Map<string, unknown[]> | undefined,
): Map<string, unknown[]> {
  const m = new Map<string, unknown[]>();
  for (const item of l) {
    const pe = listItemElement(t, item, path);
    const g = m.get(pe.id);
    if (g) g.push(item);
    else {
      m.set(pe.id, [item]);
      if (!seen?.has(pe.id)) order.push(pe);
    }
  }
  return m;
}

function compareListItems(l: unknown[], r: unknown[], t: ListType, path: PathElement[], c: Comparison): void {
  const order: PathElement[] = [];
  const lv = groupItems(l, t, path, order, undefined);
  const rv = groupItems(r, t, path, order, lv);
  for (const pe of order) {
    const a = lv.get(pe.id) ?? [];
    const b = rv.get(pe.id) ?? [];
    path.push(pe);
    if (a.length <= 1 && b.length <= 1) compareNode(a[0], b[0], t.elem, path, c);
    else if (a.length >= 2 && b.length >= 2) {
      if (a.length !== b.length || a.some((x, i) => !equalValues(x, b[i]))) c.modified.insert(path);
    } else if (a.length >= 2) {
      if (b.length !== 0) compareNode(undefined, b[0], t.elem, path, c);
      c.removed.insert(path);
    } else {
      if (a.length !== 0) compareNode(a[0], undefined, t.elem, path, c);
      c.added.insert(path);
    }
    path.pop();
  }
}

// ---------------------------------------------------------------------------------------------
// merge

/** TypedValue.Merge with apply's rule: `rhs` (the configuration) wins at every leaf; maps and granular lists merge. */
export function merge(lhs: unknown, rhs: unknown, type: TypeNode): unknown {
  return mergeNode(lhs, rhs, type, []);
}

function mergeNode(l: unknown, r: unknown, type: TypeNode | undefined, path: PathElement[]): unknown {
  if (r === undefined) return l;
  if (l === undefined || !type) return r;
  const tl = atomFor(type, l);
  const tr = atomFor(type, r);
  if (tl !== tr) return r;
  if (tr.kind === 'map') {
    if (tr.atomic || !isPlainObject(l) || !isPlainObject(r) || (isEmptyObject(l) && isEmptyObject(r))) return r;
    const out: Record<string, unknown> = {};
    for (const k in l) {
      if (!Object.hasOwn(l, k) || l[k] === undefined) continue;
      path.push(fieldElement(k));
      const v = Object.hasOwn(r, k) ? mergeNode(l[k], r[k], fieldType(tr, k), path) : l[k];
      path.pop();
      if (v !== undefined) out[k] = v;
    }
    for (const k in r) if (Object.hasOwn(r, k) && r[k] !== undefined && !Object.hasOwn(out, k)) out[k] = r[k];
    return out;
  }
  if (tr.kind === 'list') {
    if (tr.listType === 'atomic' || !Array.isArray(l) || !Array.isArray(r) || (l.length === 0 && r.length === 0)) return r;
    return mergeListItems(l, r, tr, path);
  }
  return r;
}

const DUPLICATE = Symbol('duplicate');

/**
 * mergingWalker.visitListItems: the live items in their order, the configuration's items
 * merged in place; items only the configuration has go where its order puts them.
 */
function mergeListItems(l: unknown[], r: unknown[], t: ListType, path: PathElement[]): unknown[] {
  const rPEs: PathElement[] = [];
  const rObs = new Map<string, unknown>();
  for (const item of r) {
    const pe = listItemElement(t, item, path);
    if (rObs.has(pe.id)) throw new TypedValueError(pathString(path), `duplicate entries for key ${pathString([pe])}`);
    rObs.set(pe.id, item);
    rPEs.push(pe);
  }
  const lPEs: PathElement[] = [];
  const lObs = new Map<string, unknown>();
  for (const item of l) {
    const pe = listItemElement(t, item, path);
    lObs.set(pe.id, lObs.has(pe.id) ? DUPLICATE : item);
    lPEs.push(pe);
  }
  const shared = rPEs.filter((pe) => lObs.has(pe.id));
  let si = 0;
  let nextShared: PathElement | undefined = shared[si++];
  const mergedR = new Set<string>();
  const out: unknown[] = [];
  const item = (pe: PathElement, lc: unknown, rc: unknown): void => {
    path.push(pe);
    const v = mergeNode(lc === DUPLICATE ? undefined : lc, rc, t.elem, path);
    path.pop();
    if (v !== undefined) out.push(v);
  };
  for (let li = 0, ri = 0; li < lPEs.length || ri < rPEs.length; ) {
    if (li < lPEs.length && ri < rPEs.length) {
      const pe = lPEs[li];
      if (pe.id === rPEs[ri].id) {
        mergedR.add(pe.id);
        item(pe, lObs.get(pe.id), rObs.get(pe.id));
        li++;
        ri++;
        nextShared = shared[si++];
        continue;
      }
      if (rObs.has(pe.id) && nextShared && nextShared.id !== pe.id) {
        li++;
        continue;
      }
    }
    if (li < lPEs.length) {
      const pe = lPEs[li];
      if (!rObs.has(pe.id)) {
        item(pe, l[li], undefined);
        li++;
        continue;
      }
      if (mergedR.has(pe.id)) li++;
    }
    if (ri < rPEs.length) {
      const pe = rPEs[ri];
      mergedR.add(pe.id);
      item(pe, lObs.get(pe.id), rObs.get(pe.id));
      ri++;
      if (nextShared && nextShared.id === pe.id) nextShared = shared[si++];
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// removeItems

/**
 * TypedValue.RemoveItems: the value without the members of `set` (fields, map keys, list
 * items). A map or list left empty by the removal is dropped, as a typed object omits it.
 */
export function removeItems(value: unknown, set: FieldSet, type: TypeNode): unknown {
  const v = removeNode(value, set, type);
  return v === undefined ? (isPlainObject(value) ? {} : value) : v;
}

function removeNode(v: unknown, set: FieldSet, type: TypeNode | undefined): unknown {
  if (!type) return v;
  const t = atomFor(type, v);
  if (t.kind === 'map') {
    if (!isPlainObject(v) || isEmptyObject(v) || t.atomic) return v;
    const out: Record<string, unknown> = {};
    let n = 0;
    for (const k in v) {
      if (!Object.hasOwn(v, k) || v[k] === undefined) continue;
      const id = `f:${k}`;
      if (set.members.has(id)) continue;
      const sub = set.children.get(id);
      const x = sub ? removeNode(v[k], sub.set, fieldType(t, k)) : v[k];
      if (x === undefined) continue;
      out[k] = x;
      n++;
    }
    return n > 0 ? out : undefined;
  }
  if (t.kind === 'list') {
    if (!Array.isArray(v) || v.length === 0 || t.listType === 'atomic') return v;
    const out: unknown[] = [];
    for (const item of v) {
      const pe = listItemElement(t, item, []);
      if (set.members.has(pe.id)) continue;
      const sub = set.children.get(pe.id);
      const x = sub ? removeNode(item, sub.set, t.elem) : item;
      if (x !== undefined) out.push(x);
    }
    return out.length > 0 ? out : undefined;
  }
  return v;
}

/**
 * Set.EnsureNamedFieldsAreMembers: the set with every struct field it descends into made a
 * member too (a set holding `a.b.c` also holds `a` when `a` is a declared field, not a map key).
 */
export function ensureNamedFieldsAreMembers(set: FieldSet, type: TypeNode | undefined): FieldSet {
  const out = new FieldSet();
  for (const pe of set.members.values()) out.addMember(pe);
  const t = type && type.kind !== 'deduced' ? type : undefined;
  for (const c of set.children.values()) {
    let childType: TypeNode | undefined;
    if (c.pe.kind === 'f' && t?.kind === 'map') {
      const declared = t.field(c.pe.name);
      if (declared) out.addMember(c.pe);
      childType = declared ?? t.elem;
    } else if (c.pe.kind === 'k' && t?.kind === 'list') childType = t.elem;
    out.setChild(c.pe, ensureNamedFieldsAreMembers(c.set, childType));
  }
  return out;
}
