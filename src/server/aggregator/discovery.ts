// Discovery with the remote group-versions merged in, as kube-aggregator serves
// it: /apis lists every APIService's group ordered by groupPriorityMinimum
// (then name) and versions by versionPriority (then kube's version order)
// (handler_apis.go); /apis/<group> of a remote group is built from its
// APIServices; the aggregated document carries each remote group-version's
// resources as the discovery manager fetched them (handler_discovery.go): the
// server's own aggregated /apis when it serves one, else its
// /apis/<group>/<version> converted (ConvertGroupVersionIntoToDiscovery); a
// group-version whose fetch failed is listed without resources, Stale.

import { isPlainObject } from '../api/types.js';
import { apiServicePriority, compareVersions } from '../endpoints/discovery.js';
import type { RemoteAPIService } from './apiservice.js';
import { fetchOnce } from './fetch.js';
import type { Endpoint, ProxyTransport } from './transport.js';

type Doc = Record<string, unknown>;

/** An apidiscovery.k8s.io APIVersionDiscovery. */
export type VersionDiscovery = Doc & { version: string };

const AGGREGATED_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';
const FETCH_TIMEOUT_MS = 5_000;

const records = (v: unknown): Doc[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
/** Go's nil slice is `null` where the field has no omitempty (singularResource and verbs always appear). */
const verbsOf = (r: Doc): unknown => (Array.isArray(r.verbs) ? r.verbs : null);

/** ConvertGroupVersionIntoToDiscovery: an APIResourceList's entries as one version's resources, subresources under their parents. */
export function convertResourceList(list: Doc): Doc[] {
  const out: Doc[] = [];
  const parents = new Map<string, Doc>();
  const all = records(list.resources);
  const gvk = (r: Doc) => ({ group: str(r.group), version: str(r.version), kind: str(r.kind) });
  for (const r of all) {
    const name = str(r.name);
    if (name.includes('/')) continue;
    const d: Doc = {
      resource: name,
      responseKind: gvk(r),
      scope: r.namespaced ? 'Namespaced' : 'Cluster',
      singularResource: str(r.singularName),
      verbs: verbsOf(r),
    };
    if (Array.isArray(r.shortNames) && r.shortNames.length) d.shortNames = r.shortNames;
    if (Array.isArray(r.categories) && r.categories.length) d.categories = r.categories;
    out.push(d);
    parents.set(name, d);
  }
  for (const r of all) {
    const [parentName, sub] = str(r.name).split('/', 2);
    if (sub === undefined) continue;
    let parent = parents.get(parentName);
    if (!parent) {
      parent = {
        resource: parentName,
        responseKind: { group: '', version: '', kind: '' },
        scope: r.namespaced ? 'Namespaced' : 'Cluster',
        singularResource: '',
        verbs: null,
      };
      out.push(parent);
      parents.set(parentName, parent);
    }
    const subs = (parent.subresources ??= []) as Doc[];
    subs.push({
      subresource: sub,
      responseKind: str(r.kind) ? gvk(r) : { group: '', version: '', kind: '' },
      verbs: verbsOf(r),
    });
  }
  return out;
}

/** The remote group-version's discovery: its aggregated /apis first, its legacy resource list when it serves none. */
export async function fetchVersionDiscovery(
  api: RemoteAPIService,
  endpoint: Endpoint,
  transport: ProxyTransport,
): Promise<VersionDiscovery> {
  const user = { 'X-Remote-User': 'system:kube-aggregator' };
  const agg = await fetchOnce(transport, endpoint, '/apis', { ...user, accept: AGGREGATED_ACCEPT }, FETCH_TIMEOUT_MS);
  if (agg.status === 200 && agg.contentType.includes('as=APIGroupDiscoveryList')) {
    const doc = JSON.parse(agg.body) as Doc;
    const group = records(doc.items).find((g) => isPlainObject(g.metadata) && g.metadata.name === api.group);
    const version = records(group?.versions).find((v) => v.version === api.version);
    return (version as VersionDiscovery | undefined) ?? { version: api.version };
  }
  if (agg.status !== 200 && agg.status !== 404 && agg.status !== 406)
    throw new Error(
      `service ${api.service.namespace}/${api.service.name}:${api.service.port} returned non-success response code: ${agg.status}`,
    );
  const path = `/apis/${api.group}/${api.version}`;
  const legacy = await fetchOnce(transport, endpoint, path, { ...user, accept: 'application/json' }, FETCH_TIMEOUT_MS);
  if (legacy.status !== 200) throw new Error(`failed to download discovery for ${path}: ${legacy.body}`);
  return { version: api.version, resources: convertResourceList(JSON.parse(legacy.body) as Doc), freshness: 'Current' };
}

interface GroupEntry {
  name: string;
  priority: number;
  versions: Array<{ version: string; priority: number }>;
}

/** Every group, local and remote, in the aggregator's order (ByGroupPriorityMinimum, then ByVersionPriority). */
function orderedGroups(localGroups: Array<{ name: string; versions: string[] }>, remotes: RemoteAPIService[]): GroupEntry[] {
  const groups = new Map<string, GroupEntry>();
  const add = (name: string, version: string, p: { group: number; version: number }) => {
    let g = groups.get(name);
    if (!g) groups.set(name, (g = { name, priority: p.group, versions: [] }));
    g.priority = Math.max(g.priority, p.group);
    if (!g.versions.some((v) => v.version === version)) g.versions.push({ version, priority: p.version });
  };
  for (const g of localGroups) for (const v of g.versions) add(g.name, v, apiServicePriority(g.name, v));
  for (const a of remotes) add(a.group, a.version, { group: a.groupPriorityMinimum, version: a.versionPriority });
  const list = [...groups.values()].sort((a, b) => b.priority - a.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const g of list) g.versions.sort((a, b) => b.priority - a.priority || compareVersions(a.version, b.version));
  return list;
}

function groupDoc(g: GroupEntry): Doc {
  const versions = g.versions.map((v) => ({ groupVersion: `${g.name}/${v.version}`, version: v.version }));
  return { name: g.name, versions, preferredVersion: versions[0] };
}

/** GET /apis (APIGroupList) with the remote groups merged. */
export function mergedGroupList(local: Doc, remotes: RemoteAPIService[]): Doc {
  const localGroups = records(local.groups).map((g) => ({
    name: str(g.name),
    versions: records(g.versions).map((v) => str(v.version)),
  }));
  return { ...local, groups: orderedGroups(localGroups, remotes).map(groupDoc) };
}

/** GET /apis/<group> (APIGroup) of a group only APIServices serve. */
export function remoteGroup(group: string, remotes: RemoteAPIService[]): Doc | undefined {
  const g = orderedGroups(
    [],
    remotes.filter((a) => a.group === group),
  )[0];
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(g) } : undefined;
}

/** The aggregated /apis document (APIGroupDiscoveryList) with the remote group-versions merged. */
export function mergedAggregated(
  local: Doc,
  remotes: RemoteAPIService[],
  discovered: (api: RemoteAPIService) => VersionDiscovery | undefined,
): Doc {
  const items = records(local.items);
  const byGroup = new Map(items.map((i) => [str(isPlainObject(i.metadata) ? i.metadata.name : ''), i]));
  const localGroups = items.map((i) => ({
    name: str(isPlainObject(i.metadata) ? i.metadata.name : ''),
    versions: records(i.versions).map((v) => str(v.version)),
  }));
  const remoteByGV = new Map(remotes.map((a) => [`${a.group}/${a.version}`, a]));
  const merged = orderedGroups(localGroups, remotes).map((g) => {
    const localItem = byGroup.get(g.name);
    const localVersions = new Map(records(localItem?.versions).map((v) => [str(v.version), v]));
    return {
      metadata: localItem?.metadata ?? { name: g.name, creationTimestamp: null },
      versions: g.versions.map(({ version }) => {
        const remote = remoteByGV.get(`${g.name}/${version}`);
        if (!remote) return localVersions.get(version);
        return discovered(remote) ?? { version, freshness: 'Stale' };
      }),
    };
  });
  return { ...local, items: merged };
}
