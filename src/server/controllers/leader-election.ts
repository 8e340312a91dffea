// Leader election over a coordination.k8s.io Lease, as client-go's
// leaderelection package does it for kube-controller-manager (lease
// kube-system/kube-controller-manager): a candidate takes the lease when it is
// free, expired (renewTime + leaseDurationSeconds past) or already its own,
// renews it every retry period, and gives up leadership when it could not renew
// within the renew deadline. Taking the lease from another holder sets
// acquireTime and counts leaseTransitions; stopping releases it (holderIdentity
// emptied, leaseDurationSeconds 1: client-go's ReleaseOnCancel). Several API
// servers on one etcd run the opt-in controllers in the one holding the lease.

import { StatusError } from '../api/errors.js';
import { formatMicroTime } from '../api/time.js';
import type { KubeObject } from '../api/types.js';
import type { ResourceRouter } from '../endpoints/router.js';
import type { RequestContext } from '../registry/strategy.js';

export interface LeaderElectionTiming {
  /** --leader-elect-lease-duration (kube-controller-manager: 15 s). */
  leaseDurationMs?: number;
  /** --leader-elect-renew-deadline (10 s). */
  renewDeadlineMs?: number;
  /** --leader-elect-retry-period (2 s). */
  retryPeriodMs?: number;
}

export interface LeaderElectionOptions extends LeaderElectionTiming {
  namespace: string;
  name: string;
  identity: string;
  onStartedLeading(): Promise<void>;
  onStoppedLeading(): void;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

const SYSTEM_CTX = (namespace: string): RequestContext => ({
  user: { username: 'system:kube-controller-manager', groups: ['system:authenticated'] },
  namespace,
  dryRun: false,
  warnings: [],
});

const micro = (ms: number): string => formatMicroTime({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });

export class LeaderElector {
  private leading = false;
  private lastRenew = 0;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** Storage failing: one line per outage. */
  private failing = false;
  private readonly timing: Required<LeaderElectionTiming>;

  constructor(
    private readonly router: ResourceRouter,
    private readonly opts: LeaderElectionOptions,
  ) {
    this.timing = {
      leaseDurationMs: opts.leaseDurationMs ?? 15_000,
      renewDeadlineMs: opts.renewDeadlineMs ?? 10_000,
      retryPeriodMs: opts.retryPeriodMs ?? 2_000,
    };
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Tries once (so a lone server leads before it serves), then every retry period. */
  async start(): Promise<void> {
    await this.tick();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.timing.retryPeriodMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    let held = false;
    try {
      held = await this.tryAcquireOrRenew();
      this.failing = false;
    } catch (e) {
      if (!this.stopped && !this.failing && !(e instanceof StatusError))
        console.error('kapi-env: leader election failed (retrying each period):', e instanceof Error ? e.message : e);
      this.failing = !(e instanceof StatusError);
    }
    if (this.stopped) return;
    const now = Date.now();
    if (held) {
      this.lastRenew = now;
      if (!this.leading) {
        this.leading = true;
        try {
          await this.opts.onStartedLeading();
        } catch (e) {
          console.error('kapi-env: starting the elected controllers failed:', e instanceof Error ? e.message : e);
        }
      }
    } else if (this.leading && now - this.lastRenew > this.timing.renewDeadlineMs) {
      // client-go: "failed to renew lease ... timed out waiting for the condition": leadership lost.
      this.leading = false;
      this.opts.onStoppedLeading();
    }
    this.schedule();
  }

  /** client-go's tryAcquireOrRenew against the Lease. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const leases = this.router.get('coordination.k8s.io', 'v1', 'leases');
    if (!leases) return false;
    const { namespace, name, identity } = this.opts;
    const now = Date.now();
    const durationSeconds = Math.max(1, Math.round(this.timing.leaseDurationMs / 1000));
    let acquired = false;
    await leases.store.update(
      SYSTEM_CTX(namespace),
      name,
      (cur) => {
        acquired = false;
        const spec = (cur?.spec ?? {}) as LeaseSpec;
        const holder = spec.holderIdentity ?? '';
        const renewed = Date.parse(spec.renewTime ?? '');
        const expired = Number.isNaN(renewed) || renewed + (spec.leaseDurationSeconds ?? 0) * 1000 < now;
        if (cur && holder && holder !== identity && !expired) return cur;
        acquired = true;
        const taking = holder !== identity;
        const next: LeaseSpec = {
          holderIdentity: identity,
          leaseDurationSeconds: durationSeconds,
          acquireTime: taking || !spec.acquireTime ? micro(now) : spec.acquireTime,
          renewTime: micro(now),
          leaseTransitions: (spec.leaseTransitions ?? 0) + (cur && taking ? 1 : 0),
        };
        return {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          ...cur,
          metadata: { ...cur?.metadata, name, namespace },
          spec: next,
        } as KubeObject;
      },
      { forceAllowCreate: true },
    );
    return acquired;
  }

  /** Stops campaigning; a leader releases the lease so another candidate takes it at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    this.opts.onStoppedLeading();
    const leases = this.router.get('coordination.k8s.io', 'v1', 'leases');
    const now = Date.now();
    await leases?.store
      .update(SYSTEM_CTX(this.opts.namespace), this.opts.name, (cur) => {
        const spec = (cur?.spec ?? {}) as LeaseSpec;
        if (!cur || spec.holderIdentity !== this.opts.identity) return cur as KubeObject;
        return { ...cur, spec: { ...spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: micro(now), acquireTime: micro(now) } };
      })
      .catch(() => undefined);
  }
}
