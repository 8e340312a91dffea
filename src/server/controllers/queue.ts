// kube's rate-limited work queue, small: a key queued while queued is queued once, a key
// is never processed by two workers at once (one added while it runs runs again after),
// a failed key is retried with a growing delay, and idle() resolves when nothing is left.

export class WorkQueue<K> {
  private readonly queued = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly again = new Set<K>();
  private readonly failures = new Map<K, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiters: Array<() => void> = [];
  private active = 0;
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly process: (key: K) => Promise<void>,
    private readonly workers = 4,
  ) {}

  add(key: K): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.again.add(key);
      return;
    }
    this.queued.add(key);
    this.pump();
  }

  /** Adds the key after a delay (kube's AddAfter). */
  addAfter(key: K, ms: number): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.add(key);
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private pump(): void {
    while (this.active < this.workers && this.queued.size > 0 && !this.stopped) {
      const key = this.queued.values().next().value as K;
      this.queued.delete(key);
      this.processing.add(key);
      this.active++;
      void this.run(key);
    }
    if (this.active === 0 && this.queued.size === 0 && this.timers.size === 0) {
      for (const w of this.waiters.splice(0)) w();
    }
  }

  private async run(key: K): Promise<void> {
    try {
      await this.process(key);
      this.failures.delete(key);
    } catch (e) {
      if (!this.stopped) {
        const n = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, n);
        if (n === 1 || n % 20 === 0) console.error(`kapi-env: ${this.name} failed (retrying):`, e instanceof Error ? e.message : e);
        this.addAfter(key, Math.min(5 * 2 ** Math.min(n, 8), 1000));
      }
    } finally {
      this.processing.delete(key);
      this.active--;
      if (this.again.delete(key)) this.queued.add(key);
      this.pump();
    }
  }

  /** Resolves when no key is queued, running or waiting for a retry. */
  idle(): Promise<void> {
    if (this.active === 0 && this.queued.size === 0 && this.timers.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const w of this.waiters.splice(0)) w();
  }
}
