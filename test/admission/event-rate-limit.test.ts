// EventRateLimit: token buckets per limit type and key, kube's 429 wording.

import { describe, expect, it } from 'vitest';
import { EventRateLimit, eventRateLimitConfig } from '../../src/server/admission/plugins/event-rate-limit.js';
import type { KubeObject } from '../../src/server/api/types.js';
import { attrs, descriptor, refusal } from './fake-objects.js';

const EVENTS = descriptor('', 'events', 'Event');
/** A synchronous refusal as a rejected promise. */
const later = (f: () => void): Promise<void> => Promise.resolve().then(f);
const event = (ns: string, involved = 'pod-a') =>
  ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'e', namespace: ns },
    involvedObject: { kind: 'Pod', name: involved },
    source: { component: 'kubelet' },
  }) as KubeObject;

describe('EventRateLimit', () => {
  it('refuses past the burst per namespace, refills at qps, and leaves other kinds and dry runs alone', async () => {
    let now = 0;
    const plugin = new EventRateLimit(eventRateLimitConfig({ limits: [{ type: 'Namespace', qps: 1, burst: 2 }] }), () => now);
    plugin.validate(attrs('CREATE', EVENTS, event('a')));
    plugin.validate(attrs('CREATE', EVENTS, event('a')));
    expect(await refusal(later(() => plugin.validate(attrs('CREATE', EVENTS, event('a')))))).toBe(
      'Too many requests: limit reached on type Namespace for key a',
    );
    plugin.validate(attrs('CREATE', EVENTS, event('b')));
    plugin.validate(attrs('CREATE', EVENTS, event('a'), { dryRun: true }));
    plugin.validate(attrs('CREATE', descriptor('events.k8s.io', 'events', 'Event'), event('a')));
    now = 1000;
    plugin.validate(attrs('CREATE', EVENTS, event('a')));
    const e = (() => {
      try {
        plugin.validate(attrs('UPDATE', EVENTS, event('a')));
      } catch (x) {
        return x as { code?: number; reason?: string };
      }
    })();
    expect([e?.code, e?.reason]).toEqual([429, 'TooManyRequests']);
  });

  it('several limits refusing at once are aggregated; Server and SourceAndObject keys', async () => {
    const plugin = new EventRateLimit(
      eventRateLimitConfig({
        limits: [
          { type: 'Server', qps: 1, burst: 1 },
          { type: 'SourceAndObject', qps: 1, burst: 1 },
        ],
      }),
      () => 0,
    );
    plugin.validate(attrs('CREATE', EVENTS, event('a')));
    expect(await refusal(later(() => plugin.validate(attrs('CREATE', EVENTS, event('a')))))).toBe(
      'Too many requests: [limit reached on type Server for key , limit reached on type SourceAndObject for key kubeletPodpod-a]',
    );
    expect(() => eventRateLimitConfig({ limits: [{ type: 'Cluster', qps: 1, burst: 1 }] })).toThrow(
      'unknown event rate limit type: Cluster',
    );
  });
});
