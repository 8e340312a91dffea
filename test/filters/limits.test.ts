// The long-running check (kube-apiserver's LongRunningFunc) the request timeout,
// max-in-flight limit and shutdown drain share; the max-in-flight filter's seats
// below the wire; the flags' checks.

import { describe, expect, it } from 'vitest';
import { FlagError, parseServeFlags } from '../../src/server/config.js';
import { isLongRunning } from '../../src/server/filters/long-running.js';
import { withMaxInFlightLimit } from '../../src/server/filters/maxinflight.js';
import { withTimeout } from '../../src/server/filters/timeout.js';
import { fakeRequest } from '../helpers/fake-http.js';

describe('long-running requests', () => {
  it('are watches, proxies, a pod connection or its log, and the profiler', () => {
    const long = (method: string, url: string): boolean => isLongRunning(fakeRequest(method, url).info);
    expect(long('GET', '/api/v1/namespaces/d/configmaps?watch=true')).toBe(true);
    for (const sub of ['exec', 'attach', 'portforward', 'log', 'proxy'])
      expect(long('GET', `/api/v1/namespaces/d/pods/p/${sub}`)).toBe(true);
    expect(long('GET', '/api/v1/namespaces/d/services/s/proxy/x')).toBe(true);
    expect(long('GET', '/debug/pprof/profile')).toBe(true);
    expect(long('GET', '/api/v1/namespaces/d/pods/p/status')).toBe(false);
    expect(long('GET', '/api/v1/namespaces/d/configmaps')).toBe(false);
  });

  it('are not cut at --request-timeout (a pod log follow included)', async () => {
    const filter = withTimeout({ requestTimeoutMs: 20, parseDuration: () => 0 });
    const r = fakeRequest('GET', '/api/v1/namespaces/d/pods/p/log?follow=true');
    await filter(async () => new Promise((resolve) => setTimeout(resolve, 60)))(r);
    expect(r.fake.headersSent).toBe(false);
  });
});

describe('max in-flight filter', () => {
  const slow = async (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 30));

  it('frees a seat when a request ends; 0 lifts a limit', async () => {
    const limited = withMaxInFlightLimit({ nonMutating: 1, mutating: 0 })(slow);
    const a = fakeRequest('GET', '/api/v1/namespaces');
    const b = fakeRequest('GET', '/api/v1/namespaces');
    const w = Array.from({ length: 3 }, () => fakeRequest('POST', '/api/v1/namespaces'));
    await Promise.all([limited(a), limited(b), ...w.map((x) => limited(x))]);
    expect(a.fake.headersSent).toBe(false);
    expect(b.fake.statusCode).toBe(429);
    expect(w.every((x) => !x.fake.headersSent)).toBe(true);
    const c = fakeRequest('GET', '/api/v1/namespaces');
    await limited(c);
    expect(c.fake.headersSent).toBe(false);
  });

  it('refuses negative limits as kube-apiserver does', () => {
    expect(() => parseServeFlags(['--max-requests-inflight=-1'])).toThrow(
      new FlagError('--max-requests-inflight can not be negative value'),
    );
    expect(() => parseServeFlags(['--max-mutating-requests-inflight=x'])).toThrow(
      'invalid argument "x" for "--max-mutating-requests-inflight" flag: strconv.ParseInt: parsing "x": invalid syntax',
    );
    expect(() => parseServeFlags(['--shutdown-delay-duration=-1s'])).toThrow('--shutdown-delay-duration can not be negative value');
    expect(parseServeFlags(['--enable-priority-and-fairness=false', '--shutdown-send-retry-after'])).toMatchObject({
      enablePriorityAndFairness: false,
      shutdownSendRetryAfter: true,
    });
  });
});
