// kube-controller-manager's resource quota controller (pkg/controller/resourcequota),
// opt-in (`--controllers=resourcequota`): each ResourceQuota's status.hard follows
// spec.hard and status.used is recomputed from what its namespace holds when a quota
// is created or its limits change, when objects go (or a pod finishes), and every
// five minutes (--resource-quota-sync-period). Creates are counted by the
// ResourceQuota admission plugin as they are admitted, as in kube.

import { CORE } from '../admission/plugins/deps.js';
import { podTerminal, scopesMatch, sourcesOf, usageOf } from '../admission/plugins/quota-usage.js';
import { addLists, obj, type ResourceList, resourceList, toJSONList, ZERO } from '../admission/plugins/util.js';
import { deepEqual, type KubeObject } from '../api/types.js';
import type { ResourceRouter, ServedResource } from '../endpoints/router.js';
import { admissionObjectAccess } from './admission-access.js';
import type { ClusterInformer, InformerEvent } from './informers.js';
import { Reconciler } from './reconciler.js';

const SYNC_PERIOD_MS = 5 * 60_000;

export class ResourceQuotaController {
  private readonly dirty = new Set<string>();
  private readonly reconciler: Reconciler;
  private readonly objects;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly router: ResourceRouter,
    private readonly informer: ClusterInformer,
  ) {
    this.objects = admissionObjectAccess(router);
    this.reconciler = new Reconciler('resource quota controller', () => this.sync());
    informer.onEvent((ev) => this.observe(ev));
    this.timer = setInterval(() => {
      for (const q of this.quotas()) this.dirty.add(q.metadata?.namespace ?? '');
      void this.reconciler.trigger();
    }, SYNC_PERIOD_MS);
    this.timer.unref();
  }

  private quotasServed(): ServedResource | undefined {
    return this.router.get('', 'v1', 'resourcequotas');
  }

  private quotas(namespace?: string): KubeObject[] {
    const served = this.quotasServed();
    if (!served) return [];
    return [...this.informer.objects(served)].filter((q) => namespace === undefined || q.metadata?.namespace === namespace);
  }

  private observe(ev: InformerEvent): void {
    const d = ev.resource.descriptor;
    const ns = ev.object.metadata?.namespace;
    if (!ns) return;
    if (d.group === '' && d.resource === 'resourcequotas') {
      if (ev.type === 'DELETED') return;
      const status = obj(ev.object.status);
      if (!status?.used || !deepEqual(obj(ev.object.spec)?.hard ?? {}, status.hard ?? {})) this.mark(ns);
      return;
    }
    // Usage only goes down when objects go or a pod finishes; creates were counted by admission.
    const released = ev.type === 'DELETED' || (ev.type === 'MODIFIED' && d.group === '' && d.resource === 'pods' && podTerminal(ev.object));
    if (released && this.quotas(ns).length) this.mark(ns);
  }

  private mark(ns: string): void {
    this.dirty.add(ns);
    void this.reconciler.trigger();
  }

  /** The served resource of a group-resource (any version: they share storage). */
  private served(group: string, resource: string): ServedResource | undefined {
    return this.router.all().find((r) => r.descriptor.group === group && r.descriptor.resource === resource && r.descriptor.namespaced);
  }

  private usage(quota: KubeObject, hard: ResourceList): ResourceList {
    const ns = quota.metadata?.namespace ?? '';
    let used: ResourceList = new Map([...hard.keys()].map((k) => [k, ZERO]));
    const counted = new Set<string>();
    for (const name of hard.keys()) {
      for (const { group, resource } of sourcesOf(name)) {
        const key = `${group}/${resource}`;
        if (counted.has(key)) continue;
        counted.add(key);
        const served = this.served(group, resource);
        if (!served) continue;
        for (const o of this.informer.objects(served)) {
          if (o.metadata?.namespace !== ns || !scopesMatch(quota, group, resource, o)) continue;
          const u = usageOf(group, resource, o);
          used = addLists(used, new Map([...u].filter(([k]) => hard.has(k))));
        }
      }
    }
    return used;
  }

  private async sync(): Promise<void> {
    const namespaces = [...this.dirty];
    this.dirty.clear();
    for (const ns of namespaces) {
      for (const quota of this.quotas(ns)) {
        const hardSpec = obj(obj(quota.spec)?.hard) ?? {};
        const used = toJSONList(this.usage(quota, resourceList(hardSpec)));
        const status = obj(quota.status) ?? {};
        if (deepEqual(status.hard ?? {}, hardSpec) && deepEqual(status.used ?? {}, used)) continue;
        await this.objects
          .updateStatus(CORE('resourcequotas'), ns, quota.metadata?.name ?? '', (cur) => ({
            ...cur,
            status: { ...(obj(cur.status) ?? {}), hard: structuredClone(obj(obj(cur.spec)?.hard) ?? {}), used },
          }))
          .catch((e) => {
            // Gone meanwhile, or a conflict: the next event or resync tries again.
            if (!(e instanceof Error && /not found/.test(e.message))) this.dirty.add(ns);
          });
      }
    }
  }

  idle(): Promise<void> {
    return this.reconciler.trigger();
  }

  stop(): void {
    clearInterval(this.timer);
    this.reconciler.stop();
  }
}
