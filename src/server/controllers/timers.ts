// Timers a controller's machinery sets (retries, resyncs) and cancels together when it stops.

/** Unreferenced timeouts (they never keep the process alive), all cleared by stop(); none are set after it. */
export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();
  /** When each watch was last started again, by its owner's object for it. */
  private readonly rewatched = new WeakMap<object, number>();
  private stopped = false;

  later(fn: () => unknown, ms: number): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.pending.delete(t);
      void fn();
    }, ms);
    t.unref();
    this.pending.add(t);
  }

  /**
   * Runs `fn` to watch again after the watch `key` ended: at once (the server ends a watch to make its client
   * relist: the store's move to etcd, a reset, an expired revision), or after `backoffMs` when the same watch
   * was started again less than `backoffMs` ago (one that keeps ending is not retried in a loop).
   */
  rewatch(key: object, fn: () => unknown, backoffMs: number): void {
    const now = performance.now();
    const last = this.rewatched.get(key);
    this.rewatched.set(key, now);
    this.later(fn, last !== undefined && now - last < backoffMs ? backoffMs : 0);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
  }
}
