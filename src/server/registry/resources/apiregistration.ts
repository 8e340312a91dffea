// apiregistration.k8s.io/v1 APIServices as kube-aggregator stores them
// (pkg/registry/apiservice, pkg/apis/apiregistration/validation): a local
// APIService (no spec.service) is Available from creation on, as the
// aggregator's strategy marks it. The local APIServices for every served
// group/version are kept by controllers/apiservices.ts; ones users create for
// aggregation are stored only (nothing proxies to them here).

import { type FieldError, fieldErrors } from '../../api/errors.js';
import { isDNS1035Label, isDNS1123Subdomain, isValidPathSegmentName } from '../../api/names.js';
import { isPlainObject, type KubeObject } from '../../api/types.js';
import { type BuiltinResource, builtinResource } from '../builtin.js';
import { nowRFC3339 } from '../meta.js';
import type { Strategy } from '../strategy.js';
import { isValidPortNum } from './cluster-common.js';
import { age, ageColumn, column, nameColumn } from './printers.js';
import { arrOf, child, type Obj, objOf, peek, strOf } from './values.js';

export const APISERVICE_GROUP = 'apiregistration.k8s.io';

/** The label kube's autoregister controller puts on the APIServices it keeps: `onstart` (built-ins) or `true` (CRDs). */
export const AUTOMANAGED_LABEL = 'kube-aggregator.kubernetes.io/automanaged';

/** NewLocalAvailableAPIServiceCondition. */
export function localAvailableCondition(): Obj {
  return {
    type: 'Available',
    status: 'True',
    lastTransitionTime: nowRFC3339(),
    reason: 'Local',
    message: 'Local APIServices are always available',
  };
}

/** `<version>.<group>` (`v1.` for the legacy group), as the aggregator names APIServices. */
export function apiServiceName(group: string, version: string): string {
  return `${version}.${group}`;
}

/** ValidateAPIService. */
function validateAPIService(obj: KubeObject): FieldError[] {
  const spec = peek(obj, 'spec');
  const group = strOf(spec.group);
  const version = strOf(spec.version);
  const errs: FieldError[] = [];
  if (!group && version !== 'v1')
    errs.push(fieldErrors.required('spec.group', 'only v1 may have an empty group and it better be legacy kube'));
  if (group) for (const m of isDNS1123Subdomain(group)) errs.push(fieldErrors.invalid('spec.group', group, m));
  for (const m of isDNS1035Label(version)) errs.push(fieldErrors.invalid('spec.version', version, m));
  const gpm = typeof spec.groupPriorityMinimum === 'number' ? spec.groupPriorityMinimum : 0;
  if (gpm <= 0 || gpm > 20000) errs.push(fieldErrors.invalid('spec.groupPriorityMinimum', gpm, 'must be positive and less than 20000'));
  const vp = typeof spec.versionPriority === 'number' ? spec.versionPriority : 0;
  if (vp <= 0 || vp > 1000) errs.push(fieldErrors.invalid('spec.versionPriority', vp, 'must be positive and less than 1000'));
  const caBundle = Buffer.from(strOf(spec.caBundle), 'base64');
  const service = objOf(spec.service);
  if (!service) {
    if (caBundle.length)
      errs.push(fieldErrors.invalid('spec.caBundle', `${caBundle.length} bytes`, 'local APIServices may not have a caBundle'));
    if (spec.insecureSkipTLSVerify === true) {
      errs.push(fieldErrors.invalid('spec.insecureSkipTLSVerify', true, 'local APIServices may not have insecureSkipTLSVerify'));
    }
    return errs;
  }
  if (!strOf(service.namespace)) errs.push(fieldErrors.required('spec.service.namespace'));
  if (!strOf(service.name)) errs.push(fieldErrors.required('spec.service.name'));
  const portErrs = isValidPortNum(service.port);
  if (portErrs.length) errs.push(fieldErrors.invalid('spec.service.port', service.port, `port is not valid: ${portErrs.join(', ')}`));
  if (spec.insecureSkipTLSVerify === true && caBundle.length) {
    errs.push(fieldErrors.invalid('spec.insecureSkipTLSVerify', true, 'may not be true if caBundle is present'));
  }
  return errs;
}

/** ValidateAPIServiceStatus: condition statuses are True, False or Unknown. */
function validateStatus(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  arrOf(objOf(obj.status)?.conditions).forEach((c, i) => {
    const status = strOf(objOf(c)?.status);
    if (!['True', 'False', 'Unknown'].includes(status)) {
      errs.push(fieldErrors.notSupported(`status.conditions[${i}].status`, status, ['True', 'False', 'Unknown']));
    }
  });
  return errs;
}

/** The name must be `spec.version+"."+spec.group` (ValidateAPIService's name function). */
function nameErrors(obj: KubeObject): FieldError[] {
  const name = obj.metadata?.name ?? '';
  if (!name || isValidPathSegmentName(name).length) return [];
  const spec = peek(obj, 'spec');
  const required = apiServiceName(strOf(spec.group), strOf(spec.version));
  return name === required
    ? []
    : [fieldErrors.invalid('metadata.name', name, `must be \`spec.version+"."+spec.group\`: ${JSON.stringify(required)}`)];
}

function defaultService(obj: KubeObject): void {
  const service = objOf(peek(obj, 'spec').service);
  if (service) service.port ??= 443;
}

const apiServiceStrategy: Strategy = {
  namespaced: false,
  hasGeneration: false,
  allowUnconditionalUpdate: false,
  hasStatusSubresource: true,
  allowCreateOnUpdate: false,
  nameValidator: (name) => isValidPathSegmentName(name),
  prepareForCreate(obj) {
    defaultService(obj);
    // Local APIServices are available as soon as they exist.
    obj.status = objOf(peek(obj, 'spec').service) ? {} : { conditions: [localAvailableCondition()] };
  },
  prepareForUpdate: (obj, _old, ctx) => {
    if (ctx.subresource !== 'status') defaultService(obj);
  },
  validate: (obj) => [...nameErrors(obj), ...validateAPIService(obj)],
  validateUpdate: (obj, _old, ctx) =>
    ctx.subresource === 'status' ? validateStatus(obj) : [...nameErrors(obj), ...validateAPIService(obj)],
  canonicalize(obj) {
    const spec = child(obj, 'spec');
    spec.groupPriorityMinimum ??= 0;
    spec.versionPriority ??= 0;
    for (const c of arrOf(child(obj, 'status').conditions)) {
      if (!isPlainObject(c)) continue;
      c.type ??= '';
      c.status ??= '';
      if (c.lastTransitionTime === undefined) c.lastTransitionTime = null;
    }
  },
  tableColumns: [
    nameColumn,
    column('Service', 'string', 'The reference to the service that hosts this API endpoint.'),
    column('Available', 'string', 'Whether this service is available.'),
    ageColumn,
  ],
  tableRow(obj) {
    const service = objOf(peek(obj, 'spec').service);
    const available = arrOf(objOf(obj.status)?.conditions)
      .map((c) => objOf(c) ?? {})
      .find((c) => c.type === 'Available');
    let status = 'Unknown';
    if (available) {
      const s = strOf(available.status);
      status = s === 'True' || !strOf(available.reason) ? s : `${s} (${strOf(available.reason)})`;
    }
    return [
      obj.metadata?.name ?? '',
      service ? `${strOf(service.namespace)}/${strOf(service.name)}` : 'Local',
      status,
      age(obj.metadata?.creationTimestamp),
    ];
  },
};

export const apiRegistrationResources: BuiltinResource[] = [
  builtinResource(
    {
      group: APISERVICE_GROUP,
      version: 'v1',
      resource: 'apiservices',
      singular: 'apiservice',
      kind: 'APIService',
      namespaced: false,
      categories: ['api-extensions'],
      subresources: { status: true },
    },
    apiServiceStrategy,
    'V1APIService',
    `/${APISERVICE_GROUP}/apiservices`,
  ),
];
