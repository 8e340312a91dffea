// kube's WithRequestDeadline and WithTimeoutForNonLongRunningRequests.

import { badRequest, isStatusError, type StatusError, timeout } from '../api/errors.js';
import type { Filter } from '../http/request.js';
import { respond } from '../http/response.js';
import { isLongRunning } from './long-running.js';

/**
 * kube's timeout filter answer (apierrors.NewTimeoutError). kube's etcd client retries an unreachable etcd
 * until the request deadline, which ends in this Status; ours gives up sooner (its circuit breaker), and an
 * unreachable-storage error gets the same answer without waiting the deadline out.
 */
export function requestTimedOut(): StatusError {
  return timeout('request did not complete within the allotted timeout');
}

export interface TimeoutOptions {
  /** --request-timeout in milliseconds; 0 or less sets no deadline. */
  requestTimeoutMs: number;
  /** Go's time.ParseDuration, in milliseconds, for ?timeout=; throws on a malformed value. */
  parseDuration(text: string): number;
}

/**
 * ?timeout= must be a Go duration (400 otherwise). A request that is not
 * long-running (watches are, and exec, attach, log, portforward, proxy:
 * kube's LongRunningFunc; watches end on their own timeouts) answers 504
 * Timeout once --request-timeout, or a smaller positive ?timeout=, has passed
 * without a response. A handler that finishes later writes nothing (kube's
 * timeoutWriter refuses late writes); one that has already started its
 * response is left to finish it.
 */
export function withTimeout({ requestTimeoutMs, parseDuration }: TimeoutOptions): Filter {
  return (next) => async (r) => {
    let ms = requestTimeoutMs;
    const asked = r.query.get('timeout');
    if (asked !== null && asked !== '') {
      let t: number;
      try {
        t = parseDuration(asked);
      } catch {
        throw badRequest('invalid timeout specified in the request URL');
      }
      if (t > 0 && (ms <= 0 || t < ms)) ms = t;
    }
    if (isLongRunning(r.info) || ms <= 0) return next(r);
    const done = next(r).then(() => false as const);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<true>((resolve) => {
      timer = setTimeout(() => resolve(true), ms);
    });
    const timedOut = await Promise.race([done, expired]).finally(() => clearTimeout(timer));
    if (!timedOut) return;
    done.catch((e: unknown) => {
      if (!isStatusError(e)) console.error('kapi-env: request failed after its timeout:', e);
    });
    const res = r.res;
    if (res.headersSent) return;
    const status = requestTimedOut().status;
    respond(r, status.code, status);
    const late = res as unknown as Record<'setHeader' | 'writeHead' | 'write' | 'end' | 'flushHeaders', () => unknown>;
    late.setHeader = late.writeHead = late.end = () => res;
    late.write = () => true;
    late.flushHeaders = () => undefined;
  };
}
