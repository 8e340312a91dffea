// Impersonation headers (kube's WithImpersonation): each part authorized with the verb `impersonate`,
// the impersonated user's groups as kube builds them, the 403 and 500 wording.

import { describe, expect, it } from 'vitest';
import type { AuthorizationAttributes } from '../../src/server/api/authorization.js';
import { StatusError } from '../../src/server/api/errors.js';
import type { UserInfo } from '../../src/server/api/types.js';
import { impersonate } from '../../src/server/authz/impersonation.js';
import type { Authorizer } from '../../src/server/authz/index.js';
import { fakeRequest } from '../helpers/fake-http.js';

const admin: UserInfo = { username: 'admin', groups: ['system:masters', 'system:authenticated'] };
const alice: UserInfo = { username: 'alice', groups: ['system:authenticated'] };

/** Allows system:masters everything; records what it was asked. */
function masters(asked: AuthorizationAttributes[] = []): Authorizer {
  return {
    authorize: (a) => {
      asked.push(a);
      return a.user.groups.includes('system:masters') ? { decision: 'allow', reason: '' } : { decision: 'noOpinion', reason: '' };
    },
  };
}

const as = (headers: Record<string, string>) => fakeRequest('GET', '/api/v1/pods', headers).req;

describe('impersonation', () => {
  it('leaves the user alone without headers', async () => {
    expect(await impersonate(as({}), alice, [masters()])).toBe(alice);
  });

  it('switches to the user and groups asked for, adding system:authenticated as kube does', async () => {
    const asked: AuthorizationAttributes[] = [];
    const u = await impersonate(
      as({ 'impersonate-user': 'bob', 'impersonate-group': 'dev', 'impersonate-uid': 'u-1', 'impersonate-extra-scopes%2Fx': 'view' }),
      admin,
      [masters(asked)],
    );
    expect(u).toEqual({ username: 'bob', uid: 'u-1', groups: ['dev', 'system:authenticated'], extra: { 'scopes/x': ['view'] } });
    expect(asked.map((a) => [a.verb, a.apiGroup, a.resource, a.subresource, a.name])).toEqual([
      ['impersonate', '', 'users', '', 'bob'],
      ['impersonate', '', 'groups', '', 'dev'],
      ['impersonate', 'authentication.k8s.io', 'userextras', 'scopes/x', 'view'],
      ['impersonate', 'authentication.k8s.io', 'uids', '', 'u-1'],
    ]);
  });

  it('gives a service account its groups, and system:anonymous system:unauthenticated', async () => {
    const asked: AuthorizationAttributes[] = [];
    expect(await impersonate(as({ 'impersonate-user': 'system:serviceaccount:apps:bot' }), admin, [masters(asked)])).toEqual({
      username: 'system:serviceaccount:apps:bot',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:apps', 'system:authenticated'],
    });
    expect(asked[0]).toMatchObject({ resource: 'serviceaccounts', namespace: 'apps', name: 'bot' });
    expect(await impersonate(as({ 'impersonate-user': 'system:anonymous' }), admin, [masters()])).toEqual({
      username: 'system:anonymous',
      groups: ['system:unauthenticated'],
    });
  });

  it('refuses with the 403 of the first part not allowed', async () => {
    const e = await impersonate(as({ 'impersonate-user': 'bob' }), alice, [masters()]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StatusError);
    expect((e as StatusError).code).toBe(403);
    expect((e as StatusError).message).toBe(
      'users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope',
    );
    const reasoned: Authorizer = { authorize: () => ({ decision: 'deny', reason: 'no way' }) };
    const e2 = await impersonate(as({ 'impersonate-user': 'system:serviceaccount:ns:sa' }), alice, [reasoned]).catch((x: unknown) => x);
    expect((e2 as StatusError).message).toBe(
      'serviceaccounts "sa" is forbidden: User "alice" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "ns": no way',
    );
  });

  it('refuses groups without a user as kube does (500)', async () => {
    const e = await impersonate(as({ 'impersonate-group': 'dev' }), admin, [masters()]).catch((x: unknown) => x);
    expect((e as StatusError).code).toBe(500);
    expect((e as StatusError).message).toBe('Internal error occurred: requested [{Group  dev    }] without impersonating a user');
  });
});
