// The watch cache's event history: a ring that grows as events come, up to its capacity, then evicts the oldest.

import { describe, expect, it } from 'vitest';
import { EventRing } from '../../src/server/watch/ring.js';
import type { CacheEvent } from '../../src/server/watch/watcher.js';

const ev = (revision: number): CacheEvent => ({ type: 'ADDED', key: `/k/${revision}`, object: {}, revision });
const revisions = (r: EventRing): number[] => Array.from({ length: r.size }, (_, i) => r.at(i).revision);

describe('EventRing', () => {
  it('keeps every event in order while it grows, then evicts the oldest one at a time', () => {
    const r = new EventRing(100);
    const evicted: number[] = [];
    for (let rev = 1; rev <= 250; rev++) {
      const out = r.push(ev(rev));
      if (out) evicted.push(out.revision);
      // Nothing is lost before the capacity is reached.
      if (rev <= 100) expect(r.size).toBe(rev);
    }
    expect(r.size).toBe(100);
    expect(revisions(r)).toEqual(Array.from({ length: 100 }, (_, i) => 151 + i));
    expect(evicted).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
    expect(r.firstAfter(150)).toBe(0);
    expect(r.firstAfter(200)).toBe(50);
    expect(r.firstAfter(250)).toBe(100);
  });

  it('holds no more than a capacity smaller than its first buffer', () => {
    for (const capacity of [1, 3]) {
      const r = new EventRing(capacity);
      const evicted: number[] = [];
      for (let rev = 1; rev <= 10; rev++) {
        const out = r.push(ev(rev));
        if (out) evicted.push(out.revision);
      }
      expect(revisions(r)).toEqual(Array.from({ length: capacity }, (_, i) => 11 - capacity + i));
      expect(evicted).toHaveLength(10 - capacity);
    }
  });

  it('starts over empty after clear, and grows again', () => {
    const r = new EventRing(50);
    for (let rev = 1; rev <= 70; rev++) r.push(ev(rev));
    r.clear();
    expect(r.size).toBe(0);
    expect(r.firstAfter(0)).toBe(0);
    for (let rev = 71; rev <= 110; rev++) expect(r.push(ev(rev))).toBeUndefined();
    expect(revisions(r)).toEqual(Array.from({ length: 40 }, (_, i) => 71 + i));
  });
});
