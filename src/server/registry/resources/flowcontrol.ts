// flowcontrol.apiserver.k8s.io/v1 FlowSchemas and PriorityLevelConfigurations
// (API Priority and Fairness configuration): defaults
// (pkg/apis/flowcontrol/v1/defaults.go), validation
// (pkg/apis/flowcontrol/validation), printers, and the bootstrap objects as
// system objects. The FlowSchemas' Dangling condition is kept by
// controllers/flowschemas.ts; requests are not actually queued here.

import { type FieldError, fieldErrors } from '../../api/errors.js';
import { isDNS1123Label, isDNS1123Subdomain } from '../../api/names.js';
import { deepEqual, isPlainObject, type KubeObject } from '../../api/types.js';
import type { BuiltinResource } from '../builtin.js';
import type { Strategy } from '../strategy.js';
import { docColumn, groupV1Resource } from './cluster-common.js';
import {
  BOOTSTRAP_FLOW_SCHEMAS,
  BOOTSTRAP_PRIORITY_LEVELS,
  MANDATORY_FLOW_SCHEMAS,
  MANDATORY_PRIORITY_LEVELS,
} from './flowcontrol-bootstrap.js';
import { goStrings, invalidGo } from './go-values.js';
import { age, ageColumn, column, nameColumn, objName } from './printers.js';
import { arrOf, child, type Obj, objOf, peek, strOf } from './values.js';

const GROUP = 'flowcontrol.apiserver.k8s.io';
const MAX_MATCHING_PRECEDENCE = 10000;
const MAX_QUEUES = 10_000_000;
/** shufflesharding.MaxHashBits. */
const MAX_HASH_BITS = 60;
const SUPPORTED_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'proxy', 'update', 'watch'];

const hasWildcard = (l: unknown[]): boolean => l.includes('*');

// --- FlowSchema -------------------------------------------------------------

/** ValidateServiceAccountSubject / ValidateUserSubject / ValidateGroupSubject and the kind switch. */
function validateSubject(raw: unknown, p: string): FieldError[] {
  const s = objOf(raw) ?? {};
  const errs: FieldError[] = [];
  const forbid = (f: string, kind: string) => {
    if (s[f] != null) errs.push(fieldErrors.forbidden(`${p}.${f}`, `${f} is forbidden when subject kind is not '${kind}'`));
  };
  const requireName = (f: string) => {
    const sub = objOf(s[f]);
    if (!sub) return undefined;
    if (!strOf(sub.name)) errs.push(fieldErrors.required(`${p}.${f}.name`));
    return sub;
  };
  switch (s.kind) {
    case 'ServiceAccount': {
      const sa = objOf(s.serviceAccount);
      if (!sa) errs.push(fieldErrors.required(`${p}.serviceAccount`, "serviceAccount is required when subject kind is 'ServiceAccount'"));
      else {
        const name = strOf(sa.name);
        if (!name) errs.push(fieldErrors.required(`${p}.serviceAccount.name`));
        else if (name !== '*')
          for (const m of isDNS1123Subdomain(name)) errs.push(fieldErrors.invalid(`${p}.serviceAccount.name`, name, m));
        const ns = strOf(sa.namespace);
        if (!ns) errs.push(fieldErrors.required(`${p}.serviceAccount.namespace`, 'must specify namespace for service account'));
        else for (const m of isDNS1123Label(ns)) errs.push(fieldErrors.invalid(`${p}.serviceAccount.namespace`, ns, m));
      }
      forbid('user', 'User');
      forbid('group', 'Group');
      break;
    }
    case 'User':
      if (!requireName('user')) errs.push(fieldErrors.required(`${p}.user`, "user is required when subject kind is 'User'"));
      forbid('serviceAccount', 'ServiceAccount');
      forbid('group', 'Group');
      break;
    case 'Group':
      if (!requireName('group')) errs.push(fieldErrors.required(`${p}.group`, "group is required when subject kind is 'Group'"));
      forbid('serviceAccount', 'ServiceAccount');
      forbid('user', 'User');
      break;
    default:
      errs.push(fieldErrors.notSupported(`${p}.kind`, strOf(s.kind), ['Group', 'ServiceAccount', 'User']));
  }
  return errs;
}

function validateVerbs(verbs: unknown[], p: string): FieldError[] {
  if (verbs.length === 0) return [fieldErrors.required(`${p}.verbs`, 'verbs must contain at least one value')];
  if (hasWildcard(verbs)) {
    return verbs.length > 1 ? [invalidGo(`${p}.verbs`, goStrings(verbs), "if '*' is present, must not specify other verbs")] : [];
  }
  return verbs.every((v) => SUPPORTED_VERBS.includes(strOf(v))) ? [] : [invalidNotSupported(`${p}.verbs`, verbs, SUPPORTED_VERBS)];
}

/** field.NotSupported with a slice value: Go prints the slice. */
function invalidNotSupported(path: string, values: unknown[], supported: string[]): FieldError {
  return {
    type: 'FieldValueNotSupported',
    field: path,
    hasBadValue: false,
    detail: `${goStrings(values)}: supported values: ${supported.map((v) => JSON.stringify(v)).join(', ')}`,
  };
}

/** ValidateNonResourceURLPath. */
function nonResourceURLError(path: string): string | undefined {
  if (!path) return 'must not be empty';
  if (path === '/') return undefined;
  if (!path.startsWith('/')) return 'must start with slash';
  if (path.includes(' ')) return 'must not contain white-space';
  if (path.includes('//')) return 'must not contain double slash';
  const stars = path.split('*').length - 1;
  if (stars > 1 || (stars === 1 && !path.endsWith('/*'))) return 'wildcard can only do suffix matching';
  return undefined;
}

function validateResourceRule(raw: unknown, p: string): FieldError[] {
  const r = objOf(raw) ?? {};
  const errs = validateVerbs(arrOf(r.verbs), p);
  const groups = arrOf(r.apiGroups);
  if (groups.length === 0) errs.push(fieldErrors.required(`${p}.apiGroups`, 'resource rules must supply at least one api group'));
  else if (groups.length > 1 && hasWildcard(groups))
    errs.push(invalidGo(`${p}.apiGroups`, goStrings(groups), "if '*' is present, must not specify other api groups"));
  const resources = arrOf(r.resources);
  if (resources.length === 0) errs.push(fieldErrors.required(`${p}.resources`, 'resource rules must supply at least one resource'));
  else if (resources.length > 1 && hasWildcard(resources)) {
    errs.push(invalidGo(`${p}.resources`, goStrings(resources), "if '*' is present, must not specify other resources"));
  }
  const namespaces = arrOf(r.namespaces);
  if (namespaces.length === 0 && r.clusterScope !== true) {
    errs.push(fieldErrors.required(`${p}.namespaces`, 'resource rules that are not cluster scoped must supply at least one namespace'));
  } else if (hasWildcard(namespaces)) {
    if (namespaces.length > 1)
      errs.push(invalidGo(`${p}.namespaces`, goStrings(namespaces), "if '*' is present, must not specify other namespaces"));
  } else {
    namespaces.forEach((ns, i) => {
      for (const m of isDNS1123Label(strOf(ns))) {
        errs.push(
          fieldErrors.invalid(`${p}.namespaces[${i}]`, strOf(ns), `each member of this list must be '*' or a DNS-1123 label; ${m}`),
        );
      }
    });
  }
  return errs;
}

function validateNonResourceRule(raw: unknown, p: string): FieldError[] {
  const r = objOf(raw) ?? {};
  const errs = validateVerbs(arrOf(r.verbs), p);
  const urls = arrOf(r.nonResourceURLs);
  if (urls.length === 0) errs.push(fieldErrors.required(`${p}.nonResourceURLs`, 'nonResourceURLs must contain at least one value'));
  else if (hasWildcard(urls)) {
    if (urls.length > 1)
      errs.push(invalidGo(`${p}.nonResourceURLs`, goStrings(urls), "if '*' is present, must not specify other non-resource URLs"));
  } else {
    urls.forEach((u, i) => {
      const e = nonResourceURLError(strOf(u));
      if (e) errs.push(fieldErrors.invalid(`${p}.nonResourceURLs[${i}]`, strOf(u), e));
    });
  }
  return errs;
}

function validateConditions(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const types = new Set<string>();
  arrOf(objOf(obj.status)?.conditions).forEach((raw, i) => {
    const type = strOf(objOf(raw)?.type);
    if (types.has(type)) errs.push(fieldErrors.duplicate(`status.conditions[${i}].type`, type));
    types.add(type);
    if (!type) errs.push(fieldErrors.required(`status.conditions[${i}].type`, 'must not be empty'));
  });
  return errs;
}

/** ValidateFlowSchema. */
function validateFlowSchema(obj: KubeObject): FieldError[] {
  const spec = peek(obj, 'spec');
  const name = obj.metadata?.name ?? '';
  const errs: FieldError[] = [];
  const mp = typeof spec.matchingPrecedence === 'number' ? spec.matchingPrecedence : 0;
  if (mp <= 0) errs.push(fieldErrors.invalid('spec.matchingPrecedence', mp, 'must be a positive value'));
  if (mp > MAX_MATCHING_PRECEDENCE)
    errs.push(fieldErrors.invalid('spec.matchingPrecedence', mp, `must not be greater than ${MAX_MATCHING_PRECEDENCE}`));
  if (mp === 1 && name !== 'exempt')
    errs.push(fieldErrors.invalid('spec.matchingPrecedence', mp, "only the schema named 'exempt' may have matchingPrecedence 1"));
  const dm = objOf(spec.distinguisherMethod);
  if (dm && dm.type !== 'ByUser' && dm.type !== 'ByNamespace') {
    errs.push(fieldErrors.notSupported('spec.distinguisherMethod.type', strOf(dm.type), ['ByNamespace', 'ByUser']));
  }
  const pl = strOf(objOf(spec.priorityLevelConfiguration)?.name);
  if (!pl) errs.push(fieldErrors.required('spec.priorityLevelConfiguration.name', 'must reference a priority level'));
  else for (const m of isDNS1123Subdomain(pl)) errs.push(fieldErrors.invalid('spec.priorityLevelConfiguration.name', pl, m));
  arrOf(spec.rules).forEach((raw, i) => {
    const rule = objOf(raw) ?? {};
    const p = `spec.rules[${i}]`;
    const subjects = arrOf(rule.subjects);
    if (subjects.length === 0) errs.push(fieldErrors.required(`${p}.subjects`, 'subjects must contain at least one value'));
    subjects.forEach((s, j) => {
      errs.push(...validateSubject(s, `${p}.subjects[${j}]`));
    });
    const resourceRules = arrOf(rule.resourceRules);
    const nonResourceRules = arrOf(rule.nonResourceRules);
    if (resourceRules.length === 0 && nonResourceRules.length === 0) {
      errs.push(fieldErrors.required(p, 'at least one of resourceRules and nonResourceRules has to be non-empty'));
    }
    resourceRules.forEach((r, j) => {
      errs.push(...validateResourceRule(r, `${p}.resourceRules[${j}]`));
    });
    nonResourceRules.forEach((r, j) => {
      errs.push(...validateNonResourceRule(r, `${p}.nonResourceRules[${j}]`));
    });
  });
  const mandatory = MANDATORY_FLOW_SCHEMAS.get(name);
  if (mandatory && !deepEqual(spec, mandatory)) {
    errs.push(invalidGo('spec', 'flowcontrol.FlowSchemaSpec{...}', `spec of '${name}' must equal the fixed value`));
  }
  return [...errs, ...validateConditions(obj)];
}

/** SetDefaults_FlowSchemaSpec. */
function defaultFlowSchema(obj: KubeObject): void {
  const spec = child(obj, 'spec');
  if (!spec.matchingPrecedence) spec.matchingPrecedence = 1000;
}

/** Fields without omitempty. */
function flowSchemaWireFields(obj: KubeObject): void {
  const spec = child(obj, 'spec');
  child(spec, 'priorityLevelConfiguration').name ??= '';
  spec.matchingPrecedence ??= 0;
  const dm = objOf(spec.distinguisherMethod);
  if (dm) dm.type ??= '';
  for (const r of arrOf(spec.rules)) {
    if (!isPlainObject(r)) continue;
    if (r.subjects === undefined) r.subjects = null;
    for (const s of arrOf(r.subjects)) {
      if (!isPlainObject(s)) continue;
      s.kind ??= '';
      for (const f of ['user', 'group']) if (isPlainObject(s[f])) (s[f] as Obj).name ??= '';
      if (isPlainObject(s.serviceAccount)) for (const f of ['namespace', 'name']) (s.serviceAccount as Obj)[f] ??= '';
    }
    for (const rr of arrOf(r.resourceRules)) {
      if (isPlainObject(rr)) for (const f of ['verbs', 'apiGroups', 'resources', 'namespaces']) if (rr[f] === undefined) rr[f] = null;
    }
    for (const nr of arrOf(r.nonResourceRules)) {
      if (isPlainObject(nr)) for (const f of ['verbs', 'nonResourceURLs']) if (nr[f] === undefined) nr[f] = null;
    }
  }
  child(obj, 'status');
}

/** FlowSchemaSequence: the list printer orders by matching precedence, then name. */
function compareFlowSchemas(a: KubeObject, b: KubeObject): number {
  const pa = Number(peek(a, 'spec').matchingPrecedence ?? 0);
  const pb = Number(peek(b, 'spec').matchingPrecedence ?? 0);
  if (pa !== pb) return pa - pb;
  const na = a.metadata?.name ?? '';
  const nb = b.metadata?.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/**
 * What both kinds' strategies share: cluster-scoped, status cleared on create, defaults and validation
 * for the object itself, only the conditions validated on /status (kube's flowschema and
 * prioritylevelconfiguration strategies and their status strategies).
 */
function specAndStatusStrategy(defaults: (obj: KubeObject) => void, validate: (obj: KubeObject) => FieldError[]): Strategy {
  return {
    namespaced: false,
    hasGeneration: true,
    allowUnconditionalUpdate: true,
    hasStatusSubresource: true,
    allowCreateOnUpdate: false,
    prepareForCreate(obj) {
      defaults(obj);
      obj.status = {};
    },
    prepareForUpdate: (obj, _old, ctx) => {
      if (ctx.subresource !== 'status') defaults(obj);
    },
    validate: (obj) => validate(obj),
    validateUpdate: (obj, _old, ctx) => (ctx.subresource === 'status' ? validateConditions(obj) : validate(obj)),
  };
}

const flowSchemaStrategy: Strategy = {
  ...specAndStatusStrategy(defaultFlowSchema, validateFlowSchema),
  canonicalize: flowSchemaWireFields,
  tableRowOrder: compareFlowSchemas,
  tableColumns: [
    nameColumn,
    docColumn('PriorityLevel', 'string', 'V1PriorityLevelConfigurationReference', 'name'),
    docColumn('MatchingPrecedence', 'string', 'V1FlowSchemaSpec', 'matchingPrecedence'),
    docColumn('DistinguisherMethod', 'string', 'V1FlowSchemaSpec', 'distinguisherMethod'),
    ageColumn,
    column('MissingPL', 'string', 'references a broken or non-existent PriorityLevelConfiguration'),
  ],
  tableRow(obj) {
    const spec = peek(obj, 'spec');
    const dangling = arrOf(objOf(obj.status)?.conditions)
      .map((c) => objOf(c) ?? {})
      .find((c) => c.type === 'Dangling');
    return [
      objName(obj),
      strOf(objOf(spec.priorityLevelConfiguration)?.name),
      typeof spec.matchingPrecedence === 'number' ? spec.matchingPrecedence : 0,
      strOf(objOf(spec.distinguisherMethod)?.type) || '<none>',
      age(obj.metadata?.creationTimestamp),
      dangling ? strOf(dangling.status) : '?',
    ];
  },
};

// --- PriorityLevelConfiguration ---------------------------------------------

/** Defaults for a limited or exempt level and its queuing (SetDefaults_*PriorityLevelConfiguration, SetDefaults_QueuingConfiguration). */
function defaultPriorityLevel(obj: KubeObject): void {
  const spec = child(obj, 'spec');
  const exempt = objOf(spec.exempt);
  if (exempt) {
    exempt.nominalConcurrencyShares ??= 0;
    exempt.lendablePercent ??= 0;
  }
  const limited = objOf(spec.limited);
  if (!limited) return;
  limited.nominalConcurrencyShares ??= 30;
  limited.lendablePercent ??= 0;
  const queuing = objOf(objOf(limited.limitResponse)?.queuing);
  if (queuing) {
    if (!queuing.handSize) queuing.handSize = 8;
    if (!queuing.queues) queuing.queues = 64;
    if (!queuing.queueLengthLimit) queuing.queueLengthLimit = 50;
  }
}

/** shufflesharding.RequiredEntropyBits: ceil(log2(deck^hand)). */
function requiredEntropyBits(deck: number, hand: number): number {
  return Math.ceil(Math.log2(deck) * hand);
}

function validateQueuing(q: Obj, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const num = (f: string) => (typeof q[f] === 'number' ? (q[f] as number) : 0);
  const [limit, queues, hand] = [num('queueLengthLimit'), num('queues'), num('handSize')];
  if (limit <= 0) errs.push(fieldErrors.invalid(`${p}.queueLengthLimit`, limit, 'must be positive'));
  if (queues <= 0) errs.push(fieldErrors.invalid(`${p}.queues`, queues, 'must be positive'));
  else if (queues > MAX_QUEUES) errs.push(fieldErrors.invalid(`${p}.queues`, queues, `must not be greater than ${MAX_QUEUES}`));
  if (hand <= 0) errs.push(fieldErrors.invalid(`${p}.handSize`, hand, 'must be positive'));
  else if (hand > queues) errs.push(fieldErrors.invalid(`${p}.handSize`, hand, `should not be greater than queues (${queues})`));
  else if (requiredEntropyBits(queues, hand) > MAX_HASH_BITS) {
    errs.push(
      fieldErrors.invalid(
        `${p}.handSize`,
        hand,
        `required entropy bits of deckSize ${queues} and handSize ${hand} should not be greater than ${MAX_HASH_BITS}`,
      ),
    );
  }
  return errs;
}

function validatePercent(v: unknown, p: string, errs: FieldError[]): void {
  if (typeof v === 'number' && !(v >= 0 && v <= 100)) errs.push(fieldErrors.invalid(p, v, 'must be between 0 and 100, inclusive'));
}

/** ValidatePriorityLevelConfiguration (v1: zero nominal shares allowed). */
function validatePriorityLevel(obj: KubeObject): FieldError[] {
  const spec = peek(obj, 'spec');
  const name = obj.metadata?.name ?? '';
  const type = strOf(spec.type);
  const errs: FieldError[] = [];
  if ((name === 'exempt') !== (type === 'Exempt'))
    errs.push(fieldErrors.invalid('spec.type', type, "type must be 'Exempt' if and only if name is 'exempt'"));
  switch (type) {
    case 'Exempt': {
      if (spec.limited != null) errs.push(fieldErrors.forbidden('spec.limited', 'must be nil if the type is not Limited'));
      const exempt = objOf(spec.exempt);
      if (exempt) {
        const ncs = exempt.nominalConcurrencyShares;
        if (typeof ncs === 'number' && ncs < 0)
          errs.push(fieldErrors.invalid('spec.exempt.nominalConcurrencyShares', ncs, 'must be a non-negative integer'));
        validatePercent(exempt.lendablePercent, 'spec.exempt.lendablePercent', errs);
      }
      break;
    }
    case 'Limited': {
      if (spec.exempt != null) errs.push(fieldErrors.forbidden('spec.exempt', 'must be nil if the type is Limited'));
      const limited = objOf(spec.limited);
      if (!limited) {
        errs.push(fieldErrors.required('spec.limited', 'must not be empty when type is Limited'));
        break;
      }
      const ncs = limited.nominalConcurrencyShares;
      if (typeof ncs === 'number' && ncs < 0)
        errs.push(fieldErrors.invalid('spec.limited.nominalConcurrencyShares', ncs, 'must be a non-negative integer'));
      const lr = objOf(limited.limitResponse) ?? {};
      const lrType = strOf(lr.type);
      if (lrType === 'Reject') {
        if (lr.queuing != null)
          errs.push(
            fieldErrors.forbidden('spec.limited.limitResponse.queuing', 'must be nil if limited.limitResponse.type is not Limited'),
          );
      } else if (lrType === 'Queue') {
        const q = objOf(lr.queuing);
        if (!q)
          errs.push(
            fieldErrors.required('spec.limited.limitResponse.queuing', 'must not be empty if limited.limitResponse.type is Limited'),
          );
        else errs.push(...validateQueuing(q, 'spec.limited.limitResponse.queuing'));
      } else errs.push(fieldErrors.notSupported('spec.limited.limitResponse.type', lrType, ['Queue', 'Reject']));
      validatePercent(limited.lendablePercent, 'spec.limited.lendablePercent', errs);
      const borrow = limited.borrowingLimitPercent;
      if (typeof borrow === 'number' && borrow < 0) {
        errs.push(fieldErrors.invalid('spec.limited.borrowingLimitPercent', borrow, 'if specified, must be a non-negative integer'));
      }
      break;
    }
    default:
      errs.push(fieldErrors.notSupported('spec.type', type, ['Exempt', 'Limited']));
  }
  const mandatory = MANDATORY_PRIORITY_LEVELS.get(name);
  if (mandatory && !deepEqual(spec, mandatory)) {
    errs.push(invalidGo('spec', 'flowcontrol.PriorityLevelConfigurationSpec{...}', `spec of '${name}' must equal the fixed value`));
  }
  return [...errs, ...validateConditions(obj)];
}

function priorityLevelWireFields(obj: KubeObject): void {
  const spec = child(obj, 'spec');
  spec.type ??= '';
  const limited = objOf(spec.limited);
  if (limited) {
    if (limited.nominalConcurrencyShares === undefined) limited.nominalConcurrencyShares = null;
    const lr = child(limited, 'limitResponse');
    lr.type ??= '';
    const q = objOf(lr.queuing);
    if (q) for (const f of ['queues', 'handSize', 'queueLengthLimit']) q[f] ??= 0;
  }
  child(obj, 'status');
}

const priorityLevelStrategy: Strategy = {
  ...specAndStatusStrategy(defaultPriorityLevel, validatePriorityLevel),
  canonicalize: priorityLevelWireFields,
  tableColumns: [
    nameColumn,
    docColumn('Type', 'string', 'V1PriorityLevelConfigurationSpec', 'type'),
    docColumn('NominalConcurrencyShares', 'string', 'V1LimitedPriorityLevelConfiguration', 'nominalConcurrencyShares'),
    docColumn('Queues', 'string', 'V1QueuingConfiguration', 'queues'),
    docColumn('HandSize', 'string', 'V1QueuingConfiguration', 'handSize'),
    docColumn('QueueLengthLimit', 'string', 'V1QueuingConfiguration', 'queueLengthLimit'),
    ageColumn,
  ],
  tableRow(obj) {
    const spec = peek(obj, 'spec');
    const limited = objOf(spec.limited);
    const q = objOf(objOf(limited?.limitResponse)?.queuing);
    const cell = (v: unknown) => (typeof v === 'number' ? v : '<none>');
    return [
      objName(obj),
      strOf(spec.type),
      limited ? cell(limited.nominalConcurrencyShares) : '<none>',
      q ? cell(q.queues) : '<none>',
      q ? cell(q.handSize) : '<none>',
      q ? cell(q.queueLengthLimit) : '<none>',
      age(obj.metadata?.creationTimestamp),
    ];
  },
};

const flowcontrol = (resource: string, kind: string, strategy: Strategy, objects: KubeObject[]): BuiltinResource =>
  groupV1Resource(GROUP, resource, kind, strategy, { status: true, extra: { systemObjects: () => structuredClone(objects) } });

export const flowControlResources: BuiltinResource[] = [
  flowcontrol('prioritylevelconfigurations', 'PriorityLevelConfiguration', priorityLevelStrategy, BOOTSTRAP_PRIORITY_LEVELS),
  flowcontrol('flowschemas', 'FlowSchema', flowSchemaStrategy, BOOTSTRAP_FLOW_SCHEMAS),
];
