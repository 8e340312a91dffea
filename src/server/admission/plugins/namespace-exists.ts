// kube's NamespaceExists and NamespaceAutoProvision (plugin/pkg/admission/namespace):
// a namespaced request needs its namespace to exist, or a create makes it.

import { notFound } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import type { AdmissionAttributes, MutatingPlugin, ValidatingPlugin } from '../index.js';
import { CORE, type ObjectAccess } from './deps.js';

function namespacedRequest(a: AdmissionAttributes): boolean {
  return !!a.namespace && a.resource.namespaced && !(a.resource.group === '' && a.resource.resource === 'namespaces');
}

export class NamespaceExists implements ValidatingPlugin {
  readonly name = 'NamespaceExists';
  constructor(private readonly objects: ObjectAccess) {}

  async validate(a: AdmissionAttributes): Promise<void> {
    if (!namespacedRequest(a)) return;
    if (!(await this.objects.get(CORE('namespaces'), '', a.namespace))) throw notFound({ group: '', resource: 'namespaces' }, a.namespace);
  }
}

export class NamespaceAutoProvision implements MutatingPlugin {
  readonly name = 'NamespaceAutoProvision';
  constructor(private readonly objects: ObjectAccess) {}

  async admit(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== 'CREATE' || !namespacedRequest(a) || a.dryRun) return;
    if (await this.objects.get(CORE('namespaces'), '', a.namespace)) return;
    await this.objects.create(CORE('namespaces'), '', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: a.namespace },
    } as KubeObject);
  }
}
