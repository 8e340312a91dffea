// The watch cache (k8s.io/apiserver/pkg/storage/cacher): one upstream storage
// watch per resource keeps the current state and a ring buffer of recent
// events. It serves resourceVersion="0" and NotOlderThan lists, answers watch
// resumes from the buffer, and fans every event out to all watchers. When the
// upstream watch fails (compaction, lost connection) it relists and ends every
// client watch with 410 Expired so clients relist too: no event is skipped.

import { expired, timeout } from '../api/errors.js';
import type { KubeObject } from '../api/types.js';
import type { Storage, StorageWatch } from '../storage/interface.js';
import { SortedKeys } from '../storage/memory/sorted-keys.js';
import { Watcher, type CacheEvent, type WatchFilter } from './watcher.js';
import type { WatchSink } from '../registry/list.js';

export interface WatchCacheOptions {
  /** Events kept for resuming watches. */
  capacity?: number;
  /** How long a list/watch waits for the cache to reach a requested revision (kube: 3 s). */
  freshnessTimeoutMs?: number;
}

export function tooOldStatus(requested: number, oldest: number): KubeObject {
  return expired(`too old resource version: ${requested} (${oldest})`).status as unknown as KubeObject;
}

export class WatchCache {
  private readonly state = new Map<string, KubeObject>();
  private readonly keys = new SortedKeys();
  private buffer: CacheEvent[] = [];
  private bufferStart = 0;
  private revision = 0;
  private upstream?: StorageWatch;
  private readonly watchers = new Set<Watcher>();
  private waiters: Array<{ rev: number; resolve: () => void }> = [];
  private readonly capacity: number;
  private readonly freshnessTimeoutMs: number;
  private stopped = false;
  private ready: Promise<void> = Promise.resolve();

  constructor(private readonly storage: Storage, readonly prefix: string, opts: WatchCacheOptions = {}) {
    this.capacity = opts.capacity ?? 10_000;
    this.freshnessTimeoutMs = opts.freshnessTimeoutMs ?? 3_000;
  }

  start(): Promise<void> {
    this.ready = this.relist();
    return this.ready;
  }

  /**
   * Without the cache (--watch-cache=false) each watch gets a private feed:
   * from a revision it replays straight from storage history, from 0 it lists first.
   */
  startAt(fromRevision: number): Promise<void> {
    if (fromRevision === 0) return this.start();
    this.revision = fromRevision;
    this.bufferStart = fromRevision;
    this.upstream = this.storage.watch(this.prefix, { fromRevision, prevObject: true }, {
      event: (ev) => this.apply(ev),
      error: () => this.failWatchers(),
    });
    return Promise.resolve();
  }

  private failWatchers(): void {
    for (const w of [...this.watchers]) {
      w.send({ type: 'ERROR', object: tooOldStatus(this.revision, this.revision) });
      w.close();
    }
  }

  /** Relists after an upstream failure, retrying with backoff while storage is unreachable. */
  private async relistUntilDone(): Promise<void> {
    for (let delay = 100; !this.stopped; delay = Math.min(delay * 2, 5_000)) {
      try {
        await this.relist();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, delay).unref());
      }
    }
  }

  private async relist(): Promise<void> {
    this.upstream?.stop();
    const list = await this.storage.list(this.prefix);
    this.state.clear();
    for (const k of [...this.keysIter()]) this.keys.delete(k);
    for (const obj of list.items) {
      const key = this.keyOf(obj);
      this.state.set(key, obj);
      this.keys.add(key);
    }
    this.buffer = [];
    this.revision = list.revision;
    this.bufferStart = list.revision;
    this.upstream = this.storage.watch(this.prefix, { fromRevision: list.revision, prevObject: true }, {
      event: (ev) => this.apply(ev),
      error: () => {
        if (this.stopped) return;
        // Clients resume from revisions we may no longer be able to replay: make them relist.
        this.failWatchers();
        this.ready = this.relistUntilDone();
      },
    });
    this.notifyWaiters();
  }

  private *keysIter(): Iterable<string> {
    yield* this.keys.from('', false);
  }

  private keyOf(obj: KubeObject): string {
    const m = obj.metadata ?? {};
    return m.namespace ? `${this.prefix}${m.namespace}/${m.name}` : `${this.prefix}${m.name}`;
  }

  private apply(ev: CacheEvent): void {
    if (ev.type === 'DELETED') {
      this.state.delete(ev.key);
      this.keys.delete(ev.key);
    } else {
      if (!this.state.has(ev.key)) this.keys.add(ev.key);
      this.state.set(ev.key, ev.object);
    }
    this.buffer.push(ev);
    if (this.buffer.length > Math.max(this.capacity * 1.25, this.capacity + 1)) {
      const drop = this.buffer.length - this.capacity;
      this.bufferStart = this.buffer[drop - 1].revision;
      this.buffer = this.buffer.slice(drop);
    }
    this.revision = ev.revision;
    for (const w of this.watchers) w.deliver(ev);
    this.notifyWaiters();
  }

  private notifyWaiters(): void {
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) (w.rev <= this.revision ? w.resolve() : still.push(w));
    this.waiters = still;
  }

  /** The cached object at a key (possibly a little behind storage). */
  get(key: string): KubeObject | undefined {
    return this.state.get(key);
  }

  get currentRevision(): number {
    return this.revision;
  }

  /** Waits until the cache has seen `rev` (waitUntilFreshAndBlock); 504 "Too large resource version" after the timeout. */
  async waitFresh(rev: number): Promise<void> {
    await this.ready;
    if (rev <= this.revision) return;
    await new Promise<void>((resolve, reject) => {
      const entry = { rev, resolve: () => { clearTimeout(timer); resolve(); } };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== entry);
        reject(timeout(`Too large resource version: ${rev}, current: ${this.revision}`, 1,
          [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }]));
      }, this.freshnessTimeoutMs);
      this.waiters.push(entry);
    });
  }

  /** Current objects under keyPrefix that match, in key order. */
  async list(keyPrefix: string, predicate?: (obj: KubeObject) => boolean, minRevision = 0): Promise<{ items: KubeObject[]; revision: number }> {
    await this.waitFresh(minRevision);
    return { items: this.snapshot(keyPrefix, predicate), revision: this.revision };
  }

  private snapshot(keyPrefix: string, predicate?: (obj: KubeObject) => boolean): KubeObject[] {
    const items: KubeObject[] = [];
    for (const key of this.keys.from(keyPrefix, false)) {
      if (!key.startsWith(keyPrefix)) break;
      const obj = this.state.get(key)!;
      if (!predicate || predicate(obj)) items.push(obj);
    }
    return items;
  }

  /**
   * Starts a watch. `fromRevision` > 0 replays buffered events after it (410 if
   * it is older than the buffer); `initialEvents` first sends the current state as ADDED.
   */
  async watch(filter: WatchFilter, sink: WatchSink, opts: { fromRevision: number; initialEvents: boolean; allowBookmarks: boolean; minRevision?: number; initialEventsEnd?: (rev: number) => KubeObject }): Promise<Watcher> {
    await this.waitFresh(opts.minRevision ?? 0);
    const w = new Watcher(filter, sink, opts.allowBookmarks, (x) => this.watchers.delete(x));
    // From here to registering the watcher nothing awaits, so no event can slip between state and stream.
    if (opts.initialEvents) {
      for (const obj of this.snapshot(filter.keyPrefix, filter.predicate)) w.send({ type: 'ADDED', object: obj });
      if (opts.initialEventsEnd) w.send({ type: 'BOOKMARK', object: opts.initialEventsEnd(this.revision) });
    } else if (opts.fromRevision > 0) {
      if (opts.fromRevision < this.bufferStart) {
        w.send({ type: 'ERROR', object: tooOldStatus(opts.fromRevision, this.bufferStart) });
        w.close();
        return w;
      }
      for (const ev of this.buffer) if (ev.revision > opts.fromRevision) w.deliver(ev);
    }
    this.watchers.add(w);
    return w;
  }

  /** Sends a BOOKMARK at the current revision to every watcher that allows them. */
  bookmark(make: (rev: number) => KubeObject): void {
    for (const w of this.watchers) if (w.allowBookmarks) w.send({ type: 'BOOKMARK', object: make(this.revision) });
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  stop(): void {
    this.stopped = true;
    this.upstream?.stop();
    for (const w of [...this.watchers]) w.close();
  }
}
