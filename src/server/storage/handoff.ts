// A fresh etcd takes from 100 ms (the harness's, tuned for a cluster of one) to half a second (etcd's defaults) to
// answer; the server's start (the bootstrap objects, ~250 writes through the whole write path) takes as long or
// longer. A harness that has just launched etcd (an empty data dir) can do
// both at once: the server starts on an embedded store, and once etcd is healthy (the harness also waits for
// the server's bootstrap objects, faster written here) the store's keys move into etcd in a few transactions (restore(), as env.reset() writes a snapshot) and every watch ends with Compacted,
// so the watch caches and controllers relist, now from etcd. From then on every call goes to etcd, as if the
// server had started on it: only revisions differ (the moved keys carry etcd's, from 2 up).
//
// Calls made while the keys move wait for it; one in flight when it begins finishes first. The embedded store
// counts its revisions from 10^12, far above any the fresh etcd reaches: a try-update that read before the
// move and writes after it cannot match a revision in etcd, fails its compare-and-swap and re-reads, as on
// any conflict.

import type { Backend, BackendSnapshot, BackendWatchHandler, KeyValue, RangeOptions, RangeResult, WriteResult } from './backend.js';
import { StorageError, type StorageWatch } from './interface.js';
import { MemoryBackend } from './memory/index.js';

interface Relay {
  prefix: string;
  handler: BackendWatchHandler;
  inner: StorageWatch;
  stopped: boolean;
}

export interface HandoffOptions {
  /** How long settled waits for the ended watches to watch again (their owners relisting) before going on. */
  rewatchTimeoutMs?: number;
}

/** Where the embedded store's revisions start (see above). */
export const PRE_MOVE_REVISION = 1e12;

export class HandoffBackend implements Backend {
  readonly kind = 'etcd' as const;
  private readonly memory = new MemoryBackend({ firstRevision: PRE_MOVE_REVISION });
  private target: Backend;
  private moved = false;
  private gate?: Promise<void>;
  private inflight = 0;
  private drained?: () => void;
  private readonly relays = new Set<Relay>();
  /** Prefixes of the watches ended by the move, each until a watch on it comes again. */
  private readonly awaited = new Map<string, number>();
  private rewatched?: () => void;
  private closed = false;
  /**
   * After the move, every key as etcd holds it, as the restore left it (or read in one range): the ended
   * watches' owners relist at once, and the view answers them all, where a range per prefix costs the main
   * thread about half a millisecond each (sixty of them, one per watch cache). The harness's baseline
   * snapshot comes from it too. Dropped at the first write, or once settled.
   */
  private view?: { snapshot: BackendSnapshot; sorted: KeyValue[] };
  /**
   * Resolves once the keys are in etcd, every call goes there and the watches the move ended have watched
   * again; rejects when etcd does not come up (or the move fails).
   */
  readonly settled: Promise<void>;
  /**
   * Resolves once the keys are in etcd and calls go there, before the watches have watched again; rejects as
   * settled does.
   */
  readonly keysMoved: Promise<void>;

  constructor(
    next: Promise<Backend>,
    private readonly opts: HandoffOptions = {},
  ) {
    this.target = this.memory;
    let markMoved!: () => void;
    const moved = new Promise<void>((resolve) => {
      markMoved = resolve;
    });
    this.settled = next.then((etcd) => this.moveTo(etcd, markMoved));
    // With settled too: a move that ends before the keys are moved (closed first, failed) never marks it.
    this.keysMoved = Promise.race([moved, this.settled]);
    this.keysMoved.catch(() => undefined);
    // Awaited by the harness once the server is up; a start that fails first must not leave it unhandled.
    this.settled.catch(() => undefined);
  }

  private async moveTo(etcd: Backend, markMoved: () => void): Promise<void> {
    if (this.closed) {
      await etcd.close();
      return;
    }
    let open!: () => void;
    this.gate = new Promise((r) => {
      open = r;
    });
    try {
      if (this.inflight > 0) await new Promise<void>((r) => (this.drained = r));
      const snap: BackendSnapshot = await this.memory.snapshot();
      const state = etcd.restoreState
        ? await etcd.restoreState(snap, { empty: true })
        : await etcd.restore(snap).then(() => etcd.snapshot());
      const revision = state.revision;
      // In key order as etcd sorts keys (by their bytes), each key's bytes made once.
      const byBytes = [...state.kvs.values()].map((kv) => ({ kv, bytes: Buffer.from(kv.key) }));
      byBytes.sort((a, b) => Buffer.compare(a.bytes, b.bytes));
      this.view = { snapshot: state, sorted: byBytes.map((x) => x.kv) };
      this.target = etcd;
      this.moved = true;
      const err = new StorageError('Compacted', '', 'the store moved to etcd: relist', revision);
      for (const r of [...this.relays]) {
        if (r.stopped) continue;
        r.inner.stop();
        this.awaited.set(r.prefix, (this.awaited.get(r.prefix) ?? 0) + 1);
      }
      const ended = [...this.relays].filter((r) => !r.stopped);
      this.relays.clear();
      const again = this.awaited.size
        ? new Promise<void>((resolve) => {
            this.rewatched = resolve;
            setTimeout(resolve, this.opts.rewatchTimeoutMs ?? 5_000).unref();
          })
        : Promise.resolve();
      for (const r of ended) r.handler.error(err);
      await this.memory.close();
      open();
      this.gate = undefined;
      markMoved();
      await again;
      this.view = undefined;
    } catch (e) {
      open();
      this.gate = undefined;
      throw e;
    }
  }

  /** Runs `f` on the store calls go to now: after a move under way, or counted as in flight before it. */
  private run<T>(f: (b: Backend) => Promise<T>): Promise<T> {
    if (this.moved) return f(this.target);
    if (this.gate) return this.gate.then(() => this.run(f));
    this.inflight++;
    return f(this.target).finally(() => {
      if (--this.inflight === 0) this.drained?.();
    });
  }

  get(key: string): Promise<{ revision: number; kv?: KeyValue }> {
    return this.run((b) => b.get(key));
  }

  /** After the move a revision from before it names history etcd never had: as if compacted. */
  private premove(revision: number | undefined, prefix: string): StorageError | undefined {
    return this.moved && revision !== undefined && revision >= PRE_MOVE_REVISION
      ? new StorageError('Compacted', prefix, `required revision ${revision} has been compacted (the store moved to etcd)`, 0)
      : undefined;
  }

  list(prefix: string, opts?: RangeOptions): Promise<RangeResult> {
    const gone = this.premove(opts?.revision, prefix);
    if (gone) return Promise.reject(gone);
    const view = this.moved && this.view;
    if (view && !opts?.revision && !opts?.startKey && !opts?.limit && !opts?.count)
      return Promise.resolve({ kvs: view.sorted.filter((kv) => kv.key.startsWith(prefix)), revision: view.snapshot.revision, more: false });
    return this.run((b) => b.list(prefix, opts));
  }

  count(prefix: string): Promise<number> {
    return this.run((b) => b.count(prefix));
  }

  create(key: string, value: Buffer): Promise<number> {
    this.view = undefined;
    return this.run((b) => b.create(key, value));
  }

  update(key: string, value: Buffer, modRevision: number): Promise<WriteResult> {
    this.view = undefined;
    return this.run((b) => b.update(key, value, modRevision));
  }

  delete(key: string, modRevision: number): Promise<WriteResult> {
    this.view = undefined;
    return this.run((b) => b.delete(key, modRevision));
  }

  snapshot(): Promise<BackendSnapshot> {
    const view = this.moved && this.view;
    if (view) return Promise.resolve(view.snapshot);
    return this.run((b) => b.snapshot());
  }

  restore(snapshot: BackendSnapshot): Promise<number> {
    this.view = undefined;
    return this.run((b) => b.restore(snapshot));
  }

  currentRevision(): Promise<number> {
    return this.run((b) => b.currentRevision());
  }

  compact(revision: number): Promise<void> {
    this.view = undefined;
    // A compaction planned before the move (kube's loop compacts to the revision it read an interval ago):
    // that history is gone already.
    if (this.premove(revision, '')) return Promise.resolve();
    return this.run((b) => b.compact(revision));
  }

  compactedRevision(): Promise<number> {
    return this.run((b) => b.compactedRevision());
  }

  healthy(): Promise<boolean> {
    return this.run((b) => b.healthy());
  }

  watch(prefix: string, fromRevision: number, handler: BackendWatchHandler): StorageWatch {
    if (this.moved) {
      const n = this.awaited.get(prefix);
      if (n !== undefined) {
        if (n > 1) this.awaited.set(prefix, n - 1);
        else this.awaited.delete(prefix);
        if (this.awaited.size === 0) this.rewatched?.();
      }
      const gone = this.premove(fromRevision, prefix);
      if (gone) {
        let stopped = false;
        queueMicrotask(() => {
          if (!stopped) handler.error(gone);
        });
        return {
          stop: () => {
            stopped = true;
          },
        };
      }
      return this.target.watch(prefix, fromRevision, handler);
    }
    // Before the move (or while it runs: the memory store still answers from its revisions) the watch is
    // relayed, so the move can end it.
    const relay: Relay = { prefix, handler, inner: { stop() {} }, stopped: false };
    relay.inner = this.memory.watch(prefix, fromRevision, handler);
    this.relays.add(relay);
    return {
      stop: () => {
        relay.stopped = true;
        relay.inner.stop();
        this.relays.delete(relay);
      },
      requestProgress: relay.inner.requestProgress && (() => relay.inner.requestProgress?.()),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.memory.close();
    if (this.moved) await this.target.close();
  }
}
