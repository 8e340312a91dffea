// The one seam between the API and persistence, modelled on
// k8s.io/apiserver/pkg/storage/interfaces.go. One implementation, the object
// layer (objects.ts), holds the etcd3 store's semantics over a key-value
// driver (backend.ts: etcd/ or memory/); it passes the same suite on both
// (test/storage/conformance.ts). Nothing above this seam knows which driver
// it talks to.
//
// Keys are registry keys without the prefix: `/configmaps/default/foo`,
// `/apiextensions.k8s.io/customresourcedefinitions/foos.example.com`. The
// etcd driver prepends its prefix (`--etcd-prefix`, default `/registry`).
// Values are JSON objects. Every object returned carries
// `metadata.resourceVersion` = the key's mod revision (a decimal string); it is
// stripped before persisting, as kube-apiserver's APIObjectVersioner does.

import type { KubeObject } from '../api/types.js';

export type StorageErrorCode =
  | 'KeyNotFound'
  | 'KeyExists'
  | 'ResourceVersionConflicts'
  | 'InvalidObj'
  | 'Compacted'
  | 'TooLargeResourceVersion'
  | 'Unreachable'
  | 'Internal';

export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    readonly key: string,
    message: string,
    /** For Compacted: the oldest revision still available; for TooLarge: the current revision. */
    readonly revision?: number,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}

export function isStorageError(e: unknown, code?: StorageErrorCode): e is StorageError {
  return e instanceof StorageError && (code === undefined || e.code === code);
}

export interface Preconditions {
  uid?: string;
  resourceVersion?: string;
}

export interface ListOptions {
  /** Read at this revision (0 = latest, a consistent read). Older than compaction: Compacted. Newer than current: TooLargeResourceVersion. */
  revision?: number;
  /** Start strictly after this key (from a continue token); a full key including the list prefix. */
  startAfterKey?: string;
  /** Max items to return after filtering (0 = no limit). */
  limit?: number;
  /** Filter applied before counting toward limit. */
  predicate?: (obj: KubeObject) => boolean;
}

export interface ListResult {
  items: KubeObject[];
  /** The revision the list was read at. */
  revision: number;
  /** True when more matching items may follow `lastKey`. */
  more: boolean;
  /** The last key returned (for continue tokens). */
  lastKey?: string;
  /** Count of keys after lastKey when no predicate was used; undefined otherwise. */
  remainingItemCount?: number;
}

export interface UpdateOptions {
  preconditions?: Preconditions;
  /** Resolve with the would-be result without persisting it. */
  dryRun?: boolean;
  /** When the key is missing, call tryUpdate with null instead of failing. */
  ignoreNotFound?: boolean;
  /**
   * A recent copy of the object (from the watch cache) to try first instead
   * of reading it; a stale copy only costs a retry (kube's cachedExistingObject).
   */
  cachedExisting?: KubeObject;
}

/**
 * Called with the current object (null when missing and ignoreNotFound) and
 * returns the desired next object. Throwing aborts the update. Returning the
 * same reference with no change is a no-op that does not bump the revision.
 * May be called again if a concurrent write wins the race.
 */
export type TryUpdate = (current: KubeObject | null) => Promise<KubeObject> | KubeObject;

export interface DeleteOptions {
  preconditions?: Preconditions;
  dryRun?: boolean;
  /** Called with the current object before deleting; may throw to refuse. Re-run on conflict. */
  validateDeletion?: (current: KubeObject) => Promise<void> | void;
  /** As UpdateOptions.cachedExisting. */
  cachedExisting?: KubeObject;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent {
  type: WatchEventType;
  key: string;
  /** The new state; for DELETED the last state with resourceVersion set to the deletion revision. */
  object: KubeObject;
  /** The state before this event (absent for ADDED). */
  prevObject?: KubeObject;
  revision: number;
}

export interface WatchHandler {
  event(ev: WatchEvent): void;
  /** The watch ended with an error (Compacted when fromRevision is compacted, Unreachable when the backend dropped it). No events follow. */
  error(err: StorageError): void;
  /**
   * Every event of this watch with a revision at or below `revision` has been delivered (etcd's watch
   * progress notification, which kube's watch cache turns into its current resourceVersion).
   * A backend calls it only when that holds, never ahead of events still in flight.
   */
  progress?(revision: number): void;
}

export interface WatchOptions {
  /** Deliver events with revision > fromRevision. 0 = from now. */
  fromRevision: number;
  /** Also deliver prevObject (etcd prev_kv). */
  prevObject?: boolean;
}

export interface StorageWatch {
  stop(): void;
  /**
   * Asks for a progress notification now (kube's RequestWatchProgress). Absent when the backend cannot
   * answer one correctly on demand; its periodic notifications, if any, still arrive through progress().
   */
  requestProgress?(): void;
}

/** The store's revision, history and health: the same at the object layer and at the driver. */
export interface Revisioned {
  currentRevision(): Promise<number>;
  /** Drop history up to (excluding) revision. Reads and watches before it fail with Compacted. */
  compact(revision: number): Promise<void>;
  /** The oldest revision still readable. */
  compactedRevision(): Promise<number>;
  /** Liveness check for /readyz. */
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}

/** The whole store at one revision, to return to later (an opaque handle; see Snapshots). */
export interface StorageSnapshot {
  /** The revision the snapshot was read at. */
  readonly revision: number;
  /** Keys in the snapshot. */
  readonly size: number;
}

/**
 * Returning the store to an earlier state without a restart (the test harness's reset, snapshot and restore;
 * etcd has no such call, and kube-apiserver none). restore() writes the difference at new revisions, so no
 * resourceVersion a client has seen ever goes back: a key changed since the snapshot gets the snapshot's value
 * at a revision above every current one, a key added since is deleted, a key unchanged keeps its revision.
 * Then every watch on a prefix holding a changed key ends with Compacted (410 Expired to clients), so caches and
 * informers relist; a watch on keys the restore did not change has missed nothing and goes on.
 */
export interface Snapshots {
  snapshot(): Promise<StorageSnapshot>;
  /** Returns the store's revision after the restore. */
  restore(snapshot: StorageSnapshot): Promise<number>;
}

export function hasSnapshots(s: Storage): s is Storage & Snapshots {
  const x = s as Partial<Snapshots>;
  return typeof x.snapshot === 'function' && typeof x.restore === 'function';
}

export interface Storage extends Revisioned {
  /** Human name for /readyz and logs: `etcd` or `memory`. */
  readonly kind: 'etcd' | 'memory';
  create(key: string, obj: KubeObject, opts?: { dryRun?: boolean }): Promise<KubeObject>;
  /** Null when missing. */
  get(key: string): Promise<KubeObject | null>;
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Optimistic concurrency loop: read, tryUpdate, compare-and-swap on mod revision, retry. */
  guaranteedUpdate(key: string, tryUpdate: TryUpdate, opts?: UpdateOptions): Promise<KubeObject>;
  /** Returns the deleted object with the deletion revision as resourceVersion. */
  delete(key: string, opts?: DeleteOptions): Promise<KubeObject>;
  /** Number of keys under prefix. */
  count(prefix: string): Promise<number>;
  watch(prefix: string, opts: WatchOptions, handler: WatchHandler): StorageWatch;
}
