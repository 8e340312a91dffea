// A CronJob schedule checked as kube's validation does it: github.com/robfig/cron/v3
// ParseStandard (five fields: minute, hour, day of month, month, day of week;
// `@yearly`...`@hourly` and `@every <duration>` descriptors; an optional
// `TZ=`/`CRON_TZ=` prefix), returning its error text; and the parsed schedule the cronjob
// controller evaluates (parseCronSchedule).

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MONTHS = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const DAYS = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

// seconds (always "0" for a standard spec), minutes, hours, day of month, month, day of week.
const FIELDS: Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTHS },
  { min: 0, max: 6, names: DAYS },
];

const DESCRIPTORS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

class CronError extends Error {}

const fail = (msg: string): never => {
  throw new CronError(msg);
};

/** strconv.Atoi's error text for a value it refuses. */
function atoi(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) return fail(`failed to parse int from ${s}: strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  const n = Number.parseInt(s, 10);
  if (!Number.isSafeInteger(n))
    return fail(`failed to parse int from ${s}: strconv.Atoi: parsing ${JSON.stringify(s)}: value out of range`);
  return n;
}

function mustParseInt(expr: string): number {
  const n = atoi(expr);
  if (n < 0) fail(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function parseIntOrName(expr: string, names?: Record<string, number>): number {
  const named = names?.[expr.toLowerCase()];
  return named ?? mustParseInt(expr);
}

/** One field's allowed values; `star` when written `*` or `?` (robfig's starBit, for day matching). */
export interface CronField {
  values: Set<number>;
  star: boolean;
}

/** A parsed schedule: the fields (minute, hour, day of month, month, day of week) or a constant delay. */
export interface CronSchedule {
  /** The IANA zone of a `TZ=`/`CRON_TZ=` prefix. */
  timeZone?: string;
  /** `@every <duration>`, in ms (whole seconds, at least one). */
  everyMs?: number;
  minute: CronField;
  hour: CronField;
  dom: CronField;
  month: CronField;
  dow: CronField;
}

function field(start: number, end: number, step: number, star: boolean): CronField {
  const values = new Set<number>();
  for (let v = start; v <= end; v += step) values.add(v);
  return { values, star };
}

/** getRange: `number | number "-" number [ "/" number ]`, `*` or `?` for the whole range. */
function checkRange(expr: string, r: Bounds): CronField {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0].split('-');
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = r.min;
    end = r.max;
    star = true;
  } else {
    start = parseIntOrName(lowAndHigh[0], r.names);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1], r.names);
    else end = fail(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1]);
    // "N/step" means "N-max/step".
    if (lowAndHigh.length === 1) end = r.max;
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) fail(`too many slashes: ${expr}`);
  if (start < r.min) fail(`beginning of range (${start}) below minimum (${r.min}): ${expr}`);
  if (end > r.max) fail(`end of range (${end}) above maximum (${r.max}): ${expr}`);
  if (start > end) fail(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) fail(`step of range should be a positive number: ${expr}`);
  return field(start, end, step, star);
}

const DURATION_UNITS = new Set(['ns', 'us', 'µs', 'μs', 'ms', 's', 'm', 'h']);

const DURATION_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration time.ParseDuration accepts (durationError undefined), in ms. */
function durationMs(s: string): number {
  const sign = s.startsWith('-') ? -1 : 1;
  let total = 0;
  for (const m of s.replace(/^[-+]/, '').matchAll(/(\d*\.?\d*)([^\d.]+)/g)) total += Number(m[1]) * DURATION_MS[m[2]];
  return sign * total;
}

/** time.ParseDuration's error, if any. */
function durationError(s: string): string | undefined {
  const quoted = JSON.stringify(s);
  let rest = s.replace(/^[-+]/, '');
  if (rest === '0') return undefined;
  if (rest === '') return `time: invalid duration ${quoted}`;
  while (rest !== '') {
    const m = /^(\d*)(\.\d*)?/.exec(rest)!;
    if (m[0] === '' || m[0] === '.') return `time: invalid duration ${quoted}`;
    rest = rest.slice(m[0].length);
    const u = /^[^\d.]*/.exec(rest)![0];
    if (u === '') return `time: missing unit in duration ${quoted}`;
    if (!DURATION_UNITS.has(u)) return `time: unknown unit ${JSON.stringify(u)} in duration ${quoted}`;
    rest = rest.slice(u.length);
  }
  return undefined;
}

/** time.LoadLocation's error for an IANA name the time zone database does not know. */
export function loadLocationError(name: string): string | undefined {
  if (name === '' || name === 'UTC' || name === 'Local') return undefined;
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
    // Go reads zoneinfo files: names are case-sensitive where ICU is not.
    if (resolved !== name && resolved.toLowerCase() === name.toLowerCase()) return `unknown time zone ${name}`;
    return undefined;
  } catch {
    return `unknown time zone ${name}`;
  }
}

const all = (r: Bounds): CronField => field(r.min, r.max, 1, true);
const at = (v: number): CronField => ({ values: new Set([v]), star: false });

/** robfig's descriptors as fields. */
function descriptor(spec: string): Omit<CronSchedule, 'timeZone'> {
  const [, , hour, dom, month, dow] = FIELDS;
  const every = { minute: at(0), hour: at(0), dom: all(dom), month: all(month), dow: all(dow) };
  switch (spec) {
    case '@yearly':
    case '@annually':
      return { ...every, dom: at(1), month: at(1) };
    case '@monthly':
      return { ...every, dom: at(1) };
    case '@weekly':
      return { ...every, dow: at(0) };
    case '@hourly':
      return { ...every, hour: all(hour) };
    default:
      return every;
  }
}

function parse(input: string): CronSchedule {
  let spec = input;
  let timeZone: string | undefined;
  if (spec.length === 0) fail('empty spec string');
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const i = spec.indexOf(' ');
    const eq = spec.indexOf('=');
    const loc = spec.slice(eq + 1, i < 0 ? spec.length : i);
    const err = loadLocationError(loc);
    if (err) fail(`provided bad location ${loc}: ${err}`);
    timeZone = loc;
    spec = i < 0 ? '' : spec.slice(i).trim();
  }
  if (spec.startsWith('@')) {
    if (DESCRIPTORS.has(spec)) return { timeZone, ...descriptor(spec) };
    if (spec.startsWith('@every ')) {
      const text = spec.slice('@every '.length);
      const err = durationError(text);
      if (err) fail(`failed to parse duration ${spec}: ${err}`);
      // robfig.Every: rounded down to whole seconds, at least one.
      const everyMs = Math.max(1000, Math.floor(durationMs(text) / 1000) * 1000);
      return { timeZone, everyMs, ...descriptor('@daily') };
    }
    fail(`unrecognized descriptor: ${spec}`);
  }
  const fields = spec.split(/\s+/).filter(Boolean);
  if (fields.length !== 5) fail(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  const parsed = ['0', ...fields].map((f, i) => {
    const out: CronField = { values: new Set(), star: false };
    for (const expr of f.split(',').filter(Boolean)) {
      const one = checkRange(expr, FIELDS[i]);
      for (const v of one.values) out.values.add(v);
      out.star ||= one.star;
    }
    return out;
  });
  return { timeZone, minute: parsed[1], hour: parsed[2], dom: parsed[3], month: parsed[4], dow: parsed[5] };
}

/** cron.ParseStandard: the schedule, or its error text. */
export function parseCronSchedule(schedule: string): CronSchedule | string {
  try {
    return parse(schedule);
  } catch (e) {
    if (e instanceof CronError) return e.message;
    throw e;
  }
}

/** cron.ParseStandard's error text, or undefined when the schedule parses. */
export function cronScheduleError(schedule: string): string | undefined {
  const parsed = parseCronSchedule(schedule);
  return typeof parsed === 'string' ? parsed : undefined;
}
