// kube's ReplicaSet controller (pkg/controller/replicaset), simulated: the pods a
// ReplicaSet controls are counted live; missing ones are created from its template,
// extra ones deleted (not ready and newest first, as kube's ActivePods ranking
// prefers), and its status counts replicas, ready and available ones.

import type { KubeObject } from '../api/types.js';
import type { ResourceRouter, ServedResource } from '../endpoints/router.js';
import type { ClusterInformer } from './informers.js';
import { num, obj, omitZero, podActive, podFromTemplate, podReady, WorkloadController } from './workload-kit.js';

export class ReplicaSetController extends WorkloadController {
  constructor(router: ResourceRouter, informer: ClusterInformer) {
    super(router, informer, { group: 'apps', resource: 'replicasets', kind: 'ReplicaSet' }, ['/pods'], 'replicaset-controller');
  }

  protected async sync(served: ServedResource, rs: KubeObject): Promise<void> {
    const pods = this.served('', 'v1', 'pods');
    if (!pods) return;
    const ns = rs.metadata?.namespace ?? '';
    const spec = obj(rs.spec);
    const want = num(spec.replicas, 1);
    const all = await this.controlled(pods, rs);
    const active = all.filter(podActive);
    const diff = want - active.length;
    if (diff > 0) {
      const name = rs.metadata?.name ?? '';
      await Promise.all(
        Array.from({ length: diff }, () => pods.store.create(this.ctx(ns), podFromTemplate(rs, obj(spec.template), `${name}-`))),
      );
    } else if (diff < 0) {
      // getPodsToDelete: unscheduled before scheduled, pending before running, not ready before ready, newest first.
      const rank = (p: KubeObject): number[] => [
        obj(p.spec).nodeName ? 1 : 0,
        obj(p.status).phase === 'Running' ? 1 : 0,
        podReady(p) ? 1 : 0,
        -Date.parse(p.metadata?.creationTimestamp ?? '') || 0,
      ];
      const victims = [...active]
        .sort((a, b) => {
          const ra = rank(a);
          const rb = rank(b);
          for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] - rb[i];
          return 0;
        })
        .slice(0, -diff);
      await Promise.all(
        victims.map((p) =>
          pods.store
            .delete(this.ctx(ns), p.metadata?.name ?? '', { preconditions: { uid: p.metadata?.uid } })
            .catch((e: { code?: number }) => {
              if (e?.code !== 404 && e?.code !== 409) throw e;
            }),
        ),
      );
    }
    // Status from what exists now (created pods count from the next pass, as kube's do once observed).
    const ready = active.filter(podReady).length;
    const status = omitZero(
      {
        replicas: active.length,
        fullyLabeledReplicas: active.length,
        readyReplicas: ready,
        availableReplicas: ready,
        observedGeneration: rs.metadata?.generation ?? 1,
      },
      ['replicas'],
    );
    await this.writeStatus(served, rs, status);
  }
}
