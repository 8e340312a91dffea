// kube's httplog (k8s.io/apiserver pkg/server/httplog): one line per request once
// it is answered, at -v=2 and above, with the verb, URI, user, status and latency.
// The server calls the configured sink; where the lines go is the caller's.

import type { ApiRequest } from '../http/request.js';

export interface RequestLogEntry {
  /** The HTTP method, as httplog logs it (`verb="GET"`). */
  verb: string;
  uri: string;
  /** The authenticated user; empty when the request never got that far. */
  user: string;
  userAgent: string;
  auditId: string;
  srcIP: string;
  status: number;
  latencyMs: number;
}

export type RequestLogSink = (entry: RequestLogEntry) => void;

/** The line kube-apiserver writes at -v=2: `"HTTP" verb="GET" URI="/api" latency="1.2ms" ... resp=200`. */
export function formatRequestLog(e: RequestLogEntry): string {
  const latency = e.latencyMs >= 1000 ? `${(e.latencyMs / 1000).toFixed(3)}s` : `${e.latencyMs.toFixed(3)}ms`;
  return `"HTTP" verb="${e.verb}" URI="${e.uri}" latency="${latency}" userAgent="${e.userAgent}" user="${e.user}" audit-ID="${e.auditId}" srcIP="${e.srcIP}" resp=${e.status}`;
}

/** Calls the sink once the response to `r` is finished (or its connection closes first). */
export function logRequest(r: ApiRequest, sink: RequestLogSink): void {
  const started = performance.now();
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    const socket = r.req.socket;
    const audit = r.res.getHeader('audit-id');
    sink({
      verb: r.req.method ?? '',
      uri: r.req.url ?? '',
      user: r.user?.username ?? '',
      userAgent: String(r.req.headers['user-agent'] ?? ''),
      auditId: typeof audit === 'string' ? audit : '',
      srcIP: socket ? `${socket.remoteAddress}:${socket.remotePort}` : '',
      status: r.res.statusCode,
      latencyMs: performance.now() - started,
    });
  };
  (r.res as NodeJS.EventEmitter).once('finish', finish);
  (r.res as NodeJS.EventEmitter).once('close', finish);
}
