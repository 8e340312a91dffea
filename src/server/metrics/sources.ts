// What the metrics read of the served resources: whether a request reaches one
// (kube instruments its routes only, so an unknown path adds no series), and
// the objects each stores (apiserver_storage_objects, kube's
// startObservingCount per Store, counted here at each scrape).

import type { RequestInfo } from '../http/request-info.js';
import type { MetricsSources } from './index.js';

/** The part of a served resource read here (endpoints/router.ts ServedResource). */
interface Served {
  descriptor: {
    group: string;
    resource: string;
    /** false: served from a REST of its own, not a Store (bindings, componentstatuses). */
    storageVersionHash?: false;
    subresources?: { status?: boolean; scale?: unknown };
  };
  store: { keyPrefix: string };
  subresources?: Array<{ name: string }>;
}

export interface ServedResources {
  get(group: string, version: string, resource: string): Served | undefined;
  all(): Served[];
}

/** kube's group-resource string: `configmaps`, `deployments.apps`. */
export function groupResource(d: { group: string; resource: string }): string {
  return d.group ? `${d.resource}.${d.group}` : d.resource;
}

export function servedSources(resources: ServedResources, storage: { count(prefix: string): Promise<number> }): MetricsSources {
  return {
    routed(info: RequestInfo): boolean {
      const s = resources.get(info.apiGroup, info.apiVersion, info.resource);
      if (!s) return false;
      const sub = info.subresource;
      if (!sub) return true;
      const d = s.descriptor.subresources;
      return (sub === 'status' && !!d?.status) || (sub === 'scale' && !!d?.scale) || !!s.subresources?.some((x) => x.name === sub);
    },
    async storedObjects(): Promise<Iterable<[string, number]>> {
      // Every served version of a resource shares its Store's keys: counted once.
      const prefixes = new Map<string, string>();
      for (const s of resources.all()) {
        if (s.descriptor.storageVersionHash === false) continue;
        prefixes.set(groupResource(s.descriptor), `${s.store.keyPrefix}/`);
      }
      return Promise.all(
        [...prefixes].map(async ([name, prefix]): Promise<[string, number]> => [name, await storage.count(prefix).catch(() => -1)]),
      );
    },
  };
}
