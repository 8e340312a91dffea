// kube's StatefulSet controller (pkg/controller/statefulset), simulated: a ControllerRevision
// per pod template (`<name>-<hash>`, revision numbers increasing), pods `<name>-<ordinal>` with
// their identity labels, created in order one at a time once the lower ones are Running and
// Ready (OrderedReady; Parallel creates all), removed from the highest ordinal, and a
// RollingUpdate replacing pods of an older revision from the highest ordinal down to the
// partition. Its status carries currentRevision/updateRevision as `kubectl rollout status` and
// `rollout history` read them. volumeClaimTemplates are not acted on.

import type { KubeObject } from '../api/types.js';
import type { ResourceRouter, ServedResource } from '../endpoints/router.js';
import type { ClusterInformer } from './informers.js';
import {
  controllerRef,
  num,
  type Obj,
  obj,
  omitZero,
  podActive,
  podFromTemplate,
  podPhase,
  podReady,
  templateHash,
  WorkloadController,
} from './workload-kit.js';

const REVISION_LABEL = 'controller-revision-hash';
const HASH_LABEL = 'controller.kubernetes.io/hash';

const ordinalOf = (name: string, set: string): number => {
  const m = new RegExp(`^${set.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)$`).exec(name);
  return m ? Number(m[1]) : -1;
};

export class StatefulSetController extends WorkloadController {
  constructor(router: ResourceRouter, informer: ClusterInformer) {
    super(
      router,
      informer,
      { group: 'apps', resource: 'statefulsets', kind: 'StatefulSet' },
      ['/pods', 'apps/controllerrevisions'],
      'statefulset-controller',
    );
  }

  /** The ControllerRevision of the current template, created (with the next revision number) when new. */
  private async updateRevision(sts: KubeObject): Promise<{ name: string; all: KubeObject[] } | undefined> {
    const revisions = this.served('apps', 'v1', 'controllerrevisions');
    if (!revisions) return undefined;
    const spec = obj(sts.spec);
    const template = obj(spec.template);
    const hash = templateHash(template, num(obj(sts.status).collisionCount));
    const name = `${sts.metadata?.name}-${hash}`;
    const all = await this.controlled(revisions, sts);
    if (!all.some((r) => r.metadata?.name === name)) {
      const next = Math.max(0, ...all.map((r) => num(r.revision))) + 1;
      const created = await revisions.store.create(this.ctx(sts.metadata?.namespace ?? ''), {
        apiVersion: 'apps/v1',
        kind: 'ControllerRevision',
        metadata: {
          name,
          namespace: sts.metadata?.namespace,
          labels: { ...(obj(obj(spec.selector).matchLabels) as Record<string, string>), [HASH_LABEL]: hash },
          ownerReferences: [controllerRef(sts)],
        } as KubeObject['metadata'],
        // kube stores the template as a strategic merge patch replacing it.
        data: { spec: { template: { ...template, $patch: 'replace' } } },
        revision: next,
      });
      all.push(created);
    }
    return { name, all };
  }

  protected async sync(served: ServedResource, sts: KubeObject): Promise<void> {
    const pods = this.served('', 'v1', 'pods');
    if (!pods) return;
    const rev = await this.updateRevision(sts);
    if (!rev) return;
    const ns = sts.metadata?.namespace ?? '';
    const name = sts.metadata?.name ?? '';
    const spec = obj(sts.spec);
    const replicas = num(spec.replicas, 1);
    const parallel = spec.podManagementPolicy === 'Parallel';
    const strategy = obj(spec.updateStrategy);
    const partition = num(obj(strategy.rollingUpdate).partition);
    const owned = (await this.controlled(pods, sts)).filter((p) => ordinalOf(p.metadata?.name ?? '', name) >= 0);
    const byOrdinal = new Map(owned.map((p) => [ordinalOf(p.metadata?.name ?? '', name), p]));
    const healthy = (p: KubeObject | undefined): boolean => !!p && podActive(p) && podPhase(p) === 'Running' && podReady(p);
    const del = (p: KubeObject) =>
      pods.store.delete(this.ctx(ns), p.metadata?.name ?? '', { preconditions: { uid: p.metadata?.uid } }).catch((e: { code?: number }) => {
        if (e?.code !== 404 && e?.code !== 409) throw e;
      });
    const prior = String(obj(sts.status).currentRevision ?? rev.name);
    const revisionFor = (ordinal: number): string => (ordinal < partition ? prior : rev.name);

    let acted = false;
    // Failed pods are replaced; missing ordinals created in order.
    for (let i = 0; i < replicas && !acted; i++) {
      const p = byOrdinal.get(i);
      if (p && podPhase(p) === 'Failed') {
        await del(p);
        acted = !parallel;
        continue;
      }
      if (!p) {
        const revisionName = revisionFor(i);
        const source = rev.all.find((r) => r.metadata?.name === revisionName);
        const template =
          revisionName === rev.name
            ? obj(spec.template)
            : (() => {
                const t = { ...obj(obj(obj(source?.data).spec).template) };
                delete t.$patch;
                return t;
              })();
        const pod = podFromTemplate(sts, template, '', {
          [REVISION_LABEL]: revisionName,
          'statefulset.kubernetes.io/pod-name': `${name}-${i}`,
          'apps.kubernetes.io/pod-index': String(i),
        });
        delete (pod.metadata as Obj).generateName;
        pod.metadata!.name = `${name}-${i}`;
        const podSpec = obj(pod.spec);
        podSpec.hostname = `${name}-${i}`;
        if (spec.serviceName) podSpec.subdomain = spec.serviceName;
        await pods.store.create(this.ctx(ns), pod).catch((e: { code?: number }) => {
          if (e?.code !== 409) throw e;
        });
        acted = !parallel;
        continue;
      }
      if (!parallel && !healthy(p)) acted = true;
    }
    // Scale down from the highest ordinal, one at a time unless Parallel.
    if (!acted) {
      const extra = [...byOrdinal.entries()].filter(([i, p]) => i >= replicas && podActive(p)).sort((a, b) => b[0] - a[0]);
      for (const [, p] of parallel ? extra : extra.slice(0, 1)) await del(p);
      acted = extra.length > 0 && !parallel;
    }
    // RollingUpdate: the highest ordinal at an older revision is replaced, once every pod is healthy.
    if (!acted && strategy.type !== 'OnDelete') {
      const all = Array.from({ length: replicas }, (_, i) => byOrdinal.get(i));
      if (all.every(healthy)) {
        for (let i = replicas - 1; i >= partition; i--) {
          const p = all[i]!;
          if (p.metadata?.labels?.[REVISION_LABEL] !== rev.name) {
            await del(p);
            break;
          }
        }
      }
    }
    const active = owned.filter((p) => podActive(p) && ordinalOf(p.metadata?.name ?? '', name) < replicas);
    const updated = active.filter((p) => p.metadata?.labels?.[REVISION_LABEL] === rev.name).length;
    const ready = active.filter(podReady).length;
    const done = updated === replicas && ready === replicas && active.length === replicas;
    const currentRevision = done ? rev.name : prior;
    const status = omitZero(
      {
        observedGeneration: sts.metadata?.generation ?? 1,
        replicas: active.length,
        readyReplicas: ready,
        currentReplicas: active.filter((p) => p.metadata?.labels?.[REVISION_LABEL] === currentRevision).length,
        updatedReplicas: updated,
        currentRevision,
        updateRevision: rev.name,
        collisionCount: num(obj(sts.status).collisionCount),
        availableReplicas: ready,
      },
      ['replicas', 'collisionCount', 'availableReplicas'],
    );
    await this.writeStatus(served, sts, status);
  }
}
