// The watch cache's history: a fixed-capacity ring of events in revision
// order (watchCache.cache with startIndex/endIndex), and a sorted key index
// for paged lists in key order.

import type { CacheEvent } from './watcher.js';

export class EventRing {
  private readonly buf: Array<CacheEvent | undefined>;
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.buf = new Array<CacheEvent | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  at(i: number): CacheEvent {
    return this.buf[(this.start + i) % this.capacity]!;
  }

  /** Appends; returns the evicted oldest event when full. */
  push(ev: CacheEvent): CacheEvent | undefined {
    let evicted: CacheEvent | undefined;
    if (this.count === this.capacity) {
      evicted = this.buf[this.start];
      this.buf[this.start] = undefined;
      this.start = (this.start + 1) % this.capacity;
      this.count--;
    }
    this.buf[(this.start + this.count) % this.capacity] = ev;
    this.count++;
    return evicted;
  }

  /** Index of the first event with revision > rev. */
  firstAfter(rev: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).revision > rev) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  clear(): void {
    this.buf.fill(undefined);
    this.start = 0;
    this.count = 0;
  }
}
