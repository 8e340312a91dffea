// One install path for every served resource, as kube's InstallAPIGroup
// (k8s.io/apiserver/pkg/server/genericapiserver.go) installs each group's
// storage map: the generic Store over storage, its lister (watch cache or
// storage), the router entry REST handlers and discovery read, and the
// resource's OpenAPI schema. Built-ins and the CRD resource come from the
// catalog; the CRD controller installs each served custom resource version.

import type { AdmissionChain } from '../admission/index.js';
import type { ResourceDescriptor, TableColumn } from '../api/descriptor.js';
import type { KubeObject } from '../api/types.js';
import { type ComputedResource, ComputedStore, computedLister } from '../registry/computed.js';
import { FieldManager } from '../registry/fieldmanager.js';
import { createLister, type ManagedLister } from '../registry/lister.js';
import { Store, type StoreConfig } from '../registry/store.js';
import type { Strategy } from '../registry/strategy.js';
import type { CreateREST, SubresourceREST } from '../registry/subresource.js';
import { type Decoder, lazySchemaDecoder } from '../schema/builtin/decode.js';
import type { ModelCatalog, Schema } from '../schema/builtin/models.js';
import { builtinPatchMeta } from '../schema/builtin/strategic-meta.js';
import { SCALAR, type TypeNode, typeFromOpenAPI } from '../schema/fieldmanager/index.js';
import type { Storage } from '../storage/interface.js';
import { ObservedStorage, type StorageObserver } from '../storage/observed.js';
import type { OpenAPIRegistry } from './openapi/registry.js';
import type { ResourceRouter, ServedResource } from './router.js';

/** What every install shares: where resources are served and stored. */
export interface InstallContext {
  router: ResourceRouter;
  openapi: OpenAPIRegistry;
  storage: Storage;
  admission: AdmissionChain;
  watchCache: boolean;
  watchCacheSize?: number;
  /** Times a resource's storage calls (etcd_request_duration_seconds); `type` is its group-resource (`deployments.apps`). */
  observeStorage?: (type: string) => StorageObserver;
}

/** A custom resource version: its published schema and how request bodies are decoded against it. */
export interface CustomResourceServing {
  openAPIV3Schema: Schema;
  decode: Decoder;
  table: { columns: TableColumn[]; row(obj: KubeObject): unknown[] };
  /** Warnings every request answers with (a deprecated version's deprecationWarning). */
  warnings?: string[];
}

/** One resource to serve: a catalog row (a typed `model`) or a custom resource version (`custom`). */
export type ResourceInstall = {
  descriptor: ResourceDescriptor;
  strategy: Strategy;
  /** Key prefix under the storage prefix (`/configmaps`, `/example.com/widgets`). */
  keyPrefix: string;
  /** Conversion to and from the storage version (custom resources served in several versions). */
  conversion?: Pick<StoreConfig, 'storageApiVersion' | 'fromStorage' | 'toStorage'>;
  /** Subresources beyond status and scale, with their handlers (pods/binding, pods/log...). */
  subresources?: SubresourceREST[];
  /** Served from objects computed per request instead of storage (componentstatuses). */
  computed?: ComputedResource;
  /** Warnings every request answers with (a deprecated built-in: v1 ComponentStatus). */
  warnings?: string[];
  /** A create of its own, nothing stored (core/v1 bindings). */
  create?: CreateREST['create'];
} & (
  | {
      /**
       * A typed kind's generated model in @kubernetes/client-node (`V1ConfigMap`): its OpenAPI schema,
       * typed decoding with fieldValidation and duplicate-key detection, strategic merge patch.
       */
      model: string;
      custom?: never;
    }
  | { custom: CustomResourceServing; model?: never }
);

export interface InstalledResource {
  served: ServedResource;
  lister: ManagedLister;
  /** Removes the resource from the router and OpenAPI and stops its lister. */
  uninstall(): void;
}

const NOTHING_STORED: ComputedResource = {
  list: async () => [],
  get: async () => {
    throw new Error('nothing is stored for this resource');
  },
};

/**
 * The served version's type for server-side apply: a built-in's published definitions, or a custom
 * resource's schema with ObjectMeta for `metadata` (what kube's type converter builds from /openapi).
 */
function applyType(ctx: InstallContext, r: ResourceInstall): TypeNode {
  const models: ModelCatalog = ctx.openapi.models;
  if (r.custom) {
    const metaName = models.load('V1ObjectMeta', '');
    const defs = models.closure(metaName);
    const resolve = (ref: string): Schema | undefined => defs[ref];
    return typeFromOpenAPI(r.custom.openAPIV3Schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, {
      rootFields: { apiVersion: SCALAR, kind: SCALAR, metadata: typeFromOpenAPI(defs[metaName], { resolve }) },
    });
  }
  // A loaded model's definitions are all in the catalog (it reads what a model references as it reads the model): the
  // type resolves its references there, as it walks them, without gathering the kind's whole closure first.
  const name = models.load(r.model, r.descriptor.group);
  return typeFromOpenAPI(models.definitions[name], { resolve: (ref) => models.definitions[ref] });
}

export async function installResource(ctx: InstallContext, r: ResourceInstall): Promise<InstalledResource> {
  const d = r.descriptor;
  const cfg: StoreConfig = {
    ...r.conversion,
    descriptor: d,
    strategy: r.strategy,
    storage: ctx.observeStorage
      ? new ObservedStorage(ctx.storage, ctx.observeStorage(d.group ? `${d.resource}.${d.group}` : d.resource))
      : ctx.storage,
    keyPrefix: r.keyPrefix,
    admission: ctx.admission,
    // A webhook-patched object decoded as a request body is, once the served decoder exists.
    decode: (obj) => served?.decode?.(obj, { fieldValidation: 'Ignore', warnings: [], patched: true }),
  };
  // A resource with a create of its own stores nothing: nothing to list or watch (its verbs say so).
  const computed = r.computed ?? (r.create ? NOTHING_STORED : undefined);
  if (!computed) {
    cfg.fieldManager = new FieldManager({
      group: d.group,
      version: d.version,
      kind: d.kind,
      hasStatusSubresource: r.strategy.hasStatusSubresource,
      resetFields: r.strategy.resetFields,
      type: () => applyType(ctx, r),
      zero: () => (r.model ? builtinPatchMeta().zero(ctx.openapi.models.nameOf(r.model, d.group)) : undefined),
    });
  }
  const store = computed ? new ComputedStore(cfg, computed) : new Store(cfg);
  const lister = computed
    ? computedLister(store, computed)
    : await createLister(store, { watchCache: ctx.watchCache, watchCacheSize: ctx.watchCacheSize });
  let served: ServedResource | undefined;
  if (r.custom) {
    ctx.openapi.addCustom(d, r.custom.openAPIV3Schema);
    served = {
      descriptor: d,
      store,
      lister,
      allowStrategicMerge: false,
      table: r.custom.table,
      decode: r.custom.decode,
      warnings: r.custom.warnings,
    };
  } else {
    const k = ctx.openapi.addBuiltin(d, r.model);
    served = {
      descriptor: d,
      store,
      lister,
      allowStrategicMerge: true,
      definition: k.name,
      warnings: r.warnings,
      decode: lazySchemaDecoder(d.kind, d.version, () => ({ schema: k.definitions[k.name], definitions: k.definitions })),
    };
  }
  if (r.create) served.create = r.create;
  if (r.subresources?.length) {
    served.subresources = r.subresources.map((sub) => {
      if (sub.handler !== 'create') return sub;
      // A created subresource's body (Binding, Eviction) is decoded as its own typed kind.
      const decode = lazySchemaDecoder(sub.kind, sub.version ?? d.version, () => {
        const name = ctx.openapi.models.load(sub.model, sub.group ?? d.group);
        const definitions = ctx.openapi.models.closure(name);
        return { schema: definitions[name], definitions };
      });
      return { ...sub, decode };
    });
  }
  ctx.router.add(served);
  return {
    served,
    lister,
    uninstall() {
      ctx.router.remove(d.group, d.version, d.resource);
      ctx.openapi.remove(d);
      lister.stop();
    },
  };
}
