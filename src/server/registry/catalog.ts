// Every built-in resource served: the rows below plus each API area's rows
// from resources/ (builtin.ts: descriptor + strategy + storage key prefix +
// the generated model). The CustomResourceDefinition resource is one more row
// (kube decodes CRDs as a typed built-in); endpoints/install.ts installs every
// row. Nothing else changes to add a resource.

import { type BuiltinResource, builtinResource as resource } from './builtin.js';
import { CRD_KEY_PREFIX, crdStrategy } from './resources/apiextensions.js';
import { authenticationResources, serviceAccountSubresources } from './resources/authentication.js';
import { authorizationResources } from './resources/authorization.js';
import { clusterResources } from './resources/cluster.js';
import { leaseStrategy } from './resources/coordination.js';
import { configMapStrategy, eventStrategy, namespaceStrategy, secretStrategy, serviceAccountStrategy } from './resources/core.js';
import { podResources } from './resources/pods.js';
import { serviceResources } from './resources/services.js';
import { workloadResources } from './resources/workloads.js';

export type { BuiltinResource } from './builtin.js';

export const BUILTIN_RESOURCES: BuiltinResource[] = [
  ...podResources,
  ...workloadResources,
  ...serviceResources,
  ...clusterResources,
  ...authenticationResources,
  ...authorizationResources,
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
    undefined,
    // PUT only (kube's FinalizeREST): the namespace's spec.finalizers; emptied on a namespace being deleted, it goes.
    { subresources: [{ name: 'finalize', kind: 'Namespace', verbs: ['update'], handler: 'update' }] },
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
    undefined,
    serviceAccountSubresources,
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
