// What admission plugins read of the served resources (kube's shared informers
// and loopback client, as admission initializers hand them): objects from the
// watch cache (a live read when the cache has not seen one), status writes
// through the stores, and the served resources' shapes (a paramKind's resource,
// the same storage under other versions for matchPolicy Equivalent).

import type { GVR, ObjectAccess } from '../admission/plugins/deps.js';
import { StatusError } from '../api/errors.js';
import type { ResourceRouter } from '../endpoints/router.js';
import type { ResourceLister } from '../registry/lister.js';
import type { RequestContext } from '../registry/strategy.js';

const systemContext = (namespace: string, subresource?: string): RequestContext => ({
  user: { username: 'system:apiserver', groups: ['system:masters'] },
  namespace: namespace || undefined,
  dryRun: false,
  warnings: [],
  ...(subresource ? { subresource } : {}),
});

export function admissionObjectAccess(router: ResourceRouter): ObjectAccess {
  const served = (r: GVR) => router.get(r.group, r.version, r.resource);
  return {
    async get(r, namespace, name) {
      const s = served(r);
      if (!s) return undefined;
      const cached = (s.lister as Partial<ResourceLister>).cachedGet?.(namespace, name);
      if (cached) return s.store.converts ? s.store.out(cached) : cached;
      return s.store.get(systemContext(namespace), name).catch(() => undefined);
    },
    async list(r, namespace) {
      const s = served(r);
      if (!s) return [];
      return (await s.lister.list({ namespace, resourceVersion: '0' })).items;
    },
    async updateStatus(r, namespace, name, update) {
      const s = served(r);
      if (!s) throw new Error(`${r.resource}.${r.group} is not served`);
      const { object } = await s.store.update(systemContext(namespace, 'status'), name, (current) => {
        if (!current) throw new Error(`${r.resource} "${name}" not found`);
        return update(current);
      });
      return object;
    },
    async create(r, namespace, obj) {
      const s = served(r);
      if (!s) throw new Error(`${r.resource}.${r.group} is not served`);
      await s.store.create(systemContext(namespace), obj).catch((e: unknown) => {
        if (!(e instanceof StatusError && e.reason === 'AlreadyExists')) throw e;
      });
    },
    resourcesFor(apiVersion, kind) {
      const slash = apiVersion.lastIndexOf('/');
      const group = slash < 0 ? '' : apiVersion.slice(0, slash);
      const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
      return router
        .all()
        .filter((x) => x.descriptor.group === group && x.descriptor.version === version && x.descriptor.kind === kind)
        .map((x) => ({ group, version, resource: x.descriptor.resource }));
    },
    namespaced: (r) => served(r)?.store.strategy.namespaced,
    // The same storage (key prefix) served under other groups or versions: a CRD's versions,
    // autoscaling/v1 and v2 HPAs, core and events.k8s.io Events.
    equivalents(r) {
      const own = served(r);
      if (!own) return [];
      return router
        .all()
        .filter((x) => x !== own && x.store.keyPrefix === own.store.keyPrefix)
        .map((x) => ({
          resource: { group: x.descriptor.group, version: x.descriptor.version, resource: x.descriptor.resource },
          kind: x.descriptor.kind,
        }));
    },
    // Through the storage version: the source version's conversion to storage, the target's from it.
    async convert(obj, from, to) {
      const source = served(from);
      const target = served(to);
      if (!source || !target) throw new Error(`no conversion from ${from.resource}.${from.group}/${from.version} to ${to.version}`);
      return target.store.out(await source.store.toStorage(structuredClone(obj)));
    },
  };
}
