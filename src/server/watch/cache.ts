// The watch cache (k8s.io/apiserver/pkg/storage/cacher): one upstream storage
// watch per resource keeps the current state and a ring buffer of recent
// events. It serves resourceVersion="0" and NotOlderThan lists, answers watch
// resumes from the buffer, and fans every event out to all watchers. When the
// upstream watch fails (compaction, lost connection) it ends every client
// watch with a 410 ERROR so clients relist, then relists itself and watches
// again from the new list revision: no event is ever silently skipped.
//
// Its revision follows the resource's own events, so after writes to other
// resources it lags the store's. kube keeps it current with etcd progress
// notifications; here the upstream's progress notifications advance it (the
// memory store answers a progress request at once; etcd sends periodic ones),
// and a watch from a revision the store has reached but the cache has not
// starts at once: the cache's upstream delivers every later event in order,
// and the watcher drops those at or below its start (see watch()).
//
// It implements the same list/watch contract as storage and hands storage
// what it cannot answer, as kube's Cacher delegates (shouldDelegateList):
// consistent reads, Exact, continue tokens, limits on a non-zero
// resourceVersion, and revisions the store has reached but it has not.

import { SortedKeys } from '../api/sorted-keys.js';
import type { KubeObject } from '../api/types.js';
import type { Storage, StorageWatch } from '../storage/interface.js';
import { EventRing } from './ring.js';
import { StorageWatchSource } from './storage-source.js';
import type { Predicate, SourceListOptions, SourceListResult, SourceWatchOptions, WatchHandle, WatchSink, WatchSource } from './types.js';
import { defaultBookmarkObject } from './types.js';
import {
  addedEvent,
  type CacheEvent,
  DEFAULT_WATCHER_BUFFER_BYTES,
  initialEventsEndBookmark,
  tooLargeResourceVersion,
  tooOldStatus,
  Watcher,
} from './watcher.js';

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

export class WatchCache implements WatchSource {
  private state = new Map<string, KubeObject>();
  private readonly keys = new SortedKeys();
  private readonly ring: EventRing;
  private revision = 0;
  /** The revision of the last list; with nothing evicted since, resumes from it are still complete. */
  private listRevision = 0;
  private evicted = false;
  /** The revision of the first list since the store's revisions last went back (see `retired`). */
  private firstRevision = 0;
  /**
   * The revisions the store had before a relist found it at a lower one than the cache's (a server that started
   * on an embedded store, whose revisions count from 10^12, and moved to etcd): from the first list then to the
   * last revision seen. One of them above the cache's own names a history that is gone: a watch resuming from it
   * is told it is too old (410, so its client relists), and a list not older than it is answered now (its state
   * is newer), where waiting for the store to reach it would wait for a revision it may never reach.
   */
  private retired = { from: 0, to: 0 };
  private upstream?: StorageWatch;
  private readonly watchers = new Set<Watcher>();
  private waiters: Array<{ rev: number; resolve: () => void }> = [];
  private readonly opts: Required<Omit<WatchCacheOptions, 'bookmarkObject'>> & { bookmarkObject: (rv: number) => KubeObject };
  private stopped = false;
  /** The first list completed: the state may serve resourceVersion="0" lists even while relisting. */
  private listed = false;
  private ready: Promise<void> = Promise.resolve();
  private bookmarkTimer?: NodeJS.Timeout;
  private relistTimer?: NodeJS.Timeout;
  /** Storage read directly, for what the cache does not answer. */
  private readonly delegate: StorageWatchSource;

  constructor(
    private readonly storage: Storage,
    readonly prefix: string,
    opts: WatchCacheOptions = {},
  ) {
    this.opts = {
      capacity: opts.capacity ?? 10_000,
      freshnessTimeoutMs: opts.freshnessTimeoutMs ?? 3_000,
      bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000,
      bufferSize: opts.bufferSize ?? DEFAULT_WATCHER_BUFFER_BYTES,
      relistBackoffMs: opts.relistBackoffMs ?? 1_000,
      bookmarkObject: opts.bookmarkObject ?? defaultBookmarkObject(undefined, undefined),
    };
    this.ring = new EventRing(Math.max(1, this.opts.capacity));
    this.delegate = new StorageWatchSource(storage, prefix, { bookmarkObject: this.opts.bookmarkObject, bufferSize: this.opts.bufferSize });
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
    if (list.revision < this.revision) {
      this.retired = { from: this.firstRevision, to: this.revision };
      this.firstRevision = 0;
    }
    this.firstRevision ||= list.revision;
    this.revision = this.listRevision = list.revision;
    this.listed = true;
    const upstream: StorageWatch = this.storage.watch(
      this.prefix,
      { fromRevision: list.revision, prevObject: true },
      {
        event: (ev) => this.apply(ev),
        error: () => this.upstreamFailed(),
        progress: (rev) => {
          if (this.upstream === upstream) this.progress(rev);
        },
      },
    );
    this.upstream = upstream;
    this.notifyWaiters();
  }

  private upstreamFailed(): void {
    if (this.stopped) return;
    // Clients may resume from revisions we can no longer replay: make them relist.
    this.failWatchers();
    this.upstream?.stop();
    this.upstream = undefined;
    const attempt = (): Promise<void> =>
      this.relist().catch(
        () =>
          new Promise<void>((resolve) => {
            if (this.stopped) return resolve();
            this.relistTimer = setTimeout(() => resolve(attempt()), this.opts.relistBackoffMs);
            this.relistTimer.unref();
          }),
      );
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

  /** The upstream has delivered every event up to `rev` (kube's watchCache.UpdateResourceVersion on a progress bookmark). */
  private progress(rev: number): void {
    if (rev <= this.revision) return;
    this.revision = rev;
    this.notifyWaiters();
  }

  /**
   * Whether the cache has seen `rev`, after asking the upstream for progress (kube's progressRequester).
   * Does not wait for periodic notifications: callers fall back to storage or to waitFresh.
   */
  async reached(rev: number): Promise<boolean> {
    await this.ready;
    if (rev > this.revision) this.upstream?.requestProgress?.();
    return rev <= this.revision;
  }

  private notifyWaiters(): void {
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) w.rev <= this.revision ? w.resolve() : still.push(w);
    this.waiters = still;
  }

  /** The cached object at a full key (possibly a little behind storage). */
  cached(key: string): KubeObject | undefined {
    return this.state.get(key);
  }

  get currentRevision(): number {
    return this.revision;
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  /**
   * Waits until the cache has seen `rev` (waitUntilFreshAndBlock); 504 "Too large resource version" after the timeout.
   * With `stale`, a cache that has listed once answers from its state while it relists (storage unreachable),
   * as kube serves resourceVersion="0" lists from the watch cache: only revisions it has seen are served so.
   */
  async waitFresh(rev: number, stale = false): Promise<void> {
    if (!(stale && this.listed && rev <= this.revision)) await this.ready;
    if (rev <= this.revision || this.isRetired(rev)) return;
    this.upstream?.requestProgress?.();
    if (rev <= this.revision) return;
    await new Promise<void>((resolve, reject) => {
      const entry = {
        rev,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== entry);
        reject(tooLargeResourceVersion(rev, this.revision));
      }, this.opts.freshnessTimeoutMs);
      this.waiters.push(entry);
    });
  }

  /**
   * A consistent read (no resourceVersion, no limit) from the cache once it has caught up with the store's
   * current revision, when the upstream answers progress requests (the memory store; etcd's client here
   * cannot ask, so as kube-apiserver does without RequestProgress, those go to storage).
   * resourceVersion="0" (any), and NotOlderThan without a limit, from the cache (waiting until it has
   * seen the revision); the rest from storage (kube's shouldDelegateList). A NotOlderThan revision the
   * store has reached but the cache has not (the last writes went to other resources) is a fresh read
   * from storage, which answers at once where waiting would take until the next progress notification.
   */
  async list(opts: SourceListOptions): Promise<SourceListResult> {
    const rv = opts.resourceVersion;
    if (rv === undefined && !opts.continue && !opts.limit && !opts.resourceVersionMatch && this.upstream?.requestProgress) {
      // ConsistentListFromCache (kube 1.32, on by default where storage answers progress requests): the
      // store's current revision is read, the cache waits until it has seen it, and answers from its state.
      await this.waitFresh(await this.storage.currentRevision());
      return { items: this.snapshot(opts.keyPrefix, opts.predicate), revision: this.revision };
    }
    const fromCache = !opts.continue && rv !== undefined && opts.resourceVersionMatch !== 'Exact' && (rv === 0 || !opts.limit);
    if (!fromCache || (rv! > 0 && !(await this.reached(rv!)) && (await this.storeReached(rv!)))) return this.delegate.list(opts);
    await this.waitFresh(rv!, true);
    return { items: this.snapshot(opts.keyPrefix, opts.predicate), revision: this.revision };
  }

  /** A revision above the cache's from a history before the store's revisions went back (see `retired`). */
  private isRetired(rev: number): boolean {
    return rev > this.revision && rev >= this.retired.from && rev <= this.retired.to;
  }

  /** Whether storage has reached `rev` (false when it cannot be asked). */
  private async storeReached(rev: number): Promise<boolean> {
    return rev <= (await this.storage.currentRevision().catch(() => 0));
  }

  /** The matching objects in key order. */
  private snapshot(keyPrefix = this.prefix, predicate?: Predicate): KubeObject[] {
    const items: KubeObject[] = [];
    for (let i = this.keys.lowerBound(keyPrefix), key = this.keys.at(i); key?.startsWith(keyPrefix); key = this.keys.at(++i)) {
      const obj = this.state.get(key)!;
      if (!predicate || predicate(obj)) items.push(obj);
    }
    return items;
  }

  /**
   * A WatchList from a revision the cache has not caught up with (its state would be older than asked)
   * is served by storage: a list at the current revision, then a watch from it.
   */
  async watch(opts: SourceWatchOptions, sink: WatchSink): Promise<WatchHandle> {
    const min = opts.minRevision ?? 0;
    if (opts.sendInitialEvents && min > 0 && !(await this.reached(min)) && (await this.storeReached(min)))
      return this.delegate.watch(opts, sink);
    const initial = !!(opts.sendInitialEvents || opts.initialEvents);
    const resume = !initial && opts.fromRevision > 0;
    await this.waitFresh(resume ? 0 : (opts.minRevision ?? 0));
    const retired = resume && this.isRetired(opts.fromRevision);
    if (resume && !retired && opts.fromRevision > this.revision) await this.waitResumable(opts.fromRevision);
    // From here to registration nothing awaits: no event can slip between the snapshot/replay and the live stream.
    const make = opts.bookmarkObject ?? this.opts.bookmarkObject;
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
      for (const obj of this.snapshot(opts.keyPrefix, opts.predicate)) w.send(addedEvent(obj));
      if (opts.sendInitialEvents && opts.allowBookmarks)
        w.send({ type: 'BOOKMARK', object: initialEventsEndBookmark(make, this.revision) });
    } else if (opts.fromRevision > 0) {
      // watchCache.getAllEventsSinceLocked: complete since the list unless events were evicted.
      const oldest =
        this.listRevision > 0 && !this.evicted ? this.listRevision + 1 : this.ring.size ? this.ring.at(0).revision : this.revision + 1;
      if (retired || opts.fromRevision < oldest - 1) {
        w.fail(tooOldStatus(opts.fromRevision, retired ? this.revision : oldest - 1));
        return w;
      }
      for (let i = this.ring.firstAfter(opts.fromRevision); i < this.ring.size && !w.closed; i++) w.deliver(this.ring.at(i));
    }
    if (!w.closed) this.watchers.add(w);
    return w;
  }

  /**
   * A watch from `rev` past the cache's revision: once the store is known to have reached `rev`, it can
   * start at once. The upstream delivers every event after the cache's revision in order, so the watcher
   * (which drops events at or below its start) receives exactly the events after `rev`. A revision the
   * store has not reached waits as kube's waitUntilFreshAndBlock does (504 after the timeout).
   */
  private async waitResumable(rev: number): Promise<void> {
    for (;;) {
      const ready = this.ready;
      this.upstream?.requestProgress?.();
      if (rev <= this.revision) return;
      const current = await this.storage.currentRevision().catch(() => 0);
      if (rev > current) return this.waitFresh(rev);
      // A relist started meanwhile would replace the state without events: register only after it.
      if (ready === this.ready) return;
      await this.ready;
    }
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

  stop(): void {
    this.stopped = true;
    clearInterval(this.bookmarkTimer);
    clearTimeout(this.relistTimer);
    this.upstream?.stop();
    for (const w of [...this.watchers]) w.close();
    this.delegate.stop();
  }
}
