// Applying PATCH bodies (k8s.io/apiserver/pkg/endpoints/handlers/patch.go).
// JSON Patch (RFC 6902) follows gopkg.in/evanphx/json-patch.v4 as kube uses
// it: at most 10,000 operations, copies bounded by an accumulated size
// (kube-apiserver's JSONPatchMaxCopyBytes, 3 MiB), and every application
// error answered with the same 422. JSON merge patch is RFC 7386. Strategic
// merge patch is schema/builtin/strategic.ts with the patched kind's patch
// metadata (its Go struct tags, generated into patch-meta.json); its errors
// are answered as kube's interpretStrategicMergePatchError answers them.
//
// Objects here are decoded JSON: keys such as `__proto__` or `constructor`
// are ordinary own properties, so every lookup is an own-property check and
// every write defines a property (an assignment to `__proto__` would change
// the prototype instead of adding the field).

import {
  badRequest,
  fieldErrors,
  invalid,
  requestEntityTooLargeMessage,
  unknownError,
  unprocessableEntity,
  unsupportedMediaType,
} from '../api/errors.js';
import { isPlainObject, type KubeObject } from '../api/types.js';
import { MAX_NESTING_DEPTH, MAX_REQUEST_BODY_BYTES, valueDepth } from '../http/body.js';
import type { PatchType } from '../http/negotiation.js';
import { PATCH_MEDIA_TYPES } from '../http/negotiation.js';
import { StrategicMergePatchError, strategicMergePatch } from '../schema/builtin/strategic.js';
import { patchMetaFor } from '../schema/builtin/strategic-meta.js';

/** The scale subresource's kind (autoscaling/v1 Scale): a strategic merge patch of it follows its metadata. */
export const SCALE_DEFINITION = 'io.k8s.api.autoscaling.v1.Scale';

/** kube's maxJSONPatchOperations. */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;
/** kube-apiserver's JSONPatchMaxCopyBytes default (the request body limit), set as json-patch's AccumulatedCopySizeLimit. */
export const JSON_PATCH_MAX_COPY_BYTES = MAX_REQUEST_BODY_BYTES;

export function patchTypeFor(contentType: string | undefined, allowStrategic: boolean): PatchType {
  const t = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const pt = PATCH_MEDIA_TYPES[t];
  const accepted = [
    'application/json-patch+json',
    'application/merge-patch+json',
    ...(allowStrategic ? ['application/strategic-merge-patch+json'] : []),
  ];
  if (!pt || pt === 'apply' || (pt === 'strategic' && !allowStrategic)) throw unsupportedMediaType(t, accepted);
  return pt;
}

type Json = unknown;
type JsonObject = Record<string, Json>;

const has = (o: JsonObject, k: string): boolean => Object.hasOwn(o, k);

function setOwn(o: JsonObject, k: string, v: Json): void {
  Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
}

/** A deep copy through JSON text, which also gives the copy's encoded size (json-patch's deepCopy does the same). */
function copyJSON(v: Json): { value: Json; size: number } {
  const text = JSON.stringify(v) ?? 'null';
  return { value: JSON.parse(text) as Json, size: Buffer.byteLength(text) };
}

/** Go's json.Unmarshal type names, for the decode errors kube reports as 400. */
function goKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

/** A failed JSON Patch operation; the handler answers all of them with kube's single 422. */
class PatchApplyError extends Error {}

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

/** Decodes the patch document as json-patch's DecodePatch does; shape errors are 400s. */
function decodeJsonPatch(patch: unknown): JsonObject[] {
  if (!Array.isArray(patch)) throw badRequest(`json: cannot unmarshal ${goKind(patch)} into Go value of type jsonpatch.Patch`);
  for (const op of patch) {
    if (op !== null && !isPlainObject(op))
      throw badRequest(`json: cannot unmarshal ${goKind(op)} into Go value of type jsonpatch.Operation`);
  }
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
    throw requestEntityTooLargeMessage(
      `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`,
    );
  }
  return patch.map((op) => (op ?? {}) as JsonObject);
}

function applyJsonPatch(doc: Json, ops: JsonObject[]): Json {
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
        if (valueDepth(value) > MAX_NESTING_DEPTH) fail('too deep');
        const c = copyJSON(value);
        copied += c.size;
        if (copied > JSON_PATCH_MAX_COPY_BYTES) {
          fail(
            `Unable to complete the copy, the accumulated size increase of copy is ${copied}, exceeding the limit ${JSON_PATCH_MAX_COPY_BYTES}`,
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

/** RFC 7386 JSON merge patch, as evanphx/json-patch's MergePatch applies it. */
function mergePatch(target: Json, patch: Json): Json {
  if (!isPlainObject(patch)) return patch;
  const out: JsonObject = isPlainObject(target) ? target : {};
  for (const k of Object.keys(patch)) {
    const v = patch[k];
    if (v === null) delete out[k];
    else setOwn(out, k, mergePatch(has(out, k) ? out[k] : undefined, v));
  }
  return out;
}

/** The patched object is refused when deeper than a body may be, as kube's decode of the patched JSON refuses it. */
function checkPatchedDepth(obj: Json): void {
  if (valueDepth(obj) > MAX_NESTING_DEPTH) {
    throw invalid({ group: '', kind: '' }, '', [
      fieldErrors.invalid('patch', `<nested deeper than ${MAX_NESTING_DEPTH} levels>`, `exceeded max depth of ${MAX_NESTING_DEPTH}`),
    ]);
  }
}

/**
 * Applies a PATCH body to the current object. `definition`: the built-in
 * kind's OpenAPI definition name, whose patch metadata strategic merge patch follows.
 */
export function applyPatchBody(type: PatchType, current: KubeObject, patch: unknown, definition?: string): KubeObject {
  let out: Json;
  switch (type) {
    case 'json': {
      const ops = decodeJsonPatch(patch);
      try {
        out = applyJsonPatch(copyJSON(current).value, ops);
      } catch (e) {
        // kube answers every application error with the same generic 422 (NewGenericServerResponse);
        // a stack overflow on a pathological document is one more such error, never a 500.
        if (e instanceof PatchApplyError || e instanceof RangeError) throw unprocessableEntity();
        throw e;
      }
      break;
    }
    case 'merge': {
      if (!isPlainObject(patch)) throw badRequest(`json: cannot unmarshal ${goKind(patch)} into Go value of type map[string]interface {}`);
      out = mergePatch(copyJSON(current).value, patch);
      break;
    }
    case 'strategic': {
      // A `null` body decodes to an empty patch, as json.Unmarshal leaves the map empty.
      const p = patch === null ? {} : patch;
      if (!isPlainObject(p)) throw badRequest(`json: cannot unmarshal ${goKind(p)} into Go value of type map[string]interface {}`);
      try {
        out = strategicMergePatch(copyJSON(current).value as JsonObject, p, patchMetaFor(definition));
      } catch (e) {
        throw e instanceof StrategicMergePatchError ? strategicMergePatchStatus(e) : e;
      }
      break;
    }
    default:
      throw unsupportedMediaType(type, []);
  }
  checkPatchedDepth(out);
  return out as KubeObject;
}

/**
 * kube's interpretStrategicMergePatchError: bad patch formats are 400, lists
 * of lists the generic 422, any other error reaches the handler as a plain
 * error (500, its text as the message, no reason).
 */
function strategicMergePatchStatus(e: StrategicMergePatchError): Error {
  switch (e.errorClass) {
    case 'BadRequest':
      return badRequest(e.message);
    case 'Unprocessable':
      return unprocessableEntity();
    default:
      return unknownError(e.message);
  }
}
