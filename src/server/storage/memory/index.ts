// The embedded MVCC store: etcd's data model in process. One global revision,
// per-key create/mod revisions, reads at past revisions within a bounded
// history window, watches that replay history then follow live, compaction.
// Values are kept as JSON strings so no caller can alias stored state.

import type { KubeObject } from '../../api/types.js';
import {
  StorageError, type DeleteOptions, type ListOptions, type ListResult, type Storage, type StorageWatch, type TryUpdate,
  type UpdateOptions, type WatchEvent, type WatchHandler, type WatchOptions,
} from '../interface.js';
import { checkPreconditions, decode, encode, sameContent } from '../codec.js';
import { SortedKeys } from './sorted-keys.js';

interface Version {
  /** Revision this version was written at. */
  mod: number;
  create: number;
  /** Null for a deletion tombstone. */
  value: string | null;
}

interface Event {
  revision: number;
  key: string;
  value: string | null;
  prev: string | null;
  prevMod: number;
}

interface Watcher {
  prefix: string;
  recursive: boolean;
  prevObject: boolean;
  handler: WatchHandler;
  stopped: boolean;
}

export interface MemoryStorageOptions {
  /** Revisions of history kept for reads at old revisions and watch resume; older ones are compacted. */
  historyLimit?: number;
}

export class MemoryStorage implements Storage {
  readonly kind = 'memory' as const;
  private revision = 1;
  private compacted = 0;
  /** key -> versions, oldest first; the last is current. */
  private readonly history = new Map<string, Version[]>();
  /** Keys that currently exist, sorted. */
  private readonly live = new SortedKeys();
  /** Keys with any retained history (for reads at past revisions), sorted. */
  private readonly known = new SortedKeys();
  private readonly events: Event[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly historyLimit: number;
  private closed = false;

  constructor(opts: MemoryStorageOptions = {}) {
    this.historyLimit = opts.historyLimit ?? 10_000;
  }

  private current(key: string): Version | undefined {
    const h = this.history.get(key);
    const v = h?.[h.length - 1];
    return v && v.value !== null ? v : undefined;
  }

  private at(key: string, revision: number): Version | undefined {
    const h = this.history.get(key);
    if (!h) return undefined;
    for (let i = h.length - 1; i >= 0; i--) {
      if (h[i].mod <= revision) return h[i].value !== null ? h[i] : undefined;
    }
    return undefined;
  }

  private write(key: string, value: string | null, create: number): number {
    const rev = ++this.revision;
    let h = this.history.get(key);
    const prev = h?.[h.length - 1];
    if (!h) {
      h = [];
      this.history.set(key, h);
      this.known.add(key);
    }
    h.push({ mod: rev, create, value });
    if (value === null) this.live.delete(key);
    else this.live.add(key);
    const ev: Event = { revision: rev, key, value, prev: prev?.value ?? null, prevMod: prev?.mod ?? 0 };
    this.events.push(ev);
    if (this.revision - this.compacted > this.historyLimit * 1.25) this.compactInternal(this.revision - this.historyLimit);
    this.dispatch(ev);
    return rev;
  }

  private toEvent(ev: Event, w: Watcher): WatchEvent {
    if (ev.value === null) {
      const obj = decode(ev.prev!, ev.revision);
      const out: WatchEvent = { type: 'DELETED', key: ev.key, object: obj, revision: ev.revision };
      if (w.prevObject) out.prevObject = decode(ev.prev!, ev.prevMod);
      return out;
    }
    const out: WatchEvent = { type: ev.prev === null ? 'ADDED' : 'MODIFIED', key: ev.key, object: decode(ev.value, ev.revision), revision: ev.revision };
    if (w.prevObject && ev.prev !== null) out.prevObject = decode(ev.prev, ev.prevMod);
    return out;
  }

  private matches(w: Watcher, key: string): boolean {
    return w.recursive ? key.startsWith(w.prefix) : key === w.prefix;
  }

  private dispatch(ev: Event): void {
    for (const w of this.watchers) {
      if (!w.stopped && this.matches(w, ev.key)) w.handler.event(this.toEvent(ev, w));
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new StorageError('Unreachable', '', 'storage is closed');
  }

  async create(key: string, obj: KubeObject, opts: { dryRun?: boolean } = {}): Promise<KubeObject> {
    this.checkOpen();
    if (this.current(key)) throw new StorageError('KeyExists', key, `key ${key} already exists`);
    const value = encode(obj);
    if (opts.dryRun) return decode(value, this.revision);
    const rev = this.write(key, value, this.revision + 1);
    return decode(value, rev);
  }

  async get(key: string): Promise<KubeObject | null> {
    this.checkOpen();
    const v = this.current(key);
    return v ? decode(v.value!, v.mod) : null;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.checkOpen();
    const rev = opts.revision && opts.revision > 0 ? opts.revision : this.revision;
    if (rev > this.revision) throw new StorageError('TooLargeResourceVersion', prefix, `too large resource version: ${rev}, current: ${this.revision}`, this.revision);
    if (rev < this.compacted) throw new StorageError('Compacted', prefix, `required revision ${rev} has been compacted`, this.compacted);
    const latest = rev === this.revision;
    if (opts.recursive === false) {
      const v = latest ? this.current(prefix) : this.at(prefix, rev);
      return { items: v ? [decode(v.value!, v.mod)] : [], revision: rev, more: false };
    }
    const keys = latest ? this.live : this.known;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    const items: KubeObject[] = [];
    let lastKey: string | undefined;
    let more = false;
    let remaining = 0;
    const start = opts.startAfterKey && opts.startAfterKey >= prefix ? opts.startAfterKey : undefined;
    for (const key of keys.from(start ?? prefix, start !== undefined)) {
      if (!key.startsWith(prefix)) break;
      const v = latest ? this.current(key) : this.at(key, rev);
      if (!v) continue;
      if (items.length >= limit) {
        more = true;
        if (opts.predicate) break;
        remaining++;
        continue;
      }
      const obj = decode(v.value!, v.mod);
      if (opts.predicate && !opts.predicate(obj)) continue;
      items.push(obj);
      lastKey = key;
    }
    const res: ListResult = { items, revision: rev, more, lastKey };
    if (more && !opts.predicate) res.remainingItemCount = remaining;
    return res;
  }

  async count(prefix: string): Promise<number> {
    this.checkOpen();
    let n = 0;
    for (const key of this.live.from(prefix, false)) {
      if (!key.startsWith(prefix)) break;
      n++;
    }
    return n;
  }

  async guaranteedUpdate(key: string, tryUpdate: TryUpdate, opts: UpdateOptions = {}): Promise<KubeObject> {
    this.checkOpen();
    for (;;) {
      const cur = this.current(key);
      if (!cur && !opts.ignoreNotFound) throw new StorageError('KeyNotFound', key, `key ${key} not found`);
      const curObj = cur ? decode(cur.value!, cur.mod) : null;
      if (curObj) checkPreconditions(key, curObj, opts.preconditions);
      const next = await tryUpdate(curObj);
      // A concurrent writer may have won while tryUpdate awaited: retry on the new state.
      const now = this.current(key);
      if ((now?.mod ?? 0) !== (cur?.mod ?? 0)) continue;
      if (curObj && (next === curObj || sameContent(next, cur!.value!))) return curObj;
      const value = encode(next);
      if (opts.dryRun) return decode(value, cur?.mod ?? this.revision);
      const rev = this.write(key, value, cur ? cur.create : this.revision + 1);
      return decode(value, rev);
    }
  }

  async delete(key: string, opts: DeleteOptions = {}): Promise<KubeObject> {
    this.checkOpen();
    for (;;) {
      const cur = this.current(key);
      if (!cur) throw new StorageError('KeyNotFound', key, `key ${key} not found`);
      const obj = decode(cur.value!, cur.mod);
      checkPreconditions(key, obj, opts.preconditions);
      if (opts.validateDeletion) await opts.validateDeletion(obj);
      if ((this.current(key)?.mod ?? 0) !== cur.mod) continue;
      if (opts.dryRun) return obj;
      const rev = this.write(key, null, cur.create);
      return decode(cur.value!, rev);
    }
  }

  watch(prefix: string, opts: WatchOptions, handler: WatchHandler): StorageWatch {
    const w: Watcher = { prefix, recursive: opts.recursive ?? true, prevObject: opts.prevObject ?? false, handler, stopped: false };
    const from = opts.fromRevision;
    if (from > 0 && from < this.compacted) {
      queueMicrotask(() => handler.error(new StorageError('Compacted', prefix, `required revision ${from + 1} has been compacted`, this.compacted)));
      return { stop: () => { w.stopped = true; } };
    }
    // Replay history after `from`, then go live; both happen before any later write is dispatched.
    if (from > 0 && from < this.revision) {
      for (const ev of this.eventsAfter(from)) if (this.matches(w, ev.key)) handler.event(this.toEvent(ev, w));
    }
    this.watchers.add(w);
    return { stop: () => { w.stopped = true; this.watchers.delete(w); } };
  }

  private *eventsAfter(revision: number): Iterable<Event> {
    // Events are in revision order; binary search for the first one after `revision`.
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.events[mid].revision <= revision) lo = mid + 1;
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
    while (drop < this.events.length && this.events[drop].revision < revision) drop++;
    const dropped = this.events.splice(0, drop);
    const touched = new Set(dropped.map((e) => e.key));
    for (const key of touched) {
      const h = this.history.get(key);
      if (!h) continue;
      // Keep the newest version at or below the compaction revision (it is still readable there) and everything after.
      let keepFrom = 0;
      for (let i = 0; i < h.length; i++) if (h[i].mod <= revision) keepFrom = i;
      h.splice(0, keepFrom);
      if (h.length === 1 && h[0].value === null) {
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
    for (const w of this.watchers) w.stopped = true;
    this.watchers.clear();
  }
}
