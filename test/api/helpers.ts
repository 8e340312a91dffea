// Descriptors and CRD fixtures shared by the api tests.

import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { ResourceDescriptor } from '../../src/server/api/descriptor.js';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const CR_VERBS = ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'];

export const configmaps: ResourceDescriptor = {
  group: '',
  version: 'v1',
  resource: 'configmaps',
  singular: 'configmap',
  kind: 'ConfigMap',
  listKind: 'ConfigMapList',
  namespaced: true,
  verbs: VERBS,
  shortNames: ['cm'],
};
export const namespaces: ResourceDescriptor = {
  group: '',
  version: 'v1',
  resource: 'namespaces',
  singular: 'namespace',
  kind: 'Namespace',
  listKind: 'NamespaceList',
  namespaced: false,
  verbs: VERBS.filter((v) => v !== 'deletecollection'),
  shortNames: ['ns'],
  subresources: { status: true },
};
export const deployments: ResourceDescriptor = {
  group: 'apps',
  version: 'v1',
  resource: 'deployments',
  singular: 'deployment',
  kind: 'Deployment',
  listKind: 'DeploymentList',
  namespaced: true,
  verbs: VERBS,
  shortNames: ['deploy'],
  categories: ['all'],
  subresources: { status: true, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
};
export const leases: ResourceDescriptor = {
  group: 'coordination.k8s.io',
  version: 'v1',
  resource: 'leases',
  singular: 'lease',
  kind: 'Lease',
  listKind: 'LeaseList',
  namespaced: true,
  verbs: VERBS,
};

export function crd(path: string): Record<string, any> {
  return parseAllDocuments(readFileSync(`/work/shared/crds/${path}`, 'utf8')).map((d) => d.toJS())[0];
}

export function examples(path: string): Record<string, any>[] {
  return parseAllDocuments(readFileSync(`/work/shared/crds/${path}`, 'utf8'))
    .map((d) => d.toJS())
    .filter(Boolean);
}

/** The descriptor the CRD controller would build for one served version. */
export function crdDescriptor(c: Record<string, any>, version: string): ResourceDescriptor {
  const n = c.spec.names;
  return {
    group: c.spec.group,
    version,
    resource: n.plural,
    singular: n.singular ?? n.kind.toLowerCase(),
    kind: n.kind,
    listKind: n.listKind ?? `${n.kind}List`,
    namespaced: c.spec.scope === 'Namespaced',
    verbs: CR_VERBS,
    shortNames: n.shortNames,
    categories: n.categories,
    subresources: { status: !!c.spec.versions.find((v: any) => v.name === version)?.subresources?.status },
  };
}
