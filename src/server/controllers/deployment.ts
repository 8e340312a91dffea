// kube's Deployment controller (pkg/controller/deployment), the rollout logic simulated
// over our ReplicaSets: a ReplicaSet per pod template (`<name>-<pod-template-hash>`, its
// revision annotation one above the others; a template seen before, as after `kubectl
// rollout undo`, gets its ReplicaSet back with a new revision), RollingUpdate within
// maxSurge/maxUnavailable (rolling.go: scale the new one up, unhealthy old ones down,
// then old ones down as far as availability allows) or Recreate, and the status and
// Available/Progressing conditions `kubectl rollout status` reads.

import { deepEqual, type KubeObject } from '../api/types.js';
import type { ResourceRouter, ServedResource } from '../endpoints/router.js';
import { nowRFC3339 } from '../registry/meta.js';
import type { ClusterInformer } from './informers.js';
import { controllerRef, num, type Obj, obj, omitZero, templateHash, WorkloadController, withCondition } from './workload-kit.js';

const REVISION = 'deployment.kubernetes.io/revision';
const DESIRED = 'deployment.kubernetes.io/desired-replicas';
const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
const CHANGE_CAUSE = 'kubernetes.io/change-cause';
const HASH_LABEL = 'pod-template-hash';

/** intstr.GetScaledValueFromIntOrPercent. */
function scaled(v: unknown, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.endsWith('%')) {
    const x = (Number(v.slice(0, -1)) * total) / 100;
    return roundUp ? Math.ceil(x) : Math.floor(x);
  }
  return 0;
}

/** ResolveFenceposts: maxSurge rounded up, maxUnavailable down, never both zero. */
function fenceposts(d: KubeObject, desired: number): { surge: number; unavailable: number } {
  const strategy = obj(obj(d.spec).strategy);
  if (strategy.type === 'Recreate') return { surge: 0, unavailable: desired };
  const ru = obj(strategy.rollingUpdate);
  const surge = scaled(ru.maxSurge ?? '25%', desired, true);
  const unavailable = scaled(ru.maxUnavailable ?? '25%', desired, false);
  return surge === 0 && unavailable === 0 ? { surge, unavailable: 1 } : { surge, unavailable };
}

const revisionOf = (rs: KubeObject): number => Number(rs.metadata?.annotations?.[REVISION] ?? 0) || 0;
const specReplicas = (rs: KubeObject): number => num(obj(rs.spec).replicas);
const statusOf = (rs: KubeObject, k: string): number => num(obj(rs.status)[k]);
const sum = (list: KubeObject[], f: (rs: KubeObject) => number): number => list.reduce((n, rs) => n + f(rs), 0);

/** EqualIgnoreHash: the templates without the pod-template-hash label. */
function sameTemplate(rs: KubeObject, template: Obj): boolean {
  const t = structuredClone(obj(obj(rs.spec).template));
  const labels = obj(obj(t.metadata).labels);
  delete labels[HASH_LABEL];
  if (t.metadata && Object.keys(labels).length === 0) delete obj(t.metadata).labels;
  return deepEqual(t, template);
}

export class DeploymentController extends WorkloadController {
  constructor(router: ResourceRouter, informer: ClusterInformer) {
    super(router, informer, { group: 'apps', resource: 'deployments', kind: 'Deployment' }, ['apps/replicasets'], 'deployment-controller');
  }

  private replicaSets(): ServedResource | undefined {
    return this.served('apps', 'v1', 'replicasets');
  }

  protected async sync(served: ServedResource, d: KubeObject): Promise<void> {
    const rsServed = this.replicaSets();
    if (!rsServed) return;
    const spec = obj(d.spec);
    const desired = num(spec.replicas, 1);
    const template = obj(spec.template);
    const all = (await this.controlled(rsServed, d)).sort(
      (a, b) => Date.parse(a.metadata?.creationTimestamp ?? '') - Date.parse(b.metadata?.creationTimestamp ?? ''),
    );
    let newRS = all.find((rs) => sameTemplate(rs, template));
    const old = all.filter((rs) => rs !== newRS);
    const maxOldRevision = Math.max(0, ...old.map(revisionOf));
    const { surge, unavailable } = fenceposts(d, desired);
    let progressing: Obj | undefined;
    const now = nowRFC3339();

    if (!spec.paused) {
      const recreate = obj(spec.strategy).type === 'Recreate';
      if (recreate) {
        // Old pods first: all gone before the new ReplicaSet scales up.
        for (const rs of old) if (specReplicas(rs) > 0) await this.scale(rsServed, rs, 0, desired, surge, d);
        const oldPods = sum(old, (rs) => statusOf(rs, 'replicas'));
        if (!newRS) newRS = await this.createNewRS(rsServed, d, template, maxOldRevision + 1, oldPods > 0 ? 0 : desired, surge);
        else if (oldPods === 0 && specReplicas(newRS) !== desired) await this.scale(rsServed, newRS, desired, desired, surge, d);
      } else {
        if (!newRS) {
          const currentTotal = sum(old, specReplicas);
          const start = Math.max(0, Math.min(desired, desired + surge - currentTotal));
          newRS = await this.createNewRS(rsServed, d, template, maxOldRevision + 1, start, surge);
          progressing = { reason: 'NewReplicaSetCreated', message: `Created new replica set "${newRS.metadata?.name}"` };
        } else {
          // NewRSNewReplicas: up to desired + maxSurge pods in all; a pass that scales up stops there.
          const currentTotal = sum(all, specReplicas);
          let next = specReplicas(newRS);
          if (next > desired) next = desired;
          else if (currentTotal < desired + surge) next += Math.min(desired + surge - currentTotal, desired - next);
          if (next !== specReplicas(newRS)) await this.scale(rsServed, newRS, next, desired, surge, d);
          if (next <= specReplicas(newRS)) await this.scaleDownOld(rsServed, newRS, old, desired, unavailable, surge, d);
        }
      }
      if (newRS && revisionOf(newRS) <= maxOldRevision) await this.setRevision(rsServed, newRS, maxOldRevision + 1, d);
    }
    await this.syncRevisionAnnotation(served, d, newRS);
    await this.writeStatus(served, d, this.status(d, newRS, old, desired, unavailable, progressing, now));
  }

  /** reconcileOldReplicaSets: unhealthy old replicas first, then old ones down while minAvailable holds. */
  private async scaleDownOld(
    rsServed: ServedResource,
    newRS: KubeObject,
    old: KubeObject[],
    desired: number,
    unavailable: number,
    surge: number,
    d: KubeObject,
  ): Promise<void> {
    if (sum(old, specReplicas) === 0) return;
    const all = [newRS, ...old];
    const minAvailable = desired - unavailable;
    const newUnavailable = specReplicas(newRS) - statusOf(newRS, 'availableReplicas');
    let maxScaledDown = sum(all, specReplicas) - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return;
    const target = new Map(old.map((rs) => [rs, specReplicas(rs)]));
    for (const rs of old) {
      if (maxScaledDown <= 0) break;
      const unhealthy = target.get(rs)! - statusOf(rs, 'availableReplicas');
      const down = Math.min(maxScaledDown, Math.max(0, unhealthy));
      target.set(rs, target.get(rs)! - down);
      maxScaledDown -= down;
    }
    let room = sum(all, (rs) => statusOf(rs, 'availableReplicas')) - minAvailable;
    for (const rs of old) {
      if (room <= 0) break;
      const down = Math.min(target.get(rs)!, room);
      target.set(rs, target.get(rs)! - down);
      room -= down;
    }
    for (const rs of old) if (target.get(rs) !== specReplicas(rs)) await this.scale(rsServed, rs, target.get(rs)!, desired, surge, d);
  }

  private async createNewRS(
    rsServed: ServedResource,
    d: KubeObject,
    template: Obj,
    revision: number,
    replicas: number,
    surge: number,
  ): Promise<KubeObject> {
    const spec = obj(d.spec);
    const hash = templateHash(template, num(obj(d.status).collisionCount));
    const name = d.metadata?.name ?? '';
    const t = structuredClone(template);
    const tMeta = obj(t.metadata);
    tMeta.labels = { ...obj(tMeta.labels), [HASH_LABEL]: hash };
    t.metadata = tMeta;
    const selector = structuredClone(obj(spec.selector));
    selector.matchLabels = { ...obj(selector.matchLabels), [HASH_LABEL]: hash };
    const cause = d.metadata?.annotations?.[CHANGE_CAUSE];
    const rs: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${name}-${hash}`,
        namespace: d.metadata?.namespace,
        labels: { ...obj(tMeta.labels) } as Record<string, string>,
        annotations: {
          [DESIRED]: String(num(spec.replicas, 1)),
          [MAX_REPLICAS]: String(num(spec.replicas, 1) + surge),
          [REVISION]: String(revision),
          ...(cause ? { [CHANGE_CAUSE]: cause } : {}),
        },
        ownerReferences: [controllerRef(d)],
      } as KubeObject['metadata'],
      spec: { replicas, ...(num(spec.minReadySeconds) ? { minReadySeconds: num(spec.minReadySeconds) } : {}), selector, template: t },
    };
    // AlreadyExists (ours, from a pass whose list missed it) fails this pass; the queue's retry finds it.
    return await rsServed.store.create(this.ctx(d.metadata?.namespace ?? ''), rs);
  }

  private async scale(
    rsServed: ServedResource,
    rs: KubeObject,
    replicas: number,
    desired: number,
    surge: number,
    d: KubeObject,
  ): Promise<void> {
    const ns = rs.metadata?.namespace ?? '';
    await rsServed.store.update(this.ctx(ns), rs.metadata?.name ?? '', (cur) => {
      const next = structuredClone(cur!);
      obj(next.spec).replicas = replicas;
      const ann = { ...(next.metadata!.annotations ?? {}) };
      ann[DESIRED] = String(desired);
      ann[MAX_REPLICAS] = String(desired + surge);
      const cause = d.metadata?.annotations?.[CHANGE_CAUSE];
      if (cause) ann[CHANGE_CAUSE] = cause;
      next.metadata!.annotations = ann;
      return next;
    });
  }

  private async setRevision(rsServed: ServedResource, rs: KubeObject, revision: number, d: KubeObject): Promise<void> {
    await rsServed.store.update(this.ctx(rs.metadata?.namespace ?? ''), rs.metadata?.name ?? '', (cur) => {
      const next = structuredClone(cur!);
      const ann: Record<string, string> = { ...(next.metadata!.annotations ?? {}), [REVISION]: String(revision) };
      const cause = d.metadata?.annotations?.[CHANGE_CAUSE];
      if (cause) ann[CHANGE_CAUSE] = cause;
      next.metadata!.annotations = ann;
      return next;
    });
  }

  /** The Deployment carries its new ReplicaSet's revision. */
  private async syncRevisionAnnotation(served: ServedResource, d: KubeObject, newRS: KubeObject | undefined): Promise<void> {
    if (!newRS) return;
    const rev = newRS.metadata?.annotations?.[REVISION];
    if (!rev || d.metadata?.annotations?.[REVISION] === rev) return;
    await served.store
      .update(this.ctx(d.metadata?.namespace ?? ''), d.metadata?.name ?? '', (cur) => {
        const next = structuredClone(cur!);
        next.metadata!.annotations = { ...(next.metadata!.annotations ?? {}), [REVISION]: rev };
        return next;
      })
      .catch((e: { code?: number }) => {
        if (e?.code !== 404 && e?.code !== 409) throw e;
      });
  }

  /** calculateStatus and the rollout's conditions. */
  private status(
    d: KubeObject,
    newRS: KubeObject | undefined,
    old: KubeObject[],
    desired: number,
    unavailable: number,
    progressing: Obj | undefined,
    now: string,
  ): Obj {
    const all = newRS ? [newRS, ...old] : old;
    const available = sum(all, (rs) => statusOf(rs, 'availableReplicas'));
    const status = omitZero({
      observedGeneration: d.metadata?.generation ?? 1,
      replicas: sum(all, (rs) => statusOf(rs, 'replicas')),
      updatedReplicas: newRS ? statusOf(newRS, 'replicas') : 0,
      readyReplicas: sum(all, (rs) => statusOf(rs, 'readyReplicas')),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, sum(all, specReplicas) - available),
      collisionCount: num(obj(d.status).collisionCount),
    });
    let conds = Array.isArray(obj(d.status).conditions) ? (obj(d.status).conditions as Obj[]) : [];
    conds = withCondition(
      conds,
      available >= desired - unavailable
        ? {
            type: 'Available',
            status: 'True',
            lastUpdateTime: now,
            lastTransitionTime: now,
            reason: 'MinimumReplicasAvailable',
            message: 'Deployment has minimum availability.',
          }
        : {
            type: 'Available',
            status: 'False',
            lastUpdateTime: now,
            lastTransitionTime: now,
            reason: 'MinimumReplicasUnavailable',
            message: 'Deployment does not have minimum availability.',
          },
      now,
    );
    const rsName = newRS?.metadata?.name ?? '';
    const complete =
      !!newRS &&
      statusOf(newRS, 'replicas') === desired &&
      status.replicas === desired &&
      available === desired &&
      specReplicas(newRS) === desired;
    const prog = complete
      ? { reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` }
      : (progressing ?? (newRS ? { reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" is progressing.` } : undefined));
    if (prog && !obj(d.spec).paused)
      conds = withCondition(conds, { type: 'Progressing', status: 'True', lastUpdateTime: now, lastTransitionTime: now, ...prog }, now);
    // Available first, then Progressing, as kube's controller leaves them.
    conds.sort((a, b) => (a.type === 'Available' ? -1 : b.type === 'Available' ? 1 : 0));
    status.conditions = conds;
    return status;
  }
}
