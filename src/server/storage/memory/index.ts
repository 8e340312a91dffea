// The embedded MVCC driver: etcd's data model in process. One global revision,
// per-key create/mod revisions, reads at past revisions within a bounded
// history window, watches that replay history then follow live, compaction.
// Values are byte copies, so no caller can alias stored state.

import { SortedKeys } from '../../api/sorted-keys.js';
import {
  type Backend,
  type BackendEvent,
  type BackendSnapshot,
  type BackendWatchHandler,
  type KeyValue,
  type RangeOptions,
  type RangeResult,
  restorePlan,
  touches,
  type WriteResult,
} from '../backend.js';
import { StorageError, type StorageWatch } from '../interface.js';
import { ObjectStorage } from '../objects.js';

/** A version of a key; a deletion leaves a tombstone (empty value) at its revision. */
interface Version extends KeyValue {
  readonly deleted: boolean;
}

interface Watch {
  prefix: string;
  handler: BackendWatchHandler;
  stopped: boolean;
}

const EMPTY = Buffer.alloc(0);

export interface MemoryStorageOptions {
  /** Revisions of history kept for reads at old revisions and watch resume; older ones are compacted. */
  historyLimit?: number;
  /** The store's revision when empty (etcd's: 1); the first write is the next. */
  firstRevision?: number;
}

/** The exclusive end of the keys starting with `prefix` (etcd's prefix range_end). */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

export class MemoryBackend implements Backend {
  readonly kind = 'memory' as const;
  private revision: number;
  private compacted: number;
  /** key -> versions, oldest first; the last is current. */
  private readonly history = new Map<string, Version[]>();
  /** Keys that currently exist, sorted. */
  private readonly live = new SortedKeys();
  /** Keys with any retained history (for reads at past revisions), sorted. */
  private readonly known = new SortedKeys();
  /** Every event since the compaction revision, in revision order (the watch replay log). */
  private readonly events: BackendEvent[] = [];
  private readonly watches = new Set<Watch>();
  private readonly historyLimit: number;
  private closed = false;

  constructor(opts: MemoryStorageOptions = {}) {
    this.historyLimit = opts.historyLimit ?? 10_000;
    this.revision = opts.firstRevision ?? 1;
    this.compacted = this.revision - 1;
  }

  private current(key: string): Version | undefined {
    const h = this.history.get(key);
    const v = h?.[h.length - 1];
    return v && !v.deleted ? v : undefined;
  }

  private at(key: string, revision: number): Version | undefined {
    const h = this.history.get(key);
    if (!h) return undefined;
    for (let i = h.length - 1; i >= 0; i--) {
      if (h[i].modRevision <= revision) return h[i].deleted ? undefined : h[i];
    }
    return undefined;
  }

  private write(key: string, value: Buffer | null, prev: Version | undefined): number {
    const ev = this.record(key, value, prev, ++this.revision);
    if (this.revision - this.compacted > this.historyLimit * 1.25) this.compactInternal(this.revision - this.historyLimit);
    for (const w of this.watches) if (!w.stopped && key.startsWith(w.prefix)) w.handler.event(ev);
    return this.revision;
  }

  /** Adds a version of `key` at `rev` to the history, the live index and the replay log. */
  private record(key: string, value: Buffer | null, prev: Version | undefined, rev: number, index = true): BackendEvent {
    let h = this.history.get(key);
    if (!h) {
      h = [];
      this.history.set(key, h);
      this.known.add(key);
    }
    const v: Version =
      value === null
        ? { key, value: EMPTY, createRevision: prev!.createRevision, modRevision: rev, deleted: true }
        : { key, value, createRevision: prev ? prev.createRevision : rev, modRevision: rev, deleted: false };
    h.push(v);
    if (index && value === null) this.live.delete(key);
    else if (index) this.live.add(key);
    const ev: BackendEvent = { type: value === null ? 'delete' : 'put', kv: v, prevKv: prev };
    this.events.push(ev);
    return ev;
  }

  async snapshot(): Promise<BackendSnapshot> {
    this.checkOpen();
    // Versions are immutable: the snapshot shares them.
    const kvs = new Map<string, KeyValue>();
    for (const key of this.live.from('', false)) kvs.set(key, this.current(key)!);
    return { revision: this.revision, size: kvs.size, kvs };
  }

  async restore(snap: BackendSnapshot): Promise<number> {
    this.checkOpen();
    const current = [...this.live.from('', false)].map((key) => this.current(key)!);
    const plan = restorePlan(current, snap);
    if (plan.size) {
      // Every change at one new revision, as one etcd transaction writes them, recorded in the history and the
      // replay log (a read or watch from an older revision sees it), not sent to the watches ended below.
      const rev = ++this.revision;
      for (const [key, value] of plan) this.record(key, value, this.current(key), rev, false);
      // The live keys are now exactly the snapshot's (taken from the live index, so in its order): one rebuild
      // instead of an insert or removal per key.
      this.live.reset([...snap.kvs.keys()]);
      if (this.revision - this.compacted > this.historyLimit * 1.25) this.compactInternal(this.revision - this.historyLimit);
    }
    const changed = [...plan.keys()].sort();
    this.endWatches((prefix) => touches(changed, prefix), 'the store was reset to a snapshot');
    return this.revision;
  }

  /** Ends the chosen watches with Compacted: the watch cache relists and its clients get 410 Expired. */
  private endWatches(chosen: (prefix: string) => boolean, why: string): void {
    // One error for them all: building one per watch (its stack trace) costs more than the rest of a reset.
    const err = new StorageError('Compacted', '', `${why}: relist`, this.revision);
    for (const w of [...this.watches]) {
      if (w.stopped || !chosen(w.prefix)) continue;
      w.stopped = true;
      this.watches.delete(w);
      w.handler.error(err);
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new StorageError('Unreachable', '', 'storage is closed');
  }

  async get(key: string): Promise<{ revision: number; kv?: KeyValue }> {
    this.checkOpen();
    return { revision: this.revision, kv: this.current(key) };
  }

  async list(prefix: string, opts: RangeOptions = {}): Promise<RangeResult> {
    this.checkOpen();
    const rev = opts.revision && opts.revision > 0 ? opts.revision : this.revision;
    if (rev > this.revision)
      throw new StorageError(
        'TooLargeResourceVersion',
        prefix,
        `too large resource version: ${rev}, current: ${this.revision}`,
        this.revision,
      );
    if (rev < this.compacted) throw new StorageError('Compacted', prefix, `required revision ${rev} has been compacted`, this.compacted);
    const latest = rev === this.revision;
    const keys = latest ? this.live : this.known;
    const start = opts.startKey !== undefined && opts.startKey > prefix ? opts.startKey : prefix;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    const kvs: KeyValue[] = [];
    let more = false;
    let count = 0;
    for (const key of keys.from(start, false)) {
      if (!key.startsWith(prefix)) break;
      const v = latest ? this.current(key) : this.at(key, rev);
      if (!v) continue;
      if (kvs.length >= limit) {
        more = true;
        if (!opts.count) break;
        if (latest) {
          // The live index is exactly the keys that exist now: count the rest by position.
          count = kvs.length + keys.lowerBound(prefixEnd(prefix)) - keys.lowerBound(key);
          break;
        }
      }
      count++;
      if (kvs.length < limit) kvs.push(v);
    }
    const res: RangeResult = { kvs, revision: rev, more };
    if (opts.count) res.count = count;
    return res;
  }

  async count(prefix: string): Promise<number> {
    this.checkOpen();
    return this.live.lowerBound(prefixEnd(prefix)) - this.live.lowerBound(prefix);
  }

  async create(key: string, value: Buffer): Promise<number> {
    this.checkOpen();
    return this.current(key) ? 0 : this.write(key, value, undefined);
  }

  async update(key: string, value: Buffer, modRevision: number): Promise<WriteResult> {
    this.checkOpen();
    const cur = this.current(key);
    if ((cur?.modRevision ?? 0) !== modRevision) return { succeeded: false, current: cur };
    return { succeeded: true, revision: this.write(key, value, cur) };
  }

  async delete(key: string, modRevision: number): Promise<WriteResult> {
    this.checkOpen();
    const cur = this.current(key);
    if (!cur || cur.modRevision !== modRevision) return { succeeded: false, current: cur };
    return { succeeded: true, revision: this.write(key, null, cur) };
  }

  watch(prefix: string, fromRevision: number, handler: BackendWatchHandler): StorageWatch {
    const w: Watch = { prefix, handler, stopped: false };
    if (fromRevision > 0 && fromRevision < this.compacted) {
      queueMicrotask(() =>
        handler.error(new StorageError('Compacted', prefix, `required revision ${fromRevision + 1} has been compacted`, this.compacted)),
      );
      return {
        stop: () => {
          w.stopped = true;
        },
      };
    }
    // Replay history after `fromRevision`, then go live; both happen before any later write is dispatched.
    if (fromRevision > 0 && fromRevision < this.revision) {
      for (const ev of this.eventsAfter(fromRevision)) if (ev.kv.key.startsWith(prefix)) handler.event(ev);
    }
    this.watches.add(w);
    return {
      stop: () => {
        w.stopped = true;
        this.watches.delete(w);
      },
      // Events are dispatched synchronously inside each write, so every event up to the current revision
      // has already reached this watch's handler: the store's revision is always a correct progress mark.
      requestProgress: () => {
        if (!w.stopped && !this.closed) w.handler.progress(this.revision);
      },
    };
  }

  private *eventsAfter(revision: number): Iterable<BackendEvent> {
    // Events are in revision order; binary search for the first one after `revision`.
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.events[mid].kv.modRevision <= revision) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.events.length; i++) yield this.events[i];
  }

  async currentRevision(): Promise<number> {
    return this.revision;
  }

  async compact(revision: number): Promise<void> {
    this.compactInternal(Math.min(revision, this.revision));
  }

  private compactInternal(revision: number): void {
    if (revision <= this.compacted) return;
    this.compacted = revision;
    let drop = 0;
    while (drop < this.events.length && this.events[drop].kv.modRevision < revision) drop++;
    const dropped = this.events.splice(0, drop);
    const touched = new Set(dropped.map((e) => e.kv.key));
    for (const key of touched) {
      const h = this.history.get(key);
      if (!h) continue;
      // Keep the newest version at or below the compaction revision (it is still readable there) and everything after.
      let keepFrom = 0;
      for (let i = 0; i < h.length; i++) if (h[i].modRevision <= revision) keepFrom = i;
      h.splice(0, keepFrom);
      if (h.length === 1 && h[0].deleted) {
        this.history.delete(key);
        this.known.delete(key);
      }
    }
  }

  async compactedRevision(): Promise<number> {
    return this.compacted;
  }

  async healthy(): Promise<boolean> {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.watches) w.stopped = true;
    this.watches.clear();
  }
}

/** The object layer over an in-process MVCC store: `--storage-backend=memory`. */
export class MemoryStorage extends ObjectStorage {
  constructor(opts: MemoryStorageOptions = {}) {
    super(new MemoryBackend(opts));
  }
}
