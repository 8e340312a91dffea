// scheduling.k8s.io/v1 PriorityClasses (with the two system classes every
// cluster starts with, pkg/apis/scheduling/helpers.go) and node.k8s.io/v1
// RuntimeClasses: defaults, validation and printers as kube-apiserver has them.

import { type FieldError, fieldErrors } from '../../api/errors.js';
import { isDNS1123Label } from '../../api/names.js';
import type { KubeObject } from '../../api/types.js';
import { type BuiltinResource, builtinResource } from '../builtin.js';
import type { Strategy } from '../strategy.js';
import { validateLabels } from '../validation/objectmeta.js';
import { docColumn } from './cluster-common.js';
import { age, ageColumn, column, nameColumn, objName } from './printers.js';
import { objOf, strOf } from './values.js';

const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
const SYSTEM_CRITICAL_PRIORITY = 2 * HIGHEST_USER_DEFINABLE_PRIORITY;
const SYSTEM_PREFIX = 'system-';

/** The system PriorityClasses kube-apiserver creates at startup. */
export const SYSTEM_PRIORITY_CLASSES = [
  {
    name: 'system-node-critical',
    value: SYSTEM_CRITICAL_PRIORITY + 1000,
    description: 'Used for system critical pods that must not be moved from their current node.',
  },
  {
    name: 'system-cluster-critical',
    value: SYSTEM_CRITICAL_PRIORITY,
    description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
  },
];

/** IsKnownSystemPriorityClass: a `system-` name must be one of the system classes, with its value and no globalDefault. */
function systemClassError(name: string, value: unknown, globalDefault: boolean): string | undefined {
  const spc = SYSTEM_PRIORITY_CLASSES.find((c) => c.name === name);
  if (!spc) return `${name} is not a known system priority class`;
  if (spc.value !== value) return `value of ${spc.name} PriorityClass must be ${spc.value}`;
  if (globalDefault) return `globalDefault of ${spc.name} PriorityClass must be false`;
  return undefined;
}

const PREEMPTION_POLICIES = ['PreemptLowerPriority', 'Never'];

function validatePriorityClass(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const name = obj.metadata?.name ?? '';
  if (name.startsWith(SYSTEM_PREFIX)) {
    const why = systemClassError(name, obj.value, obj.globalDefault === true);
    if (why) {
      errs.push(
        fieldErrors.forbidden(
          'metadata.name',
          `priority class names with '${SYSTEM_PREFIX}' prefix are reserved for system use only. error: ${why}`,
        ),
      );
    }
  } else if (typeof obj.value === 'number' && obj.value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push(fieldErrors.forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  }
  if (obj.preemptionPolicy !== undefined && !PREEMPTION_POLICIES.includes(strOf(obj.preemptionPolicy))) {
    errs.push(fieldErrors.notSupported('preemptionPolicy', strOf(obj.preemptionPolicy), PREEMPTION_POLICIES));
  }
  return errs;
}

const priorityClassStrategy: Strategy = {
  namespaced: false,
  // PrepareForCreate sets generation 1; nothing bumps it afterwards.
  hasGeneration: true,
  specChanged: () => false,
  allowUnconditionalUpdate: true,
  hasStatusSubresource: false,
  allowCreateOnUpdate: false,
  prepareForCreate: (obj) => {
    obj.preemptionPolicy ??= 'PreemptLowerPriority';
  },
  prepareForUpdate: (obj) => {
    obj.preemptionPolicy ??= 'PreemptLowerPriority';
  },
  validate: validatePriorityClass,
  // ValidatePriorityClassUpdate: name (metadata), value and preemptionPolicy are fixed.
  validateUpdate: (obj, old) => {
    const errs: FieldError[] = [];
    if (obj.value !== old.value) errs.push(fieldErrors.forbidden('value', 'may not be changed in an update.'));
    if (obj.preemptionPolicy !== old.preemptionPolicy)
      errs.push(fieldErrors.invalid('preemptionPolicy', obj.preemptionPolicy, 'field is immutable'));
    return errs;
  },
  canonicalize: (obj) => {
    obj.value ??= 0;
  },
  tableColumns: [
    nameColumn,
    docColumn('Value', 'integer', 'V1PriorityClass', 'value'),
    docColumn('Global-Default', 'boolean', 'V1PriorityClass', 'globalDefault'),
    ageColumn,
    docColumn('PreemptionPolicy', 'string', 'V1PriorityClass', 'preemptionPolicy'),
  ],
  tableRow: (obj) => [
    objName(obj),
    typeof obj.value === 'number' ? obj.value : 0,
    obj.globalDefault === true,
    age(obj.metadata?.creationTimestamp),
    strOf(obj.preemptionPolicy),
  ],
};

function validateRuntimeClass(obj: KubeObject): FieldError[] {
  const handler = strOf(obj.handler);
  const errs = isDNS1123Label(handler).map((m) => fieldErrors.invalid('handler', handler, m));
  errs.push(...validateLabels(objOf(obj.scheduling)?.nodeSelector, 'scheduling.nodeSelector'));
  return errs;
}

const runtimeClassStrategy: Strategy = {
  namespaced: false,
  hasGeneration: false,
  allowUnconditionalUpdate: true,
  hasStatusSubresource: false,
  allowCreateOnUpdate: false,
  validate: validateRuntimeClass,
  validateUpdate: (obj, old) => {
    const errs = validateRuntimeClass(obj);
    if (obj.handler !== old.handler) errs.push(fieldErrors.invalid('handler', obj.handler, 'field is immutable'));
    return errs;
  },
  canonicalize: (obj) => {
    obj.handler ??= '';
  },
  // kube describes the column with ObjectMeta's (missing) "handler" swagger doc: empty.
  tableColumns: [nameColumn, column('Handler', 'string', ''), ageColumn],
  tableRow: (obj) => [objName(obj), strOf(obj.handler), age(obj.metadata?.creationTimestamp)],
};

export const schedulingResources: BuiltinResource[] = [
  builtinResource(
    {
      group: 'scheduling.k8s.io',
      version: 'v1',
      resource: 'priorityclasses',
      singular: 'priorityclass',
      kind: 'PriorityClass',
      namespaced: false,
      shortNames: ['pc'],
    },
    priorityClassStrategy,
    'V1PriorityClass',
    undefined,
    {
      systemObjects: () =>
        SYSTEM_PRIORITY_CLASSES.map((c) => ({
          apiVersion: 'scheduling.k8s.io/v1',
          kind: 'PriorityClass',
          metadata: { name: c.name },
          value: c.value,
          description: c.description,
        })),
    },
  ),
  builtinResource(
    { group: 'node.k8s.io', version: 'v1', resource: 'runtimeclasses', singular: 'runtimeclass', kind: 'RuntimeClass', namespaced: false },
    runtimeClassStrategy,
    'V1RuntimeClass',
  ),
];
