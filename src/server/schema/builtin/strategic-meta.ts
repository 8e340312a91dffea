// Patch metadata of the built-in types, generated from the Go API types by
// scripts/gen/patch-meta.mjs (patch-meta.json): per OpenAPI definition, the
// fields with a patch strategy, merge key, list or map type, and the struct
// fields leading to them. Two readers:
// - strategic merge patch walks it as kube-apiserver walks the Go struct tags
//   (strategicpatch.PatchMetaFromStruct): `lookup(key)` gives a field's
//   strategies, merge key and the element's definition;
// - the published OpenAPI carries it as `x-kubernetes-*` extensions, as
//   kube-openapi emits them from the comment markers (openAPIExtensions).

import { lazyIndexedTable } from '../../api/generated-json.js';

// Only named here so that tsc keeps the file in its program and copies it to dist/ beside this module.
export type PatchMetaJsonFile = typeof import('./patch-meta.json');

export interface PatchFieldMeta {
  /** The field's element type when a struct leading to more metadata (bare name: same package). */
  ref?: string;
  patchStrategy?: string;
  patchMergeKey?: string;
  listType?: string;
  listMapKeys?: string[];
  mapType?: string;
  /** `+default`, kept for list map keys (server-side apply fills an omitted key with it). */
  default?: unknown;
  /** The comment markers kube-openapi publishes, where they differ from the struct tags. */
  openapi?: { patchStrategy?: string | null; patchMergeKey?: string | null };
}

export interface PatchDefinitionMeta {
  fields?: Record<string, PatchFieldMeta>;
  /** `+structType` / `+mapType` on the type: `x-kubernetes-map-type` of the definition. */
  mapType?: string;
  listType?: string;
}

export interface PatchMetaTable {
  source: Record<string, string>;
  /** A definition's metadata; undefined for one without any. */
  definition(name: string): PatchDefinitionMeta | undefined;
  /** The definitions with metadata. */
  names(): string[];
  /** A kind's zero value as Go writes it (`creationTimestamp: null`, struct fields as `{}`, nil slices as null). */
  zero(name: string): Record<string, unknown> | undefined;
}

interface PatchMetaHeader {
  source: Record<string, string>;
  zero: Record<string, Record<string, unknown>>;
  rows: Record<string, [number, number]>;
}

/**
 * The generated table (patch-meta.json, an indexed table: a definition a row, the kinds' zero values in its header),
 * of which each definition's row is read when first looked up.
 */
const patchMetaFile = lazyIndexedTable<PatchMetaHeader, PatchDefinitionMeta>(
  import.meta.url,
  './patch-meta.json',
  '../server/schema/builtin/patch-meta.json',
);
/** The rows parsed so far (at most the table's: a name without a row is answered from the index, not kept). */
const definitionCache = new Map<string, PatchDefinitionMeta>();
const BUILTIN: PatchMetaTable = {
  get source() {
    return patchMetaFile.header().source;
  },
  definition(name) {
    let d = definitionCache.get(name);
    if (d === undefined) {
      d = patchMetaFile.row(name);
      if (d !== undefined) definitionCache.set(name, d);
    }
    return d;
  },
  names: () => Object.keys(patchMetaFile.header().rows),
  zero: (name) => {
    const zero = patchMetaFile.header().zero;
    return Object.hasOwn(zero, name) ? zero[name] : undefined;
  },
};

/** The generated table, read on first use. */
export const builtinPatchMeta = (): PatchMetaTable => BUILTIN;

/** What strategic merge patch knows of one field (kube's PatchMeta plus the element's schema). */
export interface PatchFieldLookup {
  /** `patchStrategy` split on commas (`merge`, `retainKeys`, `replace`); empty without one. */
  strategies: string[];
  /** `patchMergeKey`; empty without one. */
  mergeKey: string;
  /** The field's (element's) own metadata. */
  schema: PatchMetaLookup;
}

/** kube's LookupPatchMeta: one struct's fields, walked down a patch. */
export interface PatchMetaLookup {
  /** The type's name as kube's errors print it (`struct`). */
  readonly name: string;
  lookup(key: string): PatchFieldLookup;
}

const NONE: PatchMetaLookup = {
  name: 'struct',
  lookup: () => ({ strategies: [], mergeKey: '', schema: NONE }),
};

const packageOf = (def: string): string => def.slice(0, def.lastIndexOf('.'));

/** The lookup for one definition; a definition (or field) without metadata patches as plain JSON merge. */
export function patchMetaFor(definition: string | undefined, meta: PatchMetaTable = builtinPatchMeta()): PatchMetaLookup {
  const cache = new Map<string, PatchMetaLookup>();
  const forDefinition = (name: string | undefined): PatchMetaLookup => {
    const d = name === undefined ? undefined : meta.definition(name);
    if (name === undefined || !d) return NONE;
    let l = cache.get(name);
    if (l) return l;
    const fields = d.fields ?? {};
    l = {
      name: 'struct',
      lookup(key) {
        if (!Object.hasOwn(fields, key)) return { strategies: [], mergeKey: '', schema: NONE };
        const f = fields[key];
        const ref = f.ref === undefined ? undefined : f.ref.includes('.') ? f.ref : `${packageOf(name)}.${f.ref}`;
        return {
          strategies: f.patchStrategy ? f.patchStrategy.split(',') : [],
          mergeKey: f.patchMergeKey ?? '',
          schema: forDefinition(ref),
        };
      },
    };
    cache.set(name, l);
    return l;
  };
  return forDefinition(definition);
}

const X = {
  patchStrategy: 'x-kubernetes-patch-strategy',
  patchMergeKey: 'x-kubernetes-patch-merge-key',
  listType: 'x-kubernetes-list-type',
  listMapKeys: 'x-kubernetes-list-map-keys',
  mapType: 'x-kubernetes-map-type',
} as const;

/**
 * The `x-kubernetes-*` extensions kube-openapi publishes for a definition: on
 * the definition itself (`+structType`) and per property (`+patchStrategy`, a list map key's `+default`,
 * `+patchMergeKey`, `+listType`, `+listMapKey`, `+mapType`). Undefined when it has none.
 */
export function openAPIExtensions(
  definition: string,
  meta: PatchMetaTable = builtinPatchMeta(),
): { definition: Record<string, unknown>; properties: Record<string, Record<string, unknown>> } | undefined {
  const d = meta.definition(definition);
  if (!d) return undefined;
  const own: Record<string, unknown> = {};
  if (d.mapType) own[X.mapType] = d.mapType;
  if (d.listType) own[X.listType] = d.listType;
  const properties: Record<string, Record<string, unknown>> = {};
  for (const [name, f] of Object.entries(d.fields ?? {})) {
    const x: Record<string, unknown> = {};
    const strategy = f.openapi && 'patchStrategy' in f.openapi ? f.openapi.patchStrategy : f.patchStrategy;
    const mergeKey = f.openapi && 'patchMergeKey' in f.openapi ? f.openapi.patchMergeKey : f.patchMergeKey;
    if (f.listMapKeys) x[X.listMapKeys] = f.listMapKeys;
    if (f.listType) x[X.listType] = f.listType;
    if (f.mapType) x[X.mapType] = f.mapType;
    if (mergeKey) x[X.patchMergeKey] = mergeKey;
    if (strategy) x[X.patchStrategy] = strategy;
    if (f.default !== undefined) x.default = f.default;
    if (Object.keys(x).length) properties[name] = x;
  }
  return Object.keys(own).length || Object.keys(properties).length ? { definition: own, properties } : undefined;
}
