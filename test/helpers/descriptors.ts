// Resource descriptors and CRD fixtures shared by the endpoints and schema unit tests.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { CRD } from '../../src/server/api/apiextensions.js';
import type { ResourceDescriptor } from '../../src/server/api/descriptor.js';
import type { KubeObject } from '../../src/server/api/types.js';
import { customResourceDescriptor } from '../../src/server/apiextensions/controller.js';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

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

/** The real-world CRD corpus beside the repository (../shared/crds); tests over it skip visibly without it. */
export const CORPUS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/crds');
export const corpusPresent = existsSync(CORPUS);
if (!corpusPresent) console.warn(`[kapi-env tests] ${CORPUS} not found: unit tests over the shared CRD corpus are skipped`);

/** Stands in for a corpus CRD when the corpus is absent, so module-level fixtures still evaluate; its tests are skipped. */
const ABSENT: CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'absents.corpus.invalid' },
  spec: {
    group: 'corpus.invalid',
    scope: 'Namespaced',
    names: { plural: 'absents', singular: 'absent', kind: 'Absent', listKind: 'AbsentList' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }],
  },
} as CRD;

export function crd(file: string): CRD {
  if (!corpusPresent) return ABSENT;
  return parseAllDocuments(readFileSync(path.join(CORPUS, file), 'utf8')).map((d) => d.toJS())[0];
}

export function examples(file: string): KubeObject[] {
  if (!corpusPresent) return [];
  return parseAllDocuments(readFileSync(path.join(CORPUS, file), 'utf8'))
    .map((d) => d.toJS())
    .filter(Boolean);
}

/** The descriptor the CRD controller builds for one served version. */
export function crdDescriptor(c: CRD, version: string): ResourceDescriptor {
  const v = c.spec.versions.find((x) => x.name === version) ?? { name: version, served: true, storage: false };
  return customResourceDescriptor(c, v);
}
