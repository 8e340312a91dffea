// The label values kube-apiserver puts on its request metrics, as
// k8s.io/apiserver pkg/endpoints/metrics/metrics.go computes them: the scope
// (CleanScope), the reported verb (CanonicalVerb, then CleanVerb: LIST vs GET,
// WATCH, APPLY, CONNECT, anything unknown as "other") and the dry_run value
// (cleanDryRun).

import type { RequestInfo } from '../http/request-info.js';

/** metrics.APIServerComponent: the `component` label of the resource handlers and aggregated discovery. */
export const APISERVER_COMPONENT = 'apiserver';

/** validRequestMethods: the verbs reported as they are; any other is "other". */
const VALID_VERBS = new Set([
  'APPLY',
  'CONNECT',
  'CREATE',
  'DELETE',
  'DELETECOLLECTION',
  'GET',
  'LIST',
  'PATCH',
  'POST',
  'PROXY',
  'PUT',
  'UPDATE',
  'WATCH',
  'WATCHLIST',
]);

/** validConnectRequests: subresources reported as CONNECT. */
const CONNECT_SUBRESOURCES = new Set(['log', 'exec', 'portforward', 'attach', 'proxy']);

/** CleanScope: "resource" for a named object or a create, "namespace" within one, "cluster" otherwise; "" off the API. */
export function cleanScope(info: RequestInfo): string {
  if (info.name !== '' || info.verb === 'create') return 'resource';
  if (info.namespace !== '') return 'namespace';
  if (info.isResourceRequest) return 'cluster';
  return '';
}

/**
 * The verb label from the HTTP method (kube reports POST, PUT, DELETE... rather than RequestInfo's verb):
 * a GET is LIST unless it names an object, WATCH when it watches, a PATCH with an apply body is APPLY,
 * the connect subresources are CONNECT.
 */
export function reportedVerb(method: string, info: RequestInfo, scope: string, contentType: string | undefined): string {
  let verb = method.toUpperCase();
  if (verb === 'GET' || verb === 'HEAD') verb = scope !== 'resource' && scope !== '' ? 'LIST' : 'GET';
  if (info.verb === 'watch') verb = 'WATCH';
  else if (verb === 'PATCH' && contentType === 'application/apply-patch+yaml') verb = 'APPLY';
  if (info.isResourceRequest && CONNECT_SUBRESOURCES.has(info.subresource)) verb = 'CONNECT';
  return VALID_VERBS.has(verb) ? verb : 'other';
}

/** cleanDryRun: "" without the parameter, "invalid" for a value but All, else the sorted distinct values. */
export function cleanDryRun(query: URLSearchParams): string {
  if (!query.has('dryRun')) return '';
  const values = query.getAll('dryRun');
  if (values.some((v) => v !== 'All')) return 'invalid';
  return values.length ? 'All' : '';
}

/** The mutating / read-only split of apiserver_current_inflight_requests (maxinflight's nonMutatingRequestVerbs). */
export function isMutating(info: RequestInfo): boolean {
  return info.verb !== 'get' && info.verb !== 'list' && info.verb !== 'watch';
}
