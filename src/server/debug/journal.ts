// The request journal: what the server answered, kept in a bounded ring buffer so a
// test can assert "the controller made exactly one update" or "no hot loop". Recorded
// by a filter at the end of the handler chain (after authentication, so the user is
// known): verb, path, user, status code, latency, and for writes the object before
// (the watch cache's copy, no extra read) and the object answered, managedFields
// stripped. Followers (the HTTP journal's `?follow=true`) get each entry as it is recorded.

import { toStatus } from '../api/errors.js';
import type { KubeObject } from '../api/types.js';
import type { ApiRequest, Filter } from '../http/request.js';

export interface JournalEntry {
  /** Increases by one per recorded request. */
  seq: number;
  /** When the request arrived (ms since the epoch). */
  time: number;
  verb: string;
  method: string;
  path: string;
  user: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  code: number;
  latencyMs: number;
  /** For writes: the object as it was (when the server had it cached) and as answered. */
  before?: KubeObject;
  after?: KubeObject;
}

export interface JournalQuery {
  /** Entries at or after this time (a Date or ms since the epoch). */
  since?: Date | number;
  /** Entries with a seq greater than this. */
  afterSeq?: number;
  verb?: string | string[];
  /** `deployments`, `deployments.apps` or `deployments/status`. */
  resource?: string;
  namespace?: string;
  name?: string;
  user?: string;
  code?: number;
}

const WRITES = new Set(['create', 'update', 'patch', 'delete']);

/** Entries whose objects still carry managedFields: stripped when first read, not on the write's path. */
const UNSTRIPPED = new WeakSet<JournalEntry>();

/** The entry as it is read: its objects without metadata.managedFields. */
function settled(e: JournalEntry): JournalEntry {
  if (UNSTRIPPED.delete(e)) {
    if (e.before) e.before = stripManagedFields(e.before);
    if (e.after) e.after = stripManagedFields(e.after);
  }
  return e;
}

/** An answered or stored value that is an object (kept as it is: cached and answered objects are never mutated). */
function asObject(obj: unknown): KubeObject | undefined {
  return obj && typeof obj === 'object' && !Array.isArray(obj) ? (obj as KubeObject) : undefined;
}

/** The object without metadata.managedFields (a shallow copy: cached objects are shared and never mutated). */
function stripManagedFields(o: KubeObject): KubeObject {
  if (!o.metadata || !('managedFields' in o.metadata)) return o;
  const { managedFields: _dropped, ...metadata } = o.metadata as Record<string, unknown>;
  return { ...o, metadata } as KubeObject;
}

export function entryMatches(e: JournalEntry, q: JournalQuery): boolean {
  if (q.since !== undefined && e.time < (q.since instanceof Date ? q.since.getTime() : q.since)) return false;
  if (q.afterSeq !== undefined && e.seq <= q.afterSeq) return false;
  if (q.verb !== undefined && !(Array.isArray(q.verb) ? q.verb.includes(e.verb) : q.verb === e.verb)) return false;
  if (q.resource !== undefined) {
    const withSub = e.subresource ? `${e.resource}/${e.subresource}` : e.resource;
    const qualified = e.apiGroup ? `${e.resource}.${e.apiGroup}` : e.resource;
    if (q.resource !== withSub && !(q.resource === e.resource && !e.subresource) && q.resource !== qualified) return false;
  }
  if (q.namespace !== undefined && q.namespace !== e.namespace) return false;
  if (q.name !== undefined && q.name !== e.name) return false;
  if (q.user !== undefined && q.user !== e.user) return false;
  if (q.code !== undefined && q.code !== e.code) return false;
  return true;
}

export class RequestJournal {
  private readonly ring: Array<JournalEntry | undefined>;
  private next = 0;
  private seq = 0;
  private readonly followers = new Set<(e: JournalEntry) => void>();

  /**
   * `before`: the stored object a write starts from, when the server has it at hand
   * (the resource's watch cache); undefined otherwise.
   */
  constructor(
    readonly capacity: number,
    private readonly before?: (r: ApiRequest) => KubeObject | undefined,
  ) {
    this.ring = new Array(capacity);
  }

  get enabled(): boolean {
    return this.capacity > 0;
  }

  record(e: Omit<JournalEntry, 'seq'>): void {
    const entry = e as JournalEntry;
    entry.seq = ++this.seq;
    this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
    for (const f of this.followers) f(settled(entry));
  }

  /** Entries oldest first. */
  query(q: JournalQuery = {}): JournalEntry[] {
    const out: JournalEntry[] = [];
    for (let i = 0; i < this.capacity; i++) {
      const e = this.ring[(this.next + i) % this.capacity];
      if (e && entryMatches(e, q)) out.push(settled(e));
    }
    return out;
  }

  clear(): void {
    this.ring.fill(undefined);
  }

  /** Calls `fn` with each entry recorded from now on; returns the unsubscribe. */
  follow(fn: (e: JournalEntry) => void): () => void {
    this.followers.add(fn);
    return () => this.followers.delete(fn);
  }

  readonly filter: Filter = (next) => async (r) => {
    if (this.capacity === 0) return next(r);
    const time = Date.now();
    const started = performance.now();
    const info = r.info;
    const write = info.isResourceRequest && WRITES.has(info.verb);
    let before: KubeObject | undefined;
    let after: KubeObject | undefined;
    if (write) {
      if (info.verb !== 'create' && this.before) before = asObject(this.before(r));
      r.onRespond = (_code, value) => {
        after = asObject(value);
      };
    }
    let code = 0;
    try {
      await next(r);
      code = r.res.statusCode;
    } catch (e) {
      code = toStatus(e).code;
      throw e;
    } finally {
      const entry: Omit<JournalEntry, 'seq'> = {
        time,
        verb: info.verb,
        method: r.req.method ?? 'GET',
        path: r.path,
        user: r.user?.username ?? '',
        apiGroup: info.apiGroup,
        apiVersion: info.apiVersion,
        resource: info.resource,
        subresource: info.subresource,
        namespace: info.namespace,
        // A create names its object in the body: the name is the created object's (as kube's audit objectRef).
        name: info.name || (info.verb === 'create' && after?.kind !== 'Status' ? (after?.metadata?.name ?? '') : ''),
        code,
        latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
      };
      if (write) {
        if (before) entry.before = before;
        if (after) entry.after = after;
        if (before || after) UNSTRIPPED.add(entry as JournalEntry);
      }
      this.record(entry);
    }
  };
}
