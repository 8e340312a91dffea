// core/v1 ResourceQuota (pkg/registry/core/resourcequota: status written by
// the quota controller through /status) and LimitRange (SetDefaults_LimitRangeItem,
// ValidateLimitRange), with their resource-name and quantity rules.

import { LEGACY_OBJECT_COUNTS } from '../../admission/plugins/quota-usage.js';
import { type FieldError, fieldErrors, GoValue } from '../../api/errors.js';
import { isQualifiedName } from '../../api/names.js';
import { compareQuantity, formatQuantity, parseQuantity, type Quantity } from '../../api/quantity.js';
import { isPlainObject, type KubeObject } from '../../api/types.js';
import type { Strategy } from '../strategy.js';
import { age, ageColumn, column, nameColumn, objName } from './printers.js';
import { objOrEmpty, objsOf, specOf } from './values.js';

const COMPUTE = ['cpu', 'memory', 'ephemeral-storage'];

const STANDARD_RESOURCES = new Set([
  ...COMPUTE,
  ...COMPUTE.flatMap((r) => [`requests.${r}`, `limits.${r}`]),
  ...LEGACY_OBJECT_COUNTS,
  'storage',
  'requests.storage',
  'services.nodeports',
  'services.loadbalancers',
]);
const STANDARD_QUOTA = new Set([...STANDARD_RESOURCES].filter((r) => r !== 'storage'));
const isHugePages = (r: string): boolean =>
  r.startsWith('hugepages-') || r.startsWith('requests.hugepages-') || r.startsWith('limits.hugepages-');

/** validateResourceName, then the quota's own standard-name check (ValidateResourceQuotaResourceName). */
function quotaResourceNameErrors(name: string, path: string): FieldError[] {
  const errs = isQualifiedName(name).map((m) => fieldErrors.invalid(path, name, m));
  if (errs.length || name.includes('/')) return errs;
  if (!STANDARD_RESOURCES.has(name) && !isHugePages(name))
    return [fieldErrors.invalid(path, name, 'must be a standard resource type or fully qualified')];
  if (!STANDARD_QUOTA.has(name) && !isHugePages(name)) return [fieldErrors.invalid(path, name, 'must be a standard resource for quota')];
  return [];
}

/** Go's %#v of a resource.Quantity value in a field error. */
function goQuantity(q: Quantity): GoValue {
  return new GoValue(
    `resource.Quantity{i:resource.int64Amount{value:${q.mantissa}, scale:${q.scale}}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:${JSON.stringify(formatQuantity(q))}, Format:${JSON.stringify(q.format)}}`,
  );
}

/** ValidateResourceQuantityValue: not negative; object counts and similar resources are whole numbers. */
function quantityErrors(resource: string, v: unknown, path: string): FieldError[] {
  const q = parseQuantity(v);
  if (!q) return [];
  if (q.mantissa < 0n) return [fieldErrors.invalid(path, goQuantity(q), 'must be greater than or equal to 0')];
  const integral =
    !COMPUTE.some((c) => resource === c || resource.endsWith(`.${c}`)) && !isHugePages(resource) && !resource.includes('storage');
  if (integral && q.scale < 0 && q.mantissa % 10n ** BigInt(-q.scale) !== 0n)
    return [fieldErrors.invalid(path, goQuantity(q), 'must be an integer')];
  return [];
}

function validateResourceList(list: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(objOrEmpty(list))) {
    const p = `${path}[${k}]`;
    errs.push(...quotaResourceNameErrors(k, p), ...quantityErrors(k, v, p));
  }
  return errs;
}

const SCOPES = [
  'BestEffort',
  'CrossNamespacePodAffinity',
  'NotBestEffort',
  'NotTerminating',
  'PriorityClass',
  'Terminating',
  'VolumeAttributesClass',
];

function validateQuota(q: KubeObject): FieldError[] {
  const s = specOf(q);
  const errs = validateResourceList(s.hard, 'spec.hard');
  const scopes = Array.isArray(s.scopes) ? s.scopes.map(String) : [];
  scopes.forEach((sc) => {
    if (!SCOPES.includes(sc)) errs.push(fieldErrors.invalid('spec.scopes', sc, 'unsupported scope'));
  });
  const sel = objOrEmpty(s.scopeSelector);
  objsOf(sel.matchExpressions).forEach((e, i) => {
    const p = `spec.scopeSelector.matchExpressions[${i}]`;
    if (!SCOPES.includes(String(e.scopeName ?? '')))
      errs.push(fieldErrors.invalid(`${p}.scopeName`, e.scopeName ?? '', 'unsupported scope'));
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(String(e.operator ?? ''))) {
      errs.push(fieldErrors.invalid(`${p}.operator`, e.operator ?? '', 'not a valid selector operator'));
    }
  });
  errs.push(
    ...validateResourceList(objOrEmpty(q.status).hard, 'status.hard'),
    ...validateResourceList(objOrEmpty(q.status).used, 'status.used'),
  );
  return errs;
}

/** printResourceQuota: `resource: used/hard` for each hard entry, limits.* in the Limit column. */
function quotaCells(q: KubeObject): [string, string] {
  const status = objOrEmpty(q.status);
  const hard = objOrEmpty(status.hard);
  const used = objOrEmpty(status.used);
  const request: string[] = [];
  const limit: string[] = [];
  const fmt = (v: unknown): string => {
    const p = parseQuantity(v);
    return p ? formatQuantity(p) : '0';
  };
  for (const r of Object.keys(hard).sort()) {
    const cell = `${r}: ${fmt(used[r])}/${fmt(hard[r])}`;
    const parts = r.split('.');
    (parts.length > 1 && parts[0] === 'limits' ? limit : request).push(cell);
  }
  return [request.join(', '), limit.join(', ')];
}

export const resourceQuotaStrategy: Strategy = {
  namespaced: true,
  hasGeneration: false,
  allowUnconditionalUpdate: true,
  hasStatusSubresource: true,
  prepareForCreate(q) {
    q.status = {};
  },
  validate: validateQuota,
  validateUpdate: validateQuota,
  // ResourceQuotaSpec and ResourceQuotaStatus are structs: always serialised.
  canonicalize(q) {
    specOf(q);
    if (!isPlainObject(q.status)) q.status = {};
  },
  tableColumns: [
    nameColumn,
    ageColumn,
    column('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    column(
      'Limit',
      'string',
      'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.',
    ),
  ],
  tableRow(q) {
    const [request, limit] = quotaCells(q);
    return [objName(q), age(q.metadata?.creationTimestamp), request, limit];
  },
};

// --- LimitRange ---

const LIMIT_TYPES = ['Pod', 'Container', 'PersistentVolumeClaim'];

/** SetDefaults_LimitRangeItem: a Container limit's default from max, its defaultRequest from default then min. */
function defaultLimitRange(lr: KubeObject): void {
  for (const item of objsOf(specOf(lr).limits)) {
    if (item.type !== 'Container') continue;
    const def = isPlainObject(item.default) ? item.default : {};
    const req = isPlainObject(item.defaultRequest) ? item.defaultRequest : {};
    for (const [k, v] of Object.entries(objOrEmpty(item.max))) if (!(k in def)) def[k] = v;
    for (const [k, v] of Object.entries(def)) if (!(k in req)) req[k] = v;
    for (const [k, v] of Object.entries(objOrEmpty(item.min))) if (!(k in req)) req[k] = v;
    item.default = def;
    item.defaultRequest = req;
  }
}

function limitResourceNameErrors(type: string, name: string, path: string): FieldError[] {
  const errs = isQualifiedName(name).map((m) => fieldErrors.invalid(path, name, m));
  if (errs.length || name.includes('/')) return errs;
  if (!STANDARD_RESOURCES.has(name) && !isHugePages(name))
    return [fieldErrors.invalid(path, name, 'must be a standard resource type or fully qualified')];
  if (
    (type === 'Pod' || type === 'Container') &&
    !['cpu', 'memory', 'ephemeral-storage'].includes(name) &&
    !name.startsWith('hugepages-')
  ) {
    return [fieldErrors.invalid(path, name, 'must be a standard resource for containers')];
  }
  return errs;
}

function validateLimitRange(lr: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const seenTypes = new Set<string>();
  objsOf(specOf(lr).limits).forEach((item, i) => {
    const p = `spec.limits[${i}]`;
    const type = String(item.type ?? '');
    const typeErrs = isQualifiedName(type).map((m) => fieldErrors.invalid(`${p}.type`, type, m));
    if (!typeErrs.length && !type.includes('/') && !LIMIT_TYPES.includes(type)) {
      typeErrs.push(fieldErrors.invalid(`${p}.type`, type, 'must be a standard limit type or fully qualified'));
    }
    errs.push(...typeErrs);
    if (seenTypes.has(type)) errs.push(fieldErrors.duplicate(`${p}.type`, type));
    seenTypes.add(type);
    const maps: Record<string, Map<string, Quantity>> = {};
    const keys = new Set<string>();
    for (const field of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) {
      maps[field] = new Map();
      if (type === 'Pod' && (field === 'default' || field === 'defaultRequest')) {
        if (Object.keys(objOrEmpty(item[field])).length > 0)
          errs.push(fieldErrors.forbidden(`${p}.${field}`, "may not be specified when `type` is 'Pod'"));
        continue;
      }
      for (const [k, v] of Object.entries(objOrEmpty(item[field]))) {
        errs.push(...limitResourceNameErrors(type, k, `${p}.${field}[${k}]`));
        const q = parseQuantity(v);
        if (q) {
          maps[field].set(k, q);
          keys.add(k);
        }
      }
    }
    if (type === 'PersistentVolumeClaim' && !maps.min.has('storage') && !maps.max.has('storage')) {
      errs.push(fieldErrors.required(`${p}.limits`, 'either minimum or maximum storage value is required, but neither was provided'));
    }
    const s = formatQuantity;
    for (const k of keys) {
      const min = maps.min.get(k);
      const max = maps.max.get(k);
      const def = maps.default.get(k);
      const req = maps.defaultRequest.get(k);
      const ratio = maps.maxLimitRequestRatio.get(k);
      if (min && max && compareQuantity(min, max) > 0) {
        errs.push(fieldErrors.invalid(`${p}.min[${k}]`, goQuantity(min), `min value ${s(min)} is greater than max value ${s(max)}`));
      }
      if (req && min && compareQuantity(min, req) > 0) {
        errs.push(
          fieldErrors.invalid(
            `${p}.defaultRequest[${k}]`,
            goQuantity(req),
            `min value ${s(min)} is greater than default request value ${s(req)}`,
          ),
        );
      }
      if (req && max && compareQuantity(req, max) > 0) {
        errs.push(
          fieldErrors.invalid(
            `${p}.defaultRequest[${k}]`,
            goQuantity(req),
            `default request value ${s(req)} is greater than max value ${s(max)}`,
          ),
        );
      }
      if (req && def && compareQuantity(req, def) > 0) {
        errs.push(
          fieldErrors.invalid(
            `${p}.defaultRequest[${k}]`,
            goQuantity(req),
            `default request value ${s(req)} is greater than default limit value ${s(def)}`,
          ),
        );
      }
      if (def && min && compareQuantity(min, def) > 0) {
        errs.push(
          fieldErrors.invalid(`${p}.default[${k}]`, goQuantity(min), `min value ${s(min)} is greater than default value ${s(def)}`),
        );
      }
      if (def && max && compareQuantity(def, max) > 0) {
        errs.push(
          fieldErrors.invalid(`${p}.default[${k}]`, goQuantity(max), `default value ${s(def)} is greater than max value ${s(max)}`),
        );
      }
      if (ratio && compareQuantity(ratio, { mantissa: 1n, scale: 0, format: 'DecimalSI' }) < 0) {
        errs.push(fieldErrors.invalid(`${p}.maxLimitRequestRatio[${k}]`, goQuantity(ratio), `ratio ${s(ratio)} is less than 1`));
      }
    }
  });
  return errs;
}

export const limitRangeStrategy: Strategy = {
  namespaced: true,
  hasGeneration: false,
  allowUnconditionalUpdate: true,
  hasStatusSubresource: false,
  allowCreateOnUpdate: true,
  prepareForCreate: defaultLimitRange,
  prepareForUpdate: defaultLimitRange,
  validate: validateLimitRange,
  validateUpdate: validateLimitRange,
  // LimitRangeSpec is a struct and its limits have no omitempty: `limits: null` when absent.
  canonicalize(lr) {
    const s = specOf(lr);
    if (!Array.isArray(s.limits)) s.limits = null;
  },
};
