// kube's StatefulSet controller (pkg/controller/statefulset), simulated: a ControllerRevision
// per pod template (`<name>-<hash>`, revision numbers increasing), pods `<name>-<ordinal>` with
// their identity labels, created in order one at a time once the lower ones are Running and
// Ready (OrderedReady; Parallel creates all), removed from the highest ordinal, and a
// RollingUpdate replacing pods of an older revision from the highest ordinal down to the
// partition. Its status carries currentRevision/updateRevision as `kubectl rollout status` and
// `rollout history` read them. Each volumeClaimTemplate gives every pod its claim
// `<template>-<set>-<ordinal>`, created before the pod and kept (or, with the retention policy's
// whenDeleted: Delete, owned by the set, so the garbage collector removes it with the set; with
// whenScaled: Delete, a pod removed by a scale-down owns its claims first).

import type { KubeObject } from '../api/types.js';
import type { ResourceRouter, ServedResource } from '../endpoints/router.js';
import type { ClusterInformer } from './informers.js';
import {
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

  /** The ControllerRevision of the current template. */
  private updateRevision(sts: KubeObject): Promise<{ name: string; all: KubeObject[] } | undefined> {
    const spec = obj(sts.spec);
    const hash = templateHash(obj(spec.template), num(obj(sts.status).collisionCount));
    return this.ensureRevision(sts, obj(spec.template), hash, {
      ...(obj(obj(spec.selector).matchLabels) as Record<string, string>),
      [HASH_LABEL]: hash,
    });
  }

  /**
   * createPersistentVolumeClaims and updateStorage: each template's claim for `ordinal` created (one that
   * exists is kept), and the pod's volume of the template's name pointing at it.
   */
  private async claims(sts: KubeObject, ordinal: number, volumes: unknown): Promise<unknown> {
    const spec = obj(sts.spec);
    const templates = Array.isArray(spec.volumeClaimTemplates) ? (spec.volumeClaimTemplates as Obj[]) : [];
    const pvcs = this.served('', 'v1', 'persistentvolumeclaims');
    if (!templates.length || !pvcs) return volumes;
    const out = Array.isArray(volumes) ? [...(volumes as Obj[])] : [];
    const ns = sts.metadata?.namespace ?? '';
    const set = sts.metadata?.name ?? '';
    const deleteWithSet = obj(spec.persistentVolumeClaimRetentionPolicy).whenDeleted === 'Delete';
    for (const t of templates) {
      const meta = obj(t.metadata);
      const claimName = `${meta.name}-${set}-${ordinal}`;
      const labels = {
        ...((meta.labels as Record<string, string>) ?? {}),
        ...(obj(obj(spec.selector).matchLabels) as Record<string, string>),
      };
      await pvcs.store
        .create(this.ctx(ns), {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: {
            ...structuredClone(meta),
            name: claimName,
            namespace: ns,
            labels,
            ...(deleteWithSet
              ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: set, uid: sts.metadata?.uid ?? '' }] }
              : {}),
          } as KubeObject['metadata'],
          spec: structuredClone(obj(t.spec)),
        })
        .catch((e: { code?: number }) => {
          if (e?.code !== 409) throw e;
        });
      const volume = { name: meta.name, persistentVolumeClaim: { claimName } };
      const at = out.findIndex((v) => v.name === meta.name);
      if (at >= 0) out[at] = volume;
      else out.push(volume);
    }
    return out;
  }

  /** whenScaled: Delete: a condemned pod becomes its claims' owner, so they go with it. */
  private async condemnClaims(sts: KubeObject, ordinal: number, pod: KubeObject): Promise<void> {
    const spec = obj(sts.spec);
    const pvcs = this.served('', 'v1', 'persistentvolumeclaims');
    if (obj(spec.persistentVolumeClaimRetentionPolicy).whenScaled !== 'Delete' || !pvcs) return;
    const ns = sts.metadata?.namespace ?? '';
    const ref = { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' };
    for (const t of Array.isArray(spec.volumeClaimTemplates) ? (spec.volumeClaimTemplates as Obj[]) : []) {
      const claimName = `${obj(t.metadata).name}-${sts.metadata?.name}-${ordinal}`;
      await pvcs.store
        .update(this.ctx(ns), claimName, (cur) => {
          if (!cur || cur.metadata?.ownerReferences?.some((r) => r.uid === ref.uid)) return cur!;
          const next = structuredClone(cur);
          next.metadata!.ownerReferences = [...(next.metadata!.ownerReferences ?? []), ref];
          return next;
        })
        .catch((e: { code?: number }) => {
          if (e?.code !== 404 && e?.code !== 409) throw e;
        });
    }
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
        const volumes = await this.claims(sts, i, podSpec.volumes);
        if (volumes !== undefined) podSpec.volumes = volumes;
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
      for (const [i, p] of parallel ? extra : extra.slice(0, 1)) {
        await this.condemnClaims(sts, i, p);
        await del(p);
      }
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
