// The watch package's entry: pick the watch cache or storage for a resource.

import type { KubeObject } from '../api/types.js';
import type { Storage } from '../storage/interface.js';
import { WatchCache, type WatchCacheOptions } from './cache.js';
import { StorageWatchSource } from './storage-source.js';
import type { WatchSource } from './types.js';

export * from './types.js';
export { WatchCache, DEFAULT_WATCHER_BUFFER_BYTES, type WatchCacheOptions } from './cache.js';
export { StorageWatchSource } from './storage-source.js';
export { tooOldStatus, convertToWatchEvent } from './watcher.js';
export { eventLine, eventJSON } from './encode.js';

export interface CreateWatchSourceOptions extends WatchCacheOptions {
  /** --watch-cache (default true). */
  cache?: boolean;
  /** BOOKMARK objects of the watched kind: `{kind, apiVersion, metadata: {resourceVersion}}`. */
  bookmarkObject?: (rv: number) => KubeObject;
}

/** One source per resource prefix (e.g. `/configmaps/`); with the cache it is started (listed and watching) on return. */
export async function createWatchSource(storage: Storage, prefix: string, opts: CreateWatchSourceOptions = {}): Promise<WatchSource> {
  if (opts.cache === false) return new StorageWatchSource(storage, prefix, opts);
  const cache = new WatchCache(storage, prefix, opts);
  await cache.start();
  return cache;
}
