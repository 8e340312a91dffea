// What an object counts against a ResourceQuota (kube's quota evaluators,
// pkg/quota/v1/evaluator/core and the generic object count evaluator): shared by
// the ResourceQuota admission plugin and the quota controller that keeps
// status.used.

import { compareQuantity, parseQuantity, type Quantity } from '../../api/quantity.js';
import type { KubeObject } from '../../api/types.js';
import { addLists, allContainers, maxLists, obj, objects, type ResourceList, resourceList } from './util.js';

const ONE: Quantity = { mantissa: 1n, scale: 0, format: 'DecimalSI' };
const n = (v: number): Quantity => ({ mantissa: BigInt(v), scale: 0, format: 'DecimalSI' });

/** Legacy quota names of object counts (core group): `pods`, `services`... beside `count/<resource>`. */
/** The core kinds a quota counts by their plain resource name (`pods`, `services`...) beside `count/<resource>`. */
export const LEGACY_OBJECT_COUNTS = [
  'pods',
  'services',
  'replicationcontrollers',
  'resourcequotas',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
] as const;
const LEGACY_COUNTS = new Set<string>(LEGACY_OBJECT_COUNTS);

/** `count/<resource>` for the core group, `count/<resource>.<group>` otherwise. */
export function countName(group: string, resource: string): string {
  return group ? `count/${resource}.${group}` : `count/${resource}`;
}

/** The group and resource a `count/...` quota name counts; undefined for other names. */
export function parseCountName(name: string): { group: string; resource: string } | undefined {
  if (!name.startsWith('count/')) return undefined;
  const rest = name.slice(6);
  const dot = rest.indexOf('.');
  return dot < 0 ? { group: '', resource: rest } : { group: rest.slice(dot + 1), resource: rest.slice(0, dot) };
}

const POD_COMPUTE = new Set(['cpu', 'memory', 'ephemeral-storage']);

/** A pod's requests and limits: the containers' sum, or the largest init container's when larger, plus overhead. */
export function podRequestsAndLimits(pod: KubeObject): { requests: ResourceList; limits: ResourceList } {
  const spec = obj(pod.spec) ?? {};
  let requests: ResourceList = new Map();
  let limits: ResourceList = new Map();
  for (const c of objects(spec.containers)) {
    requests = addLists(requests, resourceList(obj(c.resources)?.requests));
    limits = addLists(limits, resourceList(obj(c.resources)?.limits));
  }
  for (const c of objects(spec.initContainers)) {
    requests = maxLists(requests, resourceList(obj(c.resources)?.requests));
    limits = maxLists(limits, resourceList(obj(c.resources)?.limits));
  }
  const overhead = resourceList(spec.overhead);
  if (overhead.size) {
    requests = addLists(requests, overhead);
    limits = addLists(limits, new Map([...overhead].filter(([k]) => limits.has(k))));
  }
  return { requests, limits };
}

/** A pod that no longer counts: Succeeded or Failed (kube's QuotaV1Pod; past its deletion grace period too). */
export function podTerminal(pod: KubeObject): boolean {
  const phase = obj(pod.status)?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return true;
  const m = pod.metadata ?? {};
  if (m.deletionTimestamp && m.deletionGracePeriodSeconds !== undefined) {
    return Date.now() > Date.parse(m.deletionTimestamp) + m.deletionGracePeriodSeconds * 1000;
  }
  return false;
}

function podUsage(pod: KubeObject): ResourceList {
  // count/pods counts every stored pod; `pods` and compute resources only pods not yet terminal.
  const out: ResourceList = new Map([['count/pods', ONE]]);
  if (podTerminal(pod)) return out;
  out.set('pods', ONE);
  const { requests, limits } = podRequestsAndLimits(pod);
  for (const [k, v] of requests) {
    if (POD_COMPUTE.has(k)) {
      out.set(`requests.${k}`, v);
      out.set(k, v);
    } else if (k.includes('/') || k.startsWith('hugepages-')) out.set(`requests.${k}`, v);
  }
  for (const [k, v] of limits) if (POD_COMPUTE.has(k)) out.set(`limits.${k}`, v);
  return out;
}

function serviceUsage(svc: KubeObject): ResourceList {
  const spec = obj(svc.spec) ?? {};
  const out: ResourceList = new Map([
    ['services', ONE],
    ['count/services', ONE],
  ]);
  const type = spec.type ?? 'ClusterIP';
  const ports = objects(spec.ports).length;
  if (type === 'NodePort') out.set('services.nodeports', n(ports));
  if (type === 'LoadBalancer') {
    out.set('services.loadbalancers', ONE);
    out.set('services.nodeports', n(spec.allocateLoadBalancerNodePorts === false ? 0 : ports));
  }
  if (type !== 'NodePort' && type !== 'LoadBalancer') out.set('services.nodeports', n(0));
  if (type !== 'LoadBalancer') out.set('services.loadbalancers', n(0));
  return out;
}

function pvcUsage(pvc: KubeObject): ResourceList {
  const spec = obj(pvc.spec) ?? {};
  const out: ResourceList = new Map([
    ['persistentvolumeclaims', ONE],
    ['count/persistentvolumeclaims', ONE],
  ]);
  const cls = typeof spec.storageClassName === 'string' ? spec.storageClassName : '';
  if (cls) out.set(`${cls}.storageclass.storage.k8s.io/persistentvolumeclaims`, ONE);
  // The larger of the request and what status says is allocated (kube counts an expansion under way).
  const requested = parseQuantity(obj(obj(spec.resources)?.requests)?.storage);
  const allocated = parseQuantity(obj(obj(pvc.status)?.allocatedResources)?.storage);
  const storage = requested && allocated && compareQuantity(allocated, requested) > 0 ? allocated : requested;
  if (storage) {
    out.set('requests.storage', storage);
    if (cls) out.set(`${cls}.storageclass.storage.k8s.io/requests.storage`, storage);
  }
  return out;
}

/** What one object of this group-resource counts (the object count evaluator for anything without its own). */
export function usageOf(group: string, resource: string, o: KubeObject): ResourceList {
  if (group === '') {
    if (resource === 'pods') return podUsage(o);
    if (resource === 'services') return serviceUsage(o);
    if (resource === 'persistentvolumeclaims') return pvcUsage(o);
  }
  const out: ResourceList = new Map([[countName(group, resource), ONE]]);
  if (group === '' && LEGACY_COUNTS.has(resource)) out.set(resource, ONE);
  return out;
}

/** Whether a quota resource name is one this group-resource's evaluator tracks (MatchingResources). */
export function tracks(group: string, resource: string, name: string): boolean {
  if (name === countName(group, resource)) return true;
  if (group !== '') return false;
  if (resource === 'pods') {
    return (
      name === 'pods' ||
      ['cpu', 'memory', 'ephemeral-storage'].includes(name) ||
      /^(requests|limits)\.(cpu|memory|ephemeral-storage)$/.test(name) ||
      (name.startsWith('requests.') && (name.includes('/') || name.startsWith('requests.hugepages-')))
    );
  }
  if (resource === 'services') return name === 'services' || name === 'services.nodeports' || name === 'services.loadbalancers';
  if (resource === 'persistentvolumeclaims') {
    return (
      name === 'persistentvolumeclaims' ||
      name === 'requests.storage' ||
      /\.storageclass\.storage\.k8s\.io\/(requests\.storage|persistentvolumeclaims)$/.test(name)
    );
  }
  return LEGACY_COUNTS.has(resource) && name === resource;
}

/** The group-resources whose objects a quota name is computed from. */
export function sourcesOf(name: string): Array<{ group: string; resource: string }> {
  const count = parseCountName(name);
  if (count) return [count];
  if (LEGACY_COUNTS.has(name)) return [{ group: '', resource: name }];
  if (name.startsWith('services.')) return [{ group: '', resource: 'services' }];
  if (name === 'requests.storage' || name.includes('.storageclass.storage.k8s.io/'))
    return [{ group: '', resource: 'persistentvolumeclaims' }];
  return [{ group: '', resource: 'pods' }];
}

/** Whether every container sets what the quota constrains (kube's pod Constraints): the missing names, sorted. */
export function podMissing(pod: KubeObject, required: string[]): string[] {
  const constrained = required.filter((r) => /^(requests\.|limits\.)?(cpu|memory)$/.test(r));
  const missing = new Set<string>();
  for (const { c, kind } of allContainers(obj(pod.spec))) {
    if (kind === 'ephemeral') continue;
    const requests = resourceList(obj(c.resources)?.requests);
    const limits = resourceList(obj(c.resources)?.limits);
    const have = new Set<string>();
    for (const k of requests.keys()) {
      have.add(k);
      have.add(`requests.${k}`);
    }
    for (const k of limits.keys()) have.add(`limits.${k}`);
    for (const r of constrained) if (!have.has(r)) missing.add(r);
  }
  return [...missing].sort();
}

// --- scopes (pods only, as kube's pod evaluator) ---

function bestEffort(pod: KubeObject): boolean {
  return allContainers(obj(pod.spec)).every(({ c }) => {
    const r = obj(c.resources);
    return resourceList(r?.requests).size === 0 && resourceList(r?.limits).size === 0;
  });
}

function scopeMatches(scope: string, pod: KubeObject, selector?: { operator?: string; values?: string[] }): boolean {
  const spec = obj(pod.spec) ?? {};
  switch (scope) {
    case 'Terminating':
      return typeof spec.activeDeadlineSeconds === 'number';
    case 'NotTerminating':
      return typeof spec.activeDeadlineSeconds !== 'number';
    case 'BestEffort':
      return bestEffort(pod);
    case 'NotBestEffort':
      return !bestEffort(pod);
    case 'PriorityClass': {
      const cls = typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '';
      const values = selector?.values ?? [];
      switch (selector?.operator) {
        case 'In':
          return values.includes(cls);
        case 'NotIn':
          return !values.includes(cls);
        case 'Exists':
          return cls !== '';
        case 'DoesNotExist':
          return cls === '';
        default:
          return cls !== '';
      }
    }
    case 'CrossNamespacePodAffinity':
      return false;
    default:
      return false;
  }
}

/** Whether a quota's scopes (spec.scopes and spec.scopeSelector) select the object (kube's Matches, scope half). */
export function scopesMatch(quota: KubeObject, group: string, resource: string, o: KubeObject): boolean {
  const spec = obj(quota.spec) ?? {};
  const scopes = (Array.isArray(spec.scopes) ? spec.scopes : []).map((s) => ({ scope: String(s), selector: undefined }));
  const selectors = objects(obj(spec.scopeSelector)?.matchExpressions).map((e) => ({
    scope: String(e.scopeName ?? ''),
    selector: { operator: String(e.operator ?? ''), values: Array.isArray(e.values) ? e.values.map(String) : [] },
  }));
  const all = [...scopes, ...selectors];
  if (!all.length) return true;
  if (group !== '' || resource !== 'pods') return false;
  return all.every((s) => scopeMatches(s.scope, o, s.selector));
}
