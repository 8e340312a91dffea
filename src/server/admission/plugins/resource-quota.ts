// kube's ResourceQuota admission (k8s.io/apiserver/pkg/admission/plugin/resourcequota):
// a create (or an update that changes usage) is checked against every quota of
// its namespace that tracks what it consumes; when all allow it, their
// status.used is raised by the request before the object is stored, so the next
// request sees it. The quota controller (controllers/resourcequota.ts) sets
// status.hard and recomputes status.used when objects go. `limitedResources`
// (ResourceQuotaConfiguration) refuses consumption no quota covers.

import { forbidden } from '../../api/errors.js';
import { compareQuantity, formatQuantity } from '../../api/quantity.js';
import type { KubeObject } from '../../api/types.js';
import type { AdmissionAttributes, ValidatingPlugin } from '../index.js';
import { CORE, type ObjectAccess } from './deps.js';
import { podMissing, scopesMatch, tracks, usageOf } from './quota-usage.js';
import { addLists, obj, objects, type ResourceList, resourceList, subtractLists, toJSONList } from './util.js';

export interface LimitedResource {
  apiGroup: string;
  resource: string;
  matchContains: string[];
}

/** ResourceQuotaConfiguration's limitedResources (apiserver.config.k8s.io/v1, resourcequota.admission.k8s.io/v1beta1). */
export function limitedResourcesFrom(config: unknown): LimitedResource[] {
  return objects(obj(config)?.limitedResources).map((l) => ({
    apiGroup: String(l.apiGroup ?? ''),
    resource: String(l.resource ?? ''),
    matchContains: Array.isArray(l.matchContains) ? l.matchContains.map(String) : [],
  }));
}

/** kube's prettyPrint: `name=value` sorted by name, comma-separated. */
function prettyPrint(l: ResourceList): string {
  return [...l.keys()]
    .sort()
    .map((k) => `${k}=${formatQuantity(l.get(k)!)}`)
    .join(',');
}

function mask(l: ResourceList, names: Iterable<string>): ResourceList {
  const keep = new Set(names);
  return new Map([...l].filter(([k]) => keep.has(k)));
}

/** Which operations each evaluator handles: pods and object counts on create; services and claims on update too. */
function handles(group: string, resource: string, op: string): boolean {
  if (op === 'CREATE') return true;
  return op === 'UPDATE' && group === '' && (resource === 'services' || resource === 'persistentvolumeclaims');
}

export class ResourceQuota implements ValidatingPlugin {
  readonly name = 'ResourceQuota';
  /** One evaluation per namespace at a time, as kube's quota evaluator works each namespace's queue in turn. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly objects: ObjectAccess,
    private readonly limited: LimitedResource[] = [],
  ) {}

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.subresource || !a.namespace || !a.object || !a.resource.namespaced) return;
    const { group, resource } = a.resource;
    if (!handles(group, resource, a.operation)) return;
    const prev = this.queues.get(a.namespace) ?? Promise.resolve();
    const run = prev.then(
      () => this.check(a),
      () => this.check(a),
    );
    const settled = run.catch(() => undefined);
    this.queues.set(a.namespace, settled);
    void settled.then(() => {
      if (this.queues.get(a.namespace) === settled) this.queues.delete(a.namespace);
    });
    await run;
  }

  private refuse(a: AdmissionAttributes, why: string): never {
    throw forbidden({ group: a.resource.group, resource: a.resource.resource }, a.name, why);
  }

  private async check(a: AdmissionAttributes): Promise<void> {
    const { group, resource } = a.resource;
    const input = a.object!;
    let delta = usageOf(group, resource, input);
    if (a.operation === 'UPDATE' && a.oldObject) delta = subtractLists(delta, usageOf(group, resource, a.oldObject));
    const limitedNames = new Set<string>();
    for (const l of this.limited) {
      if (l.apiGroup !== group || l.resource !== resource) continue;
      for (const [k, v] of delta) if (v.mantissa > 0n && l.matchContains.some((m) => k.includes(m))) limitedNames.add(k);
    }
    const quotas = await this.objects.list(CORE('resourcequotas'), a.namespace);
    if (!quotas.length && !limitedNames.size) return;

    const interesting: Array<{ quota: KubeObject; hard: ResourceList; used: ResourceList; restricted: string[] }> = [];
    const covered = new Set<string>();
    for (const quota of quotas) {
      const hard = resourceList(obj(quota.status)?.hard);
      const restricted = [...hard.keys()].filter((k) => tracks(group, resource, k));
      if (!restricted.length || !scopesMatch(quota, group, resource, input)) continue;
      const name = quota.metadata?.name ?? '';
      if (group === '' && resource === 'pods') {
        const missing = podMissing(input, restricted);
        if (missing.length) this.refuse(a, `failed quota: ${name}: must specify ${missing.join(',')}`);
      } else {
        const present = new Set(usageOf(group, resource, input).keys());
        const missing = restricted.filter((r) => !present.has(r) && r.startsWith('requests.')).sort();
        if (missing.length) this.refuse(a, `failed quota: ${name}: must specify ${missing.join(',')}`);
      }
      const used = resourceList(obj(quota.status)?.used);
      const unknown = restricted.filter((r) => !used.has(r));
      if (unknown.length) this.refuse(a, `status unknown for quota: ${name}, resources: ${unknown.sort().join(',')}`);
      for (const r of restricted) covered.add(r);
      interesting.push({ quota, hard, used, restricted });
    }
    const uncovered = [...limitedNames].filter((n) => !covered.has(n)).sort();
    if (uncovered.length) this.refuse(a, `insufficient quota to consume: ${uncovered.join(',')}`);
    if ([...delta.values()].every((q) => q.mantissa === 0n)) return;

    const raises: Array<{ quota: KubeObject; requested: ResourceList }> = [];
    for (const { quota, hard, used, restricted } of interesting) {
      const requested = new Map([...mask(delta, restricted)].filter(([, q]) => q.mantissa !== 0n));
      if (!requested.size) continue;
      const next = addLists(used, requested);
      const exceeded = [...requested.keys()].filter(
        (k) => requested.get(k)!.mantissa > 0n && compareQuantity(next.get(k)!, hard.get(k)!) > 0,
      );
      if (exceeded.length) {
        this.refuse(
          a,
          `exceeded quota: ${quota.metadata?.name ?? ''}, requested: ${prettyPrint(mask(requested, exceeded))}, used: ${prettyPrint(
            mask(used, exceeded),
          )}, limited: ${prettyPrint(mask(hard, exceeded))}`,
        );
      }
      raises.push({ quota, requested });
    }
    if (a.dryRun) return;
    // Every quota allowed the request: their usage goes up now, as kube's evaluator writes status before the object is stored.
    await Promise.all(
      raises.map(({ quota, requested }) =>
        this.objects.updateStatus(CORE('resourcequotas'), a.namespace, quota.metadata?.name ?? '', (cur) => {
          const status = (obj(cur.status) ?? {}) as Record<string, unknown>;
          const hardNames = Object.keys(obj(status.hard) ?? {});
          const used = addLists(resourceList(status.used), mask(requested, hardNames));
          return { ...cur, status: { ...status, used: toJSONList(used) } };
        }),
      ),
    );
  }
}
