// What the simulated workload controllers share: controller references, pods made
// from a template (kube's controller.GetPodFromTemplate), pod readiness as they
// count it, the pod-template-hash, and a keyed loop over one kind fed by the
// shared informer (the object's own events and its controlled objects' events).

import { createHash } from 'node:crypto';
import { isPlainObject, type KubeObject, type OwnerReference } from '../api/types.js';
import type { ResourceRouter, ServedResource } from '../endpoints/router.js';
import type { RequestContext } from '../registry/strategy.js';
import { controllerContext } from './identity.js';
import type { ClusterInformer } from './informers.js';
import { WorkQueue } from './queue.js';

export type Obj = Record<string, unknown>;

export const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});
export const num = (v: unknown, d = 0): number => (typeof v === 'number' ? v : d);

export type OwnerRef = OwnerReference;

/** metav1.NewControllerRef. */
export function controllerRef(owner: KubeObject): OwnerRef {
  return {
    apiVersion: owner.apiVersion ?? '',
    kind: owner.kind ?? '',
    name: owner.metadata?.name ?? '',
    uid: owner.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function controllerOf(o: KubeObject): OwnerRef | undefined {
  const refs = (o.metadata as { ownerReferences?: OwnerRef[] } | undefined)?.ownerReferences;
  return Array.isArray(refs) ? refs.find((r) => r.controller) : undefined;
}

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** rand.String: kube's generated-name suffix alphabet. */
export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHANUMS[Math.floor(Math.random() * ALPHANUMS.length)];
  return s;
}

/** A stable hash of a pod template in the pod-template-hash alphabet (kube: fnv32a, SafeEncodeString). */
export function templateHash(template: unknown, collisionCount = 0): string {
  const digest = createHash('sha256').update(JSON.stringify(template)).update(String(collisionCount)).digest();
  let n = digest.readUInt32BE(0);
  let s = '';
  do {
    s += ALPHANUMS[n % ALPHANUMS.length];
    n = Math.floor(n / ALPHANUMS.length);
  } while (n > 0);
  return s;
}

/** controller.GetPodFromTemplate: labels, annotations and spec from the template, the owner as controller. */
export function podFromTemplate(
  owner: KubeObject,
  template: Obj,
  generateName: string,
  extraLabels: Record<string, string> = {},
): KubeObject {
  const meta = obj(template.metadata);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName,
      namespace: owner.metadata?.namespace,
      labels: { ...((meta.labels as Record<string, string>) ?? {}), ...extraLabels },
      ...(meta.annotations ? { annotations: { ...(meta.annotations as Record<string, string>) } } : {}),
      ownerReferences: [controllerRef(owner)],
    } as KubeObject['metadata'],
    spec: structuredClone(obj(template.spec)),
  };
}

export function podPhase(pod: KubeObject): string {
  return String(obj(pod.status).phase ?? 'Pending');
}

/** Go's omitempty for the counters of a workload status: zero counts are left out. */
export function omitZero(status: Obj, keep: string[] = []): Obj {
  return Object.fromEntries(Object.entries(status).filter(([k, v]) => keep.includes(k) || (v !== 0 && v !== undefined)));
}

/** controller.IsPodActive: not finished and not being deleted. */
export function podActive(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}

/** The node a pod is for: its nodeName, or the one name its required node affinity pins (DaemonSet pods). */
export function pinnedNode(pod: KubeObject): string {
  const spec = obj(pod.spec);
  if (typeof spec.nodeName === 'string' && spec.nodeName) return spec.nodeName;
  const terms = obj(obj(obj(spec.affinity).nodeAffinity).requiredDuringSchedulingIgnoredDuringExecution).nodeSelectorTerms;
  for (const t of Array.isArray(terms) ? terms : []) {
    for (const f of Array.isArray(obj(t).matchFields) ? (obj(t).matchFields as Obj[]) : []) {
      if (f.key === 'metadata.name' && f.operator === 'In' && Array.isArray(f.values) && f.values.length === 1) return String(f.values[0]);
    }
  }
  return '';
}

/** podutil.IsPodReady. */
export function podReady(pod: KubeObject): boolean {
  const conds = obj(pod.status).conditions;
  return Array.isArray(conds) && conds.some((c) => obj(c).type === 'Ready' && obj(c).status === 'True');
}

/** A condition list with `cond` set (lastTransitionTime kept when the status does not change). */
export function withCondition(conds: unknown, cond: Obj, now: string): Obj[] {
  const list = Array.isArray(conds) ? (conds.filter(isPlainObject) as Obj[]) : [];
  const i = list.findIndex((c) => c.type === cond.type);
  const prev = i >= 0 ? list[i] : undefined;
  const next: Obj = { ...cond };
  if (prev && prev.status === cond.status) {
    next.lastTransitionTime = prev.lastTransitionTime ?? now;
    if ('lastUpdateTime' in cond && prev.reason === cond.reason && prev.message === cond.message) next.lastUpdateTime = prev.lastUpdateTime;
  }
  const out = [...list];
  if (i >= 0) out[i] = next;
  else out.push(next);
  return out;
}

/**
 * A keyed reconcile loop over one resource (`namespace/name` keys): its own events queue the object,
 * events of objects it controls (by controllerRef kind) queue their controller.
 */
export abstract class WorkloadController {
  protected readonly queue: WorkQueue<string>;

  constructor(
    protected readonly router: ResourceRouter,
    informer: ClusterInformer,
    private readonly own: { group: string; resource: string; kind: string },
    controls: string[],
    protected readonly serviceAccount: string,
  ) {
    this.queue = new WorkQueue(`${own.resource} controller`, (key) => this.syncKey(key), 4);
    informer.onEvent((ev) => {
      const d = ev.resource.descriptor;
      const m = ev.object.metadata ?? {};
      if (d.group === own.group && d.resource === own.resource) {
        this.queue.add(`${m.namespace}/${m.name}`);
        return;
      }
      if (!controls.includes(`${d.group}/${d.resource}`)) return;
      const ref = controllerOf(ev.object);
      if (ref?.kind === own.kind) this.queue.add(`${m.namespace}/${ref.name}`);
    });
  }

  protected served(group: string, version: string, resource: string): ServedResource | undefined {
    return this.router.get(group, version, resource);
  }

  protected ctx(namespace: string, extra: Partial<RequestContext> = {}): RequestContext {
    return controllerContext(this.serviceAccount, { namespace, ...extra });
  }

  /** The objects of a resource in a namespace whose controller is `owner`, read live (no stale cache). */
  protected async controlled(served: ServedResource, owner: KubeObject): Promise<KubeObject[]> {
    const ns = owner.metadata?.namespace ?? '';
    const list = await served.lister.list({ namespace: ns });
    return list.items.filter((o) => controllerOf(o)?.uid === owner.metadata?.uid);
  }

  private async syncKey(key: string): Promise<void> {
    const [namespace, name] = key.split('/');
    const served = this.served(this.own.group, 'v1', this.own.resource);
    if (!served) return;
    let cur: KubeObject;
    try {
      cur = await served.store.get(this.ctx(namespace), name);
    } catch {
      return;
    }
    if (cur.metadata?.deletionTimestamp) return;
    await this.sync(served, cur);
  }

  protected abstract sync(served: ServedResource, obj: KubeObject): Promise<void>;

  /**
   * The ControllerRevision holding `template` (history.NewControllerRevision): `<owner>-<hash>`, created
   * with the next revision number, or renumbered to the latest when an older template comes back (a
   * rollback), as kube's StatefulSet and DaemonSet controllers keep their history.
   */
  protected async ensureRevision(
    owner: KubeObject,
    template: Obj,
    hash: string,
    labels: Record<string, string>,
  ): Promise<{ name: string; all: KubeObject[] } | undefined> {
    const revisions = this.served('apps', 'v1', 'controllerrevisions');
    if (!revisions) return undefined;
    const ns = owner.metadata?.namespace ?? '';
    const name = `${owner.metadata?.name}-${hash}`;
    const all = await this.controlled(revisions, owner);
    const latest = Math.max(0, ...all.map((r) => num(r.revision)));
    const existing = all.find((r) => r.metadata?.name === name);
    if (!existing) {
      all.push(
        await revisions.store.create(this.ctx(ns), {
          apiVersion: 'apps/v1',
          kind: 'ControllerRevision',
          metadata: { name, namespace: ns, labels, ownerReferences: [controllerRef(owner)] } as KubeObject['metadata'],
          // kube stores the template as a strategic merge patch replacing it.
          data: { spec: { template: { ...template, $patch: 'replace' } } },
          revision: latest + 1,
        }),
      );
    } else if (num(existing.revision) < latest) {
      const updated = await revisions.store.update(this.ctx(ns), name, (cur) => ({ ...structuredClone(cur!), revision: latest + 1 }));
      all[all.indexOf(existing)] = updated.object;
    }
    return { name, all };
  }

  /** Writes `status` through the status subresource when it differs. */
  protected async writeStatus(served: ServedResource, cur: KubeObject, status: Obj): Promise<void> {
    if (JSON.stringify(status) === JSON.stringify(cur.status ?? {})) return;
    const ns = cur.metadata?.namespace ?? '';
    await served.store
      .update(this.ctx(ns, { subresource: 'status' }), cur.metadata?.name ?? '', (latest) => {
        if (!latest || latest.metadata?.uid !== cur.metadata?.uid) return latest!;
        return { ...structuredClone(latest), status };
      })
      .catch((e: { code?: number }) => {
        if (e?.code !== 404) throw e;
      });
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  stop(): void {
    this.queue.stop();
  }
}
