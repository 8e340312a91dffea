// kube's ExtendedResourceToleration (plugin/pkg/admission/extendedresourcetoleration),
// off by default: a new pod asking for an extended resource (example.com/gpu) tolerates
// the NoSchedule taint of that name, so nodes tainted for it can run it.

import type { AdmissionAttributes, MutatingPlugin } from '../index.js';
import { allContainers, isResource, obj, objects, sortedUnique } from './util.js';

/** helper.IsExtendedResourceName: domain-qualified, outside kubernetes.io, not a quota `requests.` name. */
function extended(name: string): boolean {
  if (!name.includes('/') || name.startsWith('requests.')) return false;
  const domain = name.slice(0, name.indexOf('/'));
  return !(domain === 'kubernetes.io' || domain.endsWith('.kubernetes.io'));
}

export class ExtendedResourceToleration implements MutatingPlugin {
  readonly name = 'ExtendedResourceToleration';

  admit(a: AdmissionAttributes): void {
    if (a.operation !== 'CREATE' || !isResource(a, '', 'pods') || !a.object) return;
    const spec = (obj(a.object.spec) ?? {}) as Record<string, unknown>;
    const names = sortedUnique(
      allContainers(spec)
        .filter((x) => x.kind !== 'ephemeral')
        .flatMap(({ c }) => [...Object.keys(obj(obj(c.resources)?.requests) ?? {}), ...Object.keys(obj(obj(c.resources)?.limits) ?? {})])
        .filter(extended),
    );
    if (!names.length) return;
    const tolerations = objects(spec.tolerations);
    for (const key of names) {
      if (tolerations.some((t) => t.key === key && t.operator === 'Exists' && t.effect === 'NoSchedule')) continue;
      tolerations.push({ key, operator: 'Exists', effect: 'NoSchedule' });
    }
    spec.tolerations = tolerations;
    a.object.spec = spec;
  }
}
