// The ValidatingAdmissionPolicy plugin as the ordered plugin list names it, built from the
// plugins' shared dependencies: policies, bindings, namespaces and params read from the watch
// cache, a paramKind's resource from the served kinds.

import type { AdmissionDeps } from '../plugins/deps.js';
import { CORE } from '../plugins/deps.js';
import { registerAdmissionPlugin } from '../plugins/index.js';
import { equivalentsOf } from '../webhook/index.js';
import { ValidatingAdmissionPolicy } from './plugin.js';

export { ValidatingAdmissionPolicy } from './plugin.js';

const ADMISSION = (resource: string) => ({ group: 'admissionregistration.k8s.io', version: 'v1', resource });

/** The ValidatingAdmissionPolicy plugin. */
export function validatingAdmissionPolicy(deps: AdmissionDeps): ValidatingAdmissionPolicy {
  const objects = deps.objects;
  return new ValidatingAdmissionPolicy({
    authorize: (user, attrs) => deps.authorizer.allowed(user, attrs),
    policies: () => objects.list(ADMISSION('validatingadmissionpolicies'), ''),
    bindings: () => objects.list(ADMISSION('validatingadmissionpolicybindings'), ''),
    namespace: (name) => objects.get(CORE('namespaces'), '', name),
    paramResource: (apiVersion, kind) => {
      const resource = objects.resourcesFor(apiVersion, kind)[0];
      if (!resource) return undefined;
      // Without scope information a param kind is taken as namespaced, as most are.
      return { resource, namespaced: objects.namespaced?.(resource) ?? true };
    },
    get: (r, ns, name) => objects.get(r, ns, name),
    list: (r, ns) => objects.list(r, ns),
    equivalents: equivalentsOf(objects),
    ...(objects.convert ? { convert: (obj, from, to) => objects.convert!(obj, from, to) } : {}),
  });
}

registerAdmissionPlugin('ValidatingAdmissionPolicy', validatingAdmissionPolicy);
