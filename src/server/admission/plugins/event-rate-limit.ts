// kube's EventRateLimit (plugin/pkg/admission/eventratelimit): core/v1 Event
// creates and updates (not dry runs) pass through one token bucket per limit and
// key (Server: one; Namespace, User, SourceAndObject: an LRU of `cacheSize`
// buckets, 4096 by default), configured by an eventratelimit.admission.k8s.io/v1alpha1
// Configuration. A refusal is 429 `Too many requests: limit reached on type
// Namespace for key default` (several limits: `[..., ...]`).

import { tooManyRequestsError } from '../../api/errors.js';
import type { AdmissionAttributes, ValidatingPlugin } from '../index.js';
import { kindOf } from '../index.js';
import { obj } from './util.js';

type LimitType = 'Server' | 'Namespace' | 'User' | 'SourceAndObject';
const LIMIT_TYPES: LimitType[] = ['Server', 'Namespace', 'User', 'SourceAndObject'];
const DEFAULT_CACHE_SIZE = 4096;

export interface EventRateLimitConfig {
  limits: Array<{ type: LimitType; qps: number; burst: number; cacheSize?: number }>;
}

/** The Configuration's limits; an unknown type fails as kube's newLimitEnforcer does. */
export function eventRateLimitConfig(raw: unknown): EventRateLimitConfig {
  const limits = Array.isArray(obj(raw)?.limits) ? (obj(raw)!.limits as unknown[]) : [];
  return {
    limits: limits.map((l) => {
      const o = obj(l) ?? {};
      const type = String(o.type ?? '');
      if (!LIMIT_TYPES.includes(type as LimitType)) throw new Error(`unknown event rate limit type: ${type}`);
      return { type: type as LimitType, qps: Number(o.qps ?? 0), burst: Number(o.burst ?? 0), cacheSize: Number(o.cacheSize ?? 0) };
    }),
  };
}

/** golang.org/x/time/rate as flowcontrol's token bucket uses it: starts full, refills at qps up to burst. */
class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly qps: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  tryAccept(now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** One limit: its buckets by key, least recently used dropped beyond the cache size. */
class LimitEnforcer {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly size: number;

  constructor(
    readonly type: LimitType,
    private readonly qps: number,
    private readonly burst: number,
    cacheSize: number,
  ) {
    this.size = type === 'Server' ? 1 : cacheSize || DEFAULT_CACHE_SIZE;
  }

  accept(a: AdmissionAttributes, now: number): string | undefined {
    const key = this.key(a);
    let bucket = this.buckets.get(key);
    if (bucket) this.buckets.delete(key);
    else bucket = new TokenBucket(this.qps, this.burst, now);
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.size) this.buckets.delete(this.buckets.keys().next().value!);
    return bucket.tryAccept(now) ? undefined : `limit reached on type ${this.type} for key ${key}`;
  }

  private key(a: AdmissionAttributes): string {
    switch (this.type) {
      case 'Server':
        return '';
      case 'Namespace':
        return a.namespace;
      case 'User':
        return a.user.username;
      default: {
        const e = a.object ?? {};
        const source = obj((e as Record<string, unknown>).source) ?? {};
        const involved = obj((e as Record<string, unknown>).involvedObject) ?? {};
        return [source.component, source.host, involved.kind, involved.namespace, involved.name, involved.uid, involved.apiVersion]
          .map((x) => (typeof x === 'string' ? x : ''))
          .join('');
      }
    }
  }
}

export class EventRateLimit implements ValidatingPlugin {
  readonly name = 'EventRateLimit';
  private readonly enforcers: LimitEnforcer[];

  constructor(
    config: EventRateLimitConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.enforcers = config.limits.map((l) => new LimitEnforcer(l.type, l.qps, l.burst, l.cacheSize ?? 0));
  }

  validate(a: AdmissionAttributes): void {
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return;
    const k = kindOf(a);
    if (k.group !== '' || k.kind !== 'Event' || a.dryRun) return;
    const now = this.now();
    const errors = this.enforcers.map((e) => e.accept(a, now)).filter((m): m is string => m !== undefined);
    // utilerrors.NewAggregate's text: one error as it is, several as `[a, b]`.
    if (errors.length) throw tooManyRequestsError(errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`);
  }
}
