// kube's RuntimeClass admission (plugin/pkg/admission/runtimeclass): a new pod's
// runtimeClassName must exist; its overhead becomes the pod's spec.overhead and its
// scheduling constraints are merged into the pod's nodeSelector and tolerations.
// A pod may not set an overhead its RuntimeClass does not define.

import { forbidden } from '../../api/errors.js';
import { deepEqual, type KubeObject } from '../../api/types.js';
import type { AdmissionAttributes, MutatingPlugin, ValidatingPlugin } from '../index.js';
import type { GVR, ObjectAccess } from './deps.js';
import { isResource, type Obj, obj, objects } from './util.js';

const RUNTIME_CLASSES: GVR = { group: 'node.k8s.io', version: 'v1', resource: 'runtimeclasses' };
const PODS = { group: '', resource: 'pods' };

export class RuntimeClass implements MutatingPlugin, ValidatingPlugin {
  readonly name = 'RuntimeClass';
  constructor(private readonly objects: ObjectAccess) {}

  private async runtimeClass(a: AdmissionAttributes): Promise<KubeObject | undefined> {
    const name = obj(a.object?.spec)?.runtimeClassName;
    if (typeof name !== 'string' || !name) return undefined;
    const rc = await this.objects.get(RUNTIME_CLASSES, '', name);
    if (!rc) throw forbidden(PODS, a.name, `pod rejected: RuntimeClass "${name}" not found`);
    return rc;
  }

  async admit(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== 'CREATE' || !isResource(a, '', 'pods') || !a.object) return;
    const rc = await this.runtimeClass(a);
    if (!rc) return;
    const spec = (obj(a.object.spec) ?? {}) as Obj;
    const podFixed = obj(obj((rc as Obj).overhead)?.podFixed);
    if (podFixed) {
      if (spec.overhead !== undefined && !deepEqual(spec.overhead, podFixed))
        throw forbidden(PODS, a.name, "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead");
      spec.overhead = structuredClone(podFixed);
    }
    const scheduling = obj((rc as Obj).scheduling);
    if (scheduling) {
      const selector = { ...(obj(spec.nodeSelector) ?? {}) } as Record<string, unknown>;
      for (const [k, v] of Object.entries(obj(scheduling.nodeSelector) ?? {})) {
        if (k in selector && selector[k] !== v)
          throw forbidden(
            PODS,
            a.name,
            `conflict: runtimeClass.scheduling.nodeSelector[${k}] = ${v}; pod.spec.nodeSelector[${k}] = ${selector[k]}`,
          );
        selector[k] = v;
      }
      if (Object.keys(selector).length) spec.nodeSelector = selector;
      const tolerations = objects(spec.tolerations);
      for (const t of objects(scheduling.tolerations)) if (!tolerations.some((x) => deepEqual(x, t))) tolerations.push(structuredClone(t));
      if (tolerations.length) spec.tolerations = tolerations;
    }
    a.object.spec = spec;
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== 'CREATE' || !isResource(a, '', 'pods') || !a.object) return;
    const spec = obj(a.object.spec) ?? {};
    if (spec.overhead === undefined) return;
    const rc = await this.runtimeClass(a);
    if (!rc || !obj(obj((rc as Obj).overhead)?.podFixed))
      throw forbidden(PODS, a.name, 'pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead');
  }
}
