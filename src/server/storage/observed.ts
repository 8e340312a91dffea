// Timing storage calls for etcd_request_duration_seconds, at the storage seam:
// a Storage that hands every call to another and reports how long each took,
// as kube's etcd3 store calls metrics.RecordEtcdRequest around each etcd request
// (get, list, create, update, delete, listWithCount). The time spent in the
// caller's tryUpdate (admission, validation) is not storage time and is left out.
// Watches are not timed. The observer knows what is stored under the keys; the
// storage never does.

import type { KubeObject } from '../api/types.js';
import type {
  DeleteOptions,
  ListOptions,
  ListResult,
  Storage,
  StorageWatch,
  TryUpdate,
  UpdateOptions,
  WatchHandler,
  WatchOptions,
} from './interface.js';

export type StorageOperation = 'get' | 'list' | 'create' | 'update' | 'delete' | 'listWithCount';

/** Told each timed call: its operation and duration in seconds. */
export type StorageObserver = (operation: StorageOperation, seconds: number) => void;

const since = (start: number): number => (performance.now() - start) / 1000;

export class ObservedStorage implements Storage {
  constructor(
    private readonly s: Storage,
    private readonly observe: StorageObserver,
  ) {}

  get kind(): Storage['kind'] {
    return this.s.kind;
  }

  private async timed<T>(op: StorageOperation, call: Promise<T>, start: number): Promise<T> {
    try {
      return await call;
    } finally {
      this.observe(op, since(start));
    }
  }

  create(key: string, obj: KubeObject, opts?: { dryRun?: boolean }): Promise<KubeObject> {
    return this.timed('create', this.s.create(key, obj, opts), performance.now());
  }

  get(key: string): Promise<KubeObject | null> {
    return this.timed('get', this.s.get(key), performance.now());
  }

  list(prefix: string, opts?: ListOptions): Promise<ListResult> {
    return this.timed('list', this.s.list(prefix, opts), performance.now());
  }

  count(prefix: string): Promise<number> {
    return this.timed('listWithCount', this.s.count(prefix), performance.now());
  }

  delete(key: string, opts?: DeleteOptions): Promise<KubeObject> {
    return this.timed('delete', this.s.delete(key, opts), performance.now());
  }

  async guaranteedUpdate(key: string, tryUpdate: TryUpdate, opts?: UpdateOptions): Promise<KubeObject> {
    const start = performance.now();
    let outside = 0;
    const timedUpdate: TryUpdate = async (current) => {
      const t = performance.now();
      try {
        return await tryUpdate(current);
      } finally {
        outside += performance.now() - t;
      }
    };
    try {
      return await this.s.guaranteedUpdate(key, timedUpdate, opts);
    } finally {
      this.observe('update', (performance.now() - start - outside) / 1000);
    }
  }

  watch(prefix: string, opts: WatchOptions, handler: WatchHandler): StorageWatch {
    return this.s.watch(prefix, opts, handler);
  }

  currentRevision(): Promise<number> {
    return this.s.currentRevision();
  }

  compact(revision: number): Promise<void> {
    return this.s.compact(revision);
  }

  compactedRevision(): Promise<number> {
    return this.s.compactedRevision();
  }

  healthy(): Promise<boolean> {
    return this.s.healthy();
  }

  close(): Promise<void> {
    return this.s.close();
  }
}
