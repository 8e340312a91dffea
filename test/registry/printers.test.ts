// Printer helpers of the built-in tables: ages as kube's duration.HumanDuration prints them.

import { describe, expect, it } from 'vitest';
import { humanDuration } from '../../src/server/registry/resources/printers.js';

describe('printing', () => {
  it('prints ages as kubectl does', () => {
    expect(humanDuration(5_000)).toBe('5s');
    expect(humanDuration(150_000)).toBe('2m30s');
    expect(humanDuration(3 * 3600_000 + 5 * 60_000)).toBe('3h5m');
    expect(humanDuration(3 * 86400_000)).toBe('3d');
  });
});
