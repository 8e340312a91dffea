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
import { applyJsonPatch, copyJSON, goKind, has, type Json, type JsonObject, PatchApplyError, setOwn } from '../api/json-patch.js';
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

/** The copy limits kube-apiserver sets on json-patch. */
const JSON_PATCH_LIMITS = {
  maxCopyBytes: JSON_PATCH_MAX_COPY_BYTES,
  copyTooDeep: (v: unknown): boolean => valueDepth(v) > MAX_NESTING_DEPTH,
};

export function patchTypeFor(contentType: string | undefined, allowStrategic: boolean): PatchType {
  const t = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const pt = PATCH_MEDIA_TYPES[t];
  const accepted = [
    'application/json-patch+json',
    'application/merge-patch+json',
    ...(allowStrategic ? ['application/strategic-merge-patch+json'] : []),
    'application/apply-patch+yaml',
  ];
  if (!pt || (pt === 'strategic' && !allowStrategic)) throw unsupportedMediaType(t, accepted);
  return pt;
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

/**
 * The patched object is refused when deeper than a body may be, as kube's decode of the patched JSON refuses it.
 * metadata.managedFields are not counted: the server wrote them, and an object's FieldsV1 nests a few levels
 * deeper than the fields it describes (an object stored at the limit stays patchable).
 */
function checkPatchedDepth(obj: Json): void {
  const m = isPlainObject(obj) && isPlainObject(obj.metadata) ? obj.metadata : undefined;
  let counted = obj;
  if (m && m.managedFields !== undefined) {
    const { managedFields: _, ...rest } = m;
    counted = { ...(obj as JsonObject), metadata: rest };
  }
  if (valueDepth(counted) > MAX_NESTING_DEPTH) {
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
        out = applyJsonPatch(copyJSON(current).value, ops, JSON_PATCH_LIMITS);
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
