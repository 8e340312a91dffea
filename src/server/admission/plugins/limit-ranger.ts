// kube's LimitRanger (plugin/pkg/admission/limitranger): the namespace's
// LimitRanges default a new pod's container requests and limits (admit, with
// the kubernetes.io/limit-ranger annotation saying what was set), then check
// min, max and maxLimitRequestRatio per Container and per Pod, and min/max
// storage per PersistentVolumeClaim (validate). Pod updates are not looked at.

import { forbidden } from '../../api/errors.js';
import { compareQuantity, type Quantity, roundUp } from '../../api/quantity.js';
import type { KubeObject } from '../../api/types.js';
import type { AdmissionAttributes, MutatingPlugin, ValidatingPlugin } from '../index.js';
import { CORE, type ObjectAccess } from './deps.js';
import { addLists, aggregate, maxLists, type Obj, obj, objects, quantityString, type ResourceList, resourceList } from './util.js';

const ANNOTATION = 'kubernetes.io/limit-ranger';

interface LimitItem {
  type: string;
  min: ResourceList;
  max: ResourceList;
  default: ResourceList;
  defaultRequest: ResourceList;
  maxLimitRequestRatio: ResourceList;
}

/** A LimitRange's items, with SetDefaults_LimitRangeItem applied to Container items (default <- max, defaultRequest <- default, min). */
function limitItems(lr: KubeObject): LimitItem[] {
  return objects(obj(lr.spec)?.limits).map((l) => {
    const item: LimitItem = {
      type: String(l.type ?? ''),
      min: resourceList(l.min),
      max: resourceList(l.max),
      default: resourceList(l.default),
      defaultRequest: resourceList(l.defaultRequest),
      maxLimitRequestRatio: resourceList(l.maxLimitRequestRatio),
    };
    if (item.type === 'Container') {
      for (const [k, v] of item.max) if (!item.default.has(k)) item.default.set(k, v);
      for (const [k, v] of item.default) if (!item.defaultRequest.has(k)) item.defaultRequest.set(k, v);
      for (const [k, v] of item.min) if (!item.defaultRequest.has(k)) item.defaultRequest.set(k, v);
    }
    return item;
  });
}

/** The milli value rounded up, as requestLimitEnforcedValues compares. */
function milli(q: Quantity): Quantity {
  return roundUp(q, -3);
}

function minConstraint(kind: string, name: string, enforced: Quantity, req: ResourceList, lim: ResourceList): string | undefined {
  const r = req.get(name);
  const l = lim.get(name);
  const e = quantityString(enforced);
  if (!r) return `minimum ${name} usage per ${kind} is ${e}.  No request is specified`;
  if (compareQuantity(milli(r), milli(enforced)) < 0)
    return `minimum ${name} usage per ${kind} is ${e}, but request is ${quantityString(r)}`;
  if (l && compareQuantity(milli(l), milli(enforced)) < 0)
    return `minimum ${name} usage per ${kind} is ${e}, but limit is ${quantityString(l)}`;
  return undefined;
}

function maxConstraint(kind: string, name: string, enforced: Quantity, req: ResourceList, lim: ResourceList): string | undefined {
  const r = req.get(name);
  const l = lim.get(name);
  const e = quantityString(enforced);
  if (!l) return `maximum ${name} usage per ${kind} is ${e}.  No limit is specified`;
  if (compareQuantity(milli(l), milli(enforced)) > 0) return `maximum ${name} usage per ${kind} is ${e}, but limit is ${quantityString(l)}`;
  if (r && compareQuantity(milli(r), milli(enforced)) > 0)
    return `maximum ${name} usage per ${kind} is ${e}, but request is ${quantityString(r)}`;
  return undefined;
}

function maxRequestConstraint(kind: string, name: string, enforced: Quantity, req: ResourceList): string | undefined {
  const r = req.get(name);
  const e = quantityString(enforced);
  if (!r) return `maximum ${name} usage per ${kind} is ${e}.  No request is specified`;
  if (compareQuantity(milli(r), milli(enforced)) > 0)
    return `maximum ${name} usage per ${kind} is ${e}, but request is ${quantityString(r)}`;
  return undefined;
}

function toNumber(q: Quantity): number {
  return Number(q.mantissa) * 10 ** q.scale;
}

function ratioConstraint(kind: string, name: string, enforced: Quantity, req: ResourceList, lim: ResourceList): string | undefined {
  const r = req.get(name);
  const l = lim.get(name);
  const e = quantityString(enforced);
  if (!r || toNumber(milli(r)) === 0)
    return `${name} max limit to request ratio per ${kind} is ${e}, but no request is specified or request is 0`;
  if (!l || toNumber(milli(l)) === 0)
    return `${name} max limit to request ratio per ${kind} is ${e}, but no limit is specified or limit is 0`;
  const observed = toNumber(milli(l)) / toNumber(milli(r));
  if (observed * 1000 > toNumber(milli(enforced)) * 1000)
    return `${name} max limit to request ratio per ${kind} is ${e}, but provided ratio is ${observed.toFixed(6)}`;
  return undefined;
}

function checks(kind: string, item: LimitItem, req: ResourceList, lim: ResourceList): string[] {
  const errs: Array<string | undefined> = [];
  for (const [k, v] of item.min) errs.push(minConstraint(kind, k, v, req, lim));
  for (const [k, v] of item.max) errs.push(maxConstraint(kind, k, v, req, lim));
  for (const [k, v] of item.maxLimitRequestRatio) errs.push(ratioConstraint(kind, k, v, req, lim));
  return errs.filter((e): e is string => !!e);
}

function resources(c: Obj): { requests: ResourceList; limits: ResourceList } {
  const r = obj(c.resources);
  return { requests: resourceList(r?.requests), limits: resourceList(r?.limits) };
}

/** Sets what a container lacks from the defaults; returns kube's annotation phrases. */
function mergeContainer(c: Obj, kind: string, limits: ResourceList, requests: ResourceList): string[] {
  const res = (obj(c.resources) ?? {}) as Obj;
  const set = (field: 'limits' | 'requests', defaults: ResourceList): string[] => {
    const have = (obj(res[field]) ?? {}) as Obj;
    const added: string[] = [];
    for (const [k, v] of defaults) {
      if (k in have) continue;
      have[k] = quantityString(v);
      added.push(k);
    }
    if (added.length) res[field] = have;
    return added.sort();
  };
  const setLimits = set('limits', limits);
  const setRequests = set('requests', requests);
  if (setLimits.length || setRequests.length) c.resources = res;
  const out: string[] = [];
  if (setRequests.length) out.push(`${setRequests.join(', ')} request for ${kind} ${c.name ?? ''}`);
  if (setLimits.length) out.push(`${setLimits.join(', ')} limit for ${kind} ${c.name ?? ''}`);
  return out;
}

export class LimitRanger implements MutatingPlugin, ValidatingPlugin {
  readonly name = 'LimitRanger';
  constructor(private readonly objects: ObjectAccess) {}

  /** SupportsAttributes: pods (not updates) and persistentvolumeclaims, no subresource, not being deleted. */
  private handles(a: AdmissionAttributes): boolean {
    if (a.subresource || a.resource.group !== '' || !a.object) return false;
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return false;
    if (a.oldObject?.metadata?.deletionTimestamp) return false;
    if (a.resource.resource === 'pods') return a.operation === 'CREATE';
    return a.resource.resource === 'persistentvolumeclaims';
  }

  private async items(a: AdmissionAttributes): Promise<LimitItem[]> {
    return (await this.objects.list(CORE('limitranges'), a.namespace)).flatMap(limitItems);
  }

  async admit(a: AdmissionAttributes): Promise<void> {
    if (!this.handles(a) || a.resource.resource !== 'pods') return;
    const items = (await this.items(a)).filter((i) => i.type === 'Container');
    if (!items.length) return;
    const limits: ResourceList = new Map();
    const requests: ResourceList = new Map();
    for (const i of items) {
      for (const [k, v] of i.defaultRequest) requests.set(k, v);
      for (const [k, v] of i.default) limits.set(k, v);
    }
    const spec = obj(a.object!.spec) ?? {};
    const phrases = [
      ...objects(spec.containers).flatMap((c) => mergeContainer(c, 'container', limits, requests)),
      ...objects(spec.initContainers).flatMap((c) => mergeContainer(c, 'init container', limits, requests)),
    ];
    if (phrases.length) {
      const m = a.object!.metadata!;
      m.annotations = { ...(m.annotations ?? {}), [ANNOTATION]: `LimitRanger plugin set: ${phrases.join('; ')}` };
    }
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (!this.handles(a)) return;
    const items = await this.items(a);
    if (!items.length) return;
    const errs: string[] = [];
    const spec = obj(a.object!.spec) ?? {};
    if (a.resource.resource === 'persistentvolumeclaims') {
      const requests = resourceList(obj(spec.resources)?.requests);
      for (const item of items.filter((i) => i.type === 'PersistentVolumeClaim')) {
        for (const [k, v] of item.min) {
          const e = minConstraint('PersistentVolumeClaim', k, v, requests, new Map());
          if (e) errs.push(e);
        }
        for (const [k, v] of item.max) {
          const e = maxRequestConstraint('PersistentVolumeClaim', k, v, requests);
          if (e) errs.push(e);
        }
      }
    } else {
      const containers = objects(spec.containers).map(resources);
      const inits = objects(spec.initContainers).map(resources);
      for (const item of items) {
        if (item.type === 'Container') {
          for (const c of [...containers, ...inits]) errs.push(...checks('Container', item, c.requests, c.limits));
        } else if (item.type === 'Pod') {
          // The pod's total: the containers' sum, or the largest init container when larger.
          let req: ResourceList = new Map();
          let lim: ResourceList = new Map();
          for (const c of containers) {
            req = addLists(req, c.requests);
            lim = addLists(lim, c.limits);
          }
          for (const c of inits) {
            req = maxLists(req, c.requests);
            lim = maxLists(lim, c.limits);
          }
          errs.push(...checks('Pod', item, req, lim));
        }
      }
    }
    if (errs.length) throw forbidden({ group: '', resource: a.resource.resource }, a.name, aggregate(errs));
  }
}
