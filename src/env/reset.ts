// env.reset(), env.snapshot(), env.restore(id): the store returned to an earlier
// state in place, without a restart (storage/interface.ts Snapshots): revisions
// only go forward, and the watches on what changed end with 410 Expired so
// informers relist.

import { hasSnapshots, type Storage, type StorageSnapshot } from '../server/storage/interface.js';

export interface ResetHelpers {
  /** Returns the store to its state right after start (system namespaces, bootstrap objects, fixtures). */
  reset(): Promise<void>;
  /** Records the store's state now; returns an id for restore(). */
  snapshot(): Promise<string>;
  /** Returns the store to a snapshot's state. */
  restore(id: string): Promise<void>;
}

/**
 * Lets the server's watch caches and controllers take the 410 and relist before the caller goes on: on the
 * memory store a relist completes within this turn of the event loop. On etcd it takes a round trip per
 * resource; until then a resourceVersion=0 read may still answer from the cache's previous state (consistent
 * reads, the kind informers make after a 410, read storage).
 */
async function settle(): Promise<void> {
  await new Promise((r) => setImmediate(r));
}

/** Takes the baseline snapshot (call once the environment is ready) and returns the helpers over it. */
export async function resetHelpers(storage: Storage): Promise<ResetHelpers> {
  if (!hasSnapshots(storage)) return unsupportedReset('this storage');
  const snapshots = new Map<string, StorageSnapshot>();
  const baseline = await storage.snapshot();
  let next = 0;
  const restoreTo = async (s: StorageSnapshot): Promise<void> => {
    await storage.restore(s);
    await settle();
  };
  return {
    reset: () => restoreTo(baseline),
    snapshot: async () => {
      const id = `snapshot-${++next}`;
      snapshots.set(id, await storage.snapshot());
      return id;
    },
    restore: async (id) => {
      const s = snapshots.get(id);
      if (!s) throw new Error(`restore: no snapshot ${JSON.stringify(id)} (ids come from env.snapshot())`);
      await restoreTo(s);
    },
  };
}

export function unsupportedReset(what: string): ResetHelpers {
  const refuse = async (): Promise<never> => {
    throw new Error(`reset, snapshot and restore need an environment kapi-env started, not ${what}`);
  };
  return { reset: refuse, snapshot: refuse, restore: refuse };
}
