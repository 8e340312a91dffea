// When a parsed CronJob schedule fires (robfig/cron's SpecSchedule.Next and ConstantDelaySchedule.Next),
// in a time zone, and the most recent time it fired in a window (kube's mostRecentScheduleTime).
// Times are epoch ms; a zone's wall clock is handled as a UTC date holding the local fields.

import type { CronSchedule } from '../registry/resources/cron.js';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string | undefined): Intl.DateTimeFormat {
  const key = timeZone ?? '';
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(key, f);
  }
  return f;
}

/** The zone's offset from UTC at `t`, in ms (undefined zone: the process's local time, as kube's time.Local). */
export function zoneOffsetMs(t: number, timeZone: string | undefined): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(t))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return wall - (t - (((t % 1000) + 1000) % 1000));
}

/** The instant a wall-clock time (as a UTC date) names in the zone. */
function fromWall(wall: number, timeZone: string | undefined): number {
  const guess = wall - zoneOffsetMs(wall, timeZone);
  return wall - zoneOffsetMs(guess, timeZone);
}

/** The first time after `t` the schedule fires, in `timeZone` unless the schedule names its own. */
export function nextScheduleTime(s: CronSchedule, t: number, timeZone?: string): number | undefined {
  // ConstantDelaySchedule: the delay after t's whole second.
  if (s.everyMs !== undefined) return t - (((t % 1000) + 1000) % 1000) + s.everyMs;
  const zone = s.timeZone ?? timeZone;
  const start = t + zoneOffsetMs(t, zone);
  // The first whole minute after t (the seconds field is always 0).
  let w = Math.floor(start / 60_000) * 60_000 + 60_000;
  const yearLimit = new Date(w).getUTCFullYear() + 5;
  for (;;) {
    const d = new Date(w);
    const [y, mo, day, h] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours()];
    if (y > yearLimit) return undefined;
    if (!s.month.values.has(mo + 1)) {
      w = Date.UTC(y, mo + 1, 1);
      continue;
    }
    // dayMatches: both fields must match when either is `*`, else either may.
    const domMatch = s.dom.values.has(day);
    const dowMatch = s.dow.values.has(d.getUTCDay());
    const dayOk = s.dom.star || s.dow.star ? domMatch && dowMatch : domMatch || dowMatch;
    if (!dayOk) {
      w = Date.UTC(y, mo, day + 1);
      continue;
    }
    if (!s.hour.values.has(h)) {
      w = Date.UTC(y, mo, day, h + 1);
      continue;
    }
    if (!s.minute.values.has(d.getUTCMinutes())) {
      w += 60_000;
      continue;
    }
    return fromWall(w, zone);
  }
}

/** The latest time in (earliest, now] the schedule fired, and how many times it fired there (past 100, a lower bound). */
export function mostRecentScheduleTime(
  s: CronSchedule,
  earliest: number,
  now: number,
  timeZone?: string,
): { time?: number; missed: number } {
  let time: number | undefined;
  let missed = 0;
  let from = earliest;
  for (;;) {
    const t = nextScheduleTime(s, from, timeZone);
    if (t === undefined || t > now) break;
    time = t;
    from = t;
    // kube tells "more than 100 missed" apart from fewer and starts the latest: skip to the smallest
    // window before now that still holds a schedule time.
    if (++missed === 101) {
      for (let span = 60_000; now - span > from; span *= 2) {
        const c = nextScheduleTime(s, now - span, timeZone);
        if (c !== undefined && c <= now) {
          from = now - span;
          break;
        }
      }
    }
  }
  return { time, missed };
}
