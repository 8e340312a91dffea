// Graceful termination's filters (k8s.io/apiserver pkg/server/filters/with_retry_after.go
// WithRetryAfter and waitgroup.go WithWaitGroup) and the state they read
// (kube's lifecycle signals): once the server stops taking new requests, those
// still arriving on open connections are refused with a Retry-After (health
// probes and /metrics excepted), while the non-long-running requests under way
// are counted so that stopping can wait for them.

import { serviceUnavailable } from '../api/errors.js';
import type { ApiRequest, Filter } from '../http/request.js';
import { isLongRunning } from './long-running.js';
import { answerTooManyRequests } from './maxinflight.js';

/** kube's pathPrefixesExemptFromRetryAfter, and its loopback client's user agent. */
const EXEMPT_PREFIXES = ['/readyz', '/livez', '/healthz', '/metrics'];

function exempt(r: ApiRequest): boolean {
  return String(r.req.headers['user-agent'] ?? '').startsWith('kube-apiserver/') || EXEMPT_PREFIXES.some((p) => r.path.startsWith(p));
}

export class ShutdownLifecycle {
  /** kube's ShutdownInitiated: stopping has begun (/readyz fails from now on). */
  initiated = false;
  /** kube's NotAcceptingNewRequest: past --shutdown-delay-duration, new requests are refused. */
  draining = false;
  private inFlight = 0;
  private idle: Array<() => void> = [];

  /** --shutdown-send-retry-after: refuse with 429 and keep listening until drained (else 503 and stop listening at once). */
  constructor(readonly sendRetryAfter = false) {}

  readonly filter: Filter = (next) => async (r) => {
    if (this.draining && !exempt(r)) {
      if (this.sendRetryAfter) {
        // `Connection: close` tears an HTTP/1.1 connection down after the answer; HTTP/2 forbids the header
        // (the session gets its GOAWAY when the server closes).
        if (!('stream' in r.res)) r.res.setHeader('Connection', 'close');
        answerTooManyRequests(r, '5', 'The apiserver is shutting down, please try again later.');
        return;
      }
      // kube lets a long-running request through here; its watches end with the server, so a new one
      // would only be cut off: it is refused as the others are, and the client retries elsewhere.
      r.res.setHeader('Retry-After', '1');
      r.res.setHeader('X-Content-Type-Options', 'nosniff');
      throw serviceUnavailable('apiserver is shutting down');
    }
    if (isLongRunning(r.info) || this.draining) return next(r);
    this.inFlight++;
    try {
      await next(r);
    } finally {
      if (--this.inFlight === 0) for (const done of this.idle.splice(0)) done();
    }
  };

  /** Resolves once no non-long-running request is under way, or after `timeoutMs`; false on the timeout. */
  drained(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
      this.idle.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
