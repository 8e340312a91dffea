// kube's NamespaceLifecycle admission plugin (plugin/pkg/admission/namespace/lifecycle):
// no objects in missing or terminating namespaces, and the system namespaces stay.

import { forbidden, notFound } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import type { AdmissionAttributes, MutatingPlugin, ValidatingPlugin } from '../index.js';

const IMMORTAL = new Set(['default', 'kube-system', 'kube-public']);

/**
 * Registered in both phases like kube's plugin: creates are refused before
 * validation runs (admit), namespace deletions in the validating phase.
 */
export class NamespaceLifecycle implements MutatingPlugin, ValidatingPlugin {
  readonly name = 'NamespaceLifecycle';
  constructor(private readonly getNamespace: (name: string) => Promise<KubeObject | null>) {}

  async admit(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== 'DELETE') await this.check(a);
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.operation === 'DELETE') await this.check(a);
  }

  private async check(a: AdmissionAttributes): Promise<void> {
    const gr = { group: a.resource.group, resource: a.resource.resource };
    if (a.resource.group === '' && a.resource.resource === 'namespaces') {
      if (a.operation === 'DELETE' && IMMORTAL.has(a.name)) throw forbidden(gr, a.name, 'this namespace may not be deleted');
      return;
    }
    if (!a.resource.namespaced || !a.namespace || a.operation !== 'CREATE') return;
    const ns = await this.getNamespace(a.namespace);
    if (!ns) throw notFound({ group: '', resource: 'namespaces' }, a.namespace);
    const phase = (ns.status as { phase?: string } | undefined)?.phase;
    if (phase === 'Terminating' || ns.metadata?.deletionTimestamp) {
      // Events about the namespace's own cleanup are still let in, as kube does.
      if (a.resource.resource === 'events' && a.resource.group === '') return;
      const e = forbidden(gr, a.name, `unable to create new content in namespace ${a.namespace} because it is being terminated`);
      e.status.details = {
        ...(e.status.details ?? {}),
        causes: [{ reason: 'NamespaceTerminating', message: `namespace ${a.namespace} is being terminated`, field: 'metadata.namespace' }],
      };
      throw e;
    }
  }
}
