// Small helpers the built-in plugins share: which request a plugin looks at,
// a pod's containers, resource lists (map of quantities) and kube's
// message helpers (joinQuote, pluralize).

import { addQuantity, compareQuantity, formatQuantity, parseQuantity, type Quantity } from '../../api/quantity.js';
import { isPlainObject, type KubeObject } from '../../api/types.js';
import type { AdmissionAttributes } from '../index.js';

export type Obj = Record<string, unknown>;

/** The request is on this group's resource itself (no subresource unless named). */
export function isResource(a: AdmissionAttributes, group: string, resource: string, subresource = ''): boolean {
  return a.resource.group === group && a.resource.resource === resource && a.subresource === subresource;
}

export function obj(v: unknown): Obj | undefined {
  return isPlainObject(v) ? v : undefined;
}

export function objects(v: unknown): Obj[] {
  return Array.isArray(v) ? v.filter(isPlainObject) : [];
}

export interface Container extends Obj {
  name?: string;
}

/** spec.containers, then initContainers, then ephemeralContainers (kube's VisitContainers order). */
export function allContainers(spec: Obj | undefined): Array<{ c: Container; kind: 'container' | 'init container' | 'ephemeral' }> {
  if (!spec) return [];
  return [
    ...objects(spec.initContainers).map((c) => ({ c, kind: 'init container' as const })),
    ...objects(spec.containers).map((c) => ({ c, kind: 'container' as const })),
    ...objects(spec.ephemeralContainers).map((c) => ({ c, kind: 'ephemeral' as const })),
  ];
}

/** A pod's spec, or a workload's pod template spec (`spec.template.spec`, a CronJob's `spec.jobTemplate.spec.template.spec`). */
export function podTemplateOf(o: KubeObject | null): { metadata: Obj; spec: Obj } | undefined {
  if (!o) return undefined;
  if (o.kind === 'Pod') return { metadata: (o.metadata ?? {}) as Obj, spec: obj(o.spec) ?? {} };
  if (o.kind === 'PodTemplate') {
    const t = obj((o as Obj).template);
    return t ? { metadata: obj(t.metadata) ?? {}, spec: obj(t.spec) ?? {} } : undefined;
  }
  const spec = obj(o.spec);
  const t = o.kind === 'CronJob' ? obj(obj(obj(spec?.jobTemplate)?.spec)?.template) : obj(spec?.template);
  return t ? { metadata: obj(t.metadata) ?? {}, spec: obj(t.spec) ?? {} } : undefined;
}

export type ResourceList = Map<string, Quantity>;

/** A ResourceList field (`requests`, `hard`...) parsed; entries that are not quantities are skipped. */
export function resourceList(v: unknown): ResourceList {
  const out: ResourceList = new Map();
  for (const [k, q] of Object.entries(obj(v) ?? {})) {
    const p = parseQuantity(q);
    if (p) out.set(k, p);
  }
  return out;
}

export function toJSONList(l: ResourceList): Record<string, string> {
  return Object.fromEntries([...l].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, q]) => [k, formatQuantity(q)]));
}

export const ZERO: Quantity = { mantissa: 0n, scale: 0, format: 'DecimalSI' };

export function addLists(a: ResourceList, b: ResourceList): ResourceList {
  const out = new Map(a);
  for (const [k, q] of b) out.set(k, out.has(k) ? addQuantity(out.get(k)!, q) : q);
  return out;
}

export function subtractLists(a: ResourceList, b: ResourceList): ResourceList {
  const out = new Map(a);
  for (const [k, q] of b) out.set(k, addQuantity(out.get(k) ?? ZERO, { ...q, mantissa: -q.mantissa }));
  return out;
}

export function maxLists(a: ResourceList, b: ResourceList): ResourceList {
  const out = new Map(a);
  for (const [k, q] of b) if (!out.has(k) || compareQuantity(q, out.get(k)!) > 0) out.set(k, q);
  return out;
}

export function quantityString(q: Quantity): string {
  return formatQuantity(q);
}

/** kube's joinQuote: `"a", "b"` (the items as they are, no escaping). */
export function joinQuote(items: string[]): string {
  return items.length ? `"${items.join('", "')}"` : '';
}

export function pluralize(singular: string, plural: string, n: number): string {
  return n === 1 ? singular : plural;
}

/** Go's sets.String List(): sorted, unique. */
export function sortedUnique(items: Iterable<string>): string[] {
  return [...new Set(items)].sort();
}

/** utilerrors.NewAggregate(errs).Error(): one message as is, several (deduplicated) in brackets. */
export function aggregate(msgs: string[]): string {
  const unique = [...new Set(msgs)];
  return unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`;
}
