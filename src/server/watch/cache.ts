// The watch cache (k8s.io/apiserver/pkg/storage/cacher): one upstream storage
// watch per resource keeps the current state and a ring buffer of recent
// events. It serves resourceVersion="0" and NotOlderThan lists, answers watch
// resumes from the buffer, and fans every event out to all watchers. When the
// upstream watch fails (compaction, lost connection) it ends every client
// watch with a 410 ERROR so clients relist, then relists itself and watches
// again from the new list revision: no event is ever silently skipped.

import { timeout } from '../api/errors.js';
import type { KubeObject } from '../api/types.js';
import type { Storage, StorageWatch } from '../storage/interface.js';
import { EventRing } from './ring.js';
import { SortedKeys } from '../storage/memory/sorted-keys.js';
import type { SourceListOptions, SourceListResult, SourceWatchOptions, WatchHandle, WatchSink, WatchSource } from './types.js';
import { defaultBookmarkObject } from './types.js';
import { addedEvent, initialEventsEndBookmark, tooOldStatus, Watcher, type CacheEvent } from './watcher.js';

export { tooOldStatus } from './watcher.js';
export type { CacheEvent } from './watcher.js';

export interface WatchCacheOptions {
  /** Events kept for resuming watches (kube sizes its cache dynamically; 10,000 covers minutes of heavy churn). */
  capacity?: number;
  /** How long a list/watch waits for the cache to reach a requested revision (kube: 3 s). */
  freshnessTimeoutMs?: number;
  /** Periodic BOOKMARKs to watchers that allow them (kube: ~1 min); 0 disables. */
  bookmarkIntervalMs?: number;
  /** Builds BOOKMARK objects of the watched kind. */
  bookmarkObject?: (rv: number) => KubeObject;
  /** Default per-watcher sink backlog bound (sink units; serveWatch reports bytes). */
  bufferSize?: number;
  /** Delay between failed relists. */
  relistBackoffMs?: number;
}

/** Legacy shapes still used by registry/lister.ts. */
export interface WatchFilter {
  keyPrefix: string;
  predicate?: (obj: KubeObject) => boolean;
}
export interface LegacyWatchOptions {
  fromRevision: number;
  initialEvents: boolean;
  allowBookmarks: boolean;
  minRevision?: number;
  initialEventsEnd?: (rev: number) => KubeObject;
}

export const DEFAULT_WATCHER_BUFFER_BYTES = 16 * 1024 * 1024;

function tooLarge(rv: number, current: number): Error {
  return timeout(`Too large resource version: ${rv}, current: ${current}`, 1, [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }]);
}

export class WatchCache implements WatchSource {
  private state = new Map<string, KubeObject>();
  private readonly keys = new SortedKeys();
  private readonly ring: EventRing;
  private revision = 0;
  /** The revision of the last list; with nothing evicted since, resumes from it are still complete. */
  private listRevision = 0;
  private evicted = false;
  private upstream?: StorageWatch;
  private readonly watchers = new Set<Watcher>();
  private waiters: Array<{ rev: number; resolve: () => void }> = [];
  private readonly opts: Required<Omit<WatchCacheOptions, 'bookmarkObject'>> & { bookmarkObject: (rv: number) => KubeObject };
  private stopped = false;
  private ready: Promise<void> = Promise.resolve();
  private bookmarkTimer?: NodeJS.Timeout;
  private relistTimer?: NodeJS.Timeout;

  constructor(private readonly storage: Storage, readonly prefix: string, opts: WatchCacheOptions = {}) {
    this.opts = {
      capacity: opts.capacity ?? 10_000,
      freshnessTimeoutMs: opts.freshnessTimeoutMs ?? 3_000,
      bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000,
      bufferSize: opts.bufferSize ?? DEFAULT_WATCHER_BUFFER_BYTES,
      relistBackoffMs: opts.relistBackoffMs ?? 1_000,
      bookmarkObject: opts.bookmarkObject ?? defaultBookmarkObject(undefined, undefined),
    };
    this.ring = new EventRing(Math.max(1, this.opts.capacity));
  }

  /** Lists, then watches from the list revision. Rejects if the first list fails. */
  start(): Promise<void> {
    this.ready = this.relist();
    if (this.opts.bookmarkIntervalMs > 0 && !this.bookmarkTimer) {
      this.bookmarkTimer = setInterval(() => this.bookmarkAll(), this.opts.bookmarkIntervalMs);
      this.bookmarkTimer.unref();
    }
    return this.ready;
  }

  private async relist(): Promise<void> {
    this.upstream?.stop();
    this.upstream = undefined;
    const list = await this.storage.list(this.prefix);
    if (this.stopped) return;
    const state = new Map<string, KubeObject>();
    for (const obj of list.items) state.set(this.keyOf(obj), obj);
    this.state = state;
    this.keys.reset([...state.keys()].sort());
    this.ring.clear();
    this.evicted = false;
    this.revision = this.listRevision = list.revision;
    this.upstream = this.storage.watch(this.prefix, { fromRevision: list.revision, prevObject: true }, {
      event: (ev) => this.apply(ev),
      error: () => this.upstreamFailed(),
    });
    this.notifyWaiters();
  }

  private upstreamFailed(): void {
    if (this.stopped) return;
    // Clients may resume from revisions we can no longer replay: make them relist.
    this.failWatchers();
    this.upstream?.stop();
    this.upstream = undefined;
    const attempt = (): Promise<void> => this.relist().catch(() => new Promise<void>((resolve) => {
      if (this.stopped) return resolve();
      this.relistTimer = setTimeout(() => resolve(attempt()), this.opts.relistBackoffMs);
      this.relistTimer.unref();
    }));
    this.ready = attempt();
  }

  private failWatchers(): void {
    for (const w of [...this.watchers]) w.fail(tooOldStatus(w.lastRevision, this.revision));
  }

  private keyOf(obj: KubeObject): string {
    const m = obj.metadata ?? {};
    return m.namespace ? `${this.prefix}${m.namespace}/${m.name}` : `${this.prefix}${m.name}`;
  }

  private apply(ev: CacheEvent): void {
    if (ev.revision <= this.revision) return;
    // The previous state comes from the cache itself, as kube's watchCache.processEvent does.
    const prev = this.state.get(ev.key) ?? ev.prevObject;
    const e: CacheEvent = { type: ev.type, key: ev.key, object: ev.object, prevObject: prev, revision: ev.revision };
    if (e.type === 'DELETED') {
      this.state.delete(e.key);
      this.keys.delete(e.key);
    } else {
      if (!prev || !this.state.has(e.key)) this.keys.add(e.key);
      this.state.set(e.key, e.object);
    }
    if (this.ring.push(e)) this.evicted = true;
    this.revision = e.revision;
    for (const w of this.watchers) w.deliver(e);
    this.notifyWaiters();
  }

  private notifyWaiters(): void {
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) (w.rev <= this.revision ? w.resolve() : still.push(w));
    this.waiters = still;
  }

  /** The cached object at a full key (possibly a little behind storage). */
  get(key: string): KubeObject | undefined {
    return this.state.get(key);
  }

  get currentRevision(): number {
    return this.revision;
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  /** Waits until the cache has seen `rev` (waitUntilFreshAndBlock); 504 "Too large resource version" after the timeout. */
  async waitFresh(rev: number): Promise<void> {
    await this.ready;
    if (rev <= this.revision) return;
    await new Promise<void>((resolve, reject) => {
      const entry = { rev, resolve: () => { clearTimeout(timer); resolve(); } };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== entry);
        reject(tooLarge(rev, this.revision));
      }, this.opts.freshnessTimeoutMs);
      this.waiters.push(entry);
    });
  }

  /** Matching objects in key order, paged by limit/startAfterKey. */
  list(opts: SourceListOptions): Promise<SourceListResult>;
  /** @deprecated legacy form used by registry/lister.ts. */
  list(keyPrefix: string, predicate?: (obj: KubeObject) => boolean, minRevision?: number): Promise<SourceListResult>;
  async list(a: SourceListOptions | string, predicate?: (obj: KubeObject) => boolean, minRevision?: number): Promise<SourceListResult> {
    const opts: SourceListOptions = typeof a === 'string' ? { keyPrefix: a, predicate, minRevision } : a;
    await this.waitFresh(opts.minRevision ?? 0);
    return this.page(opts);
  }

  private page(opts: SourceListOptions): SourceListResult {
    const prefix = opts.keyPrefix ?? this.prefix;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    const items: KubeObject[] = [];
    let i = this.keys.lowerBound(opts.startAfterKey && opts.startAfterKey >= prefix ? opts.startAfterKey : prefix);
    if (opts.startAfterKey && this.keys.at(i) === opts.startAfterKey) i++;
    let lastKey: string | undefined;
    for (let key = this.keys.at(i); key !== undefined && key.startsWith(prefix); key = this.keys.at(++i)) {
      const obj = this.state.get(key)!;
      if (opts.predicate && !opts.predicate(obj)) continue;
      if (items.length === limit) {
        // Another match exists past the page.
        const remaining = opts.predicate ? undefined : this.keys.lowerBound(prefix + '\uffff') - i;
        return { items, revision: this.revision, more: true, lastKey, remainingItemCount: remaining };
      }
      items.push(obj);
      lastKey = key;
    }
    return { items, revision: this.revision, more: false, lastKey };
  }

  /**
   * Starts a watch. Resolves once the watcher is registered; initial events,
   * replayed history or a 410 ERROR have then already been handed to the sink.
   */
  watch(opts: SourceWatchOptions, sink: WatchSink): Promise<WatchHandle>;
  /** @deprecated legacy form used by registry/lister.ts. */
  watch(filter: WatchFilter, sink: WatchSink, legacy: LegacyWatchOptions): Promise<WatchHandle>;
  async watch(a: SourceWatchOptions | WatchFilter, sink: WatchSink, legacy?: LegacyWatchOptions): Promise<WatchHandle> {
    let opts: SourceWatchOptions;
    let endBookmark: ((rv: number) => KubeObject) | undefined;
    if (legacy) {
      opts = { keyPrefix: a.keyPrefix, predicate: a.predicate, fromRevision: legacy.fromRevision, initialEvents: legacy.initialEvents,
        allowBookmarks: legacy.allowBookmarks, minRevision: legacy.minRevision };
      endBookmark = legacy.initialEventsEnd;
    } else {
      opts = a as SourceWatchOptions;
    }
    await this.waitFresh(opts.minRevision ?? 0);
    // From here to registration nothing awaits: no event can slip between the snapshot/replay and the live stream.
    const make = opts.bookmarkObject ?? this.opts.bookmarkObject;
    const initial = !!(opts.sendInitialEvents || opts.initialEvents);
    const w = new Watcher(sink, {
      keyPrefix: opts.keyPrefix ?? this.prefix,
      predicate: opts.predicate,
      allowBookmarks: !!opts.allowBookmarks,
      afterRevision: initial || opts.fromRevision === 0 ? this.revision : opts.fromRevision,
      bufferSize: opts.bufferSize ?? this.opts.bufferSize,
      bookmarkObject: make,
      revision: () => this.revision,
      onClose: (x) => this.watchers.delete(x),
    });
    if (initial) {
      for (const obj of this.page({ keyPrefix: opts.keyPrefix, predicate: opts.predicate }).items) w.send(addedEvent(obj));
      if (opts.sendInitialEvents && opts.allowBookmarks) w.send({ type: 'BOOKMARK', object: initialEventsEndBookmark(make, this.revision) });
      else if (endBookmark) w.send({ type: 'BOOKMARK', object: endBookmark(this.revision) });
    } else if (opts.fromRevision > 0) {
      // watchCache.getAllEventsSinceLocked: complete since the list unless events were evicted.
      const oldest = this.listRevision > 0 && !this.evicted ? this.listRevision + 1 : this.ring.size ? this.ring.at(0).revision : this.revision + 1;
      if (opts.fromRevision < oldest - 1) {
        w.fail(tooOldStatus(opts.fromRevision, oldest - 1));
        return w;
      }
      for (let i = this.ring.firstAfter(opts.fromRevision); i < this.ring.size && !w.closed; i++) w.deliver(this.ring.at(i));
    }
    if (!w.closed) this.watchers.add(w);
    return w;
  }

  /** Sends a BOOKMARK at the current revision to every watcher that allows them (one shared event per kind of bookmark). */
  bookmarkAll(): void {
    if (this.revision === 0) return;
    const shared = new Map<(rv: number) => KubeObject, { type: 'BOOKMARK'; object: KubeObject }>();
    for (const w of this.watchers) {
      if (!w.allowBookmarks) continue;
      const make = w.opts.bookmarkObject;
      let ev = shared.get(make);
      if (!ev) shared.set(make, (ev = { type: 'BOOKMARK', object: make(this.revision) }));
      w.sendBookmark(this.revision, ev);
    }
  }

  /** @deprecated legacy form: bookmarks built by `make`. */
  bookmark(make: (rv: number) => KubeObject): void {
    const ev = { type: 'BOOKMARK' as const, object: make(this.revision) };
    for (const w of this.watchers) w.sendBookmark(this.revision, ev);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.bookmarkTimer);
    clearTimeout(this.relistTimer);
    this.upstream?.stop();
    for (const w of [...this.watchers]) w.close();
  }
}
