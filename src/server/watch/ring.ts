// The watch cache's history: a fixed-capacity ring of events in revision
// order (watchCache.cache with startIndex/endIndex), and a sorted key index
// for paged lists in key order.

import type { CacheEvent } from './watcher.js';

/** The ring's first buffer. */
const INITIAL = 16;

export class EventRing {
  /**
   * Grown by doubling up to the capacity as events come: a server starts sixty caches, most of them for
   * resources that see few writes, and a buffer of the full capacity each (10,000 slots) was megabytes
   * allocated and filled at every start.
   */
  private buf: Array<CacheEvent | undefined>;
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.buf = new Array<CacheEvent | undefined>(Math.min(INITIAL, capacity));
  }

  get size(): number {
    return this.count;
  }

  at(i: number): CacheEvent {
    return this.buf[(this.start + i) % this.buf.length]!;
  }

  /** Appends; returns the evicted oldest event when full. */
  push(ev: CacheEvent): CacheEvent | undefined {
    let evicted: CacheEvent | undefined;
    if (this.count === this.buf.length) {
      if (this.count < this.capacity) this.grow();
      else {
        evicted = this.buf[this.start];
        this.buf[this.start] = undefined;
        this.start = (this.start + 1) % this.buf.length;
        this.count--;
      }
    }
    this.buf[(this.start + this.count) % this.buf.length] = ev;
    this.count++;
    return evicted;
  }

  /** A buffer twice as large (at most the capacity), the events in order from its start. */
  private grow(): void {
    const next = new Array<CacheEvent | undefined>(Math.min(this.capacity, this.buf.length * 2));
    for (let i = 0; i < this.count; i++) next[i] = this.at(i);
    this.buf = next;
    this.start = 0;
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
    this.buf = new Array<CacheEvent | undefined>(Math.min(INITIAL, this.capacity));
    this.start = 0;
    this.count = 0;
  }
}
