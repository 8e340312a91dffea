// The watch package's entry: the list/watch source for a resource, the watch
// cache or storage read directly.

import type { Storage } from '../storage/interface.js';
import { WatchCache, type WatchCacheOptions } from './cache.js';
import { StorageWatchSource } from './storage-source.js';
import type { WatchSource } from './types.js';

export { WatchCache, type WatchCacheOptions } from './cache.js';
export { eventJSON, eventLine } from './encode.js';
export { StorageWatchSource } from './storage-source.js';
export * from './types.js';
export { convertToWatchEvent, DEFAULT_WATCHER_BUFFER_BYTES, tooOldStatus } from './watcher.js';

export interface CreateWatchSourceOptions extends WatchCacheOptions {
  /** --watch-cache (default true). */
  cache?: boolean;
}

/** One source per resource prefix (e.g. `/configmaps/`); with the cache it is started (listed and watching) on return. */
export async function createWatchSource(storage: Storage, prefix: string, opts: CreateWatchSourceOptions = {}): Promise<WatchSource> {
  if (opts.cache === false) return new StorageWatchSource(storage, prefix, opts);
  const cache = new WatchCache(storage, prefix, opts);
  await cache.start();
  return cache;
}
