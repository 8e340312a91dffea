// kube's DefaultIngressClass (plugin/pkg/admission/network/defaultingressclass):
// a new Ingress with neither spec.ingressClassName nor the kubernetes.io/ingress.class
// annotation gets the default IngressClass.

import type { AdmissionAttributes, MutatingPlugin } from '../index.js';
import { newestDefaultClass } from './default-class.js';
import type { ObjectAccess } from './deps.js';
import { isResource, obj } from './util.js';

export class DefaultIngressClass implements MutatingPlugin {
  readonly name = 'DefaultIngressClass';
  constructor(private readonly objects: ObjectAccess) {}

  async admit(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== 'CREATE' || !isResource(a, 'networking.k8s.io', 'ingresses') || !a.object) return;
    const spec = (obj(a.object.spec) ?? {}) as Record<string, unknown>;
    if (spec.ingressClassName !== undefined && spec.ingressClassName !== null) return;
    if (a.object.metadata?.annotations?.['kubernetes.io/ingress.class'] !== undefined) return;
    const cls = await newestDefaultClass(this.objects, { group: 'networking.k8s.io', version: 'v1', resource: 'ingressclasses' }, [
      'ingressclass.kubernetes.io/is-default-class',
    ]);
    if (!cls) return;
    spec.ingressClassName = cls.metadata?.name;
    a.object.spec = spec;
  }
}
