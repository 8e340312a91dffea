// Installs the built-in resources on the router and creates the namespaces
// every cluster starts with.

import { StatusError } from './api/errors.js';
import type { KubeObject } from './api/types.js';
import type { AdmissionChain } from './admission/index.js';
import { schemaDecoder } from './schema/builtin/decode.js';
import type { OpenAPIRegistry } from './endpoints/openapi/registry.js';
import type { ResourceRouter } from './endpoints/router.js';
import { BUILTIN_RESOURCES } from './registry/catalog.js';
import { createLister, type ManagedLister } from './registry/lister.js';
import { Store } from './registry/store.js';
import type { Storage } from './storage/interface.js';

export interface InstallOptions {
  router: ResourceRouter;
  storage: Storage;
  admission: AdmissionChain;
  watchCache: boolean;
  watchCacheSize?: number;
  openapi: OpenAPIRegistry;
}

export async function installBuiltins(opts: InstallOptions): Promise<{ stop(): void }> {
  const listers: ManagedLister[] = [];
  await Promise.all(
    BUILTIN_RESOURCES.map(async (b) => {
      const store = new Store({
        descriptor: b.descriptor,
        strategy: b.strategy,
        storage: opts.storage,
        keyPrefix: b.keyPrefix,
        admission: opts.admission,
      });
      const lister = await createLister(store, { watchCache: opts.watchCache, watchCacheSize: opts.watchCacheSize });
      listers.push(lister);
      const k = opts.openapi.addBuiltin(b.descriptor, b.model);
      opts.router.add({
        descriptor: b.descriptor,
        store,
        lister,
        allowStrategicMerge: true,
        decode: schemaDecoder(b.descriptor.kind, b.descriptor.version, k.definitions[k.name], k.definitions),
      });
    }),
  );
  return { stop: () => listers.forEach((l) => l.stop()) };
}

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function bootstrapNamespaces(router: ResourceRouter): Promise<void> {
  const ns = router.get('', 'v1', 'namespaces');
  if (!ns) return;
  const ctx = { user: { username: 'system:apiserver', groups: ['system:masters'] }, dryRun: false, warnings: [] };
  for (const name of SYSTEM_NAMESPACES) {
    try {
      await ns.store.create(ctx, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } as KubeObject);
    } catch (e) {
      if (!(e instanceof StatusError && e.code === 409)) throw e;
    }
  }
}
