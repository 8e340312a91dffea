// The object layer: kube-apiserver's etcd3 store semantics written once over
// any key-value driver (backend.ts), as kine writes etcd's semantics once
// above its drivers. JSON codec with resourceVersion = mod revision,
// guaranteedUpdate's try-update loop (preconditions, the cached-object fast
// path, no-op detection, dry run), conditional delete, predicate filtering and
// paging at one revision, watch events decoded from the driver's byte events.

import type { KubeObject } from '../api/types.js';
import type { Backend, BackendEvent, BackendSnapshot, KeyValue } from './backend.js';
import { checkPreconditions, copyAsStored, decode, encode } from './codec.js';
import {
  type DeleteOptions,
  type ListOptions,
  type ListResult,
  type Snapshots,
  type Storage,
  StorageError,
  type StorageSnapshot,
  type StorageWatch,
  type TryUpdate,
  type UpdateOptions,
  type WatchEvent,
  type WatchEventType,
  type WatchHandler,
  type WatchOptions,
} from './interface.js';

/** Keys read per range call when a predicate filters a limited list (kube's etcd3 store reads pages likewise). */
const PREDICATE_PAGE = 1000;

/** A stored value as the update and delete loops work on it. */
interface Stored {
  /** The JSON text, compared with the next value to detect no-op updates. */
  data: string;
  modRevision: number;
  /** The decoded object when already at hand (a copy of the watch cache's), for one use. */
  obj?: KubeObject;
}

/** The stored object an attempt starts from: a copy made once, else a decode of the text. */
function take(cur: Stored): KubeObject {
  const obj = cur.obj ?? decode(cur.data, cur.modRevision);
  cur.obj = undefined;
  return obj;
}

function stored(kv: KeyValue | undefined): Stored | undefined {
  return kv && { data: kv.value.toString('utf8'), modRevision: kv.modRevision };
}

function decodeKV(kv: KeyValue, revision = kv.modRevision): KubeObject {
  return decode(kv.value.toString('utf8'), revision);
}

/** A watch event whose previous state is decoded only when read: the watch cache has it already for most events. */
class DecodedEvent implements WatchEvent {
  private prev?: KubeObject;

  constructor(
    readonly type: WatchEventType,
    readonly key: string,
    readonly object: KubeObject,
    readonly revision: number,
    private readonly prevKv: KeyValue | undefined,
  ) {}

  get prevObject(): KubeObject | undefined {
    if (this.prev === undefined && this.prevKv) this.prev = decodeKV(this.prevKv);
    return this.prev;
  }
}

function keyNotFound(key: string): StorageError {
  return new StorageError('KeyNotFound', key, `key ${key} not found`);
}

function keyExists(key: string): StorageError {
  return new StorageError('KeyExists', key, `key ${key} already exists`);
}

/**
 * What a successful write answers: the caller's object itself with its new resourceVersion (what was
 * stored is exactly its JSON), instead of a decode of the bytes just encoded; a decode only when the
 * object holds what JSON does not keep (an undefined field), so the answer always equals what is stored.
 */
function written(obj: KubeObject, data: string, revision: number): KubeObject {
  if (objectHasUndefined(obj)) return decode(data, revision);
  if (!obj.metadata) obj.metadata = {};
  obj.metadata.resourceVersion = String(revision);
  return obj;
}

/**
 * hasUndefined over an object, metadata.managedFields left out: the field manager writes that list whole and
 * never with an undefined member (copyAsStored shares it for the same reason).
 */
function objectHasUndefined(obj: KubeObject): boolean {
  for (const k in obj) {
    const x = (obj as Record<string, unknown>)[k];
    if (k === 'metadata' && x !== null && typeof x === 'object' && !Array.isArray(x)) {
      for (const j in x) if (j !== 'managedFields' && hasUndefined((x as Record<string, unknown>)[j])) return true;
    } else if (hasUndefined(x)) return true;
  }
  return false;
}

function hasUndefined(v: unknown): boolean {
  if (v === undefined) return true;
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) {
    for (const x of v) if (x === undefined || (x !== null && typeof x === 'object' && hasUndefined(x))) return true;
    return false;
  }
  for (const k in v as Record<string, unknown>) {
    const x = (v as Record<string, unknown>)[k];
    if (x === undefined || (x !== null && typeof x === 'object' && hasUndefined(x))) return true;
  }
  return false;
}

export class ObjectStorage implements Storage, Snapshots {
  readonly kind: 'etcd' | 'memory';
  /** The snapshots this store took: restore() takes no other. */
  private readonly snapshots = new WeakMap<StorageSnapshot, BackendSnapshot>();

  constructor(private readonly backend: Backend) {
    this.kind = backend.kind;
  }

  /**
   * The objects being written, by the bytes handed to the driver. A driver that reports a write to its
   * watches within the write itself (memory/) has each event's object copied from the written one
   * rather than decoded from those bytes; other drivers' events arrive with bytes of their own.
   */
  private readonly writing = new Map<Buffer, KubeObject>();
  /**
   * The bytes each such copy was stored as (the driver keeps them anyway): an update starting from the
   * watch cache's copy compares with them instead of encoding the copy again.
   */
  private readonly bytes = new WeakMap<KubeObject, Buffer>();

  private async writingAs<T>(obj: KubeObject, value: Buffer, write: () => Promise<T>): Promise<T> {
    this.writing.set(value, obj);
    try {
      return await write();
    } finally {
      this.writing.delete(value);
    }
  }

  async snapshot(): Promise<StorageSnapshot> {
    const snap = await this.backend.snapshot();
    const handle: StorageSnapshot = Object.freeze({ revision: snap.revision, size: snap.size });
    this.snapshots.set(handle, snap);
    return handle;
  }

  restore(snapshot: StorageSnapshot): Promise<number> {
    const snap = this.snapshots.get(snapshot);
    if (!snap) throw new StorageError('Internal', '', 'restore: not a snapshot of this store');
    return this.backend.restore(snap);
  }

  async create(key: string, obj: KubeObject, opts: { dryRun?: boolean } = {}): Promise<KubeObject> {
    const data = encode(obj);
    if (opts.dryRun) {
      const { revision, kv } = await this.backend.get(key);
      if (kv) throw keyExists(key);
      return decode(data, revision);
    }
    const value = Buffer.from(data);
    const revision = await this.writingAs(obj, value, () => this.backend.create(key, value));
    if (!revision) throw keyExists(key);
    return written(obj, data, revision);
  }

  async get(key: string): Promise<KubeObject | null> {
    const { kv } = await this.backend.get(key);
    return kv ? decodeKV(kv) : null;
  }

  /**
   * Matching objects in key order at one revision. Without a predicate one range call reads exactly the
   * page; with one, pages are read until the limit is met, so the continue key may lie past filtered-out keys.
   */
  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const predicate = opts.predicate;
    let startKey = opts.startAfterKey !== undefined ? `${opts.startAfterKey}\0` : undefined;
    let revision = opts.revision && opts.revision > 0 ? opts.revision : 0;
    const items: KubeObject[] = [];
    let lastKey: string | undefined;
    for (;;) {
      const page = await this.backend.list(prefix, {
        revision,
        startKey,
        limit: limit && predicate ? Math.max(limit, PREDICATE_PAGE) : limit,
        count: limit > 0 && !predicate,
      });
      revision = page.revision;
      const kvs = page.kvs;
      for (let i = 0; i < kvs.length; i++) {
        const obj = decodeKV(kvs[i]);
        lastKey = kvs[i].key;
        if (predicate && !predicate(obj)) continue;
        items.push(obj);
        if (limit && items.length >= limit) {
          const more = i < kvs.length - 1 || page.more;
          const res: ListResult = { items, revision, more, lastKey };
          if (more && !predicate && page.count !== undefined) res.remainingItemCount = page.count - kvs.length;
          return res;
        }
      }
      if (!page.more || !kvs.length) return { items, revision, more: false, lastKey };
      startKey = `${kvs[kvs.length - 1].key}\0`;
    }
  }

  count(prefix: string): Promise<number> {
    return this.backend.count(prefix);
  }

  private async read(key: string): Promise<{ revision: number; cur?: Stored }> {
    const { revision, kv } = await this.backend.get(key);
    return { revision, cur: stored(kv) };
  }

  /**
   * kube's cachedExistingObject: the watch cache's copy stands in for the first read. The attempt gets a
   * copy of it (as a decode of its text would give it) made without parsing the text again.
   */
  private fromCache(obj: KubeObject | undefined): Stored | undefined {
    const rv = obj?.metadata?.resourceVersion;
    if (!obj || !rv) return undefined;
    const modRevision = Number(rv);
    const data = this.bytes.get(obj)?.toString('utf8') ?? encode(obj);
    return { data, modRevision, obj: copyAsStored(obj, modRevision) };
  }

  /**
   * The etcd3 store's GuaranteedUpdate. A failure on the cached copy (preconditions, tryUpdate) may come
   * from stale data: it is only reported once a fresh read shows the same revision, as kube does.
   */
  async guaranteedUpdate(key: string, tryUpdate: TryUpdate, opts: UpdateOptions = {}): Promise<KubeObject> {
    let cur = this.fromCache(opts.cachedExisting);
    let isCurrent = !cur;
    let revision = 0;
    if (!cur) ({ revision, cur } = await this.read(key));
    for (;;) {
      if (!cur && !opts.ignoreNotFound) throw keyNotFound(key);
      const curObj = cur ? take(cur) : null;
      let next: KubeObject;
      try {
        if (curObj) checkPreconditions(key, curObj, opts.preconditions);
        next = await tryUpdate(curObj);
      } catch (e) {
        if (isCurrent) throw e;
        const stale = cur;
        ({ revision, cur } = await this.read(key));
        isCurrent = true;
        if (cur?.modRevision === stale?.modRevision) throw e;
        continue;
      }
      let data: string | undefined;
      if (cur && (next === curObj || (data = encode(next)) === cur.data)) {
        // Nothing to write; make sure what we compared against is still current, as kube's store does.
        const was = cur.modRevision;
        ({ revision, cur } = await this.read(key));
        isCurrent = true;
        if (cur?.modRevision === was) return curObj!;
        continue;
      }
      data ??= encode(next);
      if (opts.dryRun) return decode(data, cur ? cur.modRevision : revision || (await this.backend.currentRevision()));
      const value = Buffer.from(data);
      const modRevision = cur?.modRevision ?? 0;
      const res = await this.writingAs(next, value, () => this.backend.update(key, value, modRevision));
      if (res.succeeded) return written(next, data, res.revision);
      cur = stored(res.current);
      isCurrent = true;
      revision = 0;
    }
  }

  /** The etcd3 store's conditionalDelete: returns the last state with the deletion revision as resourceVersion. */
  async delete(key: string, opts: DeleteOptions = {}): Promise<KubeObject> {
    let cur = this.fromCache(opts.cachedExisting);
    let isCurrent = !cur;
    if (!cur) ({ cur } = await this.read(key));
    for (;;) {
      if (!cur) throw keyNotFound(key);
      const obj = take(cur);
      try {
        checkPreconditions(key, obj, opts.preconditions);
        if (opts.validateDeletion) await opts.validateDeletion(obj);
      } catch (e) {
        if (isCurrent) throw e;
        const stale = cur;
        ({ cur } = await this.read(key));
        isCurrent = true;
        if (cur?.modRevision === stale.modRevision) throw e;
        continue;
      }
      if (opts.dryRun) return obj;
      const res = await this.backend.delete(key, cur.modRevision);
      if (res.succeeded) return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(res.revision) } };
      cur = stored(res.current);
      isCurrent = true;
    }
  }

  watch(prefix: string, opts: WatchOptions, handler: WatchHandler): StorageWatch {
    const withPrev = opts.prevObject === true;
    return this.backend.watch(prefix, opts.fromRevision, {
      event: (ev) => {
        const out = this.toWatchEvent(ev, withPrev);
        if (out) handler.event(out);
      },
      error: (err) => handler.error(err),
      progress: (rev) => handler.progress?.(rev),
    });
  }

  currentRevision(): Promise<number> {
    return this.backend.currentRevision();
  }

  compact(revision: number): Promise<void> {
    return this.backend.compact(revision);
  }

  compactedRevision(): Promise<number> {
    return this.backend.compactedRevision();
  }

  healthy(): Promise<boolean> {
    return this.backend.healthy();
  }

  close(): Promise<void> {
    return this.backend.close();
  }

  /** ADDED when the key was created at this revision; DELETED carries the last state at the deletion revision. */
  private toWatchEvent(ev: BackendEvent, withPrev: boolean): WatchEvent | null {
    const { kv, prevKv } = ev;
    if (ev.type === 'delete') {
      if (!prevKv) return null;
      return new DecodedEvent('DELETED', kv.key, decodeKV(prevKv, kv.modRevision), kv.modRevision, withPrev ? prevKv : undefined);
    }
    const type = kv.createRevision === kv.modRevision ? 'ADDED' : 'MODIFIED';
    const source = this.writing.get(kv.value);
    let object = source && copyAsStored(source, kv.modRevision);
    if (object) this.bytes.set(object, kv.value);
    else object = decodeKV(kv);
    return new DecodedEvent(type, kv.key, object, kv.modRevision, withPrev ? prevKv : undefined);
  }
}
