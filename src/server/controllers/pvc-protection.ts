// kube's PVC protection controller (pkg/controller/volume/pvcprotection): a PersistentVolumeClaim being
// deleted keeps the `kubernetes.io/pvc-protection` finalizer (added by the StorageObjectInUseProtection
// admission plugin) while a pod that has not finished uses it, through a volume's
// persistentVolumeClaim.claimName or a generic ephemeral volume (`<pod>-<volume>`); then the finalizer
// is removed and the claim goes. A pod deleted or finished revisits its namespace's terminating claims.

import type { KubeObject } from '../api/types.js';
import type { ResourceRouter } from '../endpoints/router.js';
import { controllerContext, ignoring } from './identity.js';
import type { ClusterInformer } from './informers.js';
import { WorkQueue } from './queue.js';
import { type Obj, obj, podPhase } from './workload-kit.js';

const FINALIZER = 'kubernetes.io/pvc-protection';

/** The claims a pod uses. */
function claimsOf(pod: KubeObject): string[] {
  const volumes = obj(pod.spec).volumes;
  return (Array.isArray(volumes) ? (volumes as Obj[]) : []).flatMap((v) => {
    const claim = obj(v.persistentVolumeClaim).claimName;
    if (typeof claim === 'string') return [claim];
    return v.ephemeral ? [`${pod.metadata?.name}-${v.name}`] : [];
  });
}

export class PVCProtectionController {
  private readonly queue: WorkQueue<string>;
  private readonly ctx = (namespace: string) => controllerContext('pvc-protection-controller', { namespace });

  constructor(
    private readonly router: ResourceRouter,
    informer: ClusterInformer,
  ) {
    this.queue = new WorkQueue('pvc protection', (key) => this.sync(key), 4);
    informer.onEvent((ev) => {
      const d = ev.resource.descriptor;
      if (d.group !== '') return;
      const m = ev.object.metadata ?? {};
      if (d.resource === 'persistentvolumeclaims') {
        if (ev.type !== 'DELETED' && m.deletionTimestamp && m.finalizers?.includes(FINALIZER)) this.queue.add(`${m.namespace}/${m.name}`);
      } else if (d.resource === 'pods' && (ev.type === 'DELETED' || ['Succeeded', 'Failed'].includes(podPhase(ev.object)))) {
        for (const claim of claimsOf(ev.object)) this.queue.add(`${m.namespace}/${claim}`);
      }
    });
  }

  private async sync(key: string): Promise<void> {
    const [ns, name] = key.split('/');
    const pvcs = this.router.get('', 'v1', 'persistentvolumeclaims');
    const pods = this.router.get('', 'v1', 'pods');
    if (!pvcs || !pods) return;
    const pvc = await pvcs.store.get(this.ctx(ns), name).catch(() => undefined);
    if (!pvc?.metadata?.deletionTimestamp || !pvc.metadata.finalizers?.includes(FINALIZER)) return;
    const inUse = (await pods.lister.list({ namespace: ns })).items.some((p) => {
      const phase = podPhase(p);
      return phase !== 'Succeeded' && phase !== 'Failed' && claimsOf(p).includes(name);
    });
    if (inUse) return;
    await ignoring(
      [404, 409],
      pvcs.store.update(this.ctx(ns), name, (cur) => {
        if (!cur || cur.metadata?.uid !== pvc.metadata?.uid) return cur!;
        const next = structuredClone(cur);
        next.metadata!.finalizers = (next.metadata!.finalizers ?? []).filter((f) => f !== FINALIZER);
        return next;
      }),
    );
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  stop(): void {
    this.queue.stop();
  }
}
