// Fault injection, for testing a controller's retry and relist logic on purpose:
// rules matched against each request's RequestInfo and user, applied by a filter at
// the end of the handler chain with the Status kube would send for each failure
// (409 Conflict or AlreadyExists, 429 TooManyRequests with Retry-After, 500, 503,
// 504 Timeout), added latency, a watch dropped after it started, and 410 Expired on
// a watch (kube's cacher answers a watch from a compacted revision with one ERROR
// event) or a list. Probabilities draw from a seeded generator: a run is repeatable.

import {
  alreadyExists,
  conflict,
  expired,
  internalError,
  OPTIMISTIC_LOCK_MESSAGE,
  type StatusError,
  serviceUnavailable,
  timeout,
  tooManyRequests,
  toStatus,
} from '../api/errors.js';
import type { ApiRequest, Filter } from '../http/request.js';

export type FaultError = 409 | 410 | 429 | 500 | 503 | '409' | '410' | '429' | '500' | '503' | 'timeout' | 'watch-drop';

export interface FaultSpec {
  /** kube verbs (get, list, watch, create, update, patch, delete, deletecollection); any when omitted. */
  verb?: string | string[];
  /** `deployments`, `deployments.apps`, `deployments/status`; any when omitted. */
  resource?: string;
  namespace?: string;
  name?: string;
  /** The authenticated user name. */
  user?: string;
  error?: FaultError;
  /** Delay before the request is served (or fails); for `watch-drop`, how long the watch runs first. */
  latencyMs?: number;
  /** 0..1, drawn from the seeded generator; default 1. */
  probability?: number;
  /** How many requests the fault applies to; unlimited when omitted. */
  times?: number;
  /** 429's Retry-After; default 1. */
  retryAfterSeconds?: number;
}

export interface Fault extends FaultSpec {
  id: number;
  /** Requests it was applied to so far. */
  hits: number;
}

const ERRORS = new Set(['409', '410', '429', '500', '503', 'timeout', 'watch-drop']);

/** A rule's fields checked as a 400 would check a request body. */
export function checkFault(spec: unknown): string | undefined {
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) return 'a fault is a JSON object';
  const f = spec as Record<string, unknown>;
  for (const k of ['resource', 'namespace', 'name', 'user'])
    if (f[k] !== undefined && typeof f[k] !== 'string') return `${k}: must be a string`;
  if (f.verb !== undefined && typeof f.verb !== 'string' && !(Array.isArray(f.verb) && f.verb.every((v) => typeof v === 'string')))
    return 'verb: must be a string or a list of strings';
  if (f.error !== undefined && !ERRORS.has(String(f.error)))
    return `error: must be one of 409, 410, 429, 500, 503, "timeout", "watch-drop"`;
  for (const k of ['latencyMs', 'times', 'retryAfterSeconds'])
    if (f[k] !== undefined && (typeof f[k] !== 'number' || !Number.isInteger(f[k]) || (f[k] as number) < 0))
      return `${k}: must be a non-negative integer`;
  if (f.probability !== undefined && (typeof f.probability !== 'number' || f.probability < 0 || f.probability > 1))
    return 'probability: must be between 0 and 1';
  if (f.error === undefined && f.latencyMs === undefined) return 'a fault needs an error or a latencyMs';
  return undefined;
}

/** mulberry32: a small seeded generator, so a probability draws the same way on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function matches(f: Fault, r: ApiRequest): boolean {
  const info = r.info;
  if (!info.isResourceRequest) return false;
  if (f.verb !== undefined && !(Array.isArray(f.verb) ? f.verb.includes(info.verb) : f.verb === info.verb)) return false;
  if (f.resource !== undefined) {
    const res = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
    const qualified = info.apiGroup ? `${info.resource}.${info.apiGroup}` : info.resource;
    if (f.resource !== res && f.resource !== info.resource && f.resource !== qualified) return false;
    if (f.resource === info.resource && info.subresource && f.resource !== res) return false;
  }
  if (f.namespace !== undefined && f.namespace !== info.namespace) return false;
  if (f.name !== undefined && f.name !== info.name) return false;
  if (f.user !== undefined && f.user !== r.user?.username) return false;
  return true;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class FaultInjector {
  private faults: Fault[] = [];
  private nextId = 1;
  private random: () => number;

  constructor(seed = 1) {
    this.random = seeded(seed);
  }

  /** Restarts the generator: the same seed, the same draws. */
  seed(seed: number): void {
    this.random = seeded(seed);
  }

  add(spec: FaultSpec): Fault {
    const why = checkFault(spec);
    if (why) throw new TypeError(`invalid fault: ${why}`);
    const fault: Fault = { ...spec, id: this.nextId++, hits: 0 };
    this.faults.push(fault);
    return fault;
  }

  remove(id: number): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length !== before;
  }

  clear(): void {
    this.faults = [];
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  /** The first rule that applies to this request (its count taken), if any. */
  private pick(r: ApiRequest): Fault | undefined {
    for (const f of this.faults) {
      if (f.times !== undefined && f.hits >= f.times) continue;
      if (!matches(f, r)) continue;
      if (f.probability !== undefined && f.probability < 1 && this.random() >= f.probability) continue;
      f.hits++;
      return f;
    }
    return undefined;
  }

  /** The filter: cheap when no rule is set (one length check). */
  readonly filter: Filter = (next) => async (r) => {
    if (this.faults.length === 0) return next(r);
    const f = this.pick(r);
    if (!f) return next(r);
    const error = f.error === undefined ? undefined : String(f.error);
    if (f.latencyMs && error !== 'watch-drop') await sleep(f.latencyMs);
    if (error === undefined) return next(r);
    if (error === 'watch-drop') {
      if (r.info.verb !== 'watch') return next(r);
      await next(r);
      setTimeout(() => dropWatch(r), f.latencyMs ?? 0).unref();
      return;
    }
    if (error === '410' && r.info.verb === 'watch' && !r.req.headers.upgrade) {
      expiredWatch(r);
      return;
    }
    throw statusFor(error, r, f);
  };
}

function statusFor(error: string, r: ApiRequest, f: Fault): StatusError {
  const info = r.info;
  const gr = { group: info.apiGroup, resource: info.resource };
  switch (error) {
    case '409':
      return info.verb === 'create' ? alreadyExists(gr, info.name) : conflict(gr, info.name, OPTIMISTIC_LOCK_MESSAGE);
    case '410':
      return expired(tooOld(r));
    case '429':
      return tooManyRequests('Too many requests, please try again later.', f.retryAfterSeconds ?? 1);
    case '503':
      return serviceUnavailable('the server is currently unable to handle the request');
    case 'timeout':
      return timeout('request did not complete within the allotted timeout');
    default:
      return internalError(new Error('injected fault'));
  }
}

/** The cacher's wording for a watch or list from a revision it no longer has. */
function tooOld(r: ApiRequest): string {
  const rv = r.query.get('resourceVersion') || '0';
  return `too old resource version: ${rv} (${Number(rv) + 1})`;
}

/** A watch from a compacted revision as kube's watch cache answers it: 200, then one ERROR event with the 410 Status. */
function expiredWatch(r: ApiRequest): void {
  const res = r.res;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Cache-Control', 'no-cache, private');
  res.writeHead(200);
  const status = toStatus(expired(tooOld(r)));
  res.end(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
}

/** Ends a running watch the way its own end does (the request's close), so the client sees the stream end and re-watches. */
function dropWatch(r: ApiRequest): void {
  if (r.res.writableEnded) return;
  r.req.emit('close');
  if (!r.res.writableEnded) r.res.end();
}
