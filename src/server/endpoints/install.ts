// One install path for every served resource, as kube's InstallAPIGroup
// (k8s.io/apiserver/pkg/server/genericapiserver.go) installs each group's
// storage map: the generic Store over storage, its lister (watch cache or
// storage), the router entry REST handlers and discovery read, and the
// resource's OpenAPI schema. Built-ins and the CRD resource come from the
// catalog; the CRD controller installs each served custom resource version.

import type { AdmissionChain } from '../admission/index.js';
import type { ResourceDescriptor, TableColumn } from '../api/descriptor.js';
import type { KubeObject } from '../api/types.js';
import { createLister, type ManagedLister } from '../registry/lister.js';
import { Store, type StoreConfig } from '../registry/store.js';
import type { Strategy } from '../registry/strategy.js';
import { type Decoder, schemaDecoder } from '../schema/builtin/decode.js';
import type { Schema } from '../schema/builtin/models.js';
import type { Storage } from '../storage/interface.js';
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

export async function installResource(ctx: InstallContext, r: ResourceInstall): Promise<InstalledResource> {
  const d = r.descriptor;
  const store = new Store({
    ...r.conversion,
    descriptor: d,
    strategy: r.strategy,
    storage: ctx.storage,
    keyPrefix: r.keyPrefix,
    admission: ctx.admission,
  });
  const lister = await createLister(store, { watchCache: ctx.watchCache, watchCacheSize: ctx.watchCacheSize });
  let served: ServedResource;
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
      decode: schemaDecoder(d.kind, d.version, k.definitions[k.name], k.definitions),
    };
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
