// The type registry behind /openapi/v2 and /openapi/v3: a schema per served
// kind (built-ins from generated models, custom resources from their CRD) and
// the REST paths kube-apiserver publishes for each resource. kubectl reads the
// v3 documents to find `fieldValidation` on PATCH (server-side validation),
// for `explain`, and for client-side apply's patch type.

import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { ResourceDescriptor } from '../../api/descriptor.js';
import { ModelCatalog, type Schema } from '../../schema/builtin/models.js';
import { customResourceDefinitions, toOpenAPIV2Schema } from './custom.js';
import { encodeOpenAPIV2Protobuf } from './gnostic.js';
import { gvPath, pathsFor } from './paths.js';

export interface KindSchema {
  descriptor: ResourceDescriptor;
  /** The kind's definition name. */
  name: string;
  /** Definitions this kind needs (its own included), refs as bare definition names. */
  definitions: Record<string, Schema>;
  builtin: boolean;
}

export interface OpenAPIDocument {
  body: string;
  /** Upper-case hex SHA-512 of body, as kube-openapi computes its ETag. */
  hash: string;
}

/** What to answer for GET /openapi/v3/<path>?hash=... (kube-openapi handler3 semantics). */
export interface OpenAPIV3Response {
  status: 200 | 301 | 304;
  headers: Record<string, string>;
  body?: string;
}

const GVK = 'x-kubernetes-group-version-kind';
const WATCH_EVENT = 'io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent';
const RAW_EXTENSION = 'io.k8s.apimachinery.pkg.runtime.RawExtension';

/**
 * WatchEvent as kube publishes it: one `x-kubernetes-group-version-kind` per
 * group-version of built-in kinds (metav1.AddToGroupVersion registers it in
 * each), the core group first.
 */
function watchEventFor(kinds: KindSchema[], base: Schema): Schema {
  const gvs = new Map<string, { group: string; kind: string; version: string }>();
  gvs.set('/v1', { group: '', kind: 'WatchEvent', version: 'v1' });
  for (const k of kinds)
    if (k.builtin)
      gvs.set(`${k.descriptor.group}/${k.descriptor.version}`, {
        group: k.descriptor.group,
        kind: 'WatchEvent',
        version: k.descriptor.version,
      });
  const tags = [...gvs.values()].sort((a, b) => (a.group === b.group ? (a.version < b.version ? -1 : 1) : a.group < b.group ? -1 : 1));
  return { ...base, [GVK]: tags };
}

function sameGVK(a: unknown, b: { group: string; version: string; kind: string }): boolean {
  const x = a as { group?: string; version?: string; kind?: string };
  return x.group === b.group && x.version === b.version && x.kind === b.kind;
}

/**
 * Bare definition names become document-local refs; in v3 a $ref with
 * siblings (a field's description) is wrapped in allOf, as kube-openapi does.
 */
function rewriteRefs(v: unknown, prefix: string, v3: boolean): unknown {
  if (Array.isArray(v)) return v.map((x) => rewriteRefs(x, prefix, v3));
  if (!v || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  if (typeof o.$ref === 'string') {
    const ref = o.$ref.startsWith('#') ? o.$ref : prefix + o.$ref;
    const { $ref: _, ...rest } = o;
    if (Object.keys(rest).length === 0) return { $ref: ref };
    const siblings = rewriteRefs(rest, prefix, v3) as Record<string, unknown>;
    return v3 ? { allOf: [{ $ref: ref }], ...siblings } : { $ref: ref, ...siblings };
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = rewriteRefs(x, prefix, v3);
  return out;
}

export class OpenAPIRegistry {
  private readonly kinds = new Map<string, KindSchema>();
  private readonly cache = new Map<string, OpenAPIDocument>();
  /** Generated built-in models, loaded as kinds are added. */
  readonly models = new ModelCatalog();

  private static key(d: ResourceDescriptor): string {
    return `${d.group}/${d.version}/${d.resource}`;
  }

  /** The v2 document in its other encodings; dropped with the JSON document. */
  private v2Encoded: { protobuf?: Buffer; gzip: Map<string, Buffer> } = { gzip: new Map() };
  private v2Modified = new Date();

  private invalidate(d: ResourceDescriptor): void {
    this.cache.delete(`v3:${gvPath(d)}`);
    this.cache.delete('v2');
    this.v2Encoded = { gzip: new Map() };
    this.v2Modified = new Date();
  }

  set(k: KindSchema): void {
    this.kinds.set(OpenAPIRegistry.key(k.descriptor), k);
    this.invalidate(k.descriptor);
  }

  /**
   * A built-in kind from its generated model (`V1ConfigMap`): the model, its list
   * (`V1ConfigMapList`) and everything they reference, read on first use (a
   * document, or a body to decode), so a catalog of 60 kinds costs nothing at
   * startup. Reading throws when the model does not exist: a served kind without
   * a schema would have every field pruned as unknown.
   */
  addBuiltin(d: ResourceDescriptor, modelName: string): KindSchema {
    const models = this.models;
    if (!models.has(modelName)) throw new Error(`no generated model ${modelName} in @kubernetes/client-node`);
    const name = models.nameOf(modelName, d.group);
    const scale = d.subresources?.scale ? () => this.scaleDefinitions() : undefined;
    let definitions: Record<string, Schema> | undefined;
    const k: KindSchema = {
      descriptor: d,
      name,
      builtin: true,
      get definitions() {
        if (definitions) return definitions;
        let defs = models.closure(models.load(modelName, d.group));
        try {
          defs = { ...defs, ...models.closure(models.load(`${modelName}List`, d.group)) };
        } catch {
          // Not every kind has a generated list model; its list path then has no schema.
        }
        if (scale) defs = { ...defs, ...scale() };
        defs = { ...defs, ...subresourceDefinitions(models, d) };
        definitions = defs;
        return defs;
      },
    };
    this.set(k);
    return k;
  }

  /** A served custom resource version, published from its CRD's openAPIV3Schema. */
  addCustom(d: ResourceDescriptor, openAPIV3Schema: Schema | undefined): KindSchema {
    const { name, definitions } = customResourceDefinitions(d, openAPIV3Schema);
    const objectMeta = this.models.load('V1ObjectMeta', '');
    const listMeta = this.models.load('V1ListMeta', '');
    const k: KindSchema = {
      descriptor: d,
      name,
      builtin: false,
      definitions: {
        ...definitions,
        ...this.models.closure(objectMeta),
        ...this.models.closure(listMeta),
        ...(d.subresources?.scale ? this.scaleDefinitions() : {}),
      },
    };
    this.set(k);
    return k;
  }

  private scaleDefinitions(): Record<string, Schema> {
    const name = this.models.load('V1Scale', 'autoscaling');
    const defs = this.models.closure(name);
    return { ...defs, [name]: { ...defs[name], [GVK]: [{ group: 'autoscaling', kind: 'Scale', version: 'v1' }] } };
  }

  remove(d: ResourceDescriptor): void {
    this.kinds.delete(OpenAPIRegistry.key(d));
    this.invalidate(d);
  }

  schemaFor(d: ResourceDescriptor): KindSchema | undefined {
    return this.kinds.get(OpenAPIRegistry.key(d));
  }

  /**
   * All definitions the kinds need, each kind's own schema tagged with its
   * group-version-kind. For v2, custom kinds' schemas go through kube's v3 ->
   * v2 conversion first (apiextensions ToStructuralOpenAPIV2).
   */
  private definitionsFor(kinds: KindSchema[], v2 = false): Record<string, Schema> {
    const defs: Record<string, Schema> = commonSchemas();
    // Built-in definitions win over a custom kind's copy of a shared one (ObjectMeta).
    for (const k of kinds) {
      if (k.builtin) continue;
      Object.assign(defs, k.definitions);
      if (v2 && defs[k.name]) defs[k.name] = toOpenAPIV2Schema(defs[k.name]);
    }
    for (const k of kinds) if (k.builtin) Object.assign(defs, k.definitions);
    for (const k of kinds) {
      const d = k.descriptor;
      const own = defs[k.name] ?? { type: 'object' };
      const gvk = { group: d.group, kind: d.kind, version: d.version };
      const tags = Array.isArray(own[GVK]) ? (own[GVK] as unknown[]) : [];
      if (!tags.some((t) => sameGVK(t, gvk))) defs[k.name] = { ...own, [GVK]: [...tags, gvk] };
      const listName = k.name.replace(/\.[^.]+$/, `.${d.listKind}`);
      const list = defs[listName];
      const listGVK = { group: d.group, kind: d.listKind, version: d.version };
      if (list && !(Array.isArray(list[GVK]) && (list[GVK] as unknown[]).some((t) => sameGVK(t, listGVK)))) {
        defs[listName] = { ...list, [GVK]: [...(Array.isArray(list[GVK]) ? (list[GVK] as unknown[]) : []), listGVK] };
      }
    }
    if (defs[WATCH_EVENT]) defs[WATCH_EVENT] = watchEventFor(kinds, defs[WATCH_EVENT]);
    return defs;
  }

  private cached(key: string, build: () => unknown): OpenAPIDocument {
    let c = this.cache.get(key);
    if (!c) {
      const body = JSON.stringify(build());
      c = { body, hash: createHash('sha512').update(body).digest('hex').toUpperCase() };
      this.cache.set(key, c);
    }
    return c;
  }

  /** `/openapi/v3` index: `{"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=..."}}}`. */
  v3Index(): { paths: Record<string, { serverRelativeURL: string }> } {
    const paths: Record<string, { serverRelativeURL: string }> = {};
    const gvs = [...new Set([...this.kinds.values()].map((k) => gvPath(k.descriptor)))].sort();
    for (const gv of gvs) paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${this.v3(gv)!.hash}` };
    return { paths };
  }

  /** The serialized v3 document of one group-version (`api/v1`, `apis/apps/v1`). */
  v3(gv: string): OpenAPIDocument | undefined {
    const kinds = [...this.kinds.values()].filter((k) => gvPath(k.descriptor) === gv);
    if (kinds.length === 0) return undefined;
    return this.cached(`v3:${gv}`, () => {
      const paths: Record<string, unknown> = {};
      for (const k of kinds.sort((a, b) => (a.descriptor.resource < b.descriptor.resource ? -1 : 1)))
        Object.assign(paths, pathsFor(k.descriptor, k.name, k.builtin, 'v3'));
      return rewriteRefs(
        {
          openapi: '3.0.0',
          info: { title: 'Kubernetes', version: 'v1.32.0' },
          paths,
          components: {
            schemas: this.definitionsFor(kinds),
            securitySchemes: {
              BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' },
            },
          },
        },
        '#/components/schemas/',
        true,
      );
    });
  }

  /** The v3 document as an object (tests, explain-like consumers). */
  v3GroupVersion(gv: string): Record<string, unknown> | undefined {
    const doc = this.v3(gv);
    return doc ? (JSON.parse(doc.body) as Record<string, unknown>) : undefined;
  }

  /**
   * GET /openapi/v3/<gv>: 200 with `ETag: "<hash>"`; with `?hash=` matching,
   * immutable caching headers; with a stale hash, 301 to the current URL;
   * 304 when If-None-Match carries the current ETag. Undefined: not served (404).
   */
  v3Response(gv: string, query: URLSearchParams, ifNoneMatch?: string): OpenAPIV3Response | undefined {
    const doc = this.v3(gv);
    if (!doc) return undefined;
    const etag = `"${doc.hash}"`;
    const hash = query.get('hash');
    if (hash !== null && hash !== '' && hash !== doc.hash) {
      return { status: 301, headers: { Location: `/openapi/v3/${gv}?hash=${doc.hash}` } };
    }
    const headers: Record<string, string> = { 'Content-Type': 'application/json', ETag: etag };
    if (hash) {
      headers.Vary = 'Accept';
      headers['Cache-Control'] = 'public, immutable';
      headers.Expires = new Date(Date.now() + 365 * 24 * 3600 * 1000).toUTCString();
    }
    if (ifNoneMatch?.split(',').some((t) => t.trim() === etag)) return { status: 304, headers };
    return { status: 200, headers, body: doc.body };
  }

  /** ETag (quoted) of `/openapi/v2` or `/openapi/v3/<gv>`. */
  etag(path: string): string | undefined {
    const p = path.replace(/^\/+/, '').replace(/^openapi\/v3\//, '');
    const doc = p === 'openapi/v2' ? this.v2() : this.v3(p);
    return doc ? `"${doc.hash}"` : undefined;
  }

  v2(): OpenAPIDocument {
    return this.cached('v2', () => {
      const kinds = [...this.kinds.values()];
      const paths: Record<string, unknown> = {};
      for (const k of kinds) Object.assign(paths, pathsFor(k.descriptor, k.name, k.builtin, 'v2'));
      return rewriteRefs(
        {
          swagger: '2.0',
          info: { title: 'Kubernetes', version: 'v1.32.0' },
          paths,
          definitions: this.definitionsFor(kinds, true),
          securityDefinitions: {
            BearerToken: { description: 'Bearer Token authentication', type: 'apiKey', name: 'authorization', in: 'header' },
          },
          security: [{ BearerToken: [] }],
        },
        '#/definitions/',
        false,
      );
    });
  }

  /**
   * The v2 document as gnostic protobuf (kube-openapi ToProtoBinary of the
   * JSON document); it shares the JSON document's ETag, as kube's does.
   */
  v2Protobuf(): Buffer {
    this.v2Encoded.protobuf ??= encodeOpenAPIV2Protobuf(this.v2Document());
    return this.v2Encoded.protobuf;
  }

  /** The v2 document gzipped, per encoding, computed once per document version. */
  v2Gzipped(encoding: 'json' | 'protobuf'): Buffer {
    let z = this.v2Encoded.gzip.get(encoding);
    if (!z) {
      z = gzipSync(encoding === 'json' ? Buffer.from(this.v2().body) : this.v2Protobuf(), { level: 1 });
      this.v2Encoded.gzip.set(encoding, z);
    }
    return z;
  }

  /** When the v2 document last changed (its Last-Modified). */
  v2LastModified(): Date {
    return this.v2Modified;
  }

  /** The v2 document as an object. */
  v2Document(): Record<string, unknown> {
    return JSON.parse(this.v2().body) as Record<string, unknown>;
  }
}

/** The meta types every document's operations reference. */
function commonSchemas(): Record<string, Schema> {
  const str = { type: 'string' };
  return {
    'io.k8s.apimachinery.pkg.apis.meta.v1.Patch': {
      type: 'object',
      description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
    },
    'io.k8s.apimachinery.pkg.apis.meta.v1.Status': {
      type: 'object',
      description: "Status is a return value for calls that don't return other objects.",
      properties: {
        apiVersion: str,
        kind: str,
        code: { type: 'integer', format: 'int32' },
        details: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        message: str,
        metadata: { $ref: 'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta' },
        reason: str,
        status: str,
      },
      [GVK]: [{ group: '', kind: 'Status', version: 'v1' }],
    },
    'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta': {
      type: 'object',
      description:
        'ListMeta describes metadata that synthetic resources must have, including lists and various status objects. A resource may have only one of {ObjectMeta, ListMeta}.',
      properties: { continue: str, remainingItemCount: { type: 'integer', format: 'int64' }, resourceVersion: str, selfLink: str },
    },
    'io.k8s.api.autoscaling.v1.Scale': {
      type: 'object',
      description: 'Scale represents a scaling request for a resource.',
      properties: {
        apiVersion: str,
        kind: str,
        metadata: { $ref: 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
        spec: { type: 'object', properties: { replicas: { type: 'integer', format: 'int32' } } },
        status: { type: 'object', required: ['replicas'], properties: { replicas: { type: 'integer', format: 'int32' }, selector: str } },
      },
      [GVK]: [{ group: 'autoscaling', kind: 'Scale', version: 'v1' }],
    },
    // The response of the `/watch/` endpoints; kube tags it with every served group-version (registry adds those).
    [WATCH_EVENT]: {
      description: 'Event represents a single event to a watched resource.',
      properties: {
        object: {
          $ref: RAW_EXTENSION,
          description:
            'Object is:\n * If Type is Added or Modified: the new state of the object.\n * If Type is Deleted: the state of the object immediately before deletion.\n * If Type is Error: *Status is recommended; other types may make sense\n   depending on context.',
        },
        type: str,
      },
      required: ['type', 'object'],
      type: 'object',
    },
    [RAW_EXTENSION]: { description: 'RawExtension is used to hold extensions in external versions.', type: 'object' },
    'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions': {
      type: 'object',
      description: 'DeleteOptions may be provided when deleting an API object.',
      properties: {
        apiVersion: str,
        dryRun: { type: 'array', items: str },
        gracePeriodSeconds: { type: 'integer', format: 'int64' },
        kind: str,
        orphanDependents: { type: 'boolean' },
        propagationPolicy: str,
      },
    },
  };
}

/**
 * The kinds a resource's create subresources take and answer (pods/binding: Binding; pods/eviction:
 * policy/v1 Eviction), each tagged with its group-version-kind as kube publishes them beside the pod.
 */
function subresourceDefinitions(models: ModelCatalog, d: ResourceDescriptor): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  for (const sub of d.subresources?.others ?? []) {
    if (sub.verbs.length !== 1 || sub.verbs[0] !== 'create') continue;
    const group = sub.group ?? d.group;
    const version = sub.version ?? d.version;
    const cls = `${version.charAt(0).toUpperCase()}${version.slice(1)}${sub.kind}`;
    if (!models.has(cls)) continue;
    const name = models.load(cls, group);
    const defs = models.closure(name);
    Object.assign(out, defs, { [name]: { ...defs[name], [GVK]: [{ group, kind: sub.kind, version }] } });
  }
  return out;
}
