// What server-side apply needs to know of a type at each path (structured-merge-diff's
// schema atoms): a scalar, a map (a struct's declared fields and/or a map's element type;
// granular or atomic), a list (atomic, a set of scalars, or a map keyed by some of its
// items' fields), or deduced from the value (x-kubernetes-preserve-unknown-fields).
// Built-ins and custom resources both provide it from their OpenAPI schemas (typeFromOpenAPI).

import { isPlainObject } from '../../api/types.js';

export interface ScalarType {
  readonly kind: 'scalar';
}

export interface MapType {
  readonly kind: 'map';
  /** `x-kubernetes-map-type: atomic` (kube's `+structType=atomic` / `+mapType=atomic`): owned and replaced whole. */
  readonly atomic: boolean;
  /** A declared (struct) field's type; undefined for an undeclared key. */
  field(name: string): TypeNode | undefined;
  /** The type of undeclared keys (a map's values); undefined for a plain struct. */
  readonly elem?: TypeNode;
}

export interface ListType {
  readonly kind: 'list';
  /** `x-kubernetes-list-type`: atomic lists are owned whole; sets per value; maps per key. */
  readonly listType: 'atomic' | 'set' | 'map';
  /** `x-kubernetes-list-map-keys` (map lists). */
  readonly keys: readonly string[];
  readonly elem: TypeNode;
  /** A key field's schema default, used when an item omits it (structured-merge-diff getAssociativeKeyDefault). */
  keyDefault?(name: string): unknown;
}

/** Untyped (preserve-unknown-fields): maps are granular, lists atomic, by the value found. */
export interface DeducedType {
  readonly kind: 'deduced';
}

export type TypeNode = ScalarType | MapType | ListType | DeducedType;

export const SCALAR: ScalarType = { kind: 'scalar' };
export const DEDUCED: DeducedType = { kind: 'deduced' };

const DEDUCED_MAP: MapType = { kind: 'map', atomic: false, field: () => undefined, elem: DEDUCED };
const DEDUCED_LIST: ListType = { kind: 'list', listType: 'atomic', keys: [], elem: DEDUCED };

/** The atom a value is walked with: the schema's own, or one deduced from the value when untyped. */
export function atomFor(t: TypeNode, v: unknown): ScalarType | MapType | ListType {
  if (t.kind !== 'deduced') return t;
  if (isPlainObject(v)) return DEDUCED_MAP;
  if (Array.isArray(v)) return DEDUCED_LIST;
  return SCALAR;
}

/** Helper for tests and callers building types by hand. */
export function struct(fields: Record<string, TypeNode>, opts: { atomic?: boolean; elem?: TypeNode } = {}): MapType {
  return {
    kind: 'map',
    atomic: opts.atomic === true,
    field: (n) => (Object.hasOwn(fields, n) ? fields[n] : undefined),
    elem: opts.elem,
  };
}

export function mapOf(elem: TypeNode, atomic = false): MapType {
  return { kind: 'map', atomic, field: () => undefined, elem };
}

export function listOf(elem: TypeNode, listType: ListType['listType'] = 'atomic', keys: string[] = []): ListType {
  return { kind: 'list', listType, keys, elem };
}

type SchemaNode = Record<string, unknown>;

export interface OpenAPITypeOptions {
  /** Resolves a `$ref` (`#/definitions/<name>` or a bare definition name) for built-in schemas. */
  resolve?: (ref: string) => SchemaNode | undefined;
  /** Root fields whose type is given rather than read (a custom resource's `metadata` is ObjectMeta). */
  rootFields?: Record<string, TypeNode>;
}

/**
 * The type of an OpenAPI (v2 definitions or a CRD's structural) schema, converted lazily
 * as kube-openapi's schemaconv does for server-side apply: `x-kubernetes-list-type` and
 * `x-kubernetes-list-map-keys` for arrays, else a built-in's patch strategy `merge` with its
 * merge key (a set without one), else atomic; `x-kubernetes-map-type` for objects;
 * int-or-string as an atomic scalar; preserve-unknown-fields as deduced.
 */
export function typeFromOpenAPI(root: SchemaNode, opts: OpenAPITypeOptions = {}): TypeNode {
  const cache = new Map<SchemaNode, TypeNode>();
  const deref = (s: SchemaNode): SchemaNode => {
    let cur = s;
    for (let i = 0; i < 32; i++) {
      let ref = typeof cur.$ref === 'string' ? cur.$ref : undefined;
      // OpenAPI v3 documents wrap a described reference as allOf: [{$ref}].
      if (
        !ref &&
        Array.isArray(cur.allOf) &&
        cur.allOf.length === 1 &&
        isPlainObject(cur.allOf[0]) &&
        typeof cur.allOf[0].$ref === 'string'
      )
        ref = cur.allOf[0].$ref;
      if (!ref || !opts.resolve) return cur;
      const next = opts.resolve(ref.replace(/^#\/(definitions|components\/schemas)\//, ''));
      if (!next) return cur;
      // The referencing property's extensions apply too (x-kubernetes-map-type beside a $ref).
      const own = Object.fromEntries(Object.entries(cur).filter(([k]) => k.startsWith('x-kubernetes-')));
      cur = Object.keys(own).length ? { ...next, ...own } : next;
    }
    return cur;
  };
  const convert = (raw: SchemaNode, overrides?: Record<string, TypeNode>): TypeNode => {
    const hit = overrides ? undefined : cache.get(raw);
    if (hit) return hit;
    const t = build(deref(raw), overrides);
    if (!overrides) cache.set(raw, t);
    return t;
  };
  const build = (s: SchemaNode, overrides?: Record<string, TypeNode>): TypeNode => {
    if (s['x-kubernetes-int-or-string'] === true) return SCALAR;
    const type = s.type;
    if (type === 'array') {
      const items = isPlainObject(s.items) ? convert(s.items) : DEDUCED;
      return listType(s, items, isPlainObject(s.items) ? deref(s.items) : undefined);
    }
    const props = isPlainObject(s.properties) ? (s.properties as Record<string, SchemaNode>) : undefined;
    const additional = isPlainObject(s.additionalProperties) ? (s.additionalProperties as SchemaNode) : undefined;
    if (type === 'object' || props || additional) {
      const preserve = s['x-kubernetes-preserve-unknown-fields'] === true || s.additionalProperties === true;
      // An object with nothing declared (RawExtension, preserve-unknown-fields) holds any JSON.
      if (!props && !additional && !overrides) return objectDeduced(s);
      const fields = new Map<string, TypeNode>();
      const elem = additional ? convert(additional) : preserve ? DEDUCED : undefined;
      return {
        kind: 'map',
        atomic: s['x-kubernetes-map-type'] === 'atomic',
        field(name) {
          if (overrides && Object.hasOwn(overrides, name)) return overrides[name];
          if (!props || !Object.hasOwn(props, name)) return undefined;
          let f = fields.get(name);
          if (!f) {
            f = convert(props[name]);
            fields.set(name, f);
          }
          return f;
        },
        elem,
      };
    }
    if (type === 'string' || type === 'integer' || type === 'number' || type === 'boolean') return SCALAR;
    return DEDUCED;
  };
  const objectDeduced = (s: SchemaNode): TypeNode =>
    s['x-kubernetes-map-type'] === 'atomic' ? { kind: 'map', atomic: true, field: () => undefined, elem: DEDUCED } : DEDUCED;
  const listType = (s: SchemaNode, elem: TypeNode, items: SchemaNode | undefined): TypeNode => {
    const keyDefault = (name: string): unknown => {
      const p = items && isPlainObject(items.properties) ? (items.properties as Record<string, SchemaNode>)[name] : undefined;
      return p && Object.hasOwn(p, 'default') ? p.default : undefined;
    };
    const lt = s['x-kubernetes-list-type'];
    if (lt === 'map') {
      const keys = Array.isArray(s['x-kubernetes-list-map-keys']) ? (s['x-kubernetes-list-map-keys'] as string[]) : [];
      return { kind: 'list', listType: 'map', keys, elem, keyDefault };
    }
    if (lt === 'set') return { kind: 'list', listType: 'set', keys: [], elem };
    if (lt === undefined && typeof s['x-kubernetes-patch-strategy'] === 'string') {
      if (s['x-kubernetes-patch-strategy'].split(',').includes('merge')) {
        const key = s['x-kubernetes-patch-merge-key'];
        return typeof key === 'string' && key
          ? { kind: 'list', listType: 'map', keys: [key], elem, keyDefault }
          : { kind: 'list', listType: 'set', keys: [], elem };
      }
    }
    return { kind: 'list', listType: 'atomic', keys: [], elem };
  };
  return convert(root, opts.rootFields);
}
