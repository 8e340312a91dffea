// Impersonation headers (Impersonate-User, -Group, -Uid, -Extra-<key>). kube's
// impersonation filter (k8s.io/apiserver pkg/endpoints/filters/impersonation.go)
// authorizes the verb `impersonate` on each thing asked for before switching the
// user. This server has no impersonation yet: every such request is refused as
// kube refuses an impersonation it does not authorize, never served as the caller.

import { forbidden, type StatusError } from '../api/errors.js';
import type { UserInfo } from '../api/types.js';
import type { ServerRequest } from '../http/body.js';
import { type Attributes, forbiddenMessage } from './index.js';

const NOT_ENABLED = 'impersonation is not enabled on this server';
const EXTRA_PREFIX = 'impersonate-extra-';
const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';

interface ImpersonationRequest {
  apiGroup: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

function values(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** Percent-decoded extra key, lower-cased as Go's canonical header names make it. */
function extraKey(header: string): string {
  const raw = header.slice(EXTRA_PREFIX.length);
  try {
    return decodeURIComponent(raw).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

/** What the headers ask to impersonate, in kube's order: user, groups, extras, uid. */
function impersonationRequests(req: ServerRequest): ImpersonationRequest[] {
  const out: ImpersonationRequest[] = [];
  const none = { apiGroup: '', subresource: '', namespace: '' };
  // kube reads Impersonate-User with Header.Get: an empty value asks for nothing.
  for (const user of values(req.headers['impersonate-user']).filter(Boolean).slice(0, 1)) {
    const sa = user.startsWith(SERVICE_ACCOUNT_PREFIX) ? user.slice(SERVICE_ACCOUNT_PREFIX.length).split(':') : [];
    if (sa.length === 2 && sa[0] && sa[1]) out.push({ ...none, resource: 'serviceaccounts', namespace: sa[0], name: sa[1] });
    else out.push({ ...none, resource: 'users', name: user });
  }
  for (const group of values(req.headers['impersonate-group'])) out.push({ ...none, resource: 'groups', name: group });
  for (const [header, v] of Object.entries(req.headers)) {
    if (!header.startsWith(EXTRA_PREFIX)) continue;
    for (const value of values(v)) {
      out.push({ ...none, apiGroup: 'authentication.k8s.io', resource: 'userextras', subresource: extraKey(header), name: value });
    }
  }
  for (const uid of values(req.headers['impersonate-uid']))
    out.push({ ...none, apiGroup: 'authentication.k8s.io', resource: 'uids', name: uid });
  return out;
}

/**
 * The 403 for a request that asks to impersonate anyone, worded as kube's
 * responsewriters.Forbidden for the first impersonation it would have checked
 * (`users "x" is forbidden: User "y" cannot impersonate resource "users" in API
 * group "" at the cluster scope: <reason>`); undefined when nothing is asked.
 */
export function refuseImpersonation(req: ServerRequest, user: UserInfo): StatusError | undefined {
  const [first] = impersonationRequests(req);
  if (!first) return undefined;
  const attrs: Attributes = {
    user,
    verb: 'impersonate',
    isResourceRequest: true,
    path: '',
    apiGroup: first.apiGroup,
    apiVersion: '',
    namespace: first.namespace,
    resource: first.resource,
    subresource: first.subresource,
    name: first.name,
  };
  return forbidden({ group: first.apiGroup, resource: first.resource }, first.name, `${forbiddenMessage(attrs)}: ${NOT_ENABLED}`);
}
