// What lets several API servers on one etcd know each other, as kube-apiserver
// does it: each keeps an identity Lease in kube-system (`apiserver-<hash>`,
// labelled apiserver.kubernetes.io/identity=kube-apiserver, renewed every
// --identity-lease-renew-interval-seconds, deleted by any server once expired:
// kube's apiserver lease garbage collector), and the lease endpoint reconciler
// (pkg/controlplane/reconcilers/lease.go) sets the `kubernetes` Service's
// Endpoints and EndpointSlice to the servers whose lease was renewed within the
// endpoint TTL (kube's master leases under /masterleases/, 15 s). kube keeps the
// masters' IPs in TTL'd etcd keys and assumes one port for all; here the Lease
// carries `ip:port` in an annotation, since servers on one host differ by port:
// one subset per port, as endpoints.RepackSubsets groups them. On shutdown a
// server removes its lease and itself from the endpoints (kube's RemoveEndpoints).

import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { StatusError } from '../api/errors.js';
import { formatMicroTime } from '../api/time.js';
import type { KubeObject } from '../api/types.js';
import type { ResourceRouter, ServedResource } from '../endpoints/router.js';
import type { RequestContext } from '../registry/strategy.js';
import { Reconciler } from './reconciler.js';

export const IDENTITY_LEASE_LABEL = 'apiserver.kubernetes.io/identity';
/** The address (`ip:port`) the `kubernetes` Endpoints list for the lease's server. */
export const ENDPOINT_ANNOTATION = 'kapi-env.io/endpoint';
const NAMESPACE = 'kube-system';

/** kube-apiserver's defaults: identity leases last an hour, renewed every 10 s; master leases 15 s. */
export const DEFAULT_IDENTITY_LEASE_DURATION_SECONDS = 3600;
export const DEFAULT_IDENTITY_LEASE_RENEW_INTERVAL_SECONDS = 10;
export const DEFAULT_ENDPOINT_RECONCILER_TTL_MS = 15_000;

export interface APIServerLeaseOptions {
  /** The IP the `kubernetes` Endpoints name for this server, and its port. */
  address: string;
  port: number;
  /** --identity-lease-duration-seconds. */
  leaseDurationSeconds?: number;
  /** --identity-lease-renew-interval-seconds, in ms. */
  renewIntervalMs?: number;
  /** How long a server stays in the endpoints after its last renewal (--endpoint-reconciler-ttl). */
  endpointTTLMs?: number;
}

const SYSTEM_CTX = (namespace: string): RequestContext => ({
  user: { username: 'system:apiserver', groups: ['system:masters'] },
  namespace,
  dryRun: false,
  warnings: [],
});

const microNow = (ms: number): string => formatMicroTime({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });

/** `apiserver-` and a hash of where the server runs (kube hashes the hostname; servers here may share one). */
export function apiserverLeaseName(address: string, port: number): string {
  const hash = createHash('sha256').update(`${hostname()}:${address}:${port}`).digest();
  return `apiserver-${hash.subarray(0, 10).toString('hex')}`;
}

function endpointOf(lease: KubeObject): { ip: string; port: number } | undefined {
  const v = lease.metadata?.annotations?.[ENDPOINT_ANNOTATION];
  const m = v ? /^(.*):(\d+)$/.exec(v) : null;
  return m ? { ip: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) } : undefined;
}

function renewedAt(lease: KubeObject): number {
  const t = Date.parse(String((lease.spec as Record<string, unknown> | undefined)?.renewTime ?? ''));
  return Number.isNaN(t) ? 0 : t;
}

/** The `kubernetes` Endpoints' subsets for these servers: one per port, addresses sorted. */
export function endpointSubsets(servers: Array<{ ip: string; port: number }>): KubeObject[] {
  const byPort = new Map<number, Set<string>>();
  for (const s of servers) {
    let ips = byPort.get(s.port);
    if (!ips) byPort.set(s.port, (ips = new Set()));
    ips.add(s.ip);
  }
  return [...byPort.entries()]
    .sort(([a], [b]) => a - b)
    .map(([port, ips]) => ({
      addresses: [...ips].sort().map((ip) => ({ ip })),
      ports: [{ name: 'https', port, protocol: 'TCP' }],
    })) as unknown as KubeObject[];
}

export class APIServerLeases {
  readonly leaseName: string;
  readonly holderIdentity: string;
  private readonly opts: Required<APIServerLeaseOptions>;
  private readonly reconciler: Reconciler;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** Storage failing (etcd down): one line per outage, the next interval retries. */
  private failing = false;

  constructor(
    private readonly router: ResourceRouter,
    opts: APIServerLeaseOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.opts = {
      address: opts.address,
      port: opts.port,
      leaseDurationSeconds: opts.leaseDurationSeconds ?? DEFAULT_IDENTITY_LEASE_DURATION_SECONDS,
      renewIntervalMs: opts.renewIntervalMs ?? DEFAULT_IDENTITY_LEASE_RENEW_INTERVAL_SECONDS * 1000,
      endpointTTLMs: opts.endpointTTLMs ?? DEFAULT_ENDPOINT_RECONCILER_TTL_MS,
    };
    this.leaseName = apiserverLeaseName(opts.address, opts.port);
    this.holderIdentity = `${this.leaseName}_${randomUUID()}`;
    this.reconciler = new Reconciler('the kubernetes endpoint reconciler', () => this.reported(this.reconcile(true)));
  }

  private served(group: string, version: string, resource: string): ServedResource | undefined {
    return this.router.get(group, version, resource);
  }

  private get endpoint(): string {
    const ip = this.opts.address;
    return `${ip.includes(':') ? `[${ip}]` : ip}:${this.opts.port}`;
  }

  /** Writes the lease and the endpoints, then renews and reconciles every interval and on every Lease change. */
  async start(): Promise<void> {
    await this.renew();
    await this.reconcile(true);
    const leases = this.served('coordination.k8s.io', 'v1', 'leases');
    if (leases) this.reconciler.watch(leases.lister);
    this.timer = setInterval(() => {
      void this.reported(this.renew()).then(() => this.reconciler.trigger());
    }, this.opts.renewIntervalMs);
    this.timer.unref();
  }

  /** Awaits a renewal or reconcile; a failure is logged once until one succeeds again (kube logs and retries). */
  private async reported(p: Promise<void>): Promise<void> {
    try {
      await p;
      this.failing = false;
    } catch (e) {
      if (!this.failing && !this.stopped)
        console.error(
          'kapi-env: the apiserver lease or kubernetes endpoints could not be written (retrying each interval):',
          e instanceof Error ? e.message : e,
        );
      this.failing = true;
    }
  }

  /** Resolves when the endpoints reflect what was observed so far. */
  idle(): Promise<void> {
    return this.reconciler.trigger();
  }

  /** Creates or renews this server's identity Lease. */
  private async renew(): Promise<void> {
    const leases = this.served('coordination.k8s.io', 'v1', 'leases');
    if (!leases || this.stopped) return;
    const renewTime = microNow(this.now());
    const desired = (cur: KubeObject | null): KubeObject => ({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      ...cur,
      metadata: {
        ...cur?.metadata,
        name: this.leaseName,
        namespace: NAMESPACE,
        labels: { ...cur?.metadata?.labels, [IDENTITY_LEASE_LABEL]: 'kube-apiserver', 'kubernetes.io/hostname': hostname() },
        annotations: { ...cur?.metadata?.annotations, [ENDPOINT_ANNOTATION]: this.endpoint },
      },
      spec: { holderIdentity: this.holderIdentity, leaseDurationSeconds: this.opts.leaseDurationSeconds, renewTime },
    });
    await leases.store.update(SYSTEM_CTX(NAMESPACE), this.leaseName, (cur) => desired(cur), { forceAllowCreate: true });
  }

  /**
   * Sets the `kubernetes` Endpoints and EndpointSlice to the live servers (this one while it runs), and
   * deletes identity leases past their duration.
   */
  private async reconcile(includeSelf: boolean): Promise<void> {
    const leases = this.served('coordination.k8s.io', 'v1', 'leases');
    if (!leases) return;
    const now = this.now();
    const list = await leases.lister.list({
      namespace: NAMESPACE,
      labelSelector: `${IDENTITY_LEASE_LABEL}=kube-apiserver`,
      resourceVersion: '0',
    });
    const live: Array<{ ip: string; port: number }> = includeSelf ? [{ ip: this.opts.address, port: this.opts.port }] : [];
    for (const lease of list.items) {
      const name = lease.metadata?.name ?? '';
      if (name === this.leaseName) continue;
      const renewed = renewedAt(lease);
      const duration = Number((lease.spec as Record<string, unknown> | undefined)?.leaseDurationSeconds ?? 0) * 1000;
      if (renewed + duration < now) {
        await this.deleteLease(name, lease.metadata?.resourceVersion);
        continue;
      }
      const ep = endpointOf(lease);
      if (ep && renewed + this.opts.endpointTTLMs >= now && !lease.metadata?.deletionTimestamp) live.push(ep);
    }
    await this.writeEndpoints(endpointSubsets(live));
  }

  private async deleteLease(name: string, resourceVersion?: string): Promise<void> {
    const leases = this.served('coordination.k8s.io', 'v1', 'leases');
    try {
      await leases?.store.delete(SYSTEM_CTX(NAMESPACE), name, resourceVersion ? { preconditions: { resourceVersion } } : {});
    } catch (e) {
      if (!(e instanceof StatusError && (e.code === 404 || e.code === 409))) throw e;
    }
  }

  private async writeEndpoints(subsets: KubeObject[]): Promise<void> {
    const endpoints = this.served('', 'v1', 'endpoints');
    const slices = this.served('discovery.k8s.io', 'v1', 'endpointslices');
    const ctx = SYSTEM_CTX('default');
    if (endpoints) {
      await endpoints.store.update(
        ctx,
        'kubernetes',
        (cur) => {
          if (cur && JSON.stringify(cur.subsets ?? []) === JSON.stringify(subsets)) return cur;
          return {
            apiVersion: 'v1',
            kind: 'Endpoints',
            ...cur,
            metadata: {
              ...cur?.metadata,
              name: 'kubernetes',
              namespace: 'default',
              labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' },
            },
            subsets,
          } as KubeObject;
        },
        { forceAllowCreate: true },
      );
    }
    if (slices) {
      // kube's endpointsAdapter: the slice mirrors the first subset.
      const first = subsets[0] as unknown as { addresses: Array<{ ip: string }>; ports: unknown[] } | undefined;
      const ips = first?.addresses.map((a) => a.ip) ?? [];
      const addressType = ips[0]?.includes(':') ? 'IPv6' : 'IPv4';
      const desired = {
        addressType,
        endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
        ports: first?.ports ?? [],
      };
      await slices.store.update(
        ctx,
        'kubernetes',
        (cur) => {
          if (
            cur &&
            JSON.stringify({ addressType: cur.addressType, endpoints: cur.endpoints ?? [], ports: cur.ports ?? [] }) ===
              JSON.stringify(desired)
          )
            return cur;
          return {
            apiVersion: 'discovery.k8s.io/v1',
            kind: 'EndpointSlice',
            ...cur,
            metadata: {
              ...cur?.metadata,
              name: 'kubernetes',
              namespace: 'default',
              labels: { 'kubernetes.io/service-name': 'kubernetes' },
            },
            ...desired,
          } as KubeObject;
        },
        { forceAllowCreate: true },
      );
    }
  }

  /** Removes this server: its lease deleted, the endpoints reconciled without it. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.reconciler.stop();
    try {
      await this.deleteLease(this.leaseName);
      await this.reconcile(false);
    } catch (e) {
      console.error('kapi-env: removing this server from the kubernetes endpoints failed:', e instanceof Error ? e.message : e);
    }
  }
}
