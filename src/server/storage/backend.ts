// The driver seam below the object layer (objects.ts), after kine's
// pkg/server/types.go Backend: a revisioned key-value store over bytes. A
// driver knows keys, values and revisions; etcd's semantics as kube-apiserver
// relies on them (try-update loop, preconditions, dry run, predicates, paging,
// the JSON codec) are written once above it. Drivers: etcd/ (etcd's gRPC API)
// and memory/ (an embedded MVCC store). Both pass test/storage/conformance.ts.
//
// Keys are registry keys without the storage prefix (`/configmaps/ns/name`);
// a driver that shares a keyspace (etcd) adds its own prefix.

import type { Revisioned, StorageError, StorageSnapshot, StorageWatch } from './interface.js';

/** One stored version of a key (etcd's mvccpb.KeyValue). Drivers may share these objects: never mutate them. */
export interface KeyValue {
  readonly key: string;
  /** Empty in a delete event's kv. */
  readonly value: Buffer;
  /** The revision that created the key (equal to modRevision for the first version). */
  readonly createRevision: number;
  /** The revision of this version: the object's resourceVersion. */
  readonly modRevision: number;
}

export interface RangeOptions {
  /** Read at this revision (0 = latest). Older than compaction: Compacted; newer than current: TooLargeResourceVersion. */
  revision?: number;
  /** First key to return (inclusive; a continue token's key plus "\0"); default the prefix itself. */
  startKey?: string;
  /** Max keys to return (0 = all; a driver reads large ranges in pages at one revision). */
  limit?: number;
  /** Also count the keys in range from startKey (etcd's RangeResponse.count), for remainingItemCount. */
  count?: boolean;
}

export interface RangeResult {
  kvs: KeyValue[];
  /** The revision the range was read at. */
  revision: number;
  /** More keys follow the last one returned. */
  more: boolean;
  /** Keys in range from startKey at `revision`, when asked for. */
  count?: number;
}

/** A compare-and-swap outcome: the new revision, or the key's current version (absent when it is gone). */
export type WriteResult = { succeeded: true; revision: number } | { succeeded: false; current?: KeyValue };

export interface BackendEvent {
  type: 'put' | 'delete';
  /** For a delete: the key and the deletion revision as modRevision, with an empty value. */
  kv: KeyValue;
  /** The version before this event (etcd's prev_kv): always there for a delete, for a put when the key existed. */
  prevKv?: KeyValue;
}

export interface BackendWatchHandler {
  event(ev: BackendEvent): void;
  /** The watch ended (Compacted, Unreachable); no events follow. */
  error(err: StorageError): void;
  /** Every event up to `revision` has been delivered (etcd's watch progress notification). */
  progress(revision: number): void;
}

/** Every key and its current version at `revision`. */
export interface BackendSnapshot extends StorageSnapshot {
  readonly kvs: ReadonlyMap<string, KeyValue>;
}

/** What restore() has to write to turn the current keys into the snapshot's: puts (value) and deletes (null). */
export function restorePlan(current: Iterable<KeyValue>, snap: BackendSnapshot): Map<string, Buffer | null> {
  const plan = new Map<string, Buffer | null>();
  const seen = new Set<string>();
  for (const kv of current) {
    seen.add(kv.key);
    const want = snap.kvs.get(kv.key);
    // A mod revision names one write: the same one means the key has not changed since the snapshot; the same
    // bytes (a key restored before) need no write either.
    if (!want) plan.set(kv.key, null);
    else if (want.modRevision !== kv.modRevision && !want.value.equals(kv.value)) plan.set(kv.key, want.value);
  }
  for (const [key, kv] of snap.kvs) if (!seen.has(key)) plan.set(key, kv.value);
  return plan;
}

/** Whether any of `sortedKeys` starts with `prefix` (a watch on `prefix` saw a change). */
export function touches(sortedKeys: readonly string[], prefix: string): boolean {
  let lo = 0;
  let hi = sortedKeys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sortedKeys[mid] < prefix) lo = mid + 1;
    else hi = mid;
  }
  return lo < sortedKeys.length && sortedKeys[lo].startsWith(prefix);
}

export interface Backend extends Revisioned {
  readonly kind: 'etcd' | 'memory';
  /** The key's current version, and the store's revision at the read. */
  get(key: string): Promise<{ revision: number; kv?: KeyValue }>;
  /** Keys starting with `prefix`, in key order. */
  list(prefix: string, opts?: RangeOptions): Promise<RangeResult>;
  /** Keys starting with `prefix` now. */
  count(prefix: string): Promise<number>;
  /** Writes the key if absent: the new revision, or 0 when it exists. */
  create(key: string, value: Buffer): Promise<number>;
  /** Writes the key if its mod revision is `modRevision` (0: the key must be absent). */
  update(key: string, value: Buffer, modRevision: number): Promise<WriteResult>;
  /** Deletes the key if its mod revision is `modRevision`. */
  delete(key: string, modRevision: number): Promise<WriteResult>;
  /**
   * Events on keys starting with `prefix` after `fromRevision` (0: from now), in revision order, each with
   * its previous version. requestProgress on the handle, when present, answers with progress() at once.
   */
  watch(prefix: string, fromRevision: number, handler: BackendWatchHandler): StorageWatch;
  /** Every key now (Snapshots in interface.ts). */
  snapshot(): Promise<BackendSnapshot>;
  /**
   * Writes the difference to the snapshot at new revisions, then ends with Compacted every watch whose prefix
   * holds a changed key (the others missed nothing); returns the revision.
   */
  restore(snapshot: BackendSnapshot): Promise<number>;
  /**
   * restore(), answering the state it leaves (every key and its version, at the revision it returns) where the
   * driver can tell it from its writes, without reading the store again. `empty`: the store is known to hold
   * nothing yet (an etcd just launched on an empty data dir), so it is not read first either.
   */
  restoreState?(snapshot: BackendSnapshot, opts?: { empty?: boolean }): Promise<BackendSnapshot>;
}
