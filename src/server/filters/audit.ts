// kube's WithAudit and WithFailedAuthenticationAudit (k8s.io/apiserver
// pkg/endpoints/filters/audit.go, audit_failed_authn.go). After authentication
// the policy decides the request's level by the authenticated user; an audited
// request's events go out at RequestReceived, at ResponseStarted for
// long-running requests (watches, exec-style subresources) when their headers
// are written, and at ResponseComplete, or Panic when the handler failed with
// anything but a Status. A request refused 401 is audited once, at
// ResponseStarted, by the policy with no user.

import { internalError, isStatusError } from '../api/errors.js';
import { authMethods, nowMicros, RequestAuditContext } from '../audit/event.js';
import type { Auditor } from '../audit/index.js';
import type { Stage } from '../audit/policy.js';
import type { ApiRequest, Filter } from '../http/request.js';
import { isLongRunning } from './long-running.js';

/** When each request arrived (kube's WithRequestReceivedTimestamp), noted ahead of authentication. */
const received = new WeakMap<ApiRequest, number>();

/** Emits the event at `stage` unless omitted; false (or a promise of it) when a strict backend refused it. */
function emit(auditor: Auditor, ctx: RequestAuditContext, stage: Stage): boolean | Promise<boolean> {
  const line = ctx.line(stage);
  if (line === undefined) return true;
  // Only blocking backends return a promise; the others cost no turn of the event loop.
  const blocking = auditor.process(line, stage);
  return blocking
    ? blocking.then(
        () => true,
        () => false,
      )
    : true;
}

/** Placed before authentication: notes the arrival time, and audits a request authentication refuses. */
export function withFailedAuthenticationAudit(auditor: Auditor): Filter {
  return (next) => async (r) => {
    received.set(r, nowMicros());
    try {
      await next(r);
    } catch (e) {
      // Refused before a user was known: the authentication filter's 401.
      if (r.user === undefined && isStatusError(e) && e.code === 401) {
        const config = auditor.evaluate(r.info, undefined);
        if (config.level !== 'None') {
          const ctx = new RequestAuditContext(r, config, received.get(r) ?? nowMicros());
          ctx.responseStatus = { metadata: {}, message: authMethods(r), code: 401 };
          await emit(auditor, ctx, 'ResponseStarted');
        }
      }
      throw e;
    }
  };
}

/** Placed after authentication (kube's WithAudit sits inside WithAuthentication, outside impersonation). */
export function withAudit(auditor: Auditor): Filter {
  return (next) => async (r) => {
    const config = auditor.evaluate(r.info, r.user);
    if (config.level === 'None') return next(r);
    const ctx = new RequestAuditContext(r, config, received.get(r) ?? nowMicros());
    r.audit = ctx;
    const stored = emit(auditor, ctx, 'RequestReceived');
    if (stored !== true && !(await stored)) throw internalError(new Error('failed to store audit event'));
    const longRunning = isLongRunning(r.info);
    let started = false;
    const responseStarted = async (): Promise<void> => {
      if (started) return;
      started = true;
      await emit(auditor, ctx, 'ResponseStarted');
    };
    if (longRunning) {
      // auditResponseWriter: the first header written is the ResponseStarted event of a long-running request.
      const res = r.res as unknown as { writeHead: (...args: unknown[]) => unknown };
      const writeHead = res.writeHead;
      res.writeHead = function (this: unknown, ...args: unknown[]) {
        res.writeHead = writeHead;
        if (!started) {
          ctx.responseStatus ??= { metadata: {}, code: Number(args[0]) };
          void responseStarted();
        }
        return writeHead.apply(this, args);
      };
    }
    const complete = async (): Promise<void> => {
      if (!ctx.responseStatus) {
        const res = r.res;
        if (res.headersSent) ctx.responseStatus = { metadata: {}, code: res.statusCode };
        else if (r.req.headers.upgrade) ctx.responseStatus = { metadata: {}, code: 101 };
      }
      // Neither a status nor a body was written: kube fakes a success.
      ctx.responseStatus ??= { metadata: {}, status: 'Success', message: 'Connection closed early', code: 200 };
      if (longRunning) await responseStarted();
      await emit(auditor, ctx, 'ResponseComplete');
    };
    try {
      await next(r);
    } catch (e) {
      if (!isStatusError(e)) {
        ctx.responseStatus = {
          metadata: {},
          status: 'Failure',
          message: `APIServer panic'd: ${e instanceof Error ? e.message : String(e)}`,
          reason: 'InternalError',
          code: 500,
        };
        await emit(auditor, ctx, 'Panic');
        throw e;
      }
      // The Status the chain answers with once this filter returns (errors as Status).
      ctx.responseObject(e.code, e.status);
      await complete();
      throw e;
    }
    await complete();
  };
}
