// The API Priority and Fairness objects kube-apiserver creates at startup
// (k8s.io/apiserver/pkg/apis/flowcontrol/bootstrap/default.go): the mandatory
// and suggested PriorityLevelConfigurations and FlowSchemas, each annotated
// `apf.kubernetes.io/autoupdate-spec: "true"`.

import type { KubeObject } from '../../api/types.js';
import type { Obj } from './values.js';

const API_VERSION = 'flowcontrol.apiserver.k8s.io/v1';
export const AUTO_UPDATE_ANNOTATION = 'apf.kubernetes.io/autoupdate-spec';

const meta = (name: string) => ({ name, annotations: { [AUTO_UPDATE_ANNOTATION]: 'true' } });

function queued(name: string, shares: number, lendable: number, queues: number, handSize: number): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: 'PriorityLevelConfiguration',
    metadata: meta(name),
    spec: {
      type: 'Limited',
      limited: {
        nominalConcurrencyShares: shares,
        limitResponse: { type: 'Queue', queuing: { queues, handSize, queueLengthLimit: 50 } },
        lendablePercent: lendable,
      },
    },
  };
}

/** Mandatory (catch-all, exempt) then suggested priority levels, in kube's order. */
export const BOOTSTRAP_PRIORITY_LEVELS: KubeObject[] = [
  {
    apiVersion: API_VERSION,
    kind: 'PriorityLevelConfiguration',
    metadata: meta('catch-all'),
    spec: { type: 'Limited', limited: { nominalConcurrencyShares: 5, limitResponse: { type: 'Reject' }, lendablePercent: 0 } },
  },
  {
    apiVersion: API_VERSION,
    kind: 'PriorityLevelConfiguration',
    metadata: meta('exempt'),
    spec: { type: 'Exempt', exempt: { nominalConcurrencyShares: 0, lendablePercent: 0 } },
  },
  queued('system', 30, 33, 64, 6),
  queued('node-high', 40, 25, 64, 6),
  queued('leader-election', 10, 0, 16, 4),
  queued('workload-high', 40, 50, 128, 6),
  queued('workload-low', 100, 90, 128, 6),
  queued('global-default', 20, 50, 128, 6),
];

const groups = (...names: string[]): Obj[] => names.map((name) => ({ kind: 'Group', group: { name } }));
const users = (...names: string[]): Obj[] => names.map((name) => ({ kind: 'User', user: { name } }));
const kubeSystemSAs = (...names: string[]): Obj[] =>
  names.map((name) => ({ kind: 'ServiceAccount', serviceAccount: { name, namespace: 'kube-system' } }));

const resourceRule = (verbs: string[], apiGroups: string[], resources: string[], clusterScope: boolean): Obj => ({
  verbs,
  apiGroups,
  resources,
  ...(clusterScope ? { clusterScope: true } : {}),
  namespaces: ['*'],
});
const nonResourceRule = (verbs: string[], nonResourceURLs: string[]): Obj => ({ verbs, nonResourceURLs });
const everything = { resourceRules: [resourceRule(['*'], ['*'], ['*'], true)], nonResourceRules: [nonResourceRule(['*'], ['*'])] };

function flowSchema(name: string, priorityLevel: string, precedence: number, distinguisher: string, rule: Obj): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: 'FlowSchema',
    metadata: meta(name),
    spec: {
      priorityLevelConfiguration: { name: priorityLevel },
      matchingPrecedence: precedence,
      ...(distinguisher ? { distinguisherMethod: { type: distinguisher } } : {}),
      rules: [rule],
    },
  };
}

const SA_GROUP = 'system:serviceaccounts';
const KCM = 'system:kube-controller-manager';
const SCHEDULER = 'system:kube-scheduler';
const AUTHENTICATED = ['system:unauthenticated', 'system:authenticated'];

/** Mandatory (exempt, catch-all) then suggested flow schemas, in kube's order. */
export const BOOTSTRAP_FLOW_SCHEMAS: KubeObject[] = [
  flowSchema('exempt', 'exempt', 1, '', { subjects: groups('system:masters'), ...everything }),
  flowSchema('catch-all', 'catch-all', 10000, 'ByUser', { subjects: groups(...AUTHENTICATED), ...everything }),
  flowSchema('system-nodes', 'system', 500, 'ByUser', { subjects: groups('system:nodes'), ...everything }),
  flowSchema('system-node-high', 'node-high', 400, 'ByUser', {
    subjects: groups('system:nodes'),
    resourceRules: [
      resourceRule(['*'], [''], ['nodes', 'nodes/status'], true),
      resourceRule(['*'], ['coordination.k8s.io'], ['leases'], false),
    ],
  }),
  flowSchema('probes', 'exempt', 2, '', {
    subjects: groups(...AUTHENTICATED),
    nonResourceRules: [nonResourceRule(['get'], ['/healthz', '/readyz', '/livez'])],
  }),
  flowSchema('system-leader-election', 'leader-election', 100, 'ByUser', {
    subjects: [...users(KCM, SCHEDULER), ...kubeSystemSAs('*')],
    resourceRules: [resourceRule(['get', 'create', 'update'], ['coordination.k8s.io'], ['leases'], false)],
  }),
  flowSchema('workload-leader-election', 'leader-election', 200, 'ByUser', {
    subjects: kubeSystemSAs('*'),
    resourceRules: [
      resourceRule(['get', 'create', 'update'], [''], ['endpoints', 'configmaps'], false),
      resourceRule(['get', 'create', 'update'], ['coordination.k8s.io'], ['leases'], false),
    ],
  }),
  flowSchema('endpoint-controller', 'workload-high', 150, 'ByUser', {
    subjects: [...users(KCM), ...kubeSystemSAs('endpoint-controller', 'endpointslicemirroring-controller')],
    resourceRules: [resourceRule(['get', 'create', 'update'], [''], ['endpoints'], false)],
  }),
  flowSchema('kube-controller-manager', 'workload-high', 800, 'ByNamespace', { subjects: users(KCM), ...everything }),
  flowSchema('kube-scheduler', 'workload-high', 800, 'ByNamespace', { subjects: users(SCHEDULER), ...everything }),
  flowSchema('kube-system-service-accounts', 'workload-high', 900, 'ByNamespace', { subjects: kubeSystemSAs('*'), ...everything }),
  flowSchema('service-accounts', 'workload-low', 9000, 'ByUser', { subjects: groups(SA_GROUP), ...everything }),
  flowSchema('global-default', 'global-default', 9900, 'ByUser', { subjects: groups(...AUTHENTICATED), ...everything }),
];

/** The mandatory objects' specs, which validation holds fixed (internalbootstrap.Mandatory*). */
export const MANDATORY_PRIORITY_LEVELS = new Map(
  BOOTSTRAP_PRIORITY_LEVELS.filter((o) => ['exempt', 'catch-all'].includes(o.metadata!.name!)).map((o) => [o.metadata!.name!, o.spec]),
);
export const MANDATORY_FLOW_SCHEMAS = new Map(
  BOOTSTRAP_FLOW_SCHEMAS.filter((o) => ['exempt', 'catch-all'].includes(o.metadata!.name!)).map((o) => [o.metadata!.name!, o.spec]),
);
