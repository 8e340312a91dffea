// The debug endpoints under /debug/kapi/, for system:masters only:
//   /debug/kapi/requests   GET: the request journal (query: verb, resource, namespace, name,
//                          user, code, afterSeq, since=<RFC 3339>); follow=true streams JSON lines
//   /debug/kapi/faults     GET: the fault rules; POST: add one (a FaultSpec); DELETE: clear all
//   /debug/kapi/faults/N   DELETE: remove one
//   /debug/kapi/clock      GET: the controllers' clock; POST {"advance": "1h"} or {"time": "<RFC 3339>"}
//                          moves it forward (CronJob schedules come due)
// The faults paths exist only when the server was started with --enable-fault-injection.

import type { ServerResponse } from 'node:http';
import { badRequest, forbiddenPath, methodNotAllowed, notFound } from '../api/errors.js';
import { readBody } from '../http/body.js';
import type { ApiRequest, Filter } from '../http/request.js';
import { respond } from '../http/response.js';
import { checkFault, type FaultInjector, type FaultSpec } from './faults.js';
import { entryMatches, type JournalQuery, type RequestJournal } from './journal.js';

const PREFIX = '/debug/kapi/';

export interface DebugOptions {
  journal: RequestJournal;
  /** Present when fault injection is enabled. */
  faults?: FaultInjector;
  /** The controllers' clock. */
  clock?: DebugClock;
}

/** What the clock endpoint reads and moves (controllers/clock.ts's ControllerClock). */
export interface DebugClock {
  readonly simulated: boolean;
  now(): number;
  advance(ms: number): void;
}

const DURATION_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration of ms, s, m and h parts (`1h30m`, `90s`), in ms; undefined when it is not one. */
function durationMs(text: string): number | undefined {
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(m[1]) * DURATION_MS[m[2]];
  return total;
}

function clockState(clock: DebugClock): object {
  return { kind: 'Clock', now: new Date(clock.now()).toISOString(), simulated: clock.simulated };
}

async function clockRequest(r: ApiRequest, clock: DebugClock): Promise<void> {
  const method = r.req.method ?? 'GET';
  if (method === 'GET') {
    plain(r, 200, clockState(clock));
    return;
  }
  if (method !== 'POST') throw methodNotAllowed(method, 'the clock');
  let body: { advance?: unknown; time?: unknown };
  try {
    body = JSON.parse((await readBody(r.req)).toString('utf8')) ?? {};
  } catch {
    throw badRequest('the body is not JSON: {"advance": "<duration>"} or {"time": "<RFC 3339>"}');
  }
  if (typeof body.advance === 'string') {
    const ms = durationMs(body.advance);
    if (ms === undefined) throw badRequest(`invalid advance: ${JSON.stringify(body.advance)} is not a duration like 90s or 1h30m`);
    clock.advance(ms);
  } else if (typeof body.time === 'string') {
    const t = Date.parse(body.time);
    if (Number.isNaN(t)) throw badRequest(`invalid time: ${JSON.stringify(body.time)}`);
    if (t < clock.now()) throw badRequest(`invalid time: ${body.time} is before the clock (${new Date(clock.now()).toISOString()})`);
    clock.advance(t - clock.now());
  } else throw badRequest('the body needs "advance" (a duration) or "time" (RFC 3339)');
  plain(r, 200, clockState(clock));
}

function journalQuery(q: URLSearchParams): JournalQuery {
  const out: JournalQuery = {};
  const verbs = q.getAll('verb');
  if (verbs.length) out.verb = verbs.length === 1 ? verbs[0] : verbs;
  for (const k of ['resource', 'namespace', 'name', 'user'] as const) {
    const v = q.get(k);
    if (v !== null) out[k] = v;
  }
  const num = (k: string): number | undefined => {
    const v = q.get(k);
    if (v === null) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw badRequest(`invalid ${k}: ${JSON.stringify(v)}`);
    return n;
  };
  out.code = num('code');
  out.afterSeq = num('afterSeq');
  const since = q.get('since');
  if (since !== null) {
    const t = Date.parse(since);
    if (Number.isNaN(t)) throw badRequest(`invalid since: ${JSON.stringify(since)}`);
    out.since = t;
  }
  return out;
}

function plain(r: ApiRequest, code: number, value: object): void {
  respond(r, code, value, { contentType: 'application/json' });
}

async function journalRequest(r: ApiRequest, journal: RequestJournal): Promise<void> {
  if (r.req.method !== 'GET') throw methodNotAllowed(r.req.method ?? '', 'the request journal');
  const q = journalQuery(r.query);
  if (r.query.get('follow') !== 'true') {
    plain(r, 200, { kind: 'RequestJournal', items: journal.query(q) });
    return;
  }
  // One write signature for HTTP/1.1 and HTTP/2 responses (the watch writer's cast).
  const res = r.res as ServerResponse;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Cache-Control', 'no-cache, private');
  res.writeHead(200);
  let last = 0;
  for (const e of journal.query(q)) {
    res.write(`${JSON.stringify(e)}\n`);
    last = e.seq;
  }
  const { afterSeq: _ignored, ...live } = q;
  await new Promise<void>((resolve) => {
    const stop = journal.follow((e) => {
      // The follower's own stream is one long request, recorded when it ends.
      if (e.seq > last && entryMatches(e, live)) res.write(`${JSON.stringify(e)}\n`);
    });
    const done = (): void => {
      stop();
      resolve();
    };
    r.req.on('close', done);
    res.on('close', done);
  });
  if (!res.writableEnded) res.end();
}

async function faultsRequest(r: ApiRequest, faults: FaultInjector, rest: string): Promise<void> {
  const method = r.req.method ?? 'GET';
  if (rest) {
    const id = Number(rest);
    if (method !== 'DELETE') throw methodNotAllowed(method, 'a fault');
    if (!Number.isInteger(id) || !faults.remove(id)) throw notFound({ group: '', resource: 'faults' }, rest);
    plain(r, 200, { kind: 'FaultList', items: faults.list() });
    return;
  }
  switch (method) {
    case 'GET':
      plain(r, 200, { kind: 'FaultList', items: faults.list() });
      return;
    case 'DELETE':
      faults.clear();
      plain(r, 200, { kind: 'FaultList', items: [] });
      return;
    case 'POST': {
      let spec: unknown;
      try {
        spec = JSON.parse((await readBody(r.req)).toString('utf8'));
      } catch {
        throw badRequest('the body is not a JSON fault');
      }
      const seed = (spec as { seed?: unknown } | null)?.seed;
      if (typeof seed === 'number') {
        faults.seed(seed);
        delete (spec as { seed?: unknown }).seed;
        if (Object.keys(spec as object).length === 0) {
          plain(r, 200, { kind: 'FaultList', items: faults.list() });
          return;
        }
      }
      const why = checkFault(spec);
      if (why) throw badRequest(`invalid fault: ${why}`);
      plain(r, 201, faults.add(spec as FaultSpec));
      return;
    }
    default:
      throw methodNotAllowed(method, 'the fault rules');
  }
}

/** Answers /debug/kapi/ paths (admins only); every other request passes on. */
export function withDebugEndpoints(opts: DebugOptions): Filter {
  return (next) => async (r) => {
    if (r.info.isResourceRequest || !r.path.startsWith(PREFIX)) return next(r);
    const sub = r.path.slice(PREFIX.length);
    const [head, ...rest] = sub.split('/');
    if (head !== 'requests' && !(head === 'faults' && opts.faults) && !(head === 'clock' && opts.clock && !rest.length)) return next(r);
    const user = r.user;
    if (!user?.groups.includes('system:masters'))
      throw forbiddenPath(`User "${user?.username ?? 'system:anonymous'}" cannot ${r.info.verb} path "${r.path}"`);
    if (head === 'requests') return journalRequest(r, opts.journal);
    if (head === 'clock') return clockRequest(r, opts.clock!);
    return faultsRequest(r, opts.faults!, rest.join('/'));
  };
}
