// One request as the handler chain passes it on: what kube's filters put in the
// request context (k8s.io/apiserver pkg/endpoints/request: RequestInfo, the user,
// the warning recorder) plus the output negotiated once for the whole request.

import type { ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import { internalError } from '../api/errors.js';
import type { UserInfo } from '../api/types.js';
import type { ServerRequest } from './body.js';
import { negotiateOutputs, type OutputNegotiation } from './negotiation.js';
import { parseRequestInfo, type RequestInfo } from './request-info.js';

export type AnyResponse = ServerResponse | Http2ServerResponse;

export interface ApiRequest {
  readonly req: ServerRequest;
  readonly res: AnyResponse;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly info: RequestInfo;
  /** The response encodings Accept and Accept-Encoding allow, negotiated once (kube's NegotiateOutputMediaType). */
  readonly output: OutputNegotiation;
  /** Who is asking; set by the authentication filter. */
  user?: UserInfo;
  /** kube's warning recorder: sent as `Warning: 299 - "..."` headers with the response. */
  readonly warnings: string[];
  /** Told the code and value respond() answers with (the request journal's view of a write's result). */
  onRespond?: (code: number, value: object) => void;
  /** The request's audit event (kube's audit context), set by the audit filter when the policy audits the request. */
  audit?: RequestAudit;
}

/** What handlers tell a request's audit event (k8s.io/apiserver pkg/audit: LogRequestObject, LogResponseObject, annotations). */
export interface RequestAudit {
  /** The event's annotations: the authorizer's decision, admission's (kube's AddAuditAnnotation); admission writes here directly. */
  readonly annotations: Record<string, string>;
  /** The decoded request body (a created or updated object, a patch, DeleteOptions). */
  requestObject(obj: unknown): void;
  /** The answer respond() writes: its Status becomes the responseStatus, the object the responseObject (by level). */
  responseObject(code: number, value: object): void;
}

/** A handler at the end of, or inside, the chain. */
export type ApiHandler = (r: ApiRequest) => Promise<void>;

/** One concern of the handler chain, wrapped around the rest (kube's `func(http.Handler) http.Handler` filters). */
export type Filter = (next: ApiHandler) => ApiHandler;

const ORIGIN = 'https://localhost';

/** The request-target as a URL; one no URL parser takes (`//[`) is read as a plain path, so it is answered, never thrown. */
function targetURL(target: string): URL {
  try {
    return new URL(target, ORIGIN);
  } catch {
    return new URL(`${ORIGIN}/${target.replace(/^\/+/, '')}`);
  }
}

/** kube's WithRequestInfo, and the output negotiated right after it: the first step of every request. */
export function apiRequest(req: ServerRequest, res: AnyResponse): ApiRequest {
  const url = targetURL(req.url ?? '/');
  const accept = req.headers.accept;
  const encoding = req.headers['accept-encoding'];
  return {
    req,
    res,
    path: url.pathname,
    query: url.searchParams,
    info: parseRequestInfo(req.method ?? 'GET', url.pathname, url.searchParams),
    output: negotiateOutputs(accept, typeof encoding === 'string' ? encoding : undefined),
    warnings: [],
  };
}

/** The authenticated user; every filter and handler after authentication may rely on it. */
export function userOf(r: ApiRequest): UserInfo {
  if (!r.user) throw internalError('the request reached a handler before authentication');
  return r.user;
}
