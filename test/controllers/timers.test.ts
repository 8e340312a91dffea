// The timers a controller's watches restart by: a watch the server ends is watched again at once, one that
// keeps ending is retried after the backoff.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Timers } from '../../src/server/controllers/timers.js';

describe('Timers.rewatch', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('watches again at once, then after the backoff while the same watch keeps ending, and at once again later', () => {
    const t = new Timers();
    // Two watches' owners' objects.
    const a = {};
    const b = {};
    const runs: string[] = [];
    t.rewatch(a, () => runs.push('a1'), 1000);
    t.rewatch(b, () => runs.push('b1'), 1000);
    vi.advanceTimersByTime(0);
    expect(runs).toEqual(['a1', 'b1']);
    // 'a' ends again within the backoff: not before it has passed.
    vi.advanceTimersByTime(10);
    t.rewatch(a, () => runs.push('a2'), 1000);
    vi.advanceTimersByTime(999);
    expect(runs).toEqual(['a1', 'b1']);
    vi.advanceTimersByTime(1);
    expect(runs).toEqual(['a1', 'b1', 'a2']);
    // Long after: at once.
    vi.advanceTimersByTime(5000);
    t.rewatch(a, () => runs.push('a3'), 1000);
    vi.advanceTimersByTime(0);
    expect(runs).toEqual(['a1', 'b1', 'a2', 'a3']);
    // Nothing runs once stopped.
    t.rewatch(b, () => runs.push('b2'), 1000);
    t.stop();
    vi.advanceTimersByTime(2000);
    expect(runs).toEqual(['a1', 'b1', 'a2', 'a3']);
  });
});
