// Authorization: may this user do this? Authorizers form a chain asked in
// turn, as k8s.io/apiserver's union authorizer does (RBAC and webhook there).

import type { UserInfo } from '../api/types.js';
import type { RequestInfo } from '../http/request-info.js';

/** kube's authorizer.Attributes: the user and what RequestInfo says the request asks for. */
export interface Attributes
  extends Pick<
    RequestInfo,
    'verb' | 'isResourceRequest' | 'path' | 'apiGroup' | 'apiVersion' | 'namespace' | 'resource' | 'subresource' | 'name'
  > {
  user: UserInfo;
}

export type Decision = { decision: 'allow' | 'deny' | 'noOpinion'; reason: string };

export interface Authorizer {
  authorize(attrs: Attributes): Decision;
}

export function attributesFor(user: UserInfo, info: RequestInfo): Attributes {
  return {
    user,
    verb: info.verb,
    isResourceRequest: info.isResourceRequest,
    path: info.path,
    apiGroup: info.apiGroup,
    apiVersion: info.apiVersion,
    namespace: info.namespace,
    resource: info.resource,
    subresource: info.subresource,
    name: info.name,
  };
}

/** Paths kube's system:public-info-viewer role opens to everyone, anonymous included. */
const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version', '/version/']);

/**
 * Every authenticated user may do anything (kube's AlwaysAllow, limited to
 * authenticated users); anonymous requests only reach the public health and version endpoints.
 */
export class AlwaysAllowAuthenticated implements Authorizer {
  authorize(attrs: Attributes): Decision {
    if (attrs.user.groups.includes('system:authenticated') || attrs.user.groups.includes('system:masters')) {
      return { decision: 'allow', reason: '' };
    }
    if (
      !attrs.isResourceRequest &&
      attrs.verb === 'get' &&
      (PUBLIC_PATHS.has(attrs.path) || /^\/(healthz|livez|readyz)\//.test(attrs.path))
    ) {
      return { decision: 'allow', reason: '' };
    }
    return { decision: 'noOpinion', reason: '' };
  }
}

export function authorize(authorizers: Authorizer[], attrs: Attributes): Decision {
  for (const a of authorizers) {
    const d = a.authorize(attrs);
    if (d.decision !== 'noOpinion') return d;
  }
  return { decision: 'noOpinion', reason: '' };
}

/** kube's forbidden message for a denied request (k8s.io/apiserver/pkg/endpoints/handlers/responsewriters). */
export function forbiddenMessage(attrs: Attributes): string {
  const u = `User "${attrs.user.username}"`;
  if (!attrs.isResourceRequest) return `${u} cannot ${attrs.verb} path "${attrs.path}"`;
  const res = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const scope = attrs.namespace ? `in the namespace "${attrs.namespace}"` : 'at the cluster scope';
  return `${u} cannot ${attrs.verb} resource "${res}" in API group "${attrs.apiGroup}" ${scope}`;
}
