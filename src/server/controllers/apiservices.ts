// The local APIServices, as kube's autoregister controller keeps them for the
// group-versions kube-apiserver serves (labelled automanaged `onstart`) and
// the crdregistration controller for each CRD group-version (`true`): one
// APIService `<version>.<group>` per served group-version, Local (no service),
// with kube's priorities. The router drives it, so a CRD version gets its
// APIService when it is installed (the CRD established) and loses it when the
// last CRD serving it goes. APIServices users create are left alone.

import { StatusError } from '../api/errors.js';
import { deepEqual, type KubeObject } from '../api/types.js';
import { apiServicePriority } from '../endpoints/discovery.js';
import type { ResourceRouter, ServedResource } from '../endpoints/router.js';
import { APISERVICE_GROUP, AUTOMANAGED_LABEL, apiServiceName } from '../registry/resources/apiregistration.js';
import type { RequestContext } from '../registry/strategy.js';
import { Reconciler } from './reconciler.js';

const SYSTEM_CTX = (): RequestContext => ({
  user: { username: 'system:apiserver', groups: ['system:masters'] },
  dryRun: false,
  warnings: [],
});

interface Desired {
  name: string;
  automanaged: 'onstart' | 'true';
  spec: Record<string, unknown>;
}

/** makeAPIService: the APIService every served group-version is registered with. */
function desiredAPIServices(router: ResourceRouter): Map<string, Desired> {
  const out = new Map<string, Desired>();
  for (const d of router.descriptors()) {
    const name = apiServiceName(d.group, d.version);
    if (out.has(name)) continue;
    const p = apiServicePriority(d.group, d.version);
    const builtin = p.group !== 1000;
    const spec: Record<string, unknown> = {};
    if (d.group) spec.group = d.group;
    spec.version = d.version;
    spec.groupPriorityMinimum = p.group;
    spec.versionPriority = p.version;
    out.set(name, { name, automanaged: builtin ? 'onstart' : 'true', spec });
  }
  return out;
}

/**
 * Stores the APIServices a first pass over an empty store makes, from the server's bootstrap seed when it
 * has them, else through the write path (bootstrap.ts).
 */
export type FirstCreate = (objects: KubeObject[]) => Promise<void>;

function apiService(want: Desired): KubeObject {
  return {
    apiVersion: `${APISERVICE_GROUP}/v1`,
    kind: 'APIService',
    metadata: { name: want.name, labels: { [AUTOMANAGED_LABEL]: want.automanaged } },
    spec: want.spec,
  } as KubeObject;
}

export class APIServiceRegistration {
  private readonly reconciler: Reconciler;
  private firstSync = true;

  constructor(
    private readonly router: ResourceRouter,
    private readonly firstCreate?: FirstCreate,
  ) {
    this.reconciler = new Reconciler('APIService registration', () => this.sync());
  }

  /** Registers what is served now, then follows the router (CRD versions installed and removed). */
  async start(): Promise<void> {
    this.router.onChange(() => void this.reconciler.trigger());
    await this.reconciler.trigger();
  }

  /** Resolves when the APIServices match what is served at the time of the call. */
  idle(): Promise<void> {
    return this.reconciler.trigger();
  }

  private served(): ServedResource | undefined {
    return this.router.get(APISERVICE_GROUP, 'v1', 'apiservices');
  }

  private async sync(): Promise<void> {
    const served = this.served();
    if (!served) return;
    const desired = desiredAPIServices(this.router);
    const existing = new Map((await served.lister.list({ namespace: '' })).items.map((o) => [o.metadata?.name ?? '', o]));
    const firstSync = this.firstSync;
    // The server's first pass over a store that has none: all of them at once, as the seed may hold them.
    if (firstSync && this.firstCreate && existing.size === 0) {
      await this.firstCreate([...desired.values()].map(apiService));
      this.firstSync = false;
      return;
    }
    const work: Array<Promise<unknown>> = [];
    for (const want of desired.values()) {
      const cur = existing.get(want.name);
      if (!cur) work.push(this.create(served, want));
      else if (cur.metadata?.labels?.[AUTOMANAGED_LABEL] && !deepEqual(cur.spec, want.spec)) work.push(this.updateSpec(served, want));
    }
    for (const [name, cur] of existing) {
      const managed = cur.metadata?.labels?.[AUTOMANAGED_LABEL];
      // `onstart` ones are only pruned when the server starts; CRD ones whenever their version goes.
      if (desired.has(name) || !(managed === 'true' || (managed === 'onstart' && firstSync))) continue;
      work.push(this.ignoreGone(served.store.delete(SYSTEM_CTX(), name, {})));
    }
    await Promise.all(work);
    this.firstSync = false;
  }

  private async create(served: ServedResource, want: Desired): Promise<void> {
    try {
      await served.store.create(SYSTEM_CTX(), apiService(want));
    } catch (e) {
      if (!(e instanceof StatusError && e.code === 409)) throw e;
    }
  }

  private async updateSpec(served: ServedResource, want: Desired): Promise<void> {
    await this.ignoreGone(
      served.store.update(SYSTEM_CTX(), want.name, (cur) => {
        const next = structuredClone(cur!);
        next.spec = { ...want.spec };
        return next;
      }),
    );
  }

  private async ignoreGone(p: Promise<unknown>): Promise<void> {
    try {
      await p;
    } catch (e) {
      if (!(e instanceof StatusError && e.code === 404)) throw e;
    }
  }

  stop(): void {
    this.reconciler.stop();
  }
}
