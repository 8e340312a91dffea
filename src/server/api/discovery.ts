// Discovery documents: legacy (/api, /apis, /apis/G, /apis/G/V, /api/v1) and
// aggregated (apidiscovery.k8s.io v2 / v2beta1), as kube-apiserver builds them.

import { createHash } from 'node:crypto';
import type { ResourceDescriptor } from '../registry/strategy.js';
import { parseMediaRanges } from '../http/negotiation.js';

/** Built-in group order kube-apiserver uses (legacy API group priorities); other groups follow alphabetically. */
const GROUP_ORDER = [
  '', 'apiregistration.k8s.io', 'apps', 'events.k8s.io', 'authentication.k8s.io', 'authorization.k8s.io', 'autoscaling', 'batch',
  'certificates.k8s.io', 'networking.k8s.io', 'policy', 'rbac.authorization.k8s.io', 'storage.k8s.io', 'admissionregistration.k8s.io',
  'apiextensions.k8s.io', 'scheduling.k8s.io', 'coordination.k8s.io', 'node.k8s.io', 'discovery.k8s.io', 'flowcontrol.apiserver.k8s.io',
];

/** Kube-aware version order: GA before beta before alpha, higher numbers first, then the rest lexically. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number, string] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [3, 0, 0, v];
    const level = m[2] === undefined ? 0 : m[2] === 'beta' ? 1 : 2;
    return [level, -Number(m[1]), -Number(m[3] ?? 0), v];
  };
  const pa = parse(a);
  const pb = parse(b);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return (pa[i] as number) - (pb[i] as number);
  return pa[3] < pb[3] ? -1 : pa[3] > pb[3] ? 1 : 0;
}

function compareGroups(a: string, b: string): number {
  const ia = GROUP_ORDER.indexOf(a);
  const ib = GROUP_ORDER.indexOf(b);
  if (ia >= 0 || ib >= 0) return (ia < 0 ? 1000 : ia) - (ib < 0 ? 1000 : ib);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** base64 of the first 8 bytes of sha256("group/version/Kind") of the storage version. */
export function storageVersionHash(group: string, version: string, kind: string): string {
  return createHash('sha256').update(`${group}/${version}/${kind}`).digest().subarray(0, 8).toString('base64');
}

interface GroupVersions {
  group: string;
  versions: string[];
}

function groups(ds: ResourceDescriptor[]): GroupVersions[] {
  const m = new Map<string, Set<string>>();
  for (const d of ds) {
    if (!m.has(d.group)) m.set(d.group, new Set());
    m.get(d.group)!.add(d.version);
  }
  return [...m.entries()].sort((a, b) => compareGroups(a[0], b[0])).map(([group, vs]) => ({ group, versions: [...vs].sort(compareVersions) }));
}

export function apiVersions(serverAddress: string): unknown {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupDoc(g: GroupVersions): Record<string, unknown> {
  const versions = g.versions.map((v) => ({ groupVersion: `${g.group}/${v}`, version: v }));
  return { name: g.group, versions, preferredVersion: versions[0] };
}

export function apiGroupList(ds: ResourceDescriptor[]): unknown {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups(ds).filter((g) => g.group !== '').map(groupDoc) };
}

export function apiGroup(ds: ResourceDescriptor[], group: string): unknown | undefined {
  const g = groups(ds).find((x) => x.group === group && group !== '');
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(g) } : undefined;
}

/** Each resource plus its subresources, as APIResource entries. */
export function apiResourceList(ds: ResourceDescriptor[], group: string, version: string, storageVersions?: Map<string, string>): unknown | undefined {
  const mine = ds.filter((d) => d.group === group && d.version === version).sort((a, b) => (a.resource < b.resource ? -1 : 1));
  if (mine.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const d of mine) {
    const r: Record<string, unknown> = {
      name: d.resource, singularName: d.singular, namespaced: d.namespaced, kind: d.kind, verbs: d.verbs,
    };
    if (d.shortNames?.length) r.shortNames = d.shortNames;
    if (d.categories?.length) r.categories = d.categories;
    r.storageVersionHash = storageVersionHash(group, storageVersions?.get(`${group}/${d.resource}`) ?? version, d.kind);
    resources.push(r);
    if (d.subresources?.status) resources.push({ name: `${d.resource}/status`, singularName: '', namespaced: d.namespaced, kind: d.kind, verbs: ['get', 'patch', 'update'] });
    if (d.subresources?.scale) {
      resources.push({ name: `${d.resource}/scale`, singularName: '', namespaced: d.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

export type DiscoveryFormat = 'v2' | 'v2beta1' | 'legacy';

export const AGGREGATED_CONTENT_TYPE: Record<'v2' | 'v2beta1', string> = {
  v2: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
  v2beta1: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList',
};

/** The first Accept entry we can serve decides (client-go lists v2, then v2beta1, then plain JSON). */
export function negotiateDiscovery(accept: string | undefined): DiscoveryFormat {
  for (const r of parseMediaRanges(accept)) {
    if (r.params['as'] === 'APIGroupDiscoveryList' && r.params['g'] === 'apidiscovery.k8s.io') {
      if (r.params['v'] === 'v2') return 'v2';
      if (r.params['v'] === 'v2beta1') return 'v2beta1';
      continue;
    }
    if (!r.params['as']) return 'legacy';
  }
  return 'legacy';
}

export function aggregatedDiscovery(ds: ResourceDescriptor[], scope: 'api' | 'apis', version: 'v2' | 'v2beta1'): unknown {
  const items = groups(ds).filter((g) => (scope === 'api' ? g.group === '' : g.group !== '')).map((g) => ({
    metadata: { name: g.group, creationTimestamp: null },
    versions: g.versions.map((v) => ({
      version: v,
      freshness: 'Current',
      resources: ds.filter((d) => d.group === g.group && d.version === v).sort((a, b) => (a.resource < b.resource ? -1 : 1)).map((d) => {
        const r: Record<string, unknown> = {
          resource: d.resource, responseKind: { group: d.group, version: d.version, kind: d.kind },
          scope: d.namespaced ? 'Namespaced' : 'Cluster', singularResource: d.singular, verbs: d.verbs,
        };
        if (d.shortNames?.length) r.shortNames = d.shortNames;
        if (d.categories?.length) r.categories = d.categories;
        const subs: Record<string, unknown>[] = [];
        if (d.subresources?.status) subs.push({ subresource: 'status', responseKind: { group: d.group, version: d.version, kind: d.kind }, verbs: ['get', 'patch', 'update'] });
        if (d.subresources?.scale) subs.push({ subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] });
        if (subs.length) r.subresources = subs;
        return r;
      }),
    })),
  }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}
