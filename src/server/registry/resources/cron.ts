// A CronJob schedule checked as kube's validation does it: github.com/robfig/cron/v3
// ParseStandard (five fields: minute, hour, day of month, month, day of week;
// `@yearly`...`@hourly` and `@every <duration>` descriptors; an optional
// `TZ=`/`CRON_TZ=` prefix), returning its error text.

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

/** getRange: `number | number "-" number [ "/" number ]`, `*` or `?` for the whole range. */
function checkRange(expr: string, r: Bounds): void {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0].split('-');
  let start: number;
  let end: number;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = r.min;
    end = r.max;
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
  } else if (rangeAndStep.length > 2) fail(`too many slashes: ${expr}`);
  if (start < r.min) fail(`beginning of range (${start}) below minimum (${r.min}): ${expr}`);
  if (end > r.max) fail(`end of range (${end}) above maximum (${r.max}): ${expr}`);
  if (start > end) fail(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) fail(`step of range should be a positive number: ${expr}`);
}

const DURATION_UNITS = new Set(['ns', 'us', 'µs', 'μs', 'ms', 's', 'm', 'h']);

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

function parse(input: string): void {
  let spec = input;
  if (spec.length === 0) fail('empty spec string');
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const i = spec.indexOf(' ');
    const eq = spec.indexOf('=');
    const loc = spec.slice(eq + 1, i < 0 ? spec.length : i);
    const err = loadLocationError(loc);
    if (err) fail(`provided bad location ${loc}: ${err}`);
    spec = i < 0 ? '' : spec.slice(i).trim();
  }
  if (spec.startsWith('@')) {
    if (DESCRIPTORS.has(spec)) return;
    if (spec.startsWith('@every ')) {
      const err = durationError(spec.slice('@every '.length));
      if (err) fail(`failed to parse duration ${spec}: ${err}`);
      return;
    }
    fail(`unrecognized descriptor: ${spec}`);
  }
  const fields = spec.split(/\s+/).filter(Boolean);
  if (fields.length !== 5) fail(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  ['0', ...fields].forEach((f, i) => {
    for (const expr of f.split(',').filter(Boolean)) checkRange(expr, FIELDS[i]);
  });
}

/** cron.ParseStandard's error text, or undefined when the schedule parses. */
export function cronScheduleError(schedule: string): string | undefined {
  try {
    parse(schedule);
    return undefined;
  } catch (e) {
    if (e instanceof CronError) return e.message;
    throw e;
  }
}
