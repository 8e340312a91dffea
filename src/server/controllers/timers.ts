// Timers a controller's machinery sets (retries, resyncs) and cancels together when it stops.

/** Unreferenced timeouts (they never keep the process alive), all cleared by stop(); none are set after it. */
export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();
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

  stop(): void {
    this.stopped = true;
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
  }
}
