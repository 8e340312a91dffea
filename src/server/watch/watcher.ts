// One client watch fed by the watch cache or a storage watch. It turns a
// storage event into what this client sees (kube's
// cacheWatcher.convertToWatchEvent): with a predicate, an object that starts
// matching is ADDED, one that stops matching is DELETED (its previous state at
// the event's resourceVersion), both is MODIFIED. The client-visible event
// objects are built once per storage event and shared by every watcher, so
// their serialisation can be shared too (see encode.ts).

import { expired, type StatusError, timeout } from '../api/errors.js';
import type { KubeObject } from '../api/types.js';
import type { Predicate, WatchEventOut, WatchHandle, WatchSink } from './types.js';
import { INITIAL_EVENTS_END_ANNOTATION } from './types.js';

export interface CacheEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  key: string;
  object: KubeObject;
  prevObject?: KubeObject;
  revision: number;
  /** Client-visible events, built on first use and shared across watchers. */
  out?: Partial<Record<'ADDED' | 'MODIFIED' | 'DELETED', WatchEventOut>>;
}

/** Default per-watcher sink backlog bound: 16 MiB queued for one client ends its watch. */
export const DEFAULT_WATCHER_BUFFER_BYTES = 16 * 1024 * 1024;

/** 504 for a revision not reached in time (kube's waitUntilFreshAndBlock and the etcd3 store's NotOlderThan check). */
export function tooLargeResourceVersion(rv: number, current: number): StatusError {
  return timeout(`Too large resource version: ${rv}, current: ${current}`, 1, [
    { reason: 'ResourceVersionTooLarge', message: 'Too large resource version' },
  ]);
}

/** kube's watch_cache message for a start point older than the history kept. */
export function tooOldStatus(requested: number, oldest: number): KubeObject {
  return expired(`too old resource version: ${requested} (${oldest})`).status as unknown as KubeObject;
}

function withRevision(obj: KubeObject, rev: number): KubeObject {
  return { ...obj, metadata: { ...(obj.metadata ?? {}), resourceVersion: String(rev) } };
}

function outEvent(ev: CacheEvent, type: 'ADDED' | 'MODIFIED' | 'DELETED'): WatchEventOut {
  const out = (ev.out ??= {});
  let e = out[type];
  if (!e) {
    // A DELETED that is really "stopped matching" carries the previous state at this revision.
    const object = type === 'DELETED' && ev.type !== 'DELETED' && ev.prevObject ? withRevision(ev.prevObject, ev.revision) : ev.object;
    e = out[type] = { type, object };
  }
  return e;
}

/** The client-visible event for one storage event under a predicate (null: not interesting). */
export function convertToWatchEvent(ev: CacheEvent, predicate: Predicate | undefined): WatchEventOut | null {
  if (!predicate) return outEvent(ev, ev.type);
  const cur = ev.type !== 'DELETED' && predicate(ev.object);
  const prevObj = ev.type === 'DELETED' ? (ev.prevObject ?? ev.object) : ev.prevObject;
  const prev = prevObj !== undefined && predicate(prevObj);
  if (cur && prev) return outEvent(ev, 'MODIFIED');
  if (cur) return outEvent(ev, 'ADDED');
  if (prev) return outEvent(ev, 'DELETED');
  return null;
}

/** Initial-state ADDED events, shared across watchers listing the same object. */
const addedEvents = new WeakMap<KubeObject, WatchEventOut>();
export function addedEvent(obj: KubeObject): WatchEventOut {
  let e = addedEvents.get(obj);
  if (!e) addedEvents.set(obj, (e = { type: 'ADDED', object: obj }));
  return e;
}

export function initialEventsEndBookmark(make: (rv: number) => KubeObject, rv: number): KubeObject {
  const o = make(rv);
  const meta = o.metadata ?? {};
  return { ...o, metadata: { ...meta, annotations: { ...(meta.annotations ?? {}), [INITIAL_EVENTS_END_ANNOTATION]: 'true' } } };
}

export interface WatcherOptions {
  keyPrefix: string;
  predicate?: Predicate;
  allowBookmarks: boolean;
  /** Events at or below this revision are not delivered (the start point). */
  afterRevision: number;
  bufferSize: number;
  bookmarkObject: (rv: number) => KubeObject;
  /** Current revision for on-demand bookmarks (default: the last one this watcher delivered). */
  revision?: () => number;
  onClose: (w: Watcher) => void;
}

export class Watcher implements WatchHandle {
  closed = false;
  /** The newest revision this client has been told about (events or bookmarks). */
  lastRevision: number;

  constructor(
    private readonly sink: WatchSink,
    readonly opts: WatcherOptions,
  ) {
    this.lastRevision = opts.afterRevision;
  }

  get allowBookmarks(): boolean {
    return this.opts.allowBookmarks;
  }

  deliver(ev: CacheEvent): void {
    if (this.closed || ev.revision <= this.opts.afterRevision || !ev.key.startsWith(this.opts.keyPrefix)) return;
    const out = convertToWatchEvent(ev, this.opts.predicate);
    this.lastRevision = ev.revision;
    if (out) this.send(out);
  }

  send(ev: WatchEventOut): void {
    if (this.closed) return;
    this.sink.event(ev);
    // An unresponsive client is cut off rather than buffered without bound (cacheWatcher.add's forget()).
    if (this.sink.backlog && this.sink.backlog() > this.opts.bufferSize) this.close();
  }

  /** A BOOKMARK at `rv` (shared event object when given), when allowed and not behind the start point. */
  sendBookmark(rv: number, shared?: WatchEventOut): void {
    if (this.closed || !this.opts.allowBookmarks || rv < this.opts.afterRevision) return;
    this.lastRevision = Math.max(this.lastRevision, rv);
    this.send(shared ?? { type: 'BOOKMARK', object: this.opts.bookmarkObject(rv) });
  }

  bookmark(): void {
    this.sendBookmark(this.opts.revision?.() ?? this.lastRevision);
  }

  /** Ends with an ERROR event carrying a Status, then closes. */
  fail(status: KubeObject): void {
    this.send({ type: 'ERROR', object: status });
    this.close();
  }

  stop(): void {
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.opts.onClose(this);
    this.sink.close();
  }
}
