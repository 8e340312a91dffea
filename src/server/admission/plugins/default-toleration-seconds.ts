// kube's DefaultTolerationSeconds admission plugin
// (plugin/pkg/admission/defaulttolerationseconds), on by default in
// kube-apiserver and left on by envtest: pods that do not already tolerate
// them get NoExecute tolerations of the node.kubernetes.io/not-ready and
// node.kubernetes.io/unreachable taints for 300 seconds
// (--default-not-ready-toleration-seconds, --default-unreachable-toleration-seconds).

import { isPlainObject } from '../../api/types.js';
import type { AdmissionAttributes, MutatingPlugin } from '../index.js';

const TOLERATION_SECONDS = 300;
const TAINTS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

export class DefaultTolerationSeconds implements MutatingPlugin {
  readonly name = 'DefaultTolerationSeconds';

  admit(a: AdmissionAttributes): void {
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return;
    if (a.resource.group !== '' || a.resource.resource !== 'pods' || a.subresource) return;
    const spec = a.object?.spec;
    if (!isPlainObject(spec)) return;
    const tolerations = Array.isArray(spec.tolerations) ? spec.tolerations.filter(isPlainObject) : [];
    const added = TAINTS.filter(
      (taint) => !tolerations.some((t) => (t.key === taint || !t.key) && (t.effect === 'NoExecute' || !t.effect)),
    ).map((key) => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: TOLERATION_SECONDS }));
    if (added.length) spec.tolerations = [...(Array.isArray(spec.tolerations) ? spec.tolerations : []), ...added];
  }
}
