// Impersonation headers (Impersonate-User, -Group, -Uid, -Extra-<key>), as kube's
// impersonation filter (k8s.io/apiserver pkg/endpoints/filters/impersonation.go)
// handles them: each thing asked for is authorized with the verb `impersonate`
// (users, groups, serviceaccounts, uids, userextras) before the request goes on
// as the impersonated user; the first refusal is the 403.

import { forbidden, internalError, type StatusError } from '../api/errors.js';
import type { UserInfo } from '../api/types.js';
import type { ServerRequest } from '../http/body.js';
import { type Attributes, type Authorizer, authorize, forbiddenWithReason } from './index.js';

const EXTRA_PREFIX = 'impersonate-extra-';
const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';
const AUTHENTICATED = 'system:authenticated';
const UNAUTHENTICATED = 'system:unauthenticated';

/** One thing to impersonate, as kube's v1.ObjectReference of kind ServiceAccount, User, Group, UserExtra or UID. */
interface ImpersonationRequest {
  kind: 'ServiceAccount' | 'User' | 'Group' | 'UserExtra' | 'UID';
  apiGroup: string;
  resource: string;
  /** The extra's key (kube keeps it in the reference's fieldPath). */
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
  const raw = header.slice(EXTRA_PREFIX.length).toLowerCase();
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** kube's serviceaccount.SplitUsername: `system:serviceaccount:<ns>:<name>`, both parts non-empty. */
export function splitServiceAccountUsername(user: string): { namespace: string; name: string } | undefined {
  if (!user.startsWith(SERVICE_ACCOUNT_PREFIX)) return undefined;
  const parts = user.slice(SERVICE_ACCOUNT_PREFIX.length).split(':');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return { namespace: parts[0], name: parts[1] };
}

/** Go's %v of a []v1.ObjectReference: each struct's fields in order, space separated. */
function goFormat(reqs: ImpersonationRequest[]): string {
  const apiVersion = (r: ImpersonationRequest): string => (r.apiGroup ? `${r.apiGroup}/v1` : '');
  return `[${reqs.map((r) => `{${[r.kind, r.namespace, r.name, '', apiVersion(r), '', r.subresource].join(' ')}}`).join(' ')}]`;
}

/** What the headers ask to impersonate, in kube's order: user, groups, extras, uid. */
function impersonationRequests(req: ServerRequest): ImpersonationRequest[] {
  const out: ImpersonationRequest[] = [];
  const none = { apiGroup: '', subresource: '', namespace: '' };
  // kube reads Impersonate-User with Header.Get: an empty value asks for nothing.
  const user = values(req.headers['impersonate-user']).filter(Boolean)[0];
  if (user) {
    const sa = splitServiceAccountUsername(user);
    if (sa) out.push({ ...none, kind: 'ServiceAccount', resource: 'serviceaccounts', namespace: sa.namespace, name: sa.name });
    else out.push({ ...none, kind: 'User', resource: 'users', name: user });
  }
  for (const group of values(req.headers['impersonate-group'])) out.push({ ...none, kind: 'Group', resource: 'groups', name: group });
  for (const [header, v] of Object.entries(req.headers)) {
    if (!header.startsWith(EXTRA_PREFIX)) continue;
    for (const value of values(v)) {
      out.push({
        ...none,
        kind: 'UserExtra',
        apiGroup: 'authentication.k8s.io',
        resource: 'userextras',
        subresource: extraKey(header),
        name: value,
      });
    }
  }
  const uid = values(req.headers['impersonate-uid']).filter(Boolean)[0];
  if (uid) out.push({ ...none, kind: 'UID', apiGroup: 'authentication.k8s.io', resource: 'uids', name: uid });
  if (out.length && !user) throw internalError(`requested ${goFormat(out)} without impersonating a user`);
  return out;
}

/**
 * The user a request acts as: the authenticated one when it asks to impersonate nobody, else the
 * impersonated user once every part is authorized. Throws kube's 403 (responsewriters.Forbidden with the
 * authorizer's reason) for the first part refused, and its 500 for groups, extras or a UID without a user.
 */
export async function impersonate(req: ServerRequest, requestor: UserInfo, authorizers: Authorizer[]): Promise<UserInfo> {
  const reqs = impersonationRequests(req);
  if (!reqs.length) return requestor;
  // Groups given are the authority, the system:authenticated / system:unauthenticated ones included.
  const groupsSpecified = values(req.headers['impersonate-group']).length > 0;
  let username = '';
  let uid: string | undefined;
  let groups: string[] = [];
  const extra: Record<string, string[]> = {};
  for (const r of reqs) {
    const attrs: Attributes = {
      user: requestor,
      verb: 'impersonate',
      isResourceRequest: true,
      path: '',
      apiGroup: r.apiGroup,
      apiVersion: '',
      namespace: r.namespace,
      resource: r.resource,
      subresource: r.subresource,
      name: r.name,
    };
    const d = await authorize(authorizers, attrs);
    if (d.decision !== 'allow') throw refused(attrs, d.reason);
    switch (r.kind) {
      case 'ServiceAccount':
        username = `${SERVICE_ACCOUNT_PREFIX}${r.namespace}:${r.name}`;
        if (!groupsSpecified) groups = ['system:serviceaccounts', `system:serviceaccounts:${r.namespace}`];
        break;
      case 'User':
        username = r.name;
        break;
      case 'Group':
        groups.push(r.name);
        break;
      case 'UserExtra':
        (extra[r.subresource] ??= []).push(r.name);
        break;
      case 'UID':
        uid = r.name;
        break;
    }
  }
  if (username !== 'system:anonymous') {
    if (!groups.includes(AUTHENTICATED) && !groups.includes(UNAUTHENTICATED)) groups.push(AUTHENTICATED);
  } else if (!groups.includes(UNAUTHENTICATED)) groups.push(UNAUTHENTICATED);
  const user: UserInfo = { username, groups };
  if (uid !== undefined) user.uid = uid;
  if (Object.keys(extra).length) user.extra = extra;
  return user;
}

/** responsewriters.Forbidden for an impersonation: `users "x" is forbidden: User "y" cannot impersonate ...[: reason]`. */
function refused(attrs: Attributes, reason: string): StatusError {
  return forbidden({ group: attrs.apiGroup, resource: attrs.resource }, attrs.name, forbiddenWithReason(attrs, reason));
}
