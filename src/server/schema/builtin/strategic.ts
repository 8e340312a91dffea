// Strategic merge patch, as kube-apiserver applies it
// (k8s.io/apimachinery/pkg/util/strategicpatch, StrategicMergeMapPatch with
// MergeParallelList and IgnoreUnmatchedNulls): maps merge recursively and a
// null deletes; a list whose field has patchStrategy `merge` merges by its
// patchMergeKey (lists of scalars as sets), any other list is replaced;
// `$patch: replace|delete` on a map, `$patch: delete|replace` as a list item,
// `$setElementOrder/<list>`, `$retainKeys`, `$deleteFromPrimitiveList/<list>`.
// The order of merged lists is kube's: patch items in the patch's (or
// $setElementOrder's) order, interleaved with the items only the server has
// in their stored order. Errors carry kube's wording and its class (what the
// patch handler answers with: 400, 422 or a plain error).
//
// Objects are decoded JSON: every lookup is an own-property check and every
// write defines a property (`__proto__` is an ordinary key here).

import { isPlainObject } from '../../api/types.js';
import type { PatchMetaLookup } from './strategic-meta.js';

type Json = unknown;
type JsonMap = Record<string, Json>;

const DIRECTIVE = '$patch';
const DELETE = 'delete';
const REPLACE = 'replace';
const MERGE = 'merge';
const RETAIN_KEYS = 'retainKeys';
const RETAIN_KEYS_DIRECTIVE = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';
const SET_ELEMENT_ORDER = '$setElementOrder';

/**
 * How kube's patch handler answers an error (handlers/patch.go
 * interpretStrategicMergePatchError): the mergepatch sentinels for bad patch
 * formats are 400, lists of lists a generic 422, anything else a plain error
 * (500, its text as the message).
 */
export type StrategicMergePatchErrorClass = 'BadRequest' | 'Unprocessable' | 'Error';

export class StrategicMergePatchError extends Error {
  constructor(
    readonly errorClass: StrategicMergePatchErrorClass,
    message: string,
  ) {
    super(message);
    this.name = 'StrategicMergePatchError';
  }
}

// mergepatch's sentinel errors.
const errBadPatchFormatForPrimitiveList = () => new StrategicMergePatchError('BadRequest', 'invalid patch format of primitive list');
const errBadPatchFormatForRetainKeys = () => new StrategicMergePatchError('BadRequest', 'invalid patch format of retainKeys');
const errBadPatchFormatForSetElementOrderList = () =>
  new StrategicMergePatchError('BadRequest', 'invalid patch format of setElementOrder list');
const errNoListOfLists = () => new StrategicMergePatchError('Unprocessable', 'lists of lists are not supported');
const plain = (message: string) => new StrategicMergePatchError('Error', message);
/** What a Go panic on the same input comes to: the apiserver recovers it as a 500. */
const panicked = () => plain('This request caused apiserver to panic. Look in the logs for details.');

type GoType = 'map' | 'slice' | 'string' | 'bool' | 'int64' | 'float64' | 'nil';

/** reflect.TypeOf of a decoded JSON value, numbers as kube decodes them (integers as int64). */
function goType(v: Json): GoType {
  if (v === null || v === undefined) return 'nil';
  if (Array.isArray(v)) return 'slice';
  if (typeof v === 'object') return 'map';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  return Number.isInteger(v) ? 'int64' : 'float64';
}

const GO_TYPE_NAMES: Record<GoType, string> = {
  map: 'map[string]interface {}',
  slice: '[]interface {}',
  string: 'string',
  bool: 'bool',
  int64: 'int64',
  float64: 'float64',
  nil: '%!s(<nil>)',
};

/** Go's %v of a float64: shortest form, exponent (two digits at least) below 1e-4 or from 1e21. */
function goFloat(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e21)) {
    return n.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  }
  return String(n);
}

/** fmt's %v (or %s) of a decoded JSON value: `map[k:v ...]` with sorted keys, `[a b]`, `<nil>`. */
export function goFormat(v: Json, verb: 'v' | 's' = 'v'): string {
  const t = goType(v);
  switch (t) {
    case 'nil':
      return verb === 'v' ? '<nil>' : '%!s(<nil>)';
    case 'string':
      return v as string;
    case 'map': {
      const m = v as JsonMap;
      const keys = Object.keys(m).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      return `map[${keys.map((k) => `${k}:${goFormat(m[k], verb)}`).join(' ')}]`;
    }
    case 'slice':
      return `[${(v as Json[]).map((x) => goFormat(x, verb)).join(' ')}]`;
    default: {
      const text = t === 'float64' ? goFloat(v as number) : String(v);
      return verb === 'v' ? text : `%!s(${t}=${text})`;
    }
  }
}

const errBadArgType = (expected: 'map' | 'slice', actual: Json) =>
  plain(`expected a ${GO_TYPE_NAMES[expected]}, but received a ${GO_TYPE_NAMES[goType(actual)]}`);
const errNoMergeKey = (m: JsonMap, key: string) => plain(`map: ${goFormat(m)} does not contain declared merge key: ${key}`);
const errBadPatchType = (t: Json, m: JsonMap) => plain(`unknown patch type: ${goFormat(t, 's')} in map: ${goFormat(m)}`);

const has = (o: JsonMap, k: string): boolean => Object.hasOwn(o, k);

function setOwn(o: JsonMap, k: string, v: Json): void {
  Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
}

/** A scalar's identity for sets and indexes (Go's == on interface values: int64 and float64 differ). */
function scalarKey(v: Json): unknown {
  if (v === undefined || v === null) return null;
  if (typeof v === 'object') throw panicked(); // uncomparable (map or slice) in a Go map key or ==
  if (typeof v === 'number') return Number.isInteger(v) ? v : `f:${v}`;
  return typeof v === 'string' ? `s:${v}` : v;
}

/**
 * Applies `patch` to `original` (a copy the caller owns; it is changed and
 * returned) with the patch metadata of the object's type. The patch is not
 * changed. Throws StrategicMergePatchError.
 */
export function strategicMergePatch(original: JsonMap, patch: JsonMap, meta: PatchMetaLookup): JsonMap {
  return mergeMap(original, structuredClone(patch), meta);
}

function mergeMap(original: JsonMap | undefined, patch: JsonMap, schema: PatchMetaLookup): JsonMap {
  if (has(patch, DIRECTIVE)) return directiveInMergeMap(patch[DIRECTIVE], patch);
  const out = original ?? {};
  applyRetainKeysDirective(out, patch);
  mergePatchIntoOriginal(out, patch, schema);
  for (const patchKey of Object.keys(patch)) {
    const patchV = patch[patchKey];
    let k = patchKey;
    let isDeleteList = false;
    if (patchKey.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      k = extractKey(patchKey, DELETE_FROM_PRIMITIVE_LIST);
      isDeleteList = true;
    }
    // A null deletes the field (and a null parallel list the list itself); unmatched nulls are dropped.
    if (patchV === null) {
      delete out[k];
      continue;
    }
    if (!has(out, k) || goType(out[k]) !== goType(patchV)) {
      if (!isDeleteList) takePatchValue(out, k, patchV);
      continue;
    }
    switch (goType(out[k])) {
      case 'map': {
        const { schema: sub, strategies } = schema.lookup(k);
        const strategy = nonRetainKeysStrategy(strategies);
        setOwn(out, k, strategy !== REPLACE ? mergeMap(out[k] as JsonMap, patchV as JsonMap, sub) : patchV);
        break;
      }
      case 'slice': {
        const { schema: sub, strategies, mergeKey } = schema.lookup(k);
        const strategy = nonRetainKeysStrategy(strategies);
        setOwn(out, k, mergeSliceHandler(out[k] as Json[], patchV as Json[], sub, strategy, mergeKey, isDeleteList).list);
        break;
      }
      default:
        takePatchValue(out, k, patchV);
    }
  }
  return out;
}

/** A patch value taken as is: its nulls dropped, its directives removed (a map holding `$patch` is dropped whole). */
function takePatchValue(out: JsonMap, k: string, patchV: Json): void {
  discardNullValues(patchV);
  const [v, keep] = removeDirectives(patchV);
  if (keep) setOwn(out, k, v);
  else delete out[k];
}

function directiveInMergeMap(directive: Json, patch: JsonMap): JsonMap {
  if (directive === REPLACE) {
    // The patch replaces the map as it stands (nested directives included).
    delete patch[DIRECTIVE];
    return patch;
  }
  if (directive === DELETE) return {};
  throw errBadPatchType(directive, patch);
}

/** The strategy other than retainKeys (which only tells clients to send `$retainKeys`). */
function nonRetainKeysStrategy(strategies: string[]): string {
  if (strategies.length === 0) return '';
  if (strategies.length === 1) return strategies[0] === RETAIN_KEYS ? '' : strategies[0];
  if (strategies.length === 2) {
    if (strategies[0] === RETAIN_KEYS) return strategies[1];
    if (strategies[1] === RETAIN_KEYS) return strategies[0];
  }
  throw plain(`unexpected patch strategy: [${strategies.join(' ')}]`);
}

/** `$deleteFromPrimitiveList/<field>` -> `<field>`. */
function extractKey(s: string, prefix: string): string {
  const slash = s.indexOf('/');
  if (slash < 0 || s.slice(0, slash) !== prefix) {
    throw prefix === DELETE_FROM_PRIMITIVE_LIST ? errBadPatchFormatForPrimitiveList() : errBadPatchFormatForSetElementOrderList();
  }
  return s.slice(slash + 1);
}

/** `$retainKeys`: fields of the original not listed are cleared; a patch field not listed is an error. */
function applyRetainKeysDirective(original: JsonMap, patch: JsonMap): void {
  if (!has(patch, RETAIN_KEYS_DIRECTIVE)) return;
  const retain = patch[RETAIN_KEYS_DIRECTIVE];
  delete patch[RETAIN_KEYS_DIRECTIVE];
  if (!Array.isArray(retain)) throw errBadPatchFormatForRetainKeys();
  const keep = new Set(retain.filter((v) => typeof v === 'string'));
  for (const k of Object.keys(patch)) {
    if (patch[k] === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!keep.has(k)) throw errBadPatchFormatForRetainKeys();
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

/**
 * `$setElementOrder/<list>`: the list is merged with its patch list here, then
 * put in the directive's order, the server-only items interleaved in their
 * stored order. Both keys are removed from the patch.
 */
function mergePatchIntoOriginal(original: JsonMap, patch: JsonMap, schema: PatchMetaLookup): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const setOrder = patch[key];
    delete patch[key];
    if (!Array.isArray(setOrder)) throw errBadArgType('slice', setOrder);
    const originalKey = extractKey(key, SET_ELEMENT_ORDER);
    const foundOriginal = has(original, originalKey);
    const foundPatch = has(patch, originalKey);
    const originalList = foundOriginal ? original[originalKey] : undefined;
    const patchList = foundPatch ? patch[originalKey] : undefined;
    if (foundOriginal && !Array.isArray(originalList)) throw errBadArgType('slice', originalList);
    if (foundPatch && !Array.isArray(patchList)) throw errBadArgType('slice', patchList);
    const originalItems = (originalList ?? []) as Json[];
    const patchItems = (patchList ?? []) as Json[];
    const { schema: sub, strategies, mergeKey } = schema.lookup(originalKey);
    const strategy = nonRetainKeysStrategy(strategies);
    validatePatchWithSetOrderList(patchItems, setOrder, mergeKey);
    let merged: Json[];
    // The server-only items keep the order the original list shows after the merge: kube's merge
    // deletes and appends in the list's own backing array (see ListMerge.view).
    let serverOrder = originalItems;
    if (foundOriginal && !foundPatch) merged = originalItems;
    else if (!foundOriginal && foundPatch) merged = removeDirectives(patchItems)[0] as Json[];
    else if (foundOriginal && foundPatch)
      ({ list: merged, view: serverOrder } = mergeSliceHandler(originalItems, patchItems, sub, strategy, mergeKey, false));
    else continue;
    const [inOrder, serverOnly] = mergeKey ? partitionMaps(merged, setOrder, mergeKey) : partitionScalars(merged, setOrder);
    const kind = sliceElementType(serverOrder, patchItems);
    setOwn(original, originalKey, normalizeElementOrder(inOrder, serverOnly, setOrder, serverOrder, mergeKey, kind));
    delete patch[originalKey];
  }
}

/** The patch list's items (deletions aside) must appear in `$setElementOrder`, in its order. */
function validatePatchWithSetOrderList(patchList: Json[], setOrder: Json[], mergeKey: string): void {
  if (setOrder.length === 0 || patchList.length === 0) return;
  const nonDelete = mergeKey ? extractToDeleteItems(patchList)[0] : patchList;
  let p = 0;
  let s = 0;
  while (p < nonDelete.length && s < setOrder.length) {
    if (isPlainObject(nonDelete[p]) && has(nonDelete[p] as JsonMap, DIRECTIVE)) {
      p++;
      continue;
    }
    if (mergeKeyValueEqual(nonDelete[p], setOrder[s], mergeKey)) p++;
    s++;
  }
  if (p < nonDelete.length && s >= setOrder.length) {
    throw plain(`The order in patch list:\n${goFormat(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goFormat(setOrder)}\n`);
  }
}

function mergeKeyValueEqual(left: Json, right: Json, mergeKey: string): boolean {
  if (!mergeKey) return scalarKey(left) === scalarKey(right);
  if (!isPlainObject(left)) throw errBadArgType('map', left);
  if (!isPlainObject(right)) throw errBadArgType('map', right);
  if (!has(left, mergeKey)) throw errNoMergeKey(left, mergeKey);
  if (!has(right, mergeKey)) throw errNoMergeKey(right, mergeKey);
  return scalarKey(left[mergeKey]) === scalarKey(right[mergeKey]);
}

/** Items kept and items carrying `$patch: delete`. */
function extractToDeleteItems(list: Json[]): [Json[], Json[]] {
  const keep: Json[] = [];
  const del: Json[] = [];
  for (const v of list) {
    if (!isPlainObject(v)) throw errBadArgType('map', v);
    if (has(v, DIRECTIVE) && v[DIRECTIVE] === DELETE) del.push(v);
    else keep.push(v);
  }
  return [keep, del];
}

/**
 * A merged list, and `view`: what the original list holds through its own
 * length afterwards. kube deletes items by shifting the rest down in the
 * original's backing array and appends new items into the slots that frees,
 * so where `$setElementOrder` orders the server-only items by "the original
 * list", that list already shows those changes.
 */
interface ListMerge {
  list: Json[];
  view: Json[];
}

function mergeSliceHandler(
  original: Json[],
  patch: Json[],
  schema: PatchMetaLookup,
  strategy: string,
  mergeKey: string,
  isDeleteList: boolean,
): ListMerge {
  // Parallel deletion lists apply whatever the field's strategy; without `merge` the patch list replaces.
  if (strategy === MERGE || isDeleteList) return mergeSlice(original, patch, schema, mergeKey, isDeleteList);
  return { list: patch, view: original };
}

function mergeSlice(original: Json[], patch: Json[], schema: PatchMetaLookup, mergeKey: string, isDeleteList: boolean): ListMerge {
  if (original.length === 0 && patch.length === 0) return { list: original, view: original };
  const kind = sliceElementType(original, patch);
  if (kind !== 'map') {
    if (isDeleteList) return { list: deleteFromSlice(original, patch), view: original };
    const merged = deduplicateScalars([...original, ...patch]);
    const [inPatch, serverOnly] = partitionScalars(merged, patch);
    return { list: normalizeElementOrder(inPatch, serverOnly, patch, original, mergeKey, kind), view: original };
  }
  if (!mergeKey) throw plain(`cannot merge lists without merge key for ${schema.name}`);
  const { base, items, view, replaced } = mergeSliceWithSpecialElements(original, patch, mergeKey);
  const merged = mergeSliceWithoutSpecialElements(base, items, mergeKey, schema, replaced ? undefined : view);
  const [inPatch, serverOnly] = partitionMaps(merged, items, mergeKey);
  return { list: normalizeElementOrder(inPatch, serverOnly, items, base, mergeKey, kind), view };
}

/**
 * `$patch: delete` items remove every item with their key; `$patch: replace`
 * makes the list the patch's other items. Returns the list to merge into, the
 * items to merge, and the original's view after the deletions.
 */
function mergeSliceWithSpecialElements(
  original: Json[],
  patch: Json[],
  mergeKey: string,
): { base: Json[]; items: Json[]; view: Json[]; replaced: boolean } {
  const items: Json[] = [];
  const deleteKeys: unknown[] = [];
  let replaced = false;
  for (const v of patch) {
    const m = v as JsonMap;
    if (!has(m, DIRECTIVE)) {
      items.push(v);
      continue;
    }
    const directive = m[DIRECTIVE];
    if (directive === DELETE) {
      if (!has(m, mergeKey)) throw errNoMergeKey(m, mergeKey);
      deleteKeys.push(scalarKey(m[mergeKey]));
    } else if (directive === REPLACE) {
      replaced = true; // the other items' directives are still checked
    } else if (directive === MERGE) {
      throw plain('merging lists cannot yet be specified in the patch');
    } else {
      throw errBadPatchType(directive, m);
    }
  }
  const { kept, view } = deleteMatching(original, deleteKeys, mergeKey);
  return replaced ? { base: items, items: [], view, replaced } : { base: kept, items, view, replaced };
}

/**
 * Removes the items whose merge key is one of `keys`, key by key, each time
 * the first match, as kube does with `append(s[:i], s[i+1:]...)`. Each removal
 * leaves the slot past the shortened list holding the list's last item, which
 * `view` records. Linear: a linked list and an index of nodes per key.
 */
function deleteMatching(original: Json[], keys: unknown[], mergeKey: string): { kept: Json[]; view: Json[] } {
  if (keys.length === 0) return { kept: original, view: original };
  const n = original.length;
  const prev = Array.from({ length: n }, (_, i) => i - 1);
  const next = Array.from({ length: n }, (_, i) => (i + 1 < n ? i + 1 : -1));
  const byKey = new Map<unknown, number[]>();
  original.forEach((o, i) => {
    if (!isPlainObject(o)) throw plain(`value for key ${i} is not a map`);
    if (!has(o, mergeKey)) return;
    const k = scalarKey(o[mergeKey]);
    const nodes = byKey.get(k);
    if (nodes) nodes.push(i);
    else byKey.set(k, [i]);
  });
  let head = n > 0 ? 0 : -1;
  let tail = n - 1;
  const frozen: Json[] = [];
  for (const k of keys) {
    for (const i of byKey.get(k) ?? []) {
      frozen.push(original[tail]);
      if (prev[i] >= 0) next[prev[i]] = next[i];
      else head = next[i];
      if (next[i] >= 0) prev[next[i]] = prev[i];
      else tail = prev[i];
    }
    byKey.delete(k);
  }
  const kept: Json[] = [];
  for (let i = head; i >= 0; i = next[i]) kept.push(original[i]);
  return { kept, view: [...kept, ...frozen.reverse()] };
}

/** Patch items merged into the item with the same key, or appended (into `view`'s free slots too). */
function mergeSliceWithoutSpecialElements(
  original: Json[],
  patch: Json[],
  mergeKey: string,
  schema: PatchMetaLookup,
  view?: Json[],
): Json[] {
  const out = [...original];
  const index = new Map<unknown, number>();
  out.forEach((o, i) => {
    if (!isPlainObject(o)) throw plain(`value for key ${i} is not a map`);
    if (has(o, mergeKey)) {
      const key = scalarKey(o[mergeKey]);
      if (!index.has(key)) index.set(key, i);
    }
  });
  for (const v of patch) {
    const m = v as JsonMap;
    if (!has(m, mergeKey)) throw errNoMergeKey(m, mergeKey);
    const key = scalarKey(m[mergeKey]);
    const at = index.get(key);
    if (at !== undefined) {
      out[at] = mergeMap(out[at] as JsonMap, m, schema);
    } else {
      // A new item is appended as the patch has it.
      if (view && out.length < view.length) view[out.length] = v;
      index.set(key, out.length);
      out.push(v);
    }
  }
  return out;
}

function deleteFromSlice(current: Json[], toDelete: Json[]): Json[] {
  const drop = new Set(toDelete.map(scalarKey));
  return current.filter((v) => !drop.has(scalarKey(v)));
}

function deduplicateScalars(list: Json[]): Json[] {
  const seen = new Set<unknown>();
  return list.filter((v) => {
    const k = scalarKey(v);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function partitionScalars(list: Json[], by: Json[]): [Json[], Json[]] {
  const inBy = new Set(by.map(scalarKey));
  const inPatch: Json[] = [];
  const serverOnly: Json[] = [];
  for (const v of list) (inBy.has(scalarKey(v)) ? inPatch : serverOnly).push(v);
  return [inPatch, serverOnly];
}

function partitionMaps(list: Json[], by: Json[], mergeKey: string): [Json[], Json[]] {
  const keys = new Set<unknown>();
  by.forEach((b, i) => {
    if (!isPlainObject(b)) throw plain(`value for key ${i} is not a map`);
    if (has(b, mergeKey)) keys.add(scalarKey(b[mergeKey]));
  });
  const inPatch: Json[] = [];
  const serverOnly: Json[] = [];
  for (const v of list) {
    if (!isPlainObject(v)) throw errBadArgType('map', v);
    if (!has(v, mergeKey)) throw errNoMergeKey(v, mergeKey);
    (keys.has(scalarKey(v[mergeKey])) ? inPatch : serverOnly).push(v);
  }
  return [inPatch, serverOnly];
}

/** The common element type of the lists' items; lists of lists and mixed types are refused. */
function sliceElementType(...lists: Json[][]): GoType {
  let prev: GoType | undefined;
  for (const list of lists) {
    for (const v of list) {
      const t = goType(v);
      if (prev === undefined || prev === 'nil') {
        if (t === 'nil') throw panicked(); // reflect.TypeOf(nil).Kind()
        prev = t;
        if (prev === 'slice') throw errNoListOfLists();
      } else if (prev !== t) {
        throw plain(`list element types are not identical: ${goFormat(lists)}`);
      }
    }
  }
  if (prev === undefined) throw plain('no elements in any of the given slices');
  return prev;
}

/** Positions of items in `list` by merge key (or by value), first occurrence winning. */
function indexer(list: Json[], mergeKey: string, kind: GoType): (v: Json) => number {
  const value = (v: Json): unknown => scalarKey(kind === 'map' ? (isPlainObject(v) && has(v, mergeKey) ? v[mergeKey] : null) : v);
  const at = new Map<unknown, number>();
  list.forEach((v, i) => {
    const k = value(v);
    if (!at.has(k)) at.set(k, i);
  });
  return (v) => at.get(value(v)) ?? -1;
}

/**
 * Patch items sorted by `patchOrder`, server-only items by `serverOrder`, then
 * interleaved: a server-only item goes before a patch item it preceded on the
 * server; otherwise the patch item comes first (kube's mergeSortedSlice).
 */
function normalizeElementOrder(
  patchItems: Json[],
  serverOnly: Json[],
  patchOrder: Json[],
  serverOrder: Json[],
  mergeKey: string,
  kind: GoType,
): Json[] {
  const right = normalizeSliceOrder(patchItems, patchOrder, mergeKey, kind);
  const left = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);
  const serverIndex = indexer(serverOrder, mergeKey, kind);
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = serverIndex(left[i]);
      const ri = serverIndex(right[j]);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

/** `toSort` in `order`'s order (stable), items carrying `$patch: delete` last. */
function normalizeSliceOrder(toSort: Json[], order: Json[], mergeKey: string, kind: GoType): Json[] {
  let items = toSort;
  let deleted: Json[] = [];
  if (kind === 'map') {
    for (const list of [toSort, order]) {
      for (const item of list) {
        if (!isPlainObject(item)) throw errBadArgType('map', item);
        if (!has(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
      }
    }
    [items, deleted] = extractToDeleteItems(toSort);
  }
  // Items missing from `order` (kube's comparator leaves them to its sort's whims) go after the others.
  const position = indexer(order, mergeKey, kind);
  const rank = (p: number): number => (p >= 0 ? p : Number.MAX_SAFE_INTEGER);
  const sorted = items
    .map((v) => ({ v, p: rank(position(v)) }))
    .sort((a, b) => a.p - b.p)
    .map((e) => e.v);
  return [...sorted, ...deleted];
}

/** Drops null fields of maps, at every depth (lists keep their null items). */
function discardNullValues(v: Json): void {
  if (Array.isArray(v)) {
    for (const x of v) discardNullValues(x);
  } else if (isPlainObject(v)) {
    for (const k of Object.keys(v)) {
      if (v[k] === null) delete v[k];
      else discardNullValues(v[k]);
    }
  }
}

/** Removes maps carrying `$patch` (returns keep=false for one); other directive keys stay. */
function removeDirectives(v: Json): [Json, boolean] {
  if (Array.isArray(v)) {
    const out: Json[] = [];
    for (const x of v) {
      const [nv, keep] = removeDirectives(x);
      if (keep) out.push(nv);
    }
    return [out, true];
  }
  if (isPlainObject(v)) {
    if (has(v, DIRECTIVE)) return [null, false];
    for (const k of Object.keys(v)) {
      const [nv, keep] = removeDirectives(v[k]);
      if (keep) setOwn(v, k, nv);
      else delete v[k];
    }
  }
  return [v, true];
}
