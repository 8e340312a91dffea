// The watch contract shared by the watch cache, the storage-backed source
// (--watch-cache=false) and the stream writer.

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
  /** Sends a BOOKMARK now (when the watch allows them); serveWatch calls it just before its timeout. */
  bookmark(): void;
  /** @deprecated alias of stop(). */
  close(): void;
}

export type Predicate = (obj: KubeObject) => boolean;

export interface SourceListOptions {
  /** Key prefix narrowing the resource prefix, e.g. `/configmaps/ns1/` (default: the whole resource). */
  keyPrefix?: string;
  predicate?: Predicate;
  /** Max matching items (0 = all). */
  limit?: number;
  /** Start strictly after this full key (a continue token's key). */
  startAfterKey?: string;
  /** NotOlderThan: wait until the source has seen this revision (504 "Too large resource version" after ~3 s). */
  minRevision?: number;
}

export interface SourceListResult {
  items: KubeObject[];
  revision: number;
  more: boolean;
  lastKey?: string;
  /** Keys after lastKey when no predicate was used. */
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

/** What serves list and watch for one resource: a WatchCache, or storage directly. */
export interface WatchSource {
  readonly prefix: string;
  list(opts: SourceListOptions): Promise<SourceListResult>;
  watch(opts: SourceWatchOptions, sink: WatchSink): Promise<WatchHandle>;
  /** Sends a BOOKMARK to every watcher that allows them. */
  bookmarkAll(): void;
  stop(): void;
}

/** kube's empty object of the watched kind carrying only a resourceVersion (creationTimestamp null as Go's ObjectMeta encodes). */
export function defaultBookmarkObject(apiVersion: string | undefined, kind: string | undefined): (rv: number) => KubeObject {
  // Key order as Go encodes TypeMeta then ObjectMeta.
  return (rv) => ({ ...(kind ? { kind } : {}), ...(apiVersion ? { apiVersion } : {}), metadata: { resourceVersion: String(rv), creationTimestamp: null } });
}

export const INITIAL_EVENTS_END_ANNOTATION = 'k8s.io/initial-events-end';
