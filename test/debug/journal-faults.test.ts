// The request journal's ring buffer and queries, and the fault injector's matching, counts and seeded draws.

import { describe, expect, it } from 'vitest';
import { FaultInjector } from '../../src/server/debug/faults.js';
import { type JournalEntry, RequestJournal } from '../../src/server/debug/journal.js';
import type { ApiRequest } from '../../src/server/http/request.js';
import { parseRequestInfo } from '../../src/server/http/request-info.js';

const entry = (verb: string, resource: string, extra: Partial<JournalEntry> = {}): Omit<JournalEntry, 'seq'> => ({
  time: Date.now(),
  verb,
  method: 'GET',
  path: '/',
  user: 'admin',
  apiGroup: resource === 'deployments' ? 'apps' : '',
  apiVersion: 'v1',
  resource,
  subresource: '',
  namespace: 'default',
  name: '',
  code: 200,
  latencyMs: 1,
  ...extra,
});

describe('RequestJournal', () => {
  it('keeps the newest entries up to its capacity, oldest first', () => {
    const j = new RequestJournal(3);
    for (let i = 0; i < 5; i++) j.record(entry('get', 'pods', { name: `p${i}` }));
    expect(j.query().map((e) => e.name)).toEqual(['p2', 'p3', 'p4']);
    expect(j.query().map((e) => e.seq)).toEqual([3, 4, 5]);
  });

  it('filters by verb, resource (plain, group-qualified, with subresource), user, since', () => {
    const j = new RequestJournal(10);
    j.record(entry('update', 'deployments'));
    j.record(entry('update', 'deployments', { subresource: 'status' }));
    j.record(entry('get', 'deployments', { user: 'bob' }));
    j.record(entry('update', 'pods', { time: 0 }));
    expect(j.query({ verb: 'update', resource: 'deployments' })).toHaveLength(1);
    expect(j.query({ resource: 'deployments/status' })).toHaveLength(1);
    expect(j.query({ resource: 'deployments.apps' })).toHaveLength(3);
    expect(j.query({ user: 'bob' })).toHaveLength(1);
    expect(j.query({ since: 1 })).toHaveLength(3);
    expect(j.query({ verb: ['get', 'update'], since: new Date(1) })).toHaveLength(3);
  });
});

const request = (method: string, path: string, user = 'admin'): ApiRequest =>
  ({
    req: { method, headers: {} },
    res: {},
    path,
    query: new URLSearchParams(),
    info: parseRequestInfo(method, path, new URLSearchParams()),
    user: { username: user, groups: [] },
    warnings: [],
  }) as unknown as ApiRequest;

async function outcome(f: FaultInjector, r: ApiRequest): Promise<number> {
  let code = 200;
  await f
    .filter(async () => {})(r)
    .catch((e: { code: number }) => {
      code = e.code;
    });
  return code;
}

describe('FaultInjector', () => {
  it('matches verb, resource, namespace, name and user, and stops after `times`', async () => {
    const f = new FaultInjector();
    f.add({ verb: 'update', resource: 'deployments', namespace: 'a', name: 'x', user: 'ctl', error: 409, times: 2 });
    const put = () => request('PUT', '/apis/apps/v1/namespaces/a/deployments/x', 'ctl');
    expect(await outcome(f, request('PUT', '/apis/apps/v1/namespaces/b/deployments/x', 'ctl'))).toBe(200);
    expect(await outcome(f, request('PUT', '/apis/apps/v1/namespaces/a/deployments/x', 'other'))).toBe(200);
    expect(await outcome(f, request('GET', '/apis/apps/v1/namespaces/a/deployments/x', 'ctl'))).toBe(200);
    expect(await outcome(f, put())).toBe(409);
    expect(await outcome(f, put())).toBe(409);
    expect(await outcome(f, put())).toBe(200);
    expect(f.list()[0].hits).toBe(2);
  });

  it('answers each code with kube Status reasons; 429 carries retryAfterSeconds', async () => {
    const f = new FaultInjector();
    const cases: Array<[409 | 429 | 500 | 503 | 'timeout' | '410', string, number]> = [
      [409, 'Conflict', 409],
      [429, 'TooManyRequests', 429],
      [500, 'InternalError', 500],
      [503, 'ServiceUnavailable', 503],
      ['timeout', 'Timeout', 504],
      ['410', 'Expired', 410],
    ];
    for (const [error, reason, code] of cases) {
      f.clear();
      f.add({ error, retryAfterSeconds: 3 });
      const e = await f
        .filter(async () => {})(request('GET', '/api/v1/namespaces/a/pods/p'))
        .then(
          () => undefined,
          (x: { status: { reason: string; code: number; details?: { retryAfterSeconds?: number } } }) => x.status,
        );
      expect(e).toMatchObject({ reason, code });
      if (error === 429) expect(e?.details?.retryAfterSeconds).toBe(3);
    }
    f.clear();
    f.add({ verb: 'create', error: 409 });
    const created = await f
      .filter(async () => {})(request('POST', '/api/v1/namespaces/a/pods'))
      .then(
        () => undefined,
        (x: { status: { reason: string } }) => x.status.reason,
      );
    expect(created).toBe('AlreadyExists');
  });

  it('draws probabilities from a seed: the same seed, the same sequence', async () => {
    const run = async (seed: number): Promise<number[]> => {
      const f = new FaultInjector(seed);
      f.add({ error: 500, probability: 0.5 });
      const codes: number[] = [];
      for (let i = 0; i < 32; i++) codes.push(await outcome(f, request('GET', '/api/v1/pods')));
      return codes;
    };
    const a = await run(7);
    expect(await run(7)).toEqual(a);
    expect(a.filter((c) => c === 500).length).toBeGreaterThan(4);
    expect(a.filter((c) => c === 200).length).toBeGreaterThan(4);
    expect(await run(8)).not.toEqual(a);
  });

  it('refuses a rule it cannot apply', () => {
    const f = new FaultInjector();
    expect(() => f.add({ error: 418 as unknown as 409 })).toThrow('error: must be one of');
    expect(() => f.add({ resource: 'pods' })).toThrow('a fault needs an error or a latencyMs');
  });
});
