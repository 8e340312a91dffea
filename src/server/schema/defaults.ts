// Structural defaulting (apiextensions-apiserver/pkg/apiserver/schema/defaulting):
// missing fields (and nulls where null is not allowed) take their schema default.

import { isPlainObject } from '../api/types.js';
import type { SchemaNode } from './prune.js';

export function applyDefaults(v: unknown, s: SchemaNode | undefined): void {
  if (!s) return;
  if (Array.isArray(v)) {
    const items = s.items as SchemaNode | undefined;
    if (items) for (const x of v) applyDefaults(x, items);
    return;
  }
  if (!isPlainObject(v)) return;
  const props = s.properties as Record<string, SchemaNode> | undefined;
  if (props) {
    for (const [k, ps] of Object.entries(props)) {
      if (ps.default !== undefined && (!Object.hasOwn(v, k) || (v[k] === null && ps.nullable !== true))) v[k] = structuredClone(ps.default);
      if (Object.hasOwn(v, k)) applyDefaults(v[k], ps);
    }
  }
  if (isPlainObject(s.additionalProperties)) {
    const as = s.additionalProperties as SchemaNode;
    for (const k of Object.keys(v)) {
      if (v[k] === null && as.default !== undefined && as.nullable !== true) v[k] = structuredClone(as.default);
      applyDefaults(v[k], as);
    }
  }
}
