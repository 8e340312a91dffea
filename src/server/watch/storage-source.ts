// The source that reads storage directly: kube-apiserver's etcd3 store
// behind storage.Interface. It serves every list and watch with
// --watch-cache=false, and the requests the watch cache hands on (consistent
// reads, Exact, continue tokens, limits, revisions the cache has not reached).
// One storage watch per client, with the same predicate transitions and event
// shapes as the cache.

import { expired, toStatus } from '../api/errors.js';
import type { KubeObject } from '../api/types.js';
import { isStorageError, type Storage, type StorageWatch } from '../storage/interface.js';
import { CONTINUE_EXPIRED, decodeContinue, encodeContinue } from './continue.js';
import type { Predicate, SourceListOptions, SourceListResult, SourceWatchOptions, WatchHandle, WatchSink, WatchSource } from './types.js';
import { defaultBookmarkObject } from './types.js';
import { addedEvent, DEFAULT_WATCHER_BUFFER_BYTES, initialEventsEndBookmark, tooLargeResourceVersion, Watcher } from './watcher.js';

export interface StorageWatchSourceOptions {
  bookmarkObject?: (rv: number) => KubeObject;
  bufferSize?: number;
}

/** The etcd3 store's answer to a watch from a compacted revision (interpretWatchError). */
const WATCH_TOO_OLD = 'The resourceVersion for the provided watch is too old.';

export class StorageWatchSource implements WatchSource {
  private readonly watchers = new Map<Watcher, StorageWatch | undefined>();
  private readonly make: (rv: number) => KubeObject;

  constructor(
    private readonly storage: Storage,
    readonly prefix: string,
    private readonly opts: StorageWatchSourceOptions = {},
  ) {
    this.make = opts.bookmarkObject ?? defaultBookmarkObject(undefined, undefined);
  }

  /**
   * The etcd3 store's GetList: a continue token reads at its revision; Exact (or a limit with an unset
   * match) at the given revision; anything else at the latest revision, which satisfies NotOlderThan once
   * the store has reached it.
   */
  async list(opts: SourceListOptions): Promise<SourceListResult> {
    const keyPrefix = opts.keyPrefix ?? this.prefix;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    if (opts.continue) {
      const token = decodeContinue(opts.continue);
      return this.read(keyPrefix, opts.predicate, limit, Math.max(token.rv, 0), this.prefix + token.start);
    }
    const rv = opts.resourceVersion;
    const match = opts.resourceVersionMatch ?? '';
    const exact = rv !== undefined && rv > 0 && (match === 'Exact' || (!match && limit > 0));
    if (rv !== undefined && rv > 0 && !exact) {
      const current = await this.storage.currentRevision();
      if (rv > current) throw tooLargeResourceVersion(rv, current);
    }
    return this.read(keyPrefix, opts.predicate, limit, exact ? rv : 0, undefined);
  }

  private async read(
    keyPrefix: string,
    predicate: Predicate | undefined,
    limit: number,
    revision: number,
    startAfterKey: string | undefined,
  ): Promise<SourceListResult> {
    try {
      const r = await this.storage.list(keyPrefix, { revision, limit, predicate, startAfterKey });
      const out: SourceListResult = { items: r.items, revision: r.revision };
      if (r.more && r.lastKey) out.continue = encodeContinue(r.revision, r.lastKey.slice(this.prefix.length));
      if (r.more && r.remainingItemCount !== undefined) out.remainingItemCount = r.remainingItemCount;
      return out;
    } catch (e) {
      if (isStorageError(e, 'Compacted')) {
        if (startAfterKey) {
          // The snapshot is gone: 410 with a token that continues from the same key at the latest revision.
          const err = expired(CONTINUE_EXPIRED);
          (err.status.metadata as Record<string, unknown>).continue = encodeContinue(-1, startAfterKey.slice(this.prefix.length));
          throw err;
        }
        throw expired(`The resourceVersion for the provided list is too old.`);
      }
      if (isStorageError(e, 'TooLargeResourceVersion'))
        throw tooLargeResourceVersion(revision, e.revision ?? (await this.storage.currentRevision()));
      throw e;
    }
  }

  async watch(opts: SourceWatchOptions, sink: WatchSink): Promise<WatchHandle> {
    const initial = !!(opts.sendInitialEvents || opts.initialEvents);
    const keyPrefix = opts.keyPrefix ?? this.prefix;
    let start = opts.fromRevision;
    let items: KubeObject[] = [];
    if (initial) {
      const r = await this.storage.list(keyPrefix, { predicate: opts.predicate });
      if (opts.minRevision && opts.minRevision > r.revision) throw tooLargeResourceVersion(opts.minRevision, r.revision);
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
    if (opts.sendInitialEvents && opts.allowBookmarks)
      w.send({ type: 'BOOKMARK', object: initialEventsEndBookmark(w.opts.bookmarkObject, start) });
    if (w.closed) return w;
    this.watchers.set(w, undefined);
    const upstream = this.storage.watch(
      keyPrefix,
      { fromRevision: start, prevObject: true },
      {
        event: (ev) => w.deliver(ev),
        error: (err) => {
          const status = isStorageError(err, 'Compacted') ? expired(WATCH_TOO_OLD).status : toStatus(err);
          w.fail(status as unknown as KubeObject);
        },
      },
    );
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

  cached(): undefined {
    return undefined;
  }

  /** None: kube's etcd3 watch sends no periodic bookmarks (only the WatchList end bookmark). */
  bookmarkAll(): void {}

  stop(): void {
    for (const w of [...this.watchers.keys()]) w.close();
  }
}
