// kube's LimitPodHardAntiAffinityTopology (plugin/pkg/admission/antiaffinity), off by
// default: required pod anti-affinity may only use the kubernetes.io/hostname topology.

import { forbidden } from '../../api/errors.js';
import type { AdmissionAttributes, ValidatingPlugin } from '../index.js';
import { isResource, obj, objects } from './util.js';

const HOSTNAME = 'kubernetes.io/hostname';

export class LimitPodHardAntiAffinityTopology implements ValidatingPlugin {
  readonly name = 'LimitPodHardAntiAffinityTopology';

  validate(a: AdmissionAttributes): void {
    if (!isResource(a, '', 'pods') || !a.object) return;
    const anti = obj(obj(obj(a.object.spec)?.affinity)?.podAntiAffinity);
    for (const term of objects(anti?.requiredDuringSchedulingIgnoredDuringExecution)) {
      if (term.topologyKey !== HOSTNAME) {
        throw forbidden(
          { group: '', resource: 'pods' },
          a.object.metadata?.name ?? '',
          `affinity.PodAntiAffinity.RequiredDuringScheduling has TopologyKey ${String(term.topologyKey ?? '')} but only key ${HOSTNAME} is allowed`,
        );
      }
    }
  }
}
