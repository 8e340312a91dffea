// CronJob schedules as robfig/cron evaluates them (SpecSchedule.Next, ConstantDelaySchedule) in a time
// zone, and kube's most recent missed schedule time; plus the controllers' clock.

import { describe, expect, it } from 'vitest';
import { ControllerClock } from '../../src/server/controllers/clock.js';
import { mostRecentScheduleTime, nextScheduleTime } from '../../src/server/controllers/cron-schedule.js';
import { type CronSchedule, parseCronSchedule } from '../../src/server/registry/resources/cron.js';

const parse = (s: string): CronSchedule => {
  const p = parseCronSchedule(s);
  if (typeof p === 'string') throw new Error(p);
  return p;
};
const t = (iso: string) => Date.parse(iso);
const next = (s: string, from: string, tz = 'UTC') => {
  const n = nextScheduleTime(parse(s), t(from), tz);
  return n === undefined ? undefined : new Date(n).toISOString();
};

describe('nextScheduleTime', () => {
  it('descriptors', () => {
    expect(next('@hourly', '2026-03-01T10:00:00Z')).toBe('2026-03-01T11:00:00.000Z');
    expect(next('@hourly', '2026-03-01T10:59:59.500Z')).toBe('2026-03-01T11:00:00.000Z');
    expect(next('@daily', '2026-03-01T10:00:00Z')).toBe('2026-03-02T00:00:00.000Z');
    expect(next('@midnight', '2026-12-31T23:00:00Z')).toBe('2027-01-01T00:00:00.000Z');
    // 2026-03-01 is a Sunday: @weekly is Sunday midnight.
    expect(next('@weekly', '2026-03-01T00:00:00Z')).toBe('2026-03-08T00:00:00.000Z');
    expect(next('@monthly', '2026-01-31T00:00:00Z')).toBe('2026-02-01T00:00:00.000Z');
    expect(next('@yearly', '2026-01-01T00:00:00Z')).toBe('2027-01-01T00:00:00.000Z');
    expect(next('@every 90s', '2026-03-01T10:00:00.700Z')).toBe('2026-03-01T10:01:30.000Z');
  });

  it('fields: steps, ranges, lists, names', () => {
    expect(next('*/15 * * * *', '2026-03-01T10:07:00Z')).toBe('2026-03-01T10:15:00.000Z');
    expect(next('5 9-17/4 * * *', '2026-03-01T13:06:00Z')).toBe('2026-03-01T17:05:00.000Z');
    expect(next('0 0 1,15 * *', '2026-03-02T00:00:00Z')).toBe('2026-03-15T00:00:00.000Z');
    expect(next('30 6 * feb MON', '2026-03-01T00:00:00Z')).toBe('2027-02-01T06:30:00.000Z');
    // An impossible date never fires (robfig gives up after five years).
    expect(next('0 0 30 2 *', '2026-03-01T00:00:00Z')).toBeUndefined();
  });

  it('day of month and day of week: either matches unless one is *', () => {
    // 2026-03-01 is a Sunday; "13th or Friday": Friday 6th comes first.
    expect(next('0 0 13 * 5', '2026-03-01T00:00:00Z')).toBe('2026-03-06T00:00:00.000Z');
    // "* on Fridays": only Fridays.
    expect(next('0 0 * * 5', '2026-03-01T00:00:00Z')).toBe('2026-03-06T00:00:00.000Z');
    expect(next('0 0 13 * *', '2026-03-01T00:00:00Z')).toBe('2026-03-13T00:00:00.000Z');
  });

  it('in the CronJob time zone, or the schedule TZ= prefix', () => {
    // 09:00 in Berlin is 08:00 UTC in winter, 07:00 UTC in summer.
    expect(next('0 9 * * *', '2026-01-10T12:00:00Z', 'Europe/Berlin')).toBe('2026-01-11T08:00:00.000Z');
    expect(next('0 9 * * *', '2026-07-10T12:00:00Z', 'Europe/Berlin')).toBe('2026-07-11T07:00:00.000Z');
    expect(next('CRON_TZ=America/New_York 0 9 * * *', '2026-01-10T00:00:00Z')).toBe('2026-01-10T14:00:00.000Z');
  });
});

describe('mostRecentScheduleTime', () => {
  it('the latest time in (earliest, now] and how many were missed', () => {
    const s = parse('@hourly');
    const r = mostRecentScheduleTime(s, t('2026-03-01T10:30:00Z'), t('2026-03-01T13:10:00Z'), 'UTC');
    expect(new Date(r.time!).toISOString()).toBe('2026-03-01T13:00:00.000Z');
    expect(r.missed).toBe(3);
    expect(mostRecentScheduleTime(s, t('2026-03-01T10:30:00Z'), t('2026-03-01T10:59:00Z'), 'UTC')).toEqual({ missed: 0 });
  });

  it('skips ahead past 100 missed, still ending on the latest', () => {
    const r = mostRecentScheduleTime(parse('* * * * *'), t('2025-03-01T00:00:00Z'), t('2026-03-01T10:30:30Z'), 'UTC');
    expect(new Date(r.time!).toISOString()).toBe('2026-03-01T10:30:00.000Z');
    expect(r.missed).toBeGreaterThan(100);
    const w = mostRecentScheduleTime(parse('0 0 * * 1-5'), t('2020-01-01T00:00:00Z'), t('2026-03-01T10:00:00Z'), 'UTC');
    // Sunday 2026-03-01: the latest weekday midnight is Friday's.
    expect(new Date(w.time!).toISOString()).toBe('2026-02-27T00:00:00.000Z');
  });
});

describe('ControllerClock', () => {
  it('a simulated clock stands still until advanced; advancing wakes listeners', () => {
    const c = new ControllerClock(t('2026-03-01T00:00:00Z'));
    expect(c.simulated).toBe(true);
    expect(c.now()).toBe(t('2026-03-01T00:00:00Z'));
    let woken = 0;
    c.onAdvance(() => woken++);
    c.advance(3_600_000);
    expect(c.now()).toBe(t('2026-03-01T01:00:00Z'));
    c.set(new Date('2026-03-02T00:00:00Z'));
    expect(c.now()).toBe(t('2026-03-02T00:00:00Z'));
    expect(woken).toBe(2);
    expect(() => c.advance(-1)).toThrow(RangeError);
  });

  it('the wall clock shifted by what was advanced', () => {
    const c = new ControllerClock();
    expect(c.simulated).toBe(false);
    c.advance(60_000);
    expect(Math.abs(c.now() - Date.now() - 60_000)).toBeLessThan(1000);
  });
});
