// Networking and the cluster's core/v1 infrastructure: services, endpoints,
// nodes, persistent volumes and claims, quotas, limit ranges, component
// statuses; discovery.k8s.io/v1; networking.k8s.io/v1. Storage keys as
// kube-apiserver lays them out (`/registry/services/specs/...`, `/registry/minions/...`).

import type { KubeObject } from '../../api/types.js';
import type { Storage } from '../../storage/interface.js';
import { type BuiltinResource, builtinResource as resource, type ServerOptions, type SystemObjectsContext } from '../builtin.js';
import { IPAllocator, PortAllocator, parsePortRange, parseServiceCIDRs } from './allocator.js';
import { COMPONENT_STATUS_WARNING, componentStatuses, componentStatusStrategy } from './componentstatus.js';
import { endpointSliceStrategy, endpointsStrategy } from './endpoints.js';
import { formatIP } from './netutil.js';
import { INGRESS_CLASSES_KEY_PREFIX, ingressClassStrategy, ingressStrategy, networkPolicyStrategy } from './networking.js';
import { nodeProxy, nodeStrategy } from './node.js';
import { limitRangeStrategy, resourceQuotaStrategy } from './quota.js';
import {
  ENDPOINTS_KEY_PREFIX,
  SERVICES_KEY_PREFIX,
  ServiceAllocators,
  serviceProxy,
  serviceStrategy,
  serviceStrategyFor,
  servicesInUse,
} from './service.js';
import { persistentVolumeClaimStrategy, persistentVolumeStrategy } from './volume.js';

function cidrsOf(options: ServerOptions) {
  const cidrs = parseServiceCIDRs(options.serviceClusterIPRange);
  if (typeof cidrs === 'string') throw new Error(cidrs);
  return cidrs;
}

/** The allocators of one server: ClusterIPs per family and NodePorts, their bitmaps under /ranges (kube's keys). */
function serviceAllocators(storage: Storage, options: ServerOptions): ServiceAllocators {
  const inUse = () => servicesInUse(storage);
  const ips = cidrsOf(options).map(
    (c, i) => new IPAllocator(storage, c, i === 0 ? '/ranges/serviceips' : '/ranges/secondaryserviceips', async () => (await inUse()).ips),
  );
  const range = parsePortRange(options.serviceNodePortRange);
  if (!range) throw new Error(`invalid service node port range ${options.serviceNodePortRange}`);
  const nodePorts = new PortAllocator(storage, range, '/ranges/servicenodeports', async () => (await inUse()).nodePorts);
  return new ServiceAllocators(storage, ips, nodePorts);
}

/**
 * The `kubernetes` Service as kube's controller creates it: the range's first address, port 443 `https`
 * to the server's port, no selector (its endpoints are the API server's own).
 */
function kubernetesService(ctx: SystemObjectsContext): KubeObject[] {
  const first = cidrsOf(ctx)[0];
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: {
        ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: ctx.port }],
        clusterIP: formatIP({ family: first.family, value: first.base + 1n }),
        ipFamilyPolicy: 'SingleStack',
        sessionAffinity: 'None',
        type: 'ClusterIP',
      },
    } as KubeObject,
  ];
}

const PROXY_VERBS = ['create', 'delete', 'get', 'patch', 'update'];

export const serviceResources: BuiltinResource[] = [
  resource(
    {
      group: '',
      version: 'v1',
      resource: 'services',
      singular: 'service',
      kind: 'Service',
      namespaced: true,
      shortNames: ['svc'],
      categories: ['all'],
      subresources: { status: true },
    },
    serviceStrategy,
    'V1Service',
    SERVICES_KEY_PREFIX,
    {
      configure: (storage, options) => serviceStrategyFor(serviceAllocators(storage, options)),
      subresources: [{ ...serviceProxy, verbs: PROXY_VERBS }],
      systemObjects: kubernetesService,
      reconcileSystemObjects: true,
    },
  ),
  resource(
    { group: '', version: 'v1', resource: 'endpoints', singular: 'endpoints', kind: 'Endpoints', namespaced: true, shortNames: ['ep'] },
    endpointsStrategy,
    'V1Endpoints',
    ENDPOINTS_KEY_PREFIX,
  ),
  resource(
    {
      group: 'discovery.k8s.io',
      version: 'v1',
      resource: 'endpointslices',
      singular: 'endpointslice',
      kind: 'EndpointSlice',
      namespaced: true,
    },
    endpointSliceStrategy,
    'V1EndpointSlice',
    '/endpointslices',
  ),
  resource(
    {
      group: 'networking.k8s.io',
      version: 'v1',
      resource: 'ingresses',
      singular: 'ingress',
      kind: 'Ingress',
      namespaced: true,
      shortNames: ['ing'],
      subresources: { status: true },
    },
    ingressStrategy,
    'V1Ingress',
    '/ingress',
  ),
  resource(
    {
      group: 'networking.k8s.io',
      version: 'v1',
      resource: 'ingressclasses',
      singular: 'ingressclass',
      kind: 'IngressClass',
      namespaced: false,
    },
    ingressClassStrategy,
    'V1IngressClass',
    INGRESS_CLASSES_KEY_PREFIX,
  ),
  resource(
    {
      group: 'networking.k8s.io',
      version: 'v1',
      resource: 'networkpolicies',
      singular: 'networkpolicy',
      kind: 'NetworkPolicy',
      namespaced: true,
      shortNames: ['netpol'],
    },
    networkPolicyStrategy,
    'V1NetworkPolicy',
  ),
  resource(
    {
      group: '',
      version: 'v1',
      resource: 'nodes',
      singular: 'node',
      kind: 'Node',
      namespaced: false,
      shortNames: ['no'],
      subresources: { status: true },
    },
    nodeStrategy,
    'V1Node',
    '/minions',
    { subresources: [{ ...nodeProxy, verbs: PROXY_VERBS }] },
  ),
  resource(
    {
      group: '',
      version: 'v1',
      resource: 'persistentvolumes',
      singular: 'persistentvolume',
      kind: 'PersistentVolume',
      namespaced: false,
      shortNames: ['pv'],
      subresources: { status: true },
    },
    persistentVolumeStrategy,
    'V1PersistentVolume',
  ),
  resource(
    {
      group: '',
      version: 'v1',
      resource: 'persistentvolumeclaims',
      singular: 'persistentvolumeclaim',
      kind: 'PersistentVolumeClaim',
      namespaced: true,
      shortNames: ['pvc'],
      subresources: { status: true },
    },
    persistentVolumeClaimStrategy,
    'V1PersistentVolumeClaim',
  ),
  resource(
    {
      group: '',
      version: 'v1',
      resource: 'resourcequotas',
      singular: 'resourcequota',
      kind: 'ResourceQuota',
      namespaced: true,
      shortNames: ['quota'],
      subresources: { status: true },
    },
    resourceQuotaStrategy,
    'V1ResourceQuota',
  ),
  resource(
    {
      group: '',
      version: 'v1',
      resource: 'limitranges',
      singular: 'limitrange',
      kind: 'LimitRange',
      namespaced: true,
      shortNames: ['limits'],
    },
    limitRangeStrategy,
    'V1LimitRange',
  ),
  resource(
    {
      group: '',
      version: 'v1',
      resource: 'componentstatuses',
      singular: 'componentstatus',
      kind: 'ComponentStatus',
      namespaced: false,
      shortNames: ['cs'],
      verbs: ['get', 'list'],
      storageVersionHash: false,
    },
    componentStatusStrategy,
    'V1ComponentStatus',
    undefined,
    { computed: componentStatuses, warnings: [COMPONENT_STATUS_WARNING] },
  ),
];
