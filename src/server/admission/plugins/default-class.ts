// The default class of a cluster-scoped class resource (StorageClass, IngressClass),
// as kube's setdefault and defaultingressclass plugins pick it: among the classes
// annotated as default, the newest (then the first by name), since 1.28.

import type { KubeObject } from '../../api/types.js';
import type { GVR, ObjectAccess } from './deps.js';

export async function newestDefaultClass(objects: ObjectAccess, gvr: GVR, annotations: string[]): Promise<KubeObject | undefined> {
  const defaults = (await objects.list(gvr, '')).filter((c) => annotations.some((k) => c.metadata?.annotations?.[k] === 'true'));
  defaults.sort((a, b) => {
    const ta = a.metadata?.creationTimestamp ?? '';
    const tb = b.metadata?.creationTimestamp ?? '';
    if (ta !== tb) return ta > tb ? -1 : 1;
    const na = a.metadata?.name ?? '';
    const nb = b.metadata?.name ?? '';
    return na < nb ? -1 : na > nb ? 1 : 0;
  });
  return defaults[0];
}
