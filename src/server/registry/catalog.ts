// The built-in resources served today: descriptor + strategy + storage key
// prefix + the generated model that gives their OpenAPI schema and typed
// decoding. The CustomResourceDefinition resource is one more row (kube
// decodes CRDs as a typed built-in); endpoints/install.ts installs every row.
// Nothing else changes to add a resource.

import type { ResourceDescriptor } from '../api/descriptor.js';
import { CRD_KEY_PREFIX, crdStrategy } from './resources/apiextensions.js';
import { leaseStrategy } from './resources/coordination.js';
import { configMapStrategy, eventStrategy, namespaceStrategy, secretStrategy, serviceAccountStrategy } from './resources/core.js';
import type { Strategy } from './strategy.js';

export interface BuiltinResource {
  descriptor: ResourceDescriptor;
  strategy: Strategy;
  /** Key prefix under the storage prefix, as kube-apiserver lays them out (`/registry/leases/...`). */
  keyPrefix: string;
  /** Generated model class in @kubernetes/client-node (`V1ConfigMap`). */
  model: string;
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function resource(
  d: Omit<ResourceDescriptor, 'verbs' | 'listKind'> & { verbs?: string[] },
  strategy: Strategy,
  model: string,
  keyPrefix?: string,
): BuiltinResource {
  return {
    descriptor: { verbs: ALL_VERBS, listKind: `${d.kind}List`, ...d },
    strategy,
    keyPrefix: keyPrefix ?? `/${d.resource}`,
    model,
  };
}

export const BUILTIN_RESOURCES: BuiltinResource[] = [
  resource(
    {
      group: '',
      version: 'v1',
      resource: 'namespaces',
      singular: 'namespace',
      kind: 'Namespace',
      namespaced: false,
      shortNames: ['ns'],
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      subresources: { status: true },
    },
    namespaceStrategy,
    'V1Namespace',
  ),
  resource(
    { group: '', version: 'v1', resource: 'configmaps', singular: 'configmap', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] },
    configMapStrategy,
    'V1ConfigMap',
  ),
  resource(
    { group: '', version: 'v1', resource: 'secrets', singular: 'secret', kind: 'Secret', namespaced: true },
    secretStrategy,
    'V1Secret',
  ),
  resource(
    {
      group: '',
      version: 'v1',
      resource: 'serviceaccounts',
      singular: 'serviceaccount',
      kind: 'ServiceAccount',
      namespaced: true,
      shortNames: ['sa'],
    },
    serviceAccountStrategy,
    'V1ServiceAccount',
  ),
  resource(
    { group: '', version: 'v1', resource: 'events', singular: 'event', kind: 'Event', namespaced: true, shortNames: ['ev'] },
    eventStrategy,
    'CoreV1Event',
  ),
  resource(
    { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', singular: 'lease', kind: 'Lease', namespaced: true },
    leaseStrategy,
    'V1Lease',
  ),
  resource(
    {
      group: 'apiextensions.k8s.io',
      version: 'v1',
      resource: 'customresourcedefinitions',
      singular: 'customresourcedefinition',
      kind: 'CustomResourceDefinition',
      namespaced: false,
      shortNames: ['crd', 'crds'],
      categories: ['api-extensions'],
      subresources: { status: true },
    },
    crdStrategy,
    'V1CustomResourceDefinition',
    CRD_KEY_PREFIX,
  ),
];
