// Discovery documents: legacy (/api, /apis, /apis/G, /apis/G/V, /api/v1) and
// aggregated (apidiscovery.k8s.io v2 / v2beta1), as kube-apiserver builds them.

import { createHash } from 'node:crypto';
import type { ResourceDescriptor } from '../api/descriptor.js';
import { parseMediaRanges } from '../http/negotiation.js';

/**
 * kube-apiserver's APIService priorities for built-in groups (group priority;
 * per-version priority): groups are listed by descending group priority, ties
 * by name; versions by descending version priority, then kube-aware order.
 */
const GROUP_PRIORITY: Record<string, number> = {
  '': 18000,
  'apiregistration.k8s.io': 18000,
  apps: 17800,
  'events.k8s.io': 17750,
  'authentication.k8s.io': 17700,
  'authorization.k8s.io': 17600,
  autoscaling: 17500,
  batch: 17400,
  'certificates.k8s.io': 17300,
  'networking.k8s.io': 17200,
  policy: 17100,
  'rbac.authorization.k8s.io': 17000,
  'storage.k8s.io': 16800,
  'admissionregistration.k8s.io': 16700,
  'apiextensions.k8s.io': 16700,
  'scheduling.k8s.io': 16600,
  'coordination.k8s.io': 16500,
  'node.k8s.io': 16300,
  'discovery.k8s.io': 16200,
  'resource.k8s.io': 16200,
  'flowcontrol.apiserver.k8s.io': 16100,
  'internal.apiserver.k8s.io': 16000,
  'storagemigration.k8s.io': 15800,
};

/** Group priority of CRD groups (the APIServices the CRD registration controller creates). */
const CUSTOM_GROUP_PRIORITY = 1000;

const VERSION_PRIORITY: Record<string, number> = { '/v1': 1, 'autoscaling/v2': 30, 'flowcontrol.apiserver.k8s.io/v1': 21 };

/** Version priority of CRD group-versions (the CRD registration controller's APIServices). */
const CUSTOM_VERSION_PRIORITY = 100;

/** Whether a group is served by kube-apiserver itself (anything else is a CRD group here). */
export function isBuiltinGroup(group: string): boolean {
  return group in GROUP_PRIORITY;
}

/**
 * The groupPriorityMinimum and versionPriority of a served group-version's local APIService: kube's
 * apiVersionPriorities table for built-ins, 1000/100 for CRD groups (crdregistration).
 */
export function apiServicePriority(group: string, version: string): { group: number; version: number } {
  if (!isBuiltinGroup(group)) return { group: CUSTOM_GROUP_PRIORITY, version: CUSTOM_VERSION_PRIORITY };
  return { group: GROUP_PRIORITY[group], version: VERSION_PRIORITY[`${group}/${version}`] ?? 15 };
}

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
  const pa = GROUP_PRIORITY[a] ?? CUSTOM_GROUP_PRIORITY;
  const pb = GROUP_PRIORITY[b] ?? CUSTOM_GROUP_PRIORITY;
  if (pa !== pb) return pb - pa;
  if (a === '') return -1;
  if (b === '') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareGroupVersions(group: string): (a: string, b: string) => number {
  return (a, b) => {
    const pa = VERSION_PRIORITY[`${group}/${a}`] ?? 15;
    const pb = VERSION_PRIORITY[`${group}/${b}`] ?? 15;
    return pa !== pb ? pb - pa : compareVersions(a, b);
  };
}

/** base64 of the first 8 bytes of sha256("group/version/Kind") of the storage version. */
export function storageVersionHash(group: string, version: string, kind: string): string {
  return createHash('sha256').update(`${group}/${version}/${kind}`).digest().subarray(0, 8).toString('base64');
}

export interface DiscoveryOptions {
  /** Storage version per `group/resource` (CRDs), for storageVersionHash; default the served version. */
  storageVersions?: Map<string, string>;
  /** Whether a descriptor is a custom resource; default: its group is not a built-in group. */
  isCustom?: (d: ResourceDescriptor) => boolean;
}

interface GroupVersions {
  group: string;
  /** Most preferred first. */
  versions: string[];
}

/** Served groups in kube's priority order, each with its versions most preferred first. */
export function servedGroups(ds: ResourceDescriptor[]): GroupVersions[] {
  const m = new Map<string, Set<string>>();
  for (const d of ds) {
    if (!m.has(d.group)) m.set(d.group, new Set());
    m.get(d.group)!.add(d.version);
  }
  return [...m.entries()]
    .sort((a, b) => compareGroups(a[0], b[0]))
    .map(([group, vs]) => ({ group, versions: [...vs].sort(compareGroupVersions(group)) }));
}

/** GET /api. Served without apiVersion (kube strips it for the legacy group). */
export function apiVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupDoc(g: GroupVersions): Record<string, unknown> {
  const versions = g.versions.map((v) => ({ groupVersion: `${g.group}/${v}`, version: v }));
  return { name: g.group, versions, preferredVersion: versions[0] };
}

/** GET /apis. */
export function apiGroupList(ds: ResourceDescriptor[]): Record<string, unknown> {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: servedGroups(ds)
      .filter((g) => g.group !== '')
      .map(groupDoc),
  };
}

/** GET /apis/<group>; undefined when the group is not served (404). */
export function apiGroup(ds: ResourceDescriptor[], group: string): Record<string, unknown> | undefined {
  const g = servedGroups(ds).find((x) => x.group === group && group !== '');
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(g) } : undefined;
}

const SUBRESOURCE_VERBS = ['get', 'patch', 'update'];

/** The APIResource entries of one group-version, subresources included, sorted by name as kube's installer registers them. */
function apiResources(ds: ResourceDescriptor[], group: string, version: string, opts: DiscoveryOptions): Record<string, unknown>[] {
  const resources: Record<string, unknown>[] = [];
  for (const d of ds) {
    if (d.group !== group || d.version !== version) continue;
    const r: Record<string, unknown> = {
      name: d.resource,
      singularName: d.singular,
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: d.verbs,
    };
    if (d.shortNames?.length) r.shortNames = d.shortNames;
    if (d.categories?.length) r.categories = d.categories;
    if (d.storageVersionHash !== false)
      r.storageVersionHash = storageVersionHash(
        group,
        opts.storageVersions?.get(`${group}/${d.resource}`) ?? d.storageVersion ?? version,
        d.kind,
      );
    resources.push(r);
    if (d.subresources?.status) {
      resources.push({ name: `${d.resource}/status`, singularName: '', namespaced: d.namespaced, kind: d.kind, verbs: SUBRESOURCE_VERBS });
    }
    if (d.subresources?.scale) {
      resources.push({
        name: `${d.resource}/scale`,
        singularName: '',
        namespaced: d.namespaced,
        group: 'autoscaling',
        version: 'v1',
        kind: 'Scale',
        verbs: SUBRESOURCE_VERBS,
      });
    }
    for (const sub of d.subresources?.others ?? []) {
      const r: Record<string, unknown> = { name: `${d.resource}/${sub.name}`, singularName: '', namespaced: d.namespaced };
      if (sub.group !== undefined) r.group = sub.group;
      if (sub.version !== undefined) r.version = sub.version;
      r.kind = sub.kind;
      r.verbs = sub.verbs;
      resources.push(r);
    }
  }
  return resources.sort((a, b) => ((a.name as string) < (b.name as string) ? -1 : (a.name as string) > (b.name as string) ? 1 : 0));
}

/**
 * GET /api/v1 and /apis/<group>/<version>: APIResourceList; undefined when
 * nothing is served there (404). The legacy group's list has no apiVersion.
 * The last parameter may also be the CRD storage-version map alone.
 */
export function apiResourceList(
  ds: ResourceDescriptor[],
  group: string,
  version: string,
  options?: DiscoveryOptions | Map<string, string>,
): Record<string, unknown> | undefined {
  const opts: DiscoveryOptions = options instanceof Map ? { storageVersions: options } : (options ?? {});
  const resources = apiResources(ds, group, version, opts);
  if (resources.length === 0) return undefined;
  const doc: Record<string, unknown> = { kind: 'APIResourceList' };
  if (group !== '') doc.apiVersion = 'v1';
  doc.groupVersion = group ? `${group}/${version}` : version;
  doc.resources = resources;
  return doc;
}

export type DiscoveryFormat = 'v2' | 'v2beta1' | 'legacy';

export const AGGREGATED_CONTENT_TYPE: Record<'v2' | 'v2beta1', string> = {
  v2: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
  v2beta1: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList',
};

/**
 * Which document /api and /apis answer: the first Accept entry we can serve
 * decides (client-go lists v2, then v2beta1, then plain JSON). Aggregated
 * discovery is JSON only here; protobuf entries are skipped.
 */
export function negotiateDiscovery(accept: string | undefined): DiscoveryFormat {
  const ranges = parseMediaRanges(accept)
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const r of ranges) {
    if (r.params.as === 'APIGroupDiscoveryList' && r.params.g === 'apidiscovery.k8s.io') {
      if (r.type !== 'application/json') continue;
      if (r.params.v === 'v2') return 'v2';
      if (r.params.v === 'v2beta1') return 'v2beta1';
      continue;
    }
    if (!r.params.as) return 'legacy';
  }
  return 'legacy';
}

/** negotiateDiscovery plus the Content-Type to answer with (undefined for legacy: the usual JSON/YAML negotiation applies). */
export function discoveryResponseType(accept: string | undefined): { format: DiscoveryFormat; contentType?: string } {
  const format = negotiateDiscovery(accept);
  return format === 'legacy' ? { format } : { format, contentType: AGGREGATED_CONTENT_TYPE[format] };
}

/**
 * The APIGroupDiscoveryList for /api (one item, the legacy group, whose name
 * is "") or /apis. Built-in resources carry responseKind with empty group and
 * version, as kube's installer converts them; custom resources carry theirs.
 */
export function aggregatedDiscovery(
  ds: ResourceDescriptor[],
  scope: 'api' | 'apis',
  version: 'v2' | 'v2beta1',
  options: DiscoveryOptions = {},
): Record<string, unknown> {
  const isCustom = options.isCustom ?? ((d: ResourceDescriptor) => !isBuiltinGroup(d.group));
  const items = servedGroups(ds)
    .filter((g) => (scope === 'api' ? g.group === '' : g.group !== ''))
    .map((g) => ({
      metadata: g.group === '' ? { creationTimestamp: null } : { name: g.group, creationTimestamp: null },
      versions: g.versions.map((v) => ({
        version: v,
        resources: ds
          .filter((d) => d.group === g.group && d.version === v)
          .sort((a, b) => (a.resource < b.resource ? -1 : 1))
          .map((d) => {
            const own = isCustom(d) ? { group: d.group, version: d.version, kind: d.kind } : { group: '', version: '', kind: d.kind };
            const r: Record<string, unknown> = {
              resource: d.resource,
              responseKind: own,
              scope: d.namespaced ? 'Namespaced' : 'Cluster',
              singularResource: d.singular,
              verbs: d.verbs,
            };
            if (d.shortNames?.length) r.shortNames = d.shortNames;
            if (d.categories?.length) r.categories = d.categories;
            const subs: Record<string, unknown>[] = [];
            if (d.subresources?.scale)
              subs.push({
                subresource: 'scale',
                responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
                verbs: SUBRESOURCE_VERBS,
              });
            if (d.subresources?.status) subs.push({ subresource: 'status', responseKind: own, verbs: SUBRESOURCE_VERBS });
            for (const sub of d.subresources?.others ?? []) {
              subs.push({
                subresource: sub.name,
                responseKind: { group: sub.group ?? '', version: sub.version ?? '', kind: sub.kind },
                verbs: sub.verbs,
              });
            }
            // kube lists subresources in installer (name) order for built-ins; CRDs list status before scale.
            if (isCustom(d)) subs.reverse();
            else subs.sort((a, b) => ((a.subresource as string) < (b.subresource as string) ? -1 : 1));
            if (subs.length) r.subresources = subs;
            return r;
          }),
        freshness: 'Current',
      })),
    }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}
