// The list/watch contract for one resource, with kube's resourceVersion
// semantics: the watch cache and the storage-backed source both implement it
// (as kube's Cacher and etcd3 store both implement storage.Interface), the
// cache handing storage the requests it cannot answer. The registry's lister
// and the stream writer use only this.

import type { KubeObject } from '../api/types.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** One event as a client sees it; `object` is shared between watchers and must not be mutated. */
export interface WatchEventOut {
  type: WatchEventType;
  object: KubeObject;
}

export interface WatchSink {
  event(ev: WatchEventOut): void;
  /** The watch ended (timeout, 410, slow consumer, stop()); no event follows. */
  close(): void;
  /**
   * How much the sink holds unsent (serveWatch: bytes queued on the socket).
   * Past the watch's `bufferSize` the watch is closed, as kube-apiserver
   * terminates an unresponsive cacheWatcher: the client relists.
   */
  backlog?(): number;
}

export interface WatchHandle {
  stop(): void;
  /** Sends a BOOKMARK now (when the watch allows them). */
  bookmark(): void;
}

export type Predicate = (obj: KubeObject) => boolean;

export type ResourceVersionMatch = '' | 'Exact' | 'NotOlderThan';

export interface SourceListOptions {
  /** Key prefix narrowing the resource prefix, e.g. `/configmaps/ns1/` (default: the whole resource). */
  keyPrefix?: string;
  predicate?: Predicate;
  /** Max matching items (0 = all). The watch cache answers whole lists, as kube's does for resourceVersion="0". */
  limit?: number;
  /** The request's resourceVersion: undefined when unset (a consistent read from storage), 0 for "any". */
  resourceVersion?: number;
  resourceVersionMatch?: ResourceVersionMatch;
  /** A continue token from an earlier page (read from storage at the first page's revision). */
  continue?: string;
}

export interface SourceListResult {
  items: KubeObject[];
  revision: number;
  /** The next page's continue token, when more items may follow. */
  continue?: string;
  /** Items after this page, when no predicate filtered it. */
  remainingItemCount?: number;
}

export interface SourceWatchOptions {
  /** Key prefix narrowing the resource prefix (a namespace). */
  keyPrefix?: string;
  /** Deliver events with revision > fromRevision; 0 = from now. Older than history: ERROR 410. */
  fromRevision: number;
  /** Legacy resourceVersion "0"/unset: synthetic ADDED for the current state first, no end bookmark. */
  initialEvents?: boolean;
  /** WatchList: synthetic ADDED for the current state, then (with allowBookmarks) the `k8s.io/initial-events-end` BOOKMARK. */
  sendInitialEvents?: boolean;
  predicate?: Predicate;
  allowBookmarks?: boolean;
  /** Wait until the source has seen this revision before starting (504 after ~3 s). */
  minRevision?: number;
  /** Max sink backlog (in the sink's unit) before the watch is closed. */
  bufferSize?: number;
  /** Builds BOOKMARK objects (kind/apiVersion of the watched resource); overrides the source's. */
  bookmarkObject?: (revision: number) => KubeObject;
}

/** What serves list and watch for one resource: a WatchCache (delegating to storage where kube's does), or storage. */
export interface WatchSource {
  /** The resource's key prefix, e.g. `/configmaps/`. */
  readonly prefix: string;
  list(opts: SourceListOptions): Promise<SourceListResult>;
  /**
   * Starts a watch. Resolves once the watcher is registered; initial events,
   * replayed history or a 410 ERROR have then already been handed to the sink.
   */
  watch(opts: SourceWatchOptions, sink: WatchSink): Promise<WatchHandle>;
  /** The watch cache's copy of the object at a full key (kube's cachedExistingObject); undefined without a cache. */
  cached(key: string): KubeObject | undefined;
  /** The periodic BOOKMARK to every watcher that allows them (kube's cacher; storage watches send none). */
  bookmarkAll(): void;
  stop(): void;
}

/** kube's empty object of the watched kind carrying only a resourceVersion (creationTimestamp null as Go's ObjectMeta encodes). */
export function defaultBookmarkObject(apiVersion: string | undefined, kind: string | undefined): (rv: number) => KubeObject {
  // Key order as Go encodes TypeMeta then ObjectMeta.
  return (rv) => ({
    ...(kind ? { kind } : {}),
    ...(apiVersion ? { apiVersion } : {}),
    metadata: { resourceVersion: String(rv), creationTimestamp: null },
  });
}

export const INITIAL_EVENTS_END_ANNOTATION = 'k8s.io/initial-events-end';
