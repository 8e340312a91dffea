// kube-apiserver's /metrics: scraped by a ServiceAccount with a bearer token once RBAC grants
// `get` on the non-resource URL (403 before), with kubectl's `get --raw`, and through env.metrics().
// The request counters and histograms move with exact labels (POST/LIST/GET/APPLY/WATCH, scope,
// dry_run), watches are counted while open, stored objects are counted, webhook calls timed; on
// etcd, storage calls are timed (etcd_request_duration_seconds).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestClient } from '../../src/env/client.js';
import { etcdBinary } from '../helpers/backends.js';
import { useEnv } from '../helpers/env.js';

/** The value of one series (its exact name and labels, as written), or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

/** apiserver_request_total's series for a core/v1 configmaps request. */
const requests = (verb: string, scope: string, code: number, dryRun = '') =>
  `apiserver_request_total{code="${code}",component="apiserver",dry_run="${dryRun}",group="",resource="configmaps",scope="${scope}",subresource="",verb="${verb}",version="v1"}`;

async function eventually<T>(fn: () => Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const NS = '/api/v1/namespaces/default';
const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: 'b' } });

describe('/metrics on memory storage', () => {
  const s = useEnv('memory');
  let scraper: RestClient;

  beforeAll(async () => {
    expect(
      (await s.client.post(`${NS}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'scraper' } })).status,
    ).toBe(201);
    const tr = await s.client.post<{ status: { token: string } }>(`${NS}/serviceaccounts/scraper/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {},
    });
    expect(tr.status).toBe(201);
    scraper = new RestClient({ server: s.env.server, caPem: s.env.ca, token: tr.body.status.token });
  });
  afterAll(async () => {
    await scraper?.close();
  });

  it('refuses a ServiceAccount without a grant, then serves it the text format once RBAC allows get on /metrics', async () => {
    const refused = await scraper.get<{ code: number; reason: string; message: string }>('/metrics');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({
      kind: 'Status',
      reason: 'Forbidden',
      code: 403,
      message: 'forbidden: User "system:serviceaccount:default:scraper" cannot get path "/metrics"',
    });
    const rbac = '/apis/rbac.authorization.k8s.io/v1';
    await s.client.post(`${rbac}/clusterroles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'metrics-reader' },
      rules: [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }],
    });
    await s.client.post(`${rbac}/clusterrolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'scraper-reads-metrics' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'metrics-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'scraper', namespace: 'default' }],
    });
    const res = await eventually(async () => {
      const r = await scraper.get('/metrics');
      expect(r.status).toBe(200);
      return r;
    });
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.text).toContain(
      '# HELP apiserver_request_total [STABLE] Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.\n# TYPE apiserver_request_total counter\n',
    );
    // prom-client's process and Node runtime metrics.
    expect(res.text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(res.text).toMatch(/^nodejs_heap_size_total_bytes \d/m);
    // Neither is an instrumented route: an unknown path adds no series, /metrics counts itself nowhere.
    expect(res.text).not.toContain('subresource="/metrics"');
  });

  it('counts and times each request with kube labels: verb, scope, dry_run, code', async () => {
    const before = await s.env.metrics();
    expect((await s.client.post(`${NS}/configmaps`, cm('m1'))).status).toBe(201);
    expect((await s.client.post(`${NS}/configmaps?dryRun=All`, cm('m2'))).status).toBe(201);
    expect((await s.client.post(`${NS}/configmaps`, cm('m1'))).status).toBe(409);
    expect((await s.client.get(`${NS}/configmaps`)).status).toBe(200);
    expect((await s.client.get('/api/v1/configmaps')).status).toBe(200);
    expect((await s.client.get(`${NS}/configmaps/m1`)).status).toBe(200);
    const apply = await s.client.call('PATCH', `${NS}/configmaps/m1?fieldManager=metrics`, JSON.stringify(cm('m1')), {
      'content-type': 'application/apply-patch+yaml',
    });
    expect(apply.status).toBe(200);
    expect((await s.client.get('/api/v1/namespaces/default/widgets')).status).toBe(404);
    const after = await s.env.metrics();
    const delta = (series: string) => (sample(after, series) ?? 0) - (sample(before, series) ?? 0);
    expect(delta(requests('POST', 'resource', 201))).toBe(1);
    expect(delta(requests('POST', 'resource', 201, 'All'))).toBe(1);
    expect(delta(requests('POST', 'resource', 409))).toBe(1);
    expect(delta(requests('LIST', 'namespace', 200))).toBe(1);
    expect(delta(requests('LIST', 'cluster', 200))).toBe(1);
    expect(delta(requests('GET', 'resource', 200))).toBe(1);
    expect(delta(requests('APPLY', 'resource', 200))).toBe(1);
    expect(after).not.toContain('resource="widgets"');

    // The histogram: kube's 23 buckets and +Inf, _sum and _count, the code left out.
    const labels =
      'component="apiserver",dry_run="",group="",resource="configmaps",scope="resource",subresource="",verb="POST",version="v1"';
    const buckets = [...after.matchAll(new RegExp(`^apiserver_request_duration_seconds_bucket\\{${labels},le="([^"]+)"\\} (\\d+)$`, 'gm'))];
    const les = buckets.map((m) => m[1]);
    expect(les).toEqual([
      '0.005',
      '0.025',
      '0.05',
      '0.1',
      '0.2',
      '0.4',
      '0.6',
      '0.8',
      '1',
      '1.25',
      '1.5',
      '2',
      '3',
      '4',
      '5',
      '6',
      '8',
      '10',
      '15',
      '20',
      '30',
      '45',
      '60',
      '+Inf',
    ]);
    expect(Number(buckets.at(-1)![2])).toBe(sample(after, `apiserver_request_duration_seconds_count{${labels}}`));
    expect(sample(after, `apiserver_request_duration_seconds_sum{${labels}}`)).toBeGreaterThan(0);

    // Health checks count under their path, with no component (healthz.InstallPathHandler).
    expect((await s.client.get('/readyz')).status).toBe(200);
    const health =
      'apiserver_request_total{code="200",component="",dry_run="",group="",resource="",scope="",subresource="/readyz",verb="GET",version=""}';
    expect(sample(await s.env.metrics(), health)).toBeGreaterThanOrEqual(1);
    // The in-flight gauge per request kind.
    expect(after).toMatch(/^apiserver_current_inflight_requests\{request_kind="readOnly"\} \d+$/m);
    expect(after).toMatch(/^apiserver_current_inflight_requests\{request_kind="mutating"\} \d+$/m);
  });

  it('counts an open watch (registered watchers, long-running requests), its events, and the WATCH request when it ends', async () => {
    const watchers = 'apiserver_registered_watchers{group="",kind="ConfigMap",version="v1"}';
    const longRunning =
      'apiserver_longrunning_requests{component="apiserver",group="",resource="configmaps",scope="namespace",subresource="",verb="WATCH",version="v1"}';
    const events = 'apiserver_watch_events_total{group="",kind="ConfigMap",version="v1"}';
    const before = await s.env.metrics();
    const abort = new AbortController();
    let seen = 0;
    const watching = s.client.stream(`${NS}/configmaps?watch=true&resourceVersion=0`, abort.signal, () => {
      seen++;
      return true;
    });
    await eventually(async () => expect(sample(await s.env.metrics(), watchers)).toBe((sample(before, watchers) ?? 0) + 1));
    const open = await s.env.metrics();
    expect(sample(open, longRunning)).toBe((sample(before, longRunning) ?? 0) + 1);
    await s.client.post(`${NS}/configmaps`, cm('watched'));
    await eventually(async () => expect(seen).toBeGreaterThanOrEqual(2));
    abort.abort();
    await watching;
    const after = await eventually(async () => {
      const text = await s.env.metrics();
      expect(sample(text, watchers)).toBe(sample(before, watchers) ?? 0);
      return text;
    });
    expect(sample(after, longRunning)).toBe(sample(before, longRunning) ?? 0);
    expect((sample(after, events) ?? 0) - (sample(before, events) ?? 0)).toBeGreaterThanOrEqual(seen);
    expect((sample(after, requests('WATCH', 'namespace', 200)) ?? 0) - (sample(before, requests('WATCH', 'namespace', 200)) ?? 0)).toBe(1);
  });

  it('counts stored objects per resource at each scrape', async () => {
    const all = await s.client.get<{ items: unknown[] }>('/api/v1/configmaps');
    const text = await s.env.metrics();
    expect(sample(text, 'apiserver_storage_objects{resource="configmaps"}')).toBe(all.body.items.length);
    expect(sample(text, 'apiserver_storage_objects{resource="clusterroles.rbac.authorization.k8s.io"}')).toBeGreaterThan(50);
    // Memory storage: no etcd to time.
    expect(text).not.toContain('etcd_request_duration_seconds');
  });

  it('times admission webhook calls by name, type, operation and refusal', async () => {
    const hook = await s.env.webhooks.validate({
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
      handler: (review) =>
        review.request.object?.metadata?.name === 'refused' ? { allowed: false, status: { code: 403, message: 'no' } } : { allowed: true },
    });
    try {
      expect((await s.client.post(`${NS}/configmaps`, cm('admitted'))).status).toBe(201);
      expect((await s.client.post(`${NS}/configmaps`, cm('refused'))).status).toBe(403);
      const text = await s.env.metrics();
      const series = (rejected: boolean) =>
        `apiserver_admission_webhook_admission_duration_seconds_count{name="${hook.name}",operation="CREATE",rejected="${rejected}",type="validating"}`;
      expect(sample(text, series(false))).toBe(1);
      expect(sample(text, series(true))).toBe(1);
      expect(text).toContain(
        `apiserver_admission_webhook_admission_duration_seconds_bucket{name="${hook.name}",operation="CREATE",rejected="true",type="validating",le="25"} 1`,
      );
    } finally {
      await hook.remove();
    }
  });

  it('serves kubectl get --raw /metrics', async () => {
    const r = await s.kubectl(['get', '--raw', '/metrics']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('# TYPE apiserver_request_duration_seconds histogram');
  });
});

describe.skipIf(!etcdBinary)('/metrics on etcd storage', () => {
  const s = useEnv('etcd');

  it('times storage calls per operation and group-resource (etcd_request_duration_seconds)', async () => {
    expect((await s.client.post(`${NS}/configmaps`, cm('timed'))).status).toBe(201);
    expect((await s.client.get(`${NS}/configmaps/timed?resourceVersion=`)).status).toBe(200);
    const text = await s.env.metrics();
    expect(text).toContain(
      '# HELP etcd_request_duration_seconds [ALPHA] Etcd request latency in seconds for each operation and object type.\n# TYPE etcd_request_duration_seconds histogram\n',
    );
    expect(sample(text, 'etcd_request_duration_seconds_count{operation="create",type="configmaps"}')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^etcd_request_duration_seconds_bucket\{operation="create",type="configmaps",le="0\.005"\} \d+$/m);
    expect(
      sample(text, 'etcd_request_duration_seconds_count{operation="list",type="clusterroles.rbac.authorization.k8s.io"}'),
    ).toBeGreaterThanOrEqual(1);
  });
});
