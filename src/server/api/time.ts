// metav1.Time and metav1.MicroTime on the wire. Decoding parses as Go's
// time.Parse does with the layouts kube uses (RFC 3339 for Time, RFC 3339
// with exactly six fractional digits for MicroTime), with Go's error wording;
// encoding is UTC, seconds for Time (any fraction is dropped) and
// microseconds for MicroTime.

export const RFC3339_LAYOUT = '2006-01-02T15:04:05Z07:00';
export const RFC3339_MICRO_LAYOUT = '2006-01-02T15:04:05.000000Z07:00';

/** An instant: whole seconds since the epoch (UTC) and nanoseconds within that second. */
export interface Instant {
  seconds: number;
  nanos: number;
}

export type ParsedTime = { ok: true; time: Instant } | { ok: false; error: string };

type Elem = { lit: string } | { std: '2006' | '01' | '02' | '15' | '04' | '05' | '.000000' | 'Z07:00' };

// RFC 3339 as Go's time package lays it out; the micro layout (metav1.MicroTime) adds six fraction digits.
const DATE_TIME: Elem[] = [
  { std: '2006' },
  { lit: '-' },
  { std: '01' },
  { lit: '-' },
  { std: '02' },
  { lit: 'T' },
  { std: '15' },
  { lit: ':' },
  { std: '04' },
  { lit: ':' },
  { std: '05' },
];

const LAYOUTS: Record<string, Elem[]> = {
  [RFC3339_LAYOUT]: [...DATE_TIME, { std: 'Z07:00' }],
  [RFC3339_MICRO_LAYOUT]: [...DATE_TIME, { std: '.000000' }, { std: 'Z07:00' }],
};

/** Go's time package quoting: the text between double quotes, `"` and `\` escaped. */
function goQuote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const isDigit = (s: string, i: number): boolean => i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57;

/** time.getnum: one or two digits (exactly two when fixed). */
function getnum(s: string, fixed: boolean): [number, string] | undefined {
  if (!isDigit(s, 0)) return undefined;
  if (!isDigit(s, 1)) return fixed ? undefined : [s.charCodeAt(0) - 48, s.slice(1)];
  return [(s.charCodeAt(0) - 48) * 10 + (s.charCodeAt(1) - 48), s.slice(2)];
}

function daysIn(month: number, year: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Nanoseconds from `.ddd` (the separator included), at most nine digits counted. */
function fraction(s: string): number {
  const digits = s.slice(1, 10).padEnd(9, '0');
  return Number(digits);
}

/** Parses `value` with one of the two layouts, as Go's time.Parse does. */
export function parseTime(value: string, layout: string = RFC3339_LAYOUT): ParsedTime {
  const elems = LAYOUTS[layout];
  const fail = (layoutElem: string, valueElem: string): ParsedTime => ({
    ok: false,
    error: `parsing time ${goQuote(value)} as ${goQuote(layout)}: cannot parse ${goQuote(valueElem)} as ${goQuote(layoutElem)}`,
  });
  const failMsg = (msg: string): ParsedTime => ({ ok: false, error: `parsing time ${goQuote(value)}${msg}` });
  let rest = value;
  let year = 0,
    month = 1,
    day = 1,
    hour = 0,
    minute = 0,
    second = 0,
    nanos = 0,
    offset = 0;
  for (let i = 0; i < elems.length; i++) {
    const e = elems[i];
    if ('lit' in e) {
      if (!rest.startsWith(e.lit)) return fail(e.lit, rest);
      rest = rest.slice(e.lit.length);
      continue;
    }
    const hold = rest;
    let range = '';
    switch (e.std) {
      case '2006': {
        if (rest.length < 4 || ![0, 1, 2, 3].every((k) => isDigit(rest, k))) return fail(e.std, hold);
        year = Number(rest.slice(0, 4));
        rest = rest.slice(4);
        break;
      }
      case '01':
      case '02':
      case '15':
      case '04':
      case '05': {
        const n = getnum(rest, e.std !== '15');
        if (!n) return fail(e.std, hold);
        [rest] = [n[1]];
        if (e.std === '01') {
          month = n[0];
          if (month < 1 || month > 12) range = 'month';
        }
        if (e.std === '02') day = n[0];
        if (e.std === '15') {
          hour = n[0];
          if (hour >= 24) range = 'hour';
        }
        if (e.std === '04') {
          minute = n[0];
          if (minute >= 60) range = 'minute';
        }
        if (e.std === '05') {
          second = n[0];
          if (second >= 60) {
            range = 'second';
            break;
          }
          // A fraction the layout does not name is accepted (Go's special case for seconds).
          const next = elems[i + 1];
          const layoutHasFraction = next !== undefined && 'std' in next && next.std === '.000000';
          if (!layoutHasFraction && rest.length >= 2 && (rest[0] === '.' || rest[0] === ',') && isDigit(rest, 1)) {
            let k = 2;
            while (isDigit(rest, k)) k++;
            nanos = fraction(rest.slice(0, k));
            rest = rest.slice(k);
          }
        }
        break;
      }
      case '.000000': {
        if (rest.length < 7 || (rest[0] !== '.' && rest[0] !== ',') || ![1, 2, 3, 4, 5, 6].every((k) => isDigit(rest, k)))
          return fail(e.std, hold);
        nanos = fraction(rest.slice(0, 7));
        rest = rest.slice(7);
        break;
      }
      case 'Z07:00': {
        if (rest.startsWith('Z')) {
          rest = rest.slice(1);
          break;
        }
        if (rest.length < 6 || rest[3] !== ':') return fail(e.std, hold);
        const sign = rest[0];
        const hh = getnum(rest.slice(1, 3), true);
        const mm = getnum(rest.slice(4, 6), true);
        if (!hh || !mm || (sign !== '+' && sign !== '-')) return fail(e.std, hold);
        if (hh[0] > 24) range = 'time zone offset hour';
        else if (mm[0] > 60) range = 'time zone offset minute';
        offset = (sign === '-' ? -1 : 1) * (hh[0] * 3600 + mm[0] * 60);
        rest = rest.slice(6);
        break;
      }
    }
    if (range) return failMsg(`: ${range} out of range`);
  }
  if (rest.length > 0) return failMsg(`: extra text: ${goQuote(rest)}`);
  if (day < 1 || day > daysIn(month, year)) return failMsg(': day out of range');
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC maps years 0-99 to 1900-1999; set the year explicitly.
  const d = new Date(ms);
  d.setUTCFullYear(year);
  return { ok: true, time: { seconds: Math.floor(d.getTime() / 1000) - offset, nanos } };
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

function utcParts(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
}

/** metav1.Time's JSON: RFC 3339 in UTC with whole seconds. */
export function formatTime(t: Instant): string {
  return `${utcParts(t.seconds)}Z`;
}

/** metav1.MicroTime's JSON: RFC 3339 in UTC with six fractional digits. */
export function formatMicroTime(t: Instant): string {
  return `${utcParts(t.seconds)}.${pad(Math.floor(t.nanos / 1000), 6)}Z`;
}

/** A stored or incoming metav1.Time string as an instant; undefined when it does not parse. */
export function timeValue(s: unknown): Instant | undefined {
  if (typeof s !== 'string') return undefined;
  const p = parseTime(s);
  return p.ok ? p.time : undefined;
}

/** metav1.Time equality (Time.Equal at the wire's second precision). */
export function sameTime(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const ta = timeValue(a);
  const tb = timeValue(b);
  if (!ta || !tb) return (a ?? null) === (b ?? null);
  return ta.seconds === tb.seconds;
}

/**
 * A metav1.Time string in its canonical form (`...:03Z`), as kube's decode then
 * encode leaves it; strings that do not parse are returned unchanged.
 */
export function canonicalTime(s: string): string {
  const p = parseTime(s);
  return p.ok ? formatTime(p.time) : s;
}

/** Go's time.Time String(), UTC: how field errors print a time bad value (`2006-01-02 15:04:05 +0000 UTC`). */
export function goTimeString(s: string): string {
  const p = parseTime(s);
  if (!p.ok) return s;
  return `${utcParts(p.time.seconds).replace('T', ' ')} +0000 UTC`;
}
