// Two API servers on one etcd behind the environment's TCP round-robin balancer
// (startEnv({ servers: 2 })): writes seen across servers at the same
// resourceVersion, CRDs served by both, the `kubernetes` endpoints following the
// live servers' leases, the opt-in controllers under leader election, and two
// Lease-based leader-election candidates (client-go's semantics) failing over.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestClient } from '../../src/env/client.js';
import { type Env, startEnv } from '../../src/env/index.js';
import { etcdBinary } from '../helpers/backends.js';

type Obj = { metadata: { name: string; resourceVersion?: string; [k: string]: unknown }; [k: string]: unknown };
type Subset = { addresses?: Array<{ ip: string }>; ports?: Array<{ port: number }> };

const LEASES = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
/** metav1.MicroTime: six fractional digits. */
const micro = (ms: number): string => new Date(ms).toISOString().replace('Z', '000Z');

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `ip:port` of every address in the `kubernetes` Endpoints. */
async function kubernetesEndpoints(c: RestClient): Promise<string[]> {
  const r = await c.get<{ subsets?: Subset[] }>('/api/v1/namespaces/default/endpoints/kubernetes');
  return (r.body.subsets ?? []).flatMap((s) => (s.addresses ?? []).flatMap((a) => (s.ports ?? []).map((p) => `${a.ip}:${p.port}`))).sort();
}

/**
 * A leader-election candidate as client-go's LeaseLock elector: take the Lease when free, expired
 * (renewTime + leaseDurationSeconds past) or already ours, renew every retry period; a new holder sets
 * acquireTime and bumps leaseTransitions. Writes are conditional on the read resourceVersion.
 */
class Candidate {
  leader = false;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly client: RestClient,
    readonly identity: string,
    private readonly name: string,
    private readonly durationSeconds: number,
    private readonly retryMs: number,
  ) {}

  start(): void {
    const tick = async (): Promise<void> => {
      if (this.stopped) return;
      this.leader = await this.tryAcquireOrRenew().catch(() => false);
      if (!this.stopped) this.timer = setTimeout(() => void tick(), this.retryMs);
    };
    void tick();
  }

  /** Stops renewing without releasing: the candidate is gone as a crashed process is. */
  stop(): void {
    this.stopped = true;
    this.leader = false;
    clearTimeout(this.timer);
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = Date.now();
    const cur = await this.client.get<Obj & { spec: Record<string, unknown> }>(`${LEASES}/${this.name}`);
    if (cur.status === 404) {
      const spec = {
        holderIdentity: this.identity,
        leaseDurationSeconds: this.durationSeconds,
        acquireTime: micro(now),
        renewTime: micro(now),
        leaseTransitions: 0,
      };
      return (await this.client.post(LEASES, { metadata: { name: this.name }, spec })).status === 201;
    }
    const spec = cur.body.spec;
    const holder = String(spec.holderIdentity ?? '');
    const expired = Date.parse(String(spec.renewTime)) + Number(spec.leaseDurationSeconds) * 1000 < now;
    if (holder && holder !== this.identity && !expired) return false;
    const taking = holder !== this.identity;
    const next = {
      ...cur.body,
      spec: {
        holderIdentity: this.identity,
        leaseDurationSeconds: this.durationSeconds,
        acquireTime: taking ? micro(now) : spec.acquireTime,
        renewTime: micro(now),
        leaseTransitions: Number(spec.leaseTransitions ?? 0) + (taking ? 1 : 0),
      },
    };
    return (await this.client.call('PUT', `${LEASES}/${this.name}`, next)).status === 200;
  }
}

describe.skipIf(!etcdBinary)('two API servers on one etcd behind a TCP balancer (etcd)', () => {
  let env: Env;
  let a: RestClient;
  let b: RestClient;
  let lb: RestClient;

  beforeAll(async () => {
    env = await startEnv({
      storage: 'etcd',
      servers: 2,
      serverThread: 'inline',
      controllers: ['namespace'],
      apiserverArgs: [
        '--identity-lease-renew-interval-seconds=1',
        '--endpoint-reconciler-ttl=2s',
        '--leader-elect-lease-duration=3s',
        '--leader-elect-renew-deadline=2s',
        '--leader-elect-retry-period=500ms',
      ],
    });
    const creds = { caPem: env.ca, certPem: env.clientCert, keyPem: env.clientKey };
    [a, b] = env.apiServers!.map((s) => new RestClient({ ...creds, server: s.url }));
    lb = env.client();
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a, b, lb].map((c) => c?.close()));
    await env?.stop();
  });

  it('serves through the balancer, both servers in turn', async () => {
    expect(env.apiServers).toHaveLength(2);
    expect(new Set([env.server, ...env.apiServers!.map((s) => s.url)]).size).toBe(3);
    expect(env.kubeconfig).toContain(`server: ${env.server}`);
    const r = await lb.get<{ kind: string }>('/api/v1/namespaces/default');
    expect(r.status).toBe(200);
  });

  it('shows a write through one server to a watch on the other, at the same resourceVersion', async () => {
    const list = await b.get<{ metadata: { resourceVersion: string } }>('/api/v1/namespaces/default/configmaps');
    const ctl = new AbortController();
    const seen: Obj[] = [];
    const watching = b.stream(
      `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${list.body.metadata.resourceVersion}`,
      ctl.signal,
      (line) => {
        const ev = JSON.parse(line) as { type: string; object: Obj };
        if (ev.type === 'ADDED' && ev.object.metadata.name === 'across') seen.push(ev.object);
        return seen.length === 0;
      },
    );
    const created = await a.post<Obj>('/api/v1/namespaces/default/configmaps', { metadata: { name: 'across' }, data: { k: 'v' } });
    expect(created.status).toBe(201);
    await until('the watch event', async () => (seen.length ? true : undefined));
    ctl.abort();
    await watching;
    expect(seen[0].metadata.resourceVersion).toBe(created.body.metadata.resourceVersion);
    const read = await b.get<Obj>('/api/v1/namespaces/default/configmaps/across');
    expect(read.body.metadata.resourceVersion).toBe(created.body.metadata.resourceVersion);
  });

  it('serves a CRD created through one server from the other', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.ha.example.com' },
      spec: {
        group: 'ha.example.com',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
        scope: 'Namespaced',
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } },
            },
          },
        ],
      },
    };
    expect((await a.post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status).toBe(201);
    const path = '/apis/ha.example.com/v1/namespaces/default/widgets';
    await until('the CRD served by the other server', async () => ((await b.get(path)).status === 200 ? true : undefined));
    const disc = await b.get<{ resources: Array<{ name: string }> }>('/apis/ha.example.com/v1');
    expect(disc.body.resources.map((r) => r.name)).toContain('widgets');
    const w = await b.post<Obj>(path, { apiVersion: 'ha.example.com/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 3 } });
    expect(w.status).toBe(201);
    const back = await a.get<Obj>(`${path}/w1`);
    expect(back.body.metadata.resourceVersion).toBe(w.body.metadata.resourceVersion);
    // Deleted through the other server: both stop serving it.
    expect((await b.call('DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.ha.example.com')).status).toBe(200);
    await until('the CRD gone from both', async () =>
      (await a.get(path)).status === 404 && (await b.get(path)).status === 404 ? true : undefined,
    );
  });

  it('enforces a ValidatingAdmissionPolicy created through one server on the other', async () => {
    const policy = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: 'ha-no-forbidden' },
      spec: {
        matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }] },
        validations: [{ expression: "!has(object.data) || !('forbidden' in object.data)", message: 'forbidden key' }],
      },
    };
    const binding = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: 'ha-no-forbidden' },
      spec: { policyName: 'ha-no-forbidden', validationActions: ['Deny'] },
    };
    expect((await a.post('/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies', policy)).status).toBe(201);
    expect((await a.post('/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings', binding)).status).toBe(201);
    let n = 0;
    const denied = await until('the policy enforced by the other server', async () => {
      const r = await b.post<{ message: string }>('/api/v1/namespaces/default/configmaps', {
        metadata: { name: `vap-${n++}` },
        data: { forbidden: 'x' },
      });
      return r.status === 422 ? r.body : undefined;
    });
    expect(denied.message).toContain('forbidden key');
    await a.call('DELETE', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/ha-no-forbidden');
  });

  it('lists both servers in the kubernetes endpoints and drops a lease that is no longer renewed', async () => {
    const ports = env.apiServers!.map((s) => `127.0.0.1:${new URL(s.url).port}`).sort();
    await until('both servers in the endpoints', async () =>
      JSON.stringify(await kubernetesEndpoints(a)) === JSON.stringify(ports) ? true : undefined,
    );
    const leases = await a.get<{ items: Obj[] }>(
      '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases?labelSelector=apiserver.kubernetes.io%2Fidentity%3Dkube-apiserver',
    );
    expect(leases.body.items).toHaveLength(2);
    // A server that stopped renewing (crashed): listed until the endpoint TTL (2 s) passes.
    const now = Date.now();
    await a.post('/apis/coordination.k8s.io/v1/namespaces/kube-system/leases', {
      metadata: {
        name: 'apiserver-crashed',
        labels: { 'apiserver.kubernetes.io/identity': 'kube-apiserver' },
        annotations: { 'kapi-env.io/endpoint': '127.0.0.9:6443' },
      },
      spec: { holderIdentity: 'apiserver-crashed_1', leaseDurationSeconds: 3600, renewTime: micro(now) },
    });
    await until('the crashed server listed', async () => ((await kubernetesEndpoints(b)).includes('127.0.0.9:6443') ? true : undefined));
    await until('the crashed server dropped', async () => (!(await kubernetesEndpoints(b)).includes('127.0.0.9:6443') ? true : undefined));
    expect(Date.now() - now).toBeGreaterThanOrEqual(2000);
    const slice = await a.get<{ endpoints: unknown[]; ports: Array<{ name: string; port: number }> }>(
      '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes',
    );
    expect(slice.body.ports[0].name).toBe('https');
  });

  it('elects exactly one of two Lease candidates and fails over when the leader stops', async () => {
    const candidates = ['candidate-a', 'candidate-b'].map((id) => new Candidate(lb, id, 'ha-election', 1, 100));
    for (const c of candidates) c.start();
    try {
      const leader = await until('a leader', async () => candidates.find((c) => c.leader));
      // Over a few retry periods, never two leaders.
      for (let i = 0; i < 5; i++) {
        expect(candidates.filter((c) => c.leader)).toHaveLength(1);
        await new Promise((r) => setTimeout(r, 100));
      }
      const lease = await lb.get<{ spec: Record<string, unknown> }>(`${LEASES}/ha-election`);
      expect(lease.body.spec.holderIdentity).toBe(leader.identity);
      expect(lease.body.spec.leaseTransitions).toBe(0);
      leader.stop();
      const other = candidates.find((c) => c !== leader)!;
      await until('the other candidate leading', async () => (other.leader ? true : undefined));
      const after = await lb.get<{ spec: Record<string, unknown> }>(`${LEASES}/ha-election`);
      expect(after.body.spec).toMatchObject({ holderIdentity: other.identity, leaseTransitions: 1 });
    } finally {
      for (const c of candidates) c.stop();
    }
  });

  it('runs the opt-in controllers in the server holding the controller-manager Lease, and moves them when it stops', async () => {
    const path = '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager';
    const lease = await a.get<{ spec: Record<string, unknown> }>(path);
    expect(lease.status).toBe(200);
    const holder = String(lease.body.spec.holderIdentity);
    // The first server leads (it started first); stopping it hands the lease and its controllers to the other,
    // and the `kubernetes` endpoints to the one left.
    await env.apiServers![0].stop();
    const left = `127.0.0.1:${new URL(env.apiServers![1].url).port}`;
    await until('one server in the endpoints', async () =>
      JSON.stringify(await kubernetesEndpoints(b)) === JSON.stringify([left]) ? true : undefined,
    );
    await until('the lease taken over', async () => {
      const r = await b.get<{ spec: Record<string, unknown> }>(path);
      return r.body.spec.holderIdentity && r.body.spec.holderIdentity !== holder ? true : undefined;
    });
    // The namespace controller now runs in the second server: a deleted namespace is finalized and goes.
    expect((await lb.post('/api/v1/namespaces', { metadata: { name: 'ha-ns' } })).status).toBe(201);
    expect((await lb.call('DELETE', '/api/v1/namespaces/ha-ns')).status).toBe(200);
    await until('the namespace gone', async () => ((await lb.get('/api/v1/namespaces/ha-ns')).status === 404 ? true : undefined));
  });
});
