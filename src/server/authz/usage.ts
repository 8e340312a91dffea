// The least-privilege report: every distinct (verb, apiGroup, resource, subresource,
// namespace, name) or (verb, path) the authorization filter decided for a user, with
// whether it was allowed, and the smallest Roles/ClusterRole that would allow exactly
// that. Nothing of kube's: it lets a test check that a controller's declared RBAC is
// neither missing something it used nor wider than what it used. Memory is bounded
// (users and entries per user); past a bound new entries are counted, not kept.

import type { AuthorizationAttributes, PolicyRule } from '../api/authorization.js';
import type { KubeObject } from '../api/types.js';
import { yaml } from '../http/yaml.js';

export interface PermissionUse {
  verb: string;
  /** Resource requests: */
  apiGroup: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  /** Non-resource requests: the path (resource fields empty). */
  nonResourceURL: string;
  allowed: boolean;
}

export interface PermissionsReport {
  user: string;
  uses: PermissionUse[];
  /** Distinct uses not kept because the per-user bound was reached. */
  dropped: number;
}

interface UserUses {
  uses: Map<string, PermissionUse>;
  dropped: number;
}

export class PermissionsRecorder {
  private readonly users = new Map<string, UserUses>();

  constructor(
    private readonly maxUsers = 512,
    private readonly maxPerUser = 4096,
  ) {}

  record(attrs: AuthorizationAttributes, allowed: boolean): void {
    const username = attrs.user.username;
    let u = this.users.get(username);
    if (!u) {
      if (this.users.size >= this.maxUsers) return;
      this.users.set(username, (u = { uses: new Map(), dropped: 0 }));
    }
    const use: PermissionUse = attrs.isResourceRequest
      ? {
          verb: attrs.verb,
          apiGroup: attrs.apiGroup,
          resource: attrs.resource,
          subresource: attrs.subresource,
          namespace: attrs.namespace,
          name: attrs.name,
          nonResourceURL: '',
          allowed,
        }
      : { verb: attrs.verb, apiGroup: '', resource: '', subresource: '', namespace: '', name: '', nonResourceURL: attrs.path, allowed };
    const key = [use.verb, use.apiGroup, use.resource, use.subresource, use.namespace, use.name, use.nonResourceURL].join('\u0000');
    const prev = u.uses.get(key);
    if (prev) {
      // The latest decision is what the user has now.
      prev.allowed = allowed;
      return;
    }
    if (u.uses.size >= this.maxPerUser) {
      u.dropped++;
      return;
    }
    u.uses.set(key, use);
  }

  report(username: string): PermissionsReport {
    const u = this.users.get(username);
    return { user: username, uses: u ? [...u.uses.values()].map((x) => ({ ...x })) : [], dropped: u?.dropped ?? 0 };
  }

  /** Forgets one user's uses, or everyone's. */
  reset(username?: string): void {
    if (username === undefined) this.users.clear();
    else this.users.delete(username);
  }
}

const RBAC_V1 = 'rbac.authorization.k8s.io/v1';

/** Rules allowing exactly `uses` (one scope): per (group, resource[/sub]) the verbs, named only when every use named one. */
function rulesFor(uses: PermissionUse[]): PolicyRule[] {
  const byResource = new Map<string, { group: string; resource: string; verbs: Map<string, Set<string> | 'any'> }>();
  const urls = new Map<string, Set<string>>();
  for (const u of uses) {
    if (u.nonResourceURL) {
      let verbs = urls.get(u.nonResourceURL);
      if (!verbs) urls.set(u.nonResourceURL, (verbs = new Set()));
      verbs.add(u.verb);
      continue;
    }
    const resource = u.subresource ? `${u.resource}/${u.subresource}` : u.resource;
    const k = `${u.apiGroup}\u0000${resource}`;
    let entry = byResource.get(k);
    if (!entry) byResource.set(k, (entry = { group: u.apiGroup, resource, verbs: new Map() }));
    const cur = entry.verbs.get(u.verb);
    if (!u.name) entry.verbs.set(u.verb, 'any');
    else if (cur === undefined) entry.verbs.set(u.verb, new Set([u.name]));
    else if (cur !== 'any') cur.add(u.name);
  }
  const rules: PolicyRule[] = [];
  // Verbs sharing the same names (or none) on one resource make one rule; resources sharing the same
  // unnamed verbs on one group are then merged, as a hand-written role would list them.
  const unnamed = new Map<string, PolicyRule>();
  const sortedKeys = [...byResource.keys()].sort();
  for (const k of sortedKeys) {
    const { group, resource, verbs } = byResource.get(k)!;
    const groups = new Map<string, { names: string[]; verbs: string[] }>();
    for (const [verb, names] of verbs) {
      const list = names === 'any' ? [] : [...names].sort();
      const nk = list.join('\u0000');
      const g = groups.get(nk);
      if (g) g.verbs.push(verb);
      else groups.set(nk, { names: list, verbs: [verb] });
    }
    for (const { names, verbs: vs } of groups.values()) {
      vs.sort();
      if (names.length) {
        rules.push({ apiGroups: [group], resources: [resource], resourceNames: names, verbs: vs });
        continue;
      }
      const mk = `${group}\u0000${vs.join(',')}`;
      const merged = unnamed.get(mk);
      if (merged) merged.resources!.push(resource);
      else {
        const r: PolicyRule = { apiGroups: [group], resources: [resource], verbs: vs };
        unnamed.set(mk, r);
        rules.push(r);
      }
    }
  }
  for (const url of [...urls.keys()].sort()) rules.push({ nonResourceURLs: [url], verbs: [...urls.get(url)!].sort() });
  return rules;
}

/**
 * The smallest RBAC objects allowing exactly the uses: a Role per namespace used, and a ClusterRole for
 * cluster-scoped requests, requests across all namespaces and non-resource URLs. Denied uses count too
 * (what the user tried is what it needs) unless `allowedOnly`.
 */
export function minimalRoles(report: PermissionsReport, opts: { name?: string; allowedOnly?: boolean } = {}): KubeObject[] {
  const name = opts.name ?? `${report.user.replace(/[^a-z0-9.-]+/gi, '-').toLowerCase()}-minimal`;
  const uses = report.uses.filter((u) => !opts.allowedOnly || u.allowed);
  const byNamespace = new Map<string, PermissionUse[]>();
  for (const u of uses) {
    const ns = u.nonResourceURL ? '' : u.namespace;
    const list = byNamespace.get(ns);
    if (list) list.push(u);
    else byNamespace.set(ns, [u]);
  }
  const out: KubeObject[] = [];
  const cluster = byNamespace.get('');
  if (cluster) out.push({ apiVersion: RBAC_V1, kind: 'ClusterRole', metadata: { name }, rules: rulesFor(cluster) } as KubeObject);
  for (const ns of [...byNamespace.keys()].filter(Boolean).sort()) {
    out.push({ apiVersion: RBAC_V1, kind: 'Role', metadata: { name, namespace: ns }, rules: rulesFor(byNamespace.get(ns)!) } as KubeObject);
  }
  return out;
}

/** The minimal roles as a YAML stream (`---` between documents), ready for `kubectl apply -f`. */
export function minimalRolesYAML(report: PermissionsReport, opts: { name?: string; allowedOnly?: boolean } = {}): string {
  return minimalRoles(report, opts)
    .map((o) => yaml().stringify(o))
    .join('---\n');
}
