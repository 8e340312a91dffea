// --watch-cache=false: every list and watch goes to storage, one storage
// watch per client (kube-apiserver without the cacher, straight to the etcd3
// store), with the same predicate transitions and event shapes as the cache.

import { expired, timeout, toStatus } from '../api/errors.js';
import type { KubeObject } from '../api/types.js';
import { isStorageError, type Storage, type StorageWatch } from '../storage/interface.js';
import type { SourceListOptions, SourceListResult, SourceWatchOptions, WatchHandle, WatchSink, WatchSource } from './types.js';
import { defaultBookmarkObject } from './types.js';
import { addedEvent, initialEventsEndBookmark, Watcher } from './watcher.js';
import { DEFAULT_WATCHER_BUFFER_BYTES } from './cache.js';

export interface StorageWatchSourceOptions {
  bookmarkObject?: (rv: number) => KubeObject;
  bookmarkIntervalMs?: number;
  bufferSize?: number;
}

function tooLarge(rv: number, current: number): Error {
  return timeout(`Too large resource version: ${rv}, current: ${current}`, 1, [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }]);
}

/** The etcd3 store's answer to a watch from a compacted revision (interpretWatchError). */
const WATCH_TOO_OLD = 'The resourceVersion for the provided watch is too old.';

export class StorageWatchSource implements WatchSource {
  private readonly watchers = new Map<Watcher, StorageWatch | undefined>();
  private readonly make: (rv: number) => KubeObject;
  private readonly timer?: NodeJS.Timeout;

  constructor(private readonly storage: Storage, readonly prefix: string, private readonly opts: StorageWatchSourceOptions = {}) {
    this.make = opts.bookmarkObject ?? defaultBookmarkObject(undefined, undefined);
    const every = opts.bookmarkIntervalMs ?? 60_000;
    if (every > 0) {
      this.timer = setInterval(() => this.bookmarkAll(), every);
      this.timer.unref();
    }
  }

  async list(opts: SourceListOptions): Promise<SourceListResult> {
    const r = await this.storage.list(opts.keyPrefix ?? this.prefix, { limit: opts.limit, predicate: opts.predicate, startAfterKey: opts.startAfterKey });
    if (opts.minRevision && opts.minRevision > r.revision) throw tooLarge(opts.minRevision, r.revision);
    return r;
  }

  async watch(opts: SourceWatchOptions, sink: WatchSink): Promise<WatchHandle> {
    const initial = !!(opts.sendInitialEvents || opts.initialEvents);
    const keyPrefix = opts.keyPrefix ?? this.prefix;
    let start = opts.fromRevision;
    let items: KubeObject[] = [];
    if (initial) {
      const r = await this.storage.list(keyPrefix, { predicate: opts.predicate });
      if (opts.minRevision && opts.minRevision > r.revision) throw tooLarge(opts.minRevision, r.revision);
      items = r.items;
      start = r.revision;
    } else if (start === 0) {
      start = await this.storage.currentRevision();
    } else if (start < (await this.storage.compactedRevision())) {
      const w = this.watcher(sink, opts, start, keyPrefix);
      w.fail(expired(WATCH_TOO_OLD).status as unknown as KubeObject);
      return w;
    }
    const w = this.watcher(sink, opts, start, keyPrefix);
    for (const obj of items) w.send(addedEvent(obj));
    if (opts.sendInitialEvents && opts.allowBookmarks) w.send({ type: 'BOOKMARK', object: initialEventsEndBookmark(w.opts.bookmarkObject, start) });
    if (w.closed) return w;
    this.watchers.set(w, undefined);
    const upstream = this.storage.watch(keyPrefix, { fromRevision: start, prevObject: true }, {
      event: (ev) => w.deliver(ev),
      error: (err) => {
        const status = isStorageError(err, 'Compacted') ? expired(WATCH_TOO_OLD).status : toStatus(err);
        w.fail(status as unknown as KubeObject);
      },
    });
    if (w.closed) upstream.stop();
    else this.watchers.set(w, upstream);
    return w;
  }

  /** Bookmarks carry the watcher's own last revision: without a cache that is the only one known complete for it. */
  private watcher(sink: WatchSink, opts: SourceWatchOptions, afterRevision: number, keyPrefix: string): Watcher {
    return new Watcher(sink, {
      keyPrefix,
      predicate: opts.predicate,
      allowBookmarks: !!opts.allowBookmarks,
      afterRevision,
      bufferSize: opts.bufferSize ?? this.opts.bufferSize ?? DEFAULT_WATCHER_BUFFER_BYTES,
      bookmarkObject: opts.bookmarkObject ?? this.make,
      onClose: (x) => {
        this.watchers.get(x)?.stop();
        this.watchers.delete(x);
      },
    });
  }

  bookmarkAll(): void {
    for (const w of this.watchers.keys()) w.bookmark();
  }

  stop(): void {
    clearInterval(this.timer);
    for (const w of [...this.watchers.keys()]) w.close();
  }
}
