// Dropping unknown fields against a schema: kube's structural pruning for
// custom resources and its typed decoding for built-ins both reduce to this
// walk. Returns the dropped paths as kube names them (`spec.foo`,
// `spec.items[0].bar`) for fieldValidation Strict/Warn.

import { isPlainObject } from '../api/types.js';

export type SchemaNode = Record<string, unknown>;

export interface PruneOptions {
  /** Resolves a `$ref` (built-in schemas reference definitions by name). */
  resolve?: (ref: string) => SchemaNode | undefined;
  /** Whether to delete unknown fields (true) or only report them. */
  drop: boolean;
  /** Custom resources: metadata is ObjectMeta, never pruned by the CRD schema. */
  keepMetadata?: boolean;
}

const ROOT_KEEP = new Set(['apiVersion', 'kind', 'metadata']);

function deref(s: SchemaNode | undefined, opts: PruneOptions): SchemaNode | undefined {
  let cur = s;
  for (let i = 0; cur && typeof cur.$ref === 'string' && i < 32; i++) cur = opts.resolve?.(cur.$ref as string);
  return cur;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function walk(value: unknown, schema: SchemaNode | undefined, path: string, opts: PruneOptions, out: string[], isRoot: boolean): void {
  const s = deref(schema, opts);
  if (!s || (s['x-kubernetes-preserve-unknown-fields'] === true && !s.properties)) return;
  if (s['x-kubernetes-int-or-string'] === true) return;
  if (Array.isArray(value)) {
    const items = s.items as SchemaNode | undefined;
    if (items) for (const [i, v] of value.entries()) walk(v, items, `${path}[${i}]`, opts, out, false);
    return;
  }
  if (!isPlainObject(value)) return;
  const props = s.properties as Record<string, SchemaNode> | undefined;
  const additional = s.additionalProperties;
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  for (const key of Object.keys(value)) {
    // Own properties only: a field named `constructor` or `__proto__` is unknown like any other.
    const child = props && Object.hasOwn(props, key) ? props[key] : undefined;
    if ((isRoot || embedded) && key === 'metadata' && opts.keepMetadata) continue;
    if (child) {
      walk(value[key], child, join(path, key), opts, out, false);
      continue;
    }
    if ((isRoot || embedded) && ROOT_KEEP.has(key)) continue;
    if (isPlainObject(additional)) {
      walk(value[key], additional as SchemaNode, join(path, key), opts, out, false);
      continue;
    }
    if (additional === true || preserve) continue;
    if (!props && !additional && s.type !== 'object') continue;
    out.push(join(path, key));
    if (opts.drop) delete value[key];
  }
}

export function pruneUnknown(obj: Record<string, unknown>, schema: SchemaNode, opts: PruneOptions): string[] {
  const out: string[] = [];
  walk(obj, schema, '', opts, out, true);
  return out;
}
