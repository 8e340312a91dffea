// Applying PATCH bodies (k8s.io/apiserver/pkg/endpoints/handlers/patch.go).
// JSON Patch (RFC 6902) and JSON merge patch (RFC 7386) use their libraries;
// strategic merge patch is reduced to merge-patch semantics plus its
// `$patch`/`$deleteFromPrimitiveList` directives and the metadata lists'
// merge keys, which is exact for the types served today; the full
// per-field strategy arrives with the built-in catalog.

import fastJsonPatch from 'fast-json-patch';
import mergePatch from 'json-merge-patch';
import { badRequest, StatusError, unsupportedMediaType } from '../api/errors.js';
import { isPlainObject, type KubeObject } from '../api/types.js';
import type { PatchType } from '../http/negotiation.js';
import { PATCH_MEDIA_TYPES } from '../http/negotiation.js';

const { applyPatch, validate: validateJsonPatch } = fastJsonPatch;

export function patchTypeFor(contentType: string | undefined, allowStrategic: boolean): PatchType {
  const t = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const pt = PATCH_MEDIA_TYPES[t];
  const accepted = ['application/json-patch+json', 'application/merge-patch+json', ...(allowStrategic ? ['application/strategic-merge-patch+json'] : [])];
  if (!pt || pt === 'apply' || (pt === 'strategic' && !allowStrategic)) throw unsupportedMediaType(t, accepted);
  return pt;
}

function invalidPatch(message: string): StatusError {
  return new StatusError(422, 'Invalid', message);
}

export function applyPatchBody(type: PatchType, current: KubeObject, patch: unknown): KubeObject {
  switch (type) {
    case 'json': {
      if (!Array.isArray(patch)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
      const err = validateJsonPatch(patch as fastJsonPatch.Operation[]);
      if (err) throw badRequest(err.message.split('\n')[0]);
      try {
        return applyPatch(structuredClone(current), patch as fastJsonPatch.Operation[], true, true).newDocument as KubeObject;
      } catch (e) {
        const msg = (e as Error).message.split('\n')[0];
        if (/test operation failed/i.test(msg)) throw invalidPatch('the server rejected our request due to an error in our request');
        throw invalidPatch(msg);
      }
    }
    case 'merge': {
      if (!isPlainObject(patch)) throw badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
      return mergePatch.apply(structuredClone(current), patch) as KubeObject;
    }
    case 'strategic': {
      if (!isPlainObject(patch)) throw badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
      return strategicMerge(structuredClone(current) as Record<string, unknown>, patch, '') as KubeObject;
    }
    default:
      throw unsupportedMediaType(type, []);
  }
}

/** Lists merged by key under strategic merge patch, by JSON path. */
const MERGE_KEYS: Record<string, string> = {
  '.metadata.ownerReferences': 'uid',
  '.metadata.managedFields': '',
};
/** Primitive lists merged as sets under strategic merge patch. */
const PRIMITIVE_MERGE = new Set(['.metadata.finalizers', '.spec.finalizers']);

function strategicMerge(target: Record<string, unknown>, patch: Record<string, unknown>, path: string): Record<string, unknown> {
  if (patch['$patch'] === 'replace') {
    const { $patch: _ignored, ...rest } = patch;
    return stripDirectives(rest) as Record<string, unknown>;
  }
  if (patch['$patch'] === 'delete') return {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const cur = target[field];
      if (Array.isArray(cur) && Array.isArray(v)) target[field] = cur.filter((x) => !v.includes(x));
      continue;
    }
    const p = `${path}.${k}`;
    if (v === null) {
      delete target[k];
    } else if (isPlainObject(v)) {
      const cur = target[k];
      if (v['$patch'] === 'delete') delete target[k];
      else target[k] = strategicMerge(isPlainObject(cur) ? cur : {}, v, p);
    } else if (Array.isArray(v)) {
      const cur = target[k];
      if (PRIMITIVE_MERGE.has(p) && Array.isArray(cur)) {
        target[k] = [...cur, ...v.filter((x) => !cur.includes(x))];
      } else if (MERGE_KEYS[p] && Array.isArray(cur)) {
        const key = MERGE_KEYS[p];
        const out = [...cur] as Record<string, unknown>[];
        for (const item of v) {
          if (!isPlainObject(item)) continue;
          const idx = out.findIndex((o) => isPlainObject(o) && o[key] === item[key]);
          if (item['$patch'] === 'delete') {
            if (idx >= 0) out.splice(idx, 1);
          } else if (idx >= 0) out[idx] = strategicMerge(out[idx], item, p);
          else out.push(stripDirectives(item) as Record<string, unknown>);
        }
        target[k] = out;
      } else {
        target[k] = stripDirectives(v);
      }
    } else {
      target[k] = v;
    }
  }
  return target;
}

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (!k.startsWith('$')) out[k] = stripDirectives(x);
  return out;
}
