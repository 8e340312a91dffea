// The handler chain (kube's DefaultBuildHandlerChain): each filter's answer, and their order.

import { describe, expect, it, vi } from 'vitest';
import { badRequest } from '../../src/server/api/errors.js';
import type { UserInfo } from '../../src/server/api/types.js';
import { type Authenticator, BearerTokenAuthenticator } from '../../src/server/authn/index.js';
import { RBACAuthorizer } from '../../src/server/authz/rbac/authorizer.js';
import { RBACPolicy } from '../../src/server/authz/rbac/policy.js';
import { parseDuration } from '../../src/server/config.js';
import { buildHandlerChain } from '../../src/server/filters/index.js';
import type { ApiHandler, ApiRequest, Filter } from '../../src/server/http/request.js';
import { respond } from '../../src/server/http/response.js';
import { bootstrapPolicy } from '../../src/server/registry/resources/rbac-policy.js';
import { fakeRequest } from '../helpers/fake-http.js';

/** A user named by a test header, standing in for a client certificate. */
const byHeader: Authenticator = {
  authenticate: (req) => {
    const name = req.headers['x-test-user'];
    const user: UserInfo = { username: String(name), groups: ['system:authenticated'] };
    return typeof name === 'string' ? { kind: 'user', user } : { kind: 'none' };
  },
};

/** RBAC with the bootstrap policy, every authenticated user bound to cluster-admin: anonymous gets the public paths only. */
function authorizer(): RBACAuthorizer {
  const policy = new RBACPolicy();
  policy.replace('ClusterRole', bootstrapPolicy().clusterRoles);
  policy.replace('ClusterRoleBinding', [
    ...bootstrapPolicy().clusterRoleBindings,
    {
      metadata: { name: 'everyone' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'Group', name: 'system:authenticated' }],
    },
  ]);
  return new RBACAuthorizer(policy);
}

function chain(handler: ApiHandler, extra: Filter[] = [], requestTimeoutMs = 60_000): ApiHandler {
  return buildHandlerChain(handler, {
    authenticators: [byHeader, new BearerTokenAuthenticator()],
    authorizers: [authorizer()],
    timeout: { requestTimeoutMs, parseDuration },
    extra,
  });
}

const ok: ApiHandler = async (r) => respond(r, 200, { kind: 'ConfigMap', apiVersion: 'v1', user: r.user?.username });
const CMS = '/api/v1/namespaces/default/configmaps';
const alice = { 'x-test-user': 'alice' };

describe('handler chain', () => {
  it('passes an authenticated request through to the handler, with an Audit-Id', async () => {
    const r = fakeRequest('GET', CMS, alice);
    await chain(ok)(r);
    expect(r.fake.statusCode).toBe(200);
    expect(r.fake.json().user).toBe('alice');
    expect(r.fake.getHeader('audit-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses an invalid credential with 401, keeping the client Audit-Id', async () => {
    const r = fakeRequest('GET', CMS, { authorization: 'Bearer nope', 'audit-id': 'mine' });
    await chain(ok)(r);
    expect(r.fake.statusCode).toBe(401);
    expect(r.fake.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    expect(r.fake.getHeader('audit-id')).toBe('mine');
  });

  it('lets anonymous requests reach only the public paths', async () => {
    const denied = fakeRequest('GET', CMS);
    await chain(ok)(denied);
    expect(denied.fake.statusCode).toBe(403);
    expect(denied.fake.json().message).toBe(
      'configmaps is forbidden: User "system:anonymous" cannot list resource "configmaps" in API group "" in the namespace "default"',
    );
    const path = fakeRequest('GET', '/apis');
    await chain(ok)(path);
    expect(path.fake.json().message).toBe('forbidden: User "system:anonymous" cannot get path "/apis"');
    const health = fakeRequest('GET', '/healthz');
    await chain(ok)(health);
    expect(health.fake.statusCode).toBe(200);
  });

  it('checks ?timeout= after authorization, for watches too', async () => {
    const anonymous = fakeRequest('GET', `${CMS}?timeout=soon`);
    await chain(ok)(anonymous);
    expect(anonymous.fake.statusCode).toBe(403);
    const watch = fakeRequest('GET', `${CMS}?watch=1&timeout=soon`, alice);
    await chain(ok)(watch);
    expect(watch.fake.statusCode).toBe(400);
    expect(watch.fake.json().message).toBe('invalid timeout specified in the request URL');
  });

  it('answers 504 at the deadline and drops the late answer; watches have no deadline', async () => {
    vi.useFakeTimers();
    try {
      let finish!: () => void;
      const slow: ApiHandler = (r) =>
        new Promise<void>((resolve) => {
          finish = () => {
            respond(r, 200, { kind: 'ConfigMap', apiVersion: 'v1' });
            resolve();
          };
        });
      const r = fakeRequest('GET', `${CMS}/a?timeout=1s`, alice);
      const served = chain(slow, [], 5_000)(r);
      await vi.advanceTimersByTimeAsync(1_000);
      await served;
      expect(r.fake.statusCode).toBe(504);
      finish();
      expect(r.fake.json()).toMatchObject({ reason: 'Timeout', code: 504 });

      const w = fakeRequest('GET', `${CMS}?watch=1`, alice);
      const watching = chain(slow, [], 1_000)(w);
      await vi.advanceTimersByTimeAsync(5_000);
      expect(w.fake.headersSent).toBe(false);
      finish();
      await watching;
      expect(w.fake.statusCode).toBe(200);
    } finally {
      vi.useRealTimers();
    }
  });

  it('answers what a handler throws as a Status: its own, or 500 InternalError', async () => {
    const refused = fakeRequest('GET', CMS, alice);
    await chain(async () => {
      throw badRequest('no');
    })(refused);
    expect(refused.fake.json()).toMatchObject({ reason: 'BadRequest', code: 400 });
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const broken = fakeRequest('GET', CMS, alice);
    await chain(async () => {
      throw new Error('boom');
    })(broken);
    expect(broken.fake.json()).toMatchObject({ reason: 'InternalError', code: 500 });
    expect(errors).toHaveBeenCalledOnce();
    errors.mockRestore();
  });

  it('runs the extra filters after authorization and the deadline, right before the handler', async () => {
    const seen: string[] = [];
    const mark =
      (name: string): Filter =>
      (next) =>
      (r: ApiRequest) => {
        seen.push(`${name}:${r.user?.username}`);
        return next(r);
      };
    const r = fakeRequest('GET', CMS, alice);
    await chain(
      async (x) => {
        seen.push('handler');
        await ok(x);
      },
      [mark('audit'), mark('inflight')],
    )(r);
    expect(seen).toEqual(['audit:alice', 'inflight:alice', 'handler']);
    const refused = fakeRequest('GET', CMS);
    await chain(ok, [mark('audit')])(refused);
    expect(seen).toHaveLength(3);
  });
});
