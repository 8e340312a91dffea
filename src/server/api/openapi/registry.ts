// The type registry behind /openapi/v2 and /openapi/v3: a schema per served
// kind (built-ins from generated models, custom resources from their CRD) and
// the REST paths kube-apiserver publishes for each resource. kubectl reads the
// v3 documents to find `fieldValidation` on PATCH (server-side validation),
// for `explain`, and for client-side apply's patch type.

import { createHash } from 'node:crypto';
import type { ResourceDescriptor } from '../../registry/strategy.js';
import type { Schema } from './models.js';
import { gvPath, pathsFor } from './paths.js';

export interface KindSchema {
  descriptor: ResourceDescriptor;
  /** The kind's definition name. */
  name: string;
  /** Definitions this kind needs (its own included), refs as bare definition names. */
  definitions: Record<string, Schema>;
  builtin: boolean;
}

function rewriteRefs(v: unknown, prefix: string): unknown {
  if (Array.isArray(v)) return v.map((x) => rewriteRefs(x, prefix));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = k === '$ref' && typeof x === 'string' && !x.startsWith('#') ? prefix + x : rewriteRefs(x, prefix);
    return out;
  }
  return v;
}

export class OpenAPIRegistry {
  private readonly kinds = new Map<string, KindSchema>();
  private cache = new Map<string, { body: string; hash: string }>();

  private static key(d: ResourceDescriptor): string {
    return `${d.group}/${d.version}/${d.resource}`;
  }

  set(k: KindSchema): void {
    this.kinds.set(OpenAPIRegistry.key(k.descriptor), k);
    this.cache.clear();
  }

  remove(d: ResourceDescriptor): void {
    this.kinds.delete(OpenAPIRegistry.key(d));
    this.cache.clear();
  }

  schemaFor(d: ResourceDescriptor): KindSchema | undefined {
    return this.kinds.get(OpenAPIRegistry.key(d));
  }

  /** All definitions the kinds need, each kind's own schema tagged with its group-version-kind. */
  private definitionsFor(kinds: KindSchema[]): Record<string, Schema> {
    const defs: Record<string, Schema> = {};
    for (const k of kinds) Object.assign(defs, k.definitions);
    for (const k of kinds) {
      const own = defs[k.name] ?? { type: 'object' };
      defs[k.name] = { ...own, 'x-kubernetes-group-version-kind': [{ group: k.descriptor.group, version: k.descriptor.version, kind: k.descriptor.kind }] };
    }
    return defs;
  }

  private cached(key: string, build: () => unknown): { body: string; hash: string } {
    let c = this.cache.get(key);
    if (!c) {
      const body = JSON.stringify(build());
      c = { body, hash: createHash('sha512').update(body).digest('hex').slice(0, 128).toUpperCase() };
      this.cache.set(key, c);
    }
    return c;
  }

  /** `/openapi/v3` index: `{"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=..."}}}`. */
  v3Index(): unknown {
    const paths: Record<string, { serverRelativeURL: string }> = {};
    for (const gv of new Set([...this.kinds.values()].map((k) => gvPath(k.descriptor)))) {
      paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${this.v3(gv)!.hash}` };
    }
    return { paths };
  }

  v3(gv: string): { body: string; hash: string } | undefined {
    const kinds = [...this.kinds.values()].filter((k) => gvPath(k.descriptor) === gv);
    if (kinds.length === 0) return undefined;
    return this.cached(`v3:${gv}`, () => {
      const schemas = this.definitionsFor(kinds);
      const paths: Record<string, unknown> = {};
      for (const k of kinds) Object.assign(paths, pathsFor(k.descriptor, k.name, k.builtin, 'v3'));
      return rewriteRefs({
        openapi: '3.0.0',
        info: { title: 'Kubernetes', version: 'v1.32.0' },
        paths,
        components: { schemas: { ...schemas, ...commonSchemas() }, securitySchemes: { BearerToken: { type: 'apiKey', name: 'authorization', in: 'header' } } },
      }, '#/components/schemas/');
    });
  }

  v2(): { body: string; hash: string } {
    return this.cached('v2', () => {
      const definitions = this.definitionsFor([...this.kinds.values()]);
      const paths: Record<string, unknown> = {};
      for (const k of this.kinds.values()) Object.assign(paths, pathsFor(k.descriptor, k.name, k.builtin, 'v2'));
      return rewriteRefs({
        swagger: '2.0',
        info: { title: 'Kubernetes', version: 'v1.32.0' },
        paths,
        definitions: { ...definitions, ...commonSchemas() },
      }, '#/definitions/');
    });
  }
}

/** The meta types every document references. */
function commonSchemas(): Record<string, Schema> {
  return {
    'io.k8s.apimachinery.pkg.apis.meta.v1.Patch': { type: 'object', description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.' },
    'io.k8s.apimachinery.pkg.apis.meta.v1.Status': { type: 'object', properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, code: { type: 'integer', format: 'int32' }, message: { type: 'string' }, reason: { type: 'string' }, status: { type: 'string' } } },
    'io.k8s.api.autoscaling.v1.Scale': { type: 'object', properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { $ref: 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }, spec: { type: 'object', properties: { replicas: { type: 'integer', format: 'int32' } } }, status: { type: 'object', properties: { replicas: { type: 'integer', format: 'int32' }, selector: { type: 'string' } } } }, 'x-kubernetes-group-version-kind': [{ group: 'autoscaling', version: 'v1', kind: 'Scale' }] },
    'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions': { type: 'object', properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, gracePeriodSeconds: { type: 'integer', format: 'int64' }, propagationPolicy: { type: 'string' }, dryRun: { type: 'array', items: { type: 'string' } } } },
  };
}
