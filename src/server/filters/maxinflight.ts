// kube's WithMaxInFlightLimit (k8s.io/apiserver pkg/server/filters/maxinflight.go):
// --max-requests-inflight bounds the read-only requests (get, list) being served at
// once, --max-mutating-requests-inflight every other verb; 0 lifts a bound.
// Long-running requests (watches, exec, log...) hold no seat. Over the bound the
// answer is kube's: 429 with `Retry-After: 1` and the plain-text body Go's
// http.Error writes (not a Status). Unlike kube, system:masters is not exempt:
// a test with the admin credentials must be able to see the limit.

import type { ApiRequest, Filter } from '../http/request.js';
import { writeText } from '../http/response.js';
import { isLongRunning } from './long-running.js';

export interface MaxInFlightOptions {
  /** --max-requests-inflight (kube's default 400); 0 = unlimited. */
  nonMutating: number;
  /** --max-mutating-requests-inflight (kube's default 200); 0 = unlimited. */
  mutating: number;
}

const NON_MUTATING_VERBS = new Set(['get', 'list', 'watch']);

/** kube's tooManyRequests: `Retry-After` and http.Error's text/plain answer. */
export function answerTooManyRequests(r: ApiRequest, retryAfter: string, message: string): void {
  r.res.setHeader('Retry-After', retryAfter);
  r.res.setHeader('X-Content-Type-Options', 'nosniff');
  writeText(r, 429, `${message}\n`);
}

export function withMaxInFlightLimit(o: MaxInFlightOptions): Filter {
  if (o.nonMutating <= 0 && o.mutating <= 0) return (next) => next;
  const inFlight = { mutating: 0, nonMutating: 0 };
  return (next) => async (r) => {
    if (isLongRunning(r.info)) return next(r);
    const kind = NON_MUTATING_VERBS.has(r.info.verb) ? 'nonMutating' : 'mutating';
    const limit = o[kind];
    if (limit <= 0) return next(r);
    if (inFlight[kind] >= limit) {
      answerTooManyRequests(r, '1', 'Too many requests, please try again later.');
      return;
    }
    inFlight[kind]++;
    try {
      await next(r);
    } finally {
      inFlight[kind]--;
    }
  };
}
