// kube's DaemonSet controller (pkg/controller/daemon), simulated: one pod per Node, pinned
// with the node affinity kube's controller gives it (matchFields metadata.name) and left
// to the scheduler; the controller-revision-hash label marks a pod's template, and a
// RollingUpdate replaces outdated pods within maxUnavailable (OnDelete leaves them). Its
// status holds the counts `kubectl rollout status daemonset` reads; a ControllerRevision per
// template (`<name>-<hash>`, the template's labels and the hash) is the history
// `kubectl rollout history|undo daemonset` reads.

import type { KubeObject } from '../api/types.js';
import type { ResourceRouter, ServedResource } from '../endpoints/router.js';
import type { ClusterInformer } from './informers.js';
import {
  num,
  type Obj,
  obj,
  omitZero,
  pinnedNode,
  podActive,
  podFromTemplate,
  podReady,
  templateHash,
  WorkloadController,
} from './workload-kit.js';

const HASH = 'controller-revision-hash';
const GENERATION = 'pod-template-generation';

function pinnedTo(template: Obj, node: string): Obj {
  const t = structuredClone(template);
  const spec = obj(t.spec);
  const affinity = obj(spec.affinity);
  affinity.nodeAffinity = {
    ...obj(affinity.nodeAffinity),
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }],
    },
  };
  spec.affinity = affinity;
  // AddOrUpdateDaemonPodTolerations: daemon pods stay on nodes that are unreachable, not ready, under pressure.
  const tolerations = Array.isArray(spec.tolerations) ? [...(spec.tolerations as Obj[])] : [];
  const add = (key: string, effect: string): void => {
    if (!tolerations.some((x) => x.key === key && x.effect === effect)) tolerations.push({ key, operator: 'Exists', effect });
  };
  add('node.kubernetes.io/not-ready', 'NoExecute');
  add('node.kubernetes.io/unreachable', 'NoExecute');
  add('node.kubernetes.io/disk-pressure', 'NoSchedule');
  add('node.kubernetes.io/memory-pressure', 'NoSchedule');
  add('node.kubernetes.io/pid-pressure', 'NoSchedule');
  add('node.kubernetes.io/unschedulable', 'NoSchedule');
  spec.tolerations = tolerations;
  t.spec = spec;
  return t;
}

export class DaemonSetController extends WorkloadController {
  constructor(router: ResourceRouter, informer: ClusterInformer) {
    super(
      router,
      informer,
      { group: 'apps', resource: 'daemonsets', kind: 'DaemonSet' },
      ['/pods', 'apps/controllerrevisions'],
      'daemon-set-controller',
    );
    // A node added or gone changes every DaemonSet's desired pods.
    informer.onEvent((ev) => {
      const d = ev.resource.descriptor;
      if (d.group !== '' || d.resource !== 'nodes') return;
      const ds = this.served('apps', 'v1', 'daemonsets');
      if (ds) for (const o of informer.objects(ds)) this.queue.add(`${o.metadata?.namespace}/${o.metadata?.name}`);
    });
  }

  protected async sync(served: ServedResource, ds: KubeObject): Promise<void> {
    const pods = this.served('', 'v1', 'pods');
    const nodesServed = this.served('', 'v1', 'nodes');
    if (!pods || !nodesServed) return;
    const ns = ds.metadata?.namespace ?? '';
    const spec = obj(ds.spec);
    const template = obj(spec.template);
    const hash = templateHash(template);
    // constructHistory: the current template's revision, before its pods.
    await this.ensureRevision(ds, template, hash, {
      ...((obj(template.metadata).labels as Record<string, string>) ?? {}),
      [HASH]: hash,
    });
    const nodes = (await nodesServed.lister.list({ namespace: '' })).items.map((n) => n.metadata?.name ?? '');
    const all = await this.controlled(pods, ds);
    const active = all.filter(podActive);
    const byNode = new Map<string, KubeObject[]>();
    for (const p of active) {
      const n = pinnedNode(p);
      byNode.set(n, [...(byNode.get(n) ?? []), p]);
    }
    const name = ds.metadata?.name ?? '';
    const del = (p: KubeObject) =>
      pods.store.delete(this.ctx(ns), p.metadata?.name ?? '', { preconditions: { uid: p.metadata?.uid } }).catch((e: { code?: number }) => {
        if (e?.code !== 404 && e?.code !== 409) throw e;
      });
    const work: Array<Promise<unknown>> = [];
    for (const node of nodes) {
      const here = byNode.get(node) ?? [];
      if (here.length === 0) {
        const t = pinnedTo(template, node);
        const labels = { [HASH]: hash, [GENERATION]: String(ds.metadata?.generation ?? 1) };
        work.push(pods.store.create(this.ctx(ns), podFromTemplate(ds, t, `${name}-`, labels)));
      } else for (const extra of here.slice(1)) work.push(del(extra));
    }
    // Pods for nodes that are gone.
    for (const [node, list] of byNode) if (!nodes.includes(node)) for (const p of list) work.push(del(p));
    // RollingUpdate: outdated pods replaced, at most maxUnavailable missing at once.
    const strategy = obj(spec.updateStrategy);
    if (strategy.type !== 'OnDelete') {
      const maxUnavailableRaw = obj(strategy.rollingUpdate).maxUnavailable ?? 1;
      const maxUnavailable =
        typeof maxUnavailableRaw === 'string' && maxUnavailableRaw.endsWith('%')
          ? Math.max(1, Math.floor((Number(maxUnavailableRaw.slice(0, -1)) * nodes.length) / 100))
          : Math.max(1, num(maxUnavailableRaw, 1));
      const current = nodes.map((n) => (byNode.get(n) ?? [])[0]);
      let unavailable = current.filter((p) => !p || !podReady(p)).length;
      for (const p of current) {
        if (!p || p.metadata?.labels?.[HASH] === hash) continue;
        if (!podReady(p)) work.push(del(p));
        else if (unavailable < maxUnavailable) {
          unavailable++;
          work.push(del(p));
        }
      }
    }
    await Promise.all(work);
    const scheduled = nodes.filter((n) => (byNode.get(n) ?? []).length > 0);
    const first = (n: string): KubeObject | undefined => (byNode.get(n) ?? [])[0];
    const ready = scheduled.filter((n) => podReady(first(n)!)).length;
    const status = omitZero(
      {
        currentNumberScheduled: scheduled.length,
        numberMisscheduled: 0,
        desiredNumberScheduled: nodes.length,
        numberReady: ready,
        observedGeneration: ds.metadata?.generation ?? 1,
        updatedNumberScheduled: scheduled.filter((n) => first(n)!.metadata?.labels?.[HASH] === hash).length,
        numberAvailable: ready,
        numberUnavailable: nodes.length - ready,
      },
      ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady'],
    );
    await this.writeStatus(served, ds, status);
  }
}
