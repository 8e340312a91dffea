// The metrics filter and kube's label values (pkg/endpoints/metrics): /metrics authorized as a
// non-resource URL (system:monitoring), what is recorded and what is not, the verb/scope/dry_run
// labels; and the storage seam's timing, which leaves the caller's tryUpdate out.

import { describe, expect, it } from 'vitest';
import { badRequest } from '../../src/server/api/errors.js';
import type { UserInfo } from '../../src/server/api/types.js';
import type { Authenticator } from '../../src/server/authn/index.js';
import { RBACAuthorizer } from '../../src/server/authz/rbac/authorizer.js';
import { RBACPolicy } from '../../src/server/authz/rbac/policy.js';
import { parseDuration } from '../../src/server/config.js';
import { buildHandlerChain } from '../../src/server/filters/index.js';
import type { ApiHandler } from '../../src/server/http/request.js';
import { parseRequestInfo } from '../../src/server/http/request-info.js';
import { respond } from '../../src/server/http/response.js';
import { ApiServerMetrics } from '../../src/server/metrics/index.js';
import { cleanDryRun, cleanScope, reportedVerb } from '../../src/server/metrics/labels.js';
import { bootstrapPolicy } from '../../src/server/registry/resources/rbac-policy.js';
import { MemoryStorage } from '../../src/server/storage/memory/index.js';
import { ObservedStorage } from '../../src/server/storage/observed.js';
import { fakeRequest } from '../helpers/fake-http.js';

/** The user and groups named by test headers. */
const byHeader: Authenticator = {
  authenticate: (req) => {
    const name = req.headers['x-test-user'];
    const groups = String(req.headers['x-test-groups'] ?? '')
      .split(',')
      .filter(Boolean);
    const user: UserInfo = { username: String(name), groups: [...groups, 'system:authenticated'] };
    return typeof name === 'string' ? { kind: 'user', user } : { kind: 'none' };
  },
};

function chain(handler: ApiHandler, metrics?: ApiServerMetrics): ApiHandler {
  const policy = new RBACPolicy();
  policy.replace('ClusterRole', bootstrapPolicy().clusterRoles);
  policy.replace('ClusterRoleBinding', bootstrapPolicy().clusterRoleBindings);
  return buildHandlerChain(handler, {
    authenticators: [byHeader],
    authorizers: [new RBACAuthorizer(policy)],
    timeout: { requestTimeoutMs: 60_000, parseDuration },
    metrics,
  });
}

const ok: ApiHandler = async (r) => respond(r, 200, { kind: 'ConfigMapList', apiVersion: 'v1', items: [] });
const admin = { 'x-test-user': 'admin', 'x-test-groups': 'system:masters' };
const monitoring = { 'x-test-user': 'prometheus', 'x-test-groups': 'system:monitoring' };

describe('metrics filter', () => {
  const metrics = new ApiServerMetrics({ routed: (info) => info.resource === 'configmaps' });
  const serve = chain(ok, metrics);

  it('serves /metrics to system:monitoring and refuses other users with Forbidden on the path', async () => {
    const refused = fakeRequest('GET', '/metrics', { 'x-test-user': 'jane' });
    await serve(refused);
    expect(refused.fake.statusCode).toBe(403);
    expect(refused.fake.json().message).toBe('forbidden: User "jane" cannot get path "/metrics"');
    const scraped = fakeRequest('GET', '/metrics', monitoring);
    await serve(scraped);
    expect(scraped.fake.statusCode).toBe(200);
    expect(scraped.fake.getHeader('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(scraped.fake.text()).toContain('# TYPE apiserver_request_total counter');
  });

  it('records routed requests once answered, with the error code a handler threw; never refused or unrouted ones', async () => {
    await serve(fakeRequest('GET', '/api/v1/namespaces/ns/configmaps', admin));
    await serve(fakeRequest('GET', '/api/v1/namespaces/ns/configmaps', { 'x-test-user': 'jane' }));
    await serve(fakeRequest('GET', '/api/v1/namespaces/ns/secrets', admin));
    const failing = chain(async () => {
      throw badRequest('no');
    }, metrics);
    await failing(fakeRequest('DELETE', '/api/v1/namespaces/ns/configmaps/x', admin));
    const text = await metrics.text();
    const labels = (verb: string, scope: string, code: number) =>
      `apiserver_request_total{code="${code}",component="apiserver",dry_run="",group="",resource="configmaps",scope="${scope}",subresource="",verb="${verb}",version="v1"}`;
    expect(text).toContain(`${labels('LIST', 'namespace', 200)} 1\n`);
    expect(text).toContain(`${labels('DELETE', 'resource', 400)} 1\n`);
    expect(text).not.toContain('code="403"');
    expect(text).not.toContain('resource="secrets"');
  });

  it('reports the most requests in flight at once during the last whole second, per kind', async () => {
    const m = new ApiServerMetrics({ routed: () => true });
    const t0 = performance.now();
    m.inflight(true, 1, t0);
    m.inflight(true, 1, t0 + 1);
    m.inflight(true, -1, t0 + 2);
    m.inflight(true, -1, t0 + 3);
    m.inflight(false, 1, t0 + 1100);
    const text = await m.text();
    expect(text).toContain('apiserver_current_inflight_requests{request_kind="mutating"} 2\n');
    expect(text).toContain('apiserver_current_inflight_requests{request_kind="readOnly"} 0\n');
  });

  it('leaves /metrics to the handler when metrics are off', async () => {
    const r = fakeRequest('GET', '/metrics', admin);
    await chain(async (x) => respond(x, 404, { kind: 'Status', code: 404 }))(r);
    expect(r.fake.statusCode).toBe(404);
  });
});

describe("kube's metric labels", () => {
  const info = (method: string, path: string) => parseRequestInfo(method, path, new URL(path, 'https://x').searchParams);
  const verb = (method: string, path: string, contentType?: string) => {
    const i = info(method, path);
    return reportedVerb(method, i, cleanScope(i), contentType);
  };

  it('reports the HTTP method, LIST vs GET, WATCH, APPLY, CONNECT, and "other" for unknown methods', () => {
    expect(verb('GET', '/api/v1/namespaces/a/pods')).toBe('LIST');
    expect(verb('GET', '/api/v1/pods')).toBe('LIST');
    expect(verb('HEAD', '/api/v1/namespaces/a/pods/p')).toBe('GET');
    expect(verb('GET', '/api/v1/namespaces/a/pods?watch=1')).toBe('WATCH');
    expect(verb('GET', '/api/v1/watch/namespaces/a/pods')).toBe('WATCH');
    expect(verb('POST', '/api/v1/namespaces/a/pods')).toBe('POST');
    expect(verb('PUT', '/api/v1/namespaces/a/pods/p')).toBe('PUT');
    expect(verb('DELETE', '/api/v1/namespaces/a/pods')).toBe('DELETE');
    expect(verb('PATCH', '/api/v1/namespaces/a/pods/p', 'application/merge-patch+json')).toBe('PATCH');
    expect(verb('PATCH', '/api/v1/namespaces/a/pods/p', 'application/apply-patch+yaml')).toBe('APPLY');
    expect(verb('POST', '/api/v1/namespaces/a/pods/p/exec')).toBe('CONNECT');
    expect(verb('GET', '/api/v1/namespaces/a/pods/p/log')).toBe('CONNECT');
    expect(verb('OPTIONS', '/api/v1/namespaces/a/pods')).toBe('other');
    expect(verb('GET', '/healthz')).toBe('GET');
  });

  it('scopes a named object or a create as resource, then namespace, cluster, or none off the API', () => {
    expect(cleanScope(info('POST', '/api/v1/namespaces/a/pods'))).toBe('resource');
    expect(cleanScope(info('GET', '/api/v1/namespaces/a/pods/p'))).toBe('resource');
    expect(cleanScope(info('GET', '/api/v1/namespaces/a/pods'))).toBe('namespace');
    expect(cleanScope(info('GET', '/api/v1/pods'))).toBe('cluster');
    expect(cleanScope(info('GET', '/api/v1/namespaces/a'))).toBe('resource');
    expect(cleanScope(info('GET', '/livez'))).toBe('');
  });

  it('reads dry_run as kube cleans it', () => {
    expect(cleanDryRun(new URLSearchParams(''))).toBe('');
    expect(cleanDryRun(new URLSearchParams('dryRun=All&dryRun=All'))).toBe('All');
    expect(cleanDryRun(new URLSearchParams('dryRun=Some'))).toBe('invalid');
  });
});

describe('ObservedStorage', () => {
  it('times each call by operation, leaving the caller tryUpdate time out of the update', async () => {
    const seen: Array<[string, number]> = [];
    const s = new ObservedStorage(new MemoryStorage(), (op, seconds) => seen.push([op, seconds]));
    await s.create('/configmaps/a/x', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'a' } });
    await s.get('/configmaps/a/x');
    await s.list('/configmaps/');
    await s.count('/configmaps/');
    await s.guaranteedUpdate('/configmaps/a/x', async (cur) => {
      await new Promise((r) => setTimeout(r, 200));
      return { ...cur!, data: { k: 'v' } };
    });
    await s.delete('/configmaps/a/x');
    expect(seen.map(([op]) => op)).toEqual(['create', 'get', 'list', 'listWithCount', 'update', 'delete']);
    expect(seen[4][1]).toBeLessThan(0.15);
    await s.close();
  });
});
