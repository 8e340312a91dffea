// Workloads: apps/v1, batch/v1, autoscaling/v1 and v2, policy/v1 (pods,
// podtemplates and replicationcontrollers are the pods area's). The strategies
// live beside: apps.ts, batch.ts, autoscaling.ts, policy.ts.

import { type BuiltinResource, builtinResource as resource } from '../builtin.js';
import { controllerRevisionStrategy, daemonSetStrategy, deploymentStrategy, replicaSetStrategy, statefulSetStrategy } from './apps.js';
import { hpaV1Strategy, hpaV1ToV2, hpaV2Strategy, hpaV2ToV1 } from './autoscaling.js';
import { cronJobStrategy, jobStrategy } from './batch.js';
import { podDisruptionBudgetStrategy } from './policy.js';

/** The scale subresource of the replicated workloads (their ScaleREST): spec.replicas, status.replicas, the selector. */
const scale = { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.spec.selector' };

const hpa = {
  group: 'autoscaling',
  resource: 'horizontalpodautoscalers',
  singular: 'horizontalpodautoscaler',
  kind: 'HorizontalPodAutoscaler',
  namespaced: true,
  shortNames: ['hpa'],
  categories: ['all'],
  subresources: { status: true },
};

export const workloadResources: BuiltinResource[] = [
  resource(
    {
      group: 'apps',
      version: 'v1',
      resource: 'deployments',
      singular: 'deployment',
      kind: 'Deployment',
      namespaced: true,
      shortNames: ['deploy'],
      categories: ['all'],
      subresources: { status: true, scale },
    },
    deploymentStrategy,
    'V1Deployment',
  ),
  resource(
    {
      group: 'apps',
      version: 'v1',
      resource: 'replicasets',
      singular: 'replicaset',
      kind: 'ReplicaSet',
      namespaced: true,
      shortNames: ['rs'],
      categories: ['all'],
      subresources: { status: true, scale },
    },
    replicaSetStrategy,
    'V1ReplicaSet',
  ),
  resource(
    {
      group: 'apps',
      version: 'v1',
      resource: 'statefulsets',
      singular: 'statefulset',
      kind: 'StatefulSet',
      namespaced: true,
      shortNames: ['sts'],
      categories: ['all'],
      subresources: { status: true, scale },
    },
    statefulSetStrategy,
    'V1StatefulSet',
  ),
  resource(
    {
      group: 'apps',
      version: 'v1',
      resource: 'daemonsets',
      singular: 'daemonset',
      kind: 'DaemonSet',
      namespaced: true,
      shortNames: ['ds'],
      categories: ['all'],
      subresources: { status: true },
    },
    daemonSetStrategy,
    'V1DaemonSet',
  ),
  resource(
    {
      group: 'apps',
      version: 'v1',
      resource: 'controllerrevisions',
      singular: 'controllerrevision',
      kind: 'ControllerRevision',
      namespaced: true,
    },
    controllerRevisionStrategy,
    'V1ControllerRevision',
  ),
  resource(
    {
      group: 'batch',
      version: 'v1',
      resource: 'jobs',
      singular: 'job',
      kind: 'Job',
      namespaced: true,
      categories: ['all'],
      subresources: { status: true },
    },
    jobStrategy,
    'V1Job',
  ),
  resource(
    {
      group: 'batch',
      version: 'v1',
      resource: 'cronjobs',
      singular: 'cronjob',
      kind: 'CronJob',
      namespaced: true,
      shortNames: ['cj'],
      categories: ['all'],
      subresources: { status: true },
    },
    cronJobStrategy,
    'V1CronJob',
  ),
  // One storage (autoscaling/v2, the storage version), served in both versions.
  resource({ ...hpa, version: 'v2' }, hpaV2Strategy, 'V2HorizontalPodAutoscaler'),
  resource({ ...hpa, version: 'v1', storageVersion: 'v2' }, hpaV1Strategy, 'V1HorizontalPodAutoscaler', undefined, {
    conversion: { storageApiVersion: 'autoscaling/v2', fromStorage: hpaV2ToV1, toStorage: hpaV1ToV2 },
  }),
  resource(
    {
      group: 'policy',
      version: 'v1',
      resource: 'poddisruptionbudgets',
      singular: 'poddisruptionbudget',
      kind: 'PodDisruptionBudget',
      namespaced: true,
      shortNames: ['pdb'],
      subresources: { status: true },
    },
    podDisruptionBudgetStrategy,
    'V1PodDisruptionBudget',
  ),
];
