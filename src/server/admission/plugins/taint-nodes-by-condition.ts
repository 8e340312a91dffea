// kube's TaintNodesByCondition (plugin/pkg/admission/nodetaint): a new Node is
// tainted node.kubernetes.io/not-ready:NoSchedule until the node lifecycle
// controller sees it Ready.

import type { AdmissionAttributes, MutatingPlugin } from '../index.js';
import { isResource, obj, objects } from './util.js';

const NOT_READY = 'node.kubernetes.io/not-ready';

export class TaintNodesByCondition implements MutatingPlugin {
  readonly name = 'TaintNodesByCondition';

  admit(a: AdmissionAttributes): void {
    if (a.operation !== 'CREATE' || !isResource(a, '', 'nodes') || !a.object) return;
    const spec = (obj(a.object.spec) ?? {}) as Record<string, unknown>;
    const taints = objects(spec.taints);
    if (taints.some((t) => t.key === NOT_READY && t.effect === 'NoSchedule')) return;
    spec.taints = [...taints, { key: NOT_READY, effect: 'NoSchedule' }];
    a.object.spec = spec;
  }
}
