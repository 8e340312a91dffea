// Catalog rows on the generic Store over memory storage, without HTTP: what the
// registry suites share (a row by resource, a request context, a Store and its
// lister per row, storage opened and closed around each test, Status rejections).

import { afterEach, beforeEach, expect } from 'vitest';
import { AdmissionChain } from '../../src/server/admission/index.js';
import { StatusError } from '../../src/server/api/errors.js';
import type { BuiltinResource } from '../../src/server/registry/builtin.js';
import { BUILTIN_RESOURCES } from '../../src/server/registry/catalog.js';
import { createLister, type ResourceLister } from '../../src/server/registry/lister.js';
import { Store } from '../../src/server/registry/store.js';
import type { RequestContext, Strategy } from '../../src/server/registry/strategy.js';
import type { ResourceLookup, ServedResourceRef } from '../../src/server/registry/subresource.js';
import { createStorage } from '../../src/server/storage/factory.js';
import type { Storage } from '../../src/server/storage/interface.js';

/** The catalog row of `resource` (in `group` and `version` when given; `rows` defaults to the whole catalog). */
export function catalogRow(resource: string, where: { group?: string; version?: string; rows?: BuiltinResource[] } = {}): BuiltinResource {
  const r = (where.rows ?? BUILTIN_RESOURCES).find(
    ({ descriptor: d }) =>
      d.resource === resource &&
      (where.group === undefined || d.group === where.group) &&
      (where.version === undefined || d.version === where.version),
  );
  if (!r) throw new Error(`no catalog row for ${where.group ?? '*'}/${where.version ?? '*'}/${resource}`);
  return r;
}

/** A request by a cluster admin in `default`, unless `over` says otherwise. */
export function requestContext(over: Partial<RequestContext> = {}): RequestContext {
  return { user: { username: 'admin', groups: ['system:masters'] }, namespace: 'default', dryRun: false, warnings: [], ...over };
}

/** The StatusError `p` rejects with (fails the test when it resolves or throws anything else). */
export async function rejection(p: Promise<unknown>): Promise<StatusError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(StatusError);
  return e as StatusError;
}

export interface StoreOptions {
  /** Default the row's strategy. */
  strategy?: Strategy;
  /** Default an empty chain. */
  admission?: AdmissionChain;
  /** Default the suite's memory storage. */
  storage?: Storage;
  /** Whether a lister (no watch cache) runs beside the Store, as installResource starts one; default true. */
  lister?: boolean;
}

/**
 * Memory storage opened before and closed after each test of the calling suite, and the Stores made over it
 * (each registered for `lookup`, as the router serves them to subresources).
 */
export function useRowStores() {
  let storage: Storage | undefined;
  const listers: ResourceLister[] = [];
  const refs = new Map<string, ServedResourceRef>();
  beforeEach(async () => {
    storage = await createStorage({ kind: 'memory' });
    listers.length = 0;
    refs.clear();
  });
  afterEach(async () => {
    for (const l of listers) l.stop();
    await storage?.close();
  });
  const lookup: ResourceLookup = (group, resource) => refs.get(`${group}/${resource}`);
  return {
    get storage(): Storage {
      if (!storage) throw new Error('storage is opened by beforeEach');
      return storage;
    },
    lookup,
    /** The listers started so far in this test, in order. */
    listers: listers as readonly ResourceLister[],
    /** The row's Store alone (no lister). */
    store(r: BuiltinResource, opts: Omit<StoreOptions, 'lister'> = {}): Store {
      return new Store({
        ...r.conversion,
        descriptor: r.descriptor,
        strategy: opts.strategy ?? r.strategy,
        storage: opts.storage ?? this.storage,
        keyPrefix: r.keyPrefix,
        admission: opts.admission ?? new AdmissionChain(),
      });
    },
    /** The row's Store with its lister, as installResource starts them, reachable through `lookup`. */
    async storeFor(r: BuiltinResource, opts: StoreOptions = {}): Promise<Store> {
      const store = this.store(r, opts);
      if (opts.lister !== false) {
        const lister = await createLister(store, { watchCache: false });
        listers.push(lister);
        refs.set(`${r.descriptor.group}/${r.descriptor.resource}`, { store, lister });
      }
      return store;
    },
  };
}
