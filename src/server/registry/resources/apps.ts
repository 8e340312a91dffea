// apps/v1 strategies: Deployments, ReplicaSets, StatefulSets, DaemonSets and
// ControllerRevisions, as pkg/registry/apps/*/strategy.go with the defaults of
// pkg/apis/apps/v1/defaults.go, the validation of pkg/apis/apps/validation and
// the printers of pkg/printers/internalversion.

import { type FieldError, fieldErrors, GoValue } from '../../api/errors.js';
import { nameIsDNSLabel } from '../../api/names.js';
import type { LabelSelector } from '../../api/selectors/labels.js';
import { deepEqual, isPlainObject, type KubeObject } from '../../api/types.js';
import type { Strategy } from '../strategy.js';
import { validateLabelSelector } from '../validation/labelselector.js';
import { validateAnnotations, validateLabels } from '../validation/objectmeta.js';
import { goIntOrString, goLabelSelector, goPointer } from './go-values.js';
import { defaultPodTemplateSpec, validatePodTemplateSpec } from './podspec.js';
import { age, ageColumn, column, nameColumn, objName } from './printers.js';
import { child, numOf, type Obj, peek, specOf, statusOf } from './values.js';
import {
  containerCells,
  containersColumn,
  defaultTo,
  dnsLabelNameWarnings,
  formatLabelSelector,
  imagesColumn,
  immutable,
  intOrPercentValue,
  nonNegative,
  notMoreThan100Percent,
  selectorOf,
  semanticEqual,
  templateLabelsMatch,
  templateMetaWire,
  validatePositiveIntOrPercent,
  validateRequiredSelector,
  wireZero,
  workloadStrategy,
} from './workload-helpers.js';

const selectorImmutable = (obj: KubeObject, old: KubeObject): FieldError[] =>
  immutable(specOf(obj).selector, peek(old, 'spec').selector, 'spec.selector', goLabelSelector);

/** Defaults every pod template gets (the pod spec's, from the pods area) and its metadata on the wire. */
function defaultTemplate(spec: Obj): void {
  defaultPodTemplateSpec(child(spec, 'template'));
}

/** ValidatePodTemplateSpecForReplicaSet (Deployments, ReplicaSets, DaemonSets use it or its twin). */
function validateReplicaSetTemplate(selector: LabelSelector, template: unknown, path: string, kind: string): FieldError[] {
  const errs = templateLabelsMatch(selector, template, path);
  errs.push(...validatePodTemplateSpec(template, path));
  errs.push(...podTemplateRestrictions(template, `${path}.spec`, kind));
  return errs;
}

/** Controllers' pods restart Always and run without a deadline. */
function podTemplateRestrictions(template: unknown, specPath: string, kind: string): FieldError[] {
  const pod = peek(template, 'spec');
  const errs: FieldError[] = [];
  if (pod.restartPolicy !== 'Always') errs.push(fieldErrors.notSupported(`${specPath}.restartPolicy`, pod.restartPolicy ?? '', ['Always']));
  if (pod.activeDeadlineSeconds !== undefined && pod.activeDeadlineSeconds !== null) {
    errs.push(fieldErrors.forbidden(`${specPath}.activeDeadlineSeconds`, `activeDeadlineSeconds in ${kind} is not Supported`));
  }
  return errs;
}

/** Status counters that must be >= 0, and those that may not exceed another (ValidateXStatus). */
function validateCounters(
  status: Obj,
  nonNegatives: string[],
  notAbove: Array<[field: string, limit: string, message: string]>,
): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of nonNegatives) errs.push(...nonNegative(status[f], `status.${f}`));
  for (const [f, limit, message] of notAbove) {
    if (numOf(status[f]) > numOf(status[limit])) errs.push(fieldErrors.invalid(`status.${f}`, numOf(status[f]), message));
  }
  return errs;
}

/** IsDecremented on status.collisionCount. */
function collisionCountDecrement(obj: KubeObject, old: KubeObject): FieldError[] {
  const now = statusOf(obj).collisionCount;
  const before = statusOf(old).collisionCount;
  if (typeof before !== 'number') return [];
  if (typeof now === 'number' && now >= before) return [];
  return [fieldErrors.invalid('status.collisionCount', typeof now === 'number' ? now : 0, 'cannot be decremented')];
}

const REPLICAS_MSG = 'cannot be greater than status.replicas';

// ---- Deployment ---------------------------------------------------------------------------------

function defaultDeployment(obj: KubeObject): void {
  const spec = specOf(obj);
  defaultTo(spec, 'replicas', 1);
  const strategy = child(spec, 'strategy');
  if (!strategy.type) strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = child(strategy, 'rollingUpdate');
    defaultTo(ru, 'maxUnavailable', '25%');
    defaultTo(ru, 'maxSurge', '25%');
  }
  defaultTo(spec, 'revisionHistoryLimit', 10);
  defaultTo(spec, 'progressDeadlineSeconds', 600);
  defaultTemplate(spec);
}

/** A Deployment's strategy or a StatefulSet's or DaemonSet's updateStrategy as %#v prints it: the type and the rolling-update pointer. */
const goUpdateStrategy = (type: string, rollingUpdateType: string, s: Obj): GoValue =>
  new GoValue(`${type}{Type:${JSON.stringify(s.type ?? '')}, RollingUpdate:${goPointer(rollingUpdateType, s.rollingUpdate)}}`);

function validateDeploymentStrategy(strategy: Obj): FieldError[] {
  const path = 'spec.strategy';
  switch (strategy.type) {
    case 'Recreate':
      return strategy.rollingUpdate !== undefined && strategy.rollingUpdate !== null
        ? [fieldErrors.forbidden(`${path}.rollingUpdate`, "may not be specified when strategy `type` is 'Recreate'")]
        : [];
    case 'RollingUpdate': {
      if (!isPlainObject(strategy.rollingUpdate))
        return [fieldErrors.required(`${path}.rollingUpdate`, 'this should be defaulted and never be nil')];
      const ru = strategy.rollingUpdate;
      const p = `${path}.rollingUpdate`;
      const errs = [
        ...validatePositiveIntOrPercent(ru.maxUnavailable ?? 0, `${p}.maxUnavailable`),
        ...validatePositiveIntOrPercent(ru.maxSurge ?? 0, `${p}.maxSurge`),
      ];
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
        errs.push(fieldErrors.invalid(`${p}.maxUnavailable`, goIntOrString(ru.maxUnavailable ?? 0), 'may not be 0 when `maxSurge` is 0'));
      }
      errs.push(...notMoreThan100Percent(ru.maxUnavailable, `${p}.maxUnavailable`));
      return errs;
    }
    default:
      return [
        fieldErrors.notSupported(path, goUpdateStrategy('apps.DeploymentStrategy', 'apps.RollingUpdateDeployment', strategy), [
          'Recreate',
          'RollingUpdate',
        ]),
      ];
  }
}

/** ValidateDeploymentSpec. */
function validateDeploymentSpec(obj: KubeObject): FieldError[] {
  const spec = specOf(obj);
  const errs = nonNegative(spec.replicas, 'spec.replicas');
  errs.push(...validateRequiredSelector(spec.selector, 'spec.selector', 'deployment'));
  const selector = selectorOf(spec.selector);
  if (!selector) errs.push(fieldErrors.invalid('spec.selector', goLabelSelector(spec.selector), 'invalid label selector'));
  else errs.push(...validateReplicaSetTemplate(selector, spec.template, 'spec.template', 'ReplicaSet'));
  errs.push(...validateDeploymentStrategy(child(spec, 'strategy')));
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  if (typeof spec.progressDeadlineSeconds === 'number') {
    errs.push(...nonNegative(spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds'));
    if (spec.progressDeadlineSeconds <= numOf(spec.minReadySeconds)) {
      errs.push(fieldErrors.invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
    }
  }
  return errs;
}

export const deploymentStrategy: Strategy = workloadStrategy(
  {
    defaults: defaultDeployment,
    wire(obj) {
      const spec = specOf(obj);
      wireZero(spec, { selector: null });
      templateMetaWire(child(spec, 'template'));
    },
    validate: validateDeploymentSpec,
    validateUpdate: (obj, old) => [...validateDeploymentSpec(obj), ...selectorImmutable(obj, old)],
    warningsOnCreate: dnsLabelNameWarnings,
    podTemplatePath: 'spec.template',
    validateStatus: (obj, old) => [
      ...validateCounters(
        statusOf(obj),
        [
          'observedGeneration',
          'replicas',
          'updatedReplicas',
          'readyReplicas',
          'availableReplicas',
          'unavailableReplicas',
          'collisionCount',
        ],
        [
          ['updatedReplicas', 'replicas', REPLICAS_MSG],
          ['readyReplicas', 'replicas', REPLICAS_MSG],
          ['availableReplicas', 'replicas', REPLICAS_MSG],
          ['availableReplicas', 'readyReplicas', 'cannot be greater than readyReplicas'],
        ],
      ),
      ...collisionCountDecrement(obj, old),
    ],
  },
  {
    // Annotations bump generation too: the deployment controller copies them to its ReplicaSets.
    specChanged: (obj, old) =>
      !semanticEqual(obj.spec, old.spec) || !deepEqual(obj.metadata?.annotations ?? {}, old.metadata?.annotations ?? {}),
    tableColumns: [
      nameColumn,
      column('Ready', 'string', 'Number of the pod with ready state'),
      column(
        'Up-to-date',
        'string',
        'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
      ),
      column('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
      ageColumn,
      containersColumn,
      imagesColumn,
      column(
        'Selector',
        'string',
        'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.',
        1,
      ),
    ],
    tableRow(obj) {
      const spec = peek(obj, 'spec');
      const status = statusOf(obj);
      const [names, images] = containerCells(spec.template);
      const selector = selectorOf(spec.selector);
      return [
        objName(obj),
        `${numOf(status.readyReplicas)}/${numOf(spec.replicas)}`,
        numOf(status.updatedReplicas),
        numOf(status.availableReplicas),
        age(obj.metadata?.creationTimestamp),
        names,
        images,
        selector ? selector.toString() : '<invalid>',
      ];
    },
  },
);

// ---- ReplicaSet ---------------------------------------------------------------------------------

/** ValidateReplicaSetSpec. */
function validateReplicaSetSpec(obj: KubeObject): FieldError[] {
  const spec = specOf(obj);
  const errs = [...nonNegative(spec.replicas, 'spec.replicas'), ...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds')];
  // kube's message names deployments here too.
  errs.push(...validateRequiredSelector(spec.selector, 'spec.selector', 'deployment'));
  const selector = selectorOf(spec.selector);
  if (!selector) errs.push(fieldErrors.invalid('spec.selector', goLabelSelector(spec.selector), 'invalid label selector'));
  else errs.push(...validateReplicaSetTemplate(selector, spec.template, 'spec.template', 'ReplicaSet'));
  return errs;
}

export const replicaSetStrategy: Strategy = workloadStrategy(
  {
    defaults(obj) {
      const spec = specOf(obj);
      defaultTo(spec, 'replicas', 1);
      defaultTemplate(spec);
    },
    wire(obj) {
      const spec = specOf(obj);
      wireZero(spec, { selector: null });
      templateMetaWire(child(spec, 'template'));
      wireZero(child(obj, 'status'), { replicas: 0 });
    },
    validate: validateReplicaSetSpec,
    validateUpdate: (obj, old) => [...validateReplicaSetSpec(obj), ...selectorImmutable(obj, old)],
    validateStatus: (obj) =>
      validateCounters(
        statusOf(obj),
        ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration'],
        [
          ['fullyLabeledReplicas', 'replicas', REPLICAS_MSG],
          ['readyReplicas', 'replicas', REPLICAS_MSG],
          ['availableReplicas', 'replicas', REPLICAS_MSG],
          ['availableReplicas', 'readyReplicas', 'cannot be greater than readyReplicas'],
        ],
      ),
    warningsOnCreate: dnsLabelNameWarnings,
    podTemplatePath: 'spec.template',
  },
  {
    tableColumns: [
      nameColumn,
      column(
        'Desired',
        'integer',
        'Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller',
      ),
      column(
        'Current',
        'integer',
        'Replicas is the most recently observed number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller',
      ),
      column('Ready', 'integer', 'The number of ready replicas for this replica set.'),
      ageColumn,
      containersColumn,
      imagesColumn,
      column(
        'Selector',
        'string',
        'Selector is a label query over pods that should match the replica count. If the selector is empty, it is defaulted to the labels present on the pod template. Label keys and values that must match in order to be controlled by this replica set. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
        1,
      ),
    ],
    tableRow(obj) {
      const spec = peek(obj, 'spec');
      const status = statusOf(obj);
      const [names, images] = containerCells(spec.template);
      return [
        objName(obj),
        numOf(spec.replicas),
        numOf(status.replicas),
        numOf(status.readyReplicas),
        age(obj.metadata?.creationTimestamp),
        names,
        images,
        formatLabelSelector(spec.selector),
      ];
    },
  },
);

// ---- StatefulSet --------------------------------------------------------------------------------

/** SetDefaults_PersistentVolumeClaim(Spec) on a claim template, and the TypeMeta apps/v1 writes on it (issue 87583). */
function defaultClaimTemplate(claim: Obj): void {
  claim.apiVersion = 'v1';
  claim.kind = 'PersistentVolumeClaim';
  defaultTo(child(claim, 'spec'), 'volumeMode', 'Filesystem');
  defaultTo(child(claim, 'status'), 'phase', 'Pending');
}

function defaultStatefulSet(obj: KubeObject): void {
  const spec = specOf(obj);
  if (!spec.podManagementPolicy) spec.podManagementPolicy = 'OrderedReady';
  const us = child(spec, 'updateStrategy');
  if (!us.type) {
    us.type = 'RollingUpdate';
    if (us.rollingUpdate === undefined || us.rollingUpdate === null) us.rollingUpdate = {};
  }
  if (us.type === 'RollingUpdate' && isPlainObject(us.rollingUpdate)) defaultTo(us.rollingUpdate, 'partition', 0);
  const retention = child(spec, 'persistentVolumeClaimRetentionPolicy');
  if (!retention.whenDeleted) retention.whenDeleted = 'Retain';
  if (!retention.whenScaled) retention.whenScaled = 'Retain';
  defaultTo(spec, 'replicas', 1);
  defaultTo(spec, 'revisionHistoryLimit', 10);
  defaultTemplate(spec);
  if (Array.isArray(spec.volumeClaimTemplates)) for (const c of spec.volumeClaimTemplates) if (isPlainObject(c)) defaultClaimTemplate(c);
}

/** dropStatefulSetDisabledFields: rollingUpdate.maxUnavailable is alpha (MaxUnavailableStatefulSet) in 1.32. */
function dropStatefulSetDisabledFields(obj: KubeObject, old?: KubeObject): void {
  const ru = peek(peek(obj, 'spec').updateStrategy, 'rollingUpdate');
  const oldRU = peek(peek(old?.spec, 'updateStrategy'), 'rollingUpdate');
  if (oldRU.maxUnavailable === undefined) delete ru.maxUnavailable;
}

function validateStatefulSetUpdateStrategy(us: Obj): FieldError[] {
  const path = 'spec.updateStrategy';
  switch (us.type) {
    case undefined:
    case '':
      return [fieldErrors.required(path)];
    case 'OnDelete':
      return isPlainObject(us.rollingUpdate)
        ? [
            fieldErrors.invalid(
              `${path}.rollingUpdate`,
              new GoValue(
                `apps.RollingUpdateStatefulSetStrategy{Partition:${numOf(us.rollingUpdate.partition)}, MaxUnavailable:${goPointer('intstr.IntOrString', us.rollingUpdate.maxUnavailable)}}`,
              ),
              "only allowed for updateStrategy 'RollingUpdate'",
            ),
          ]
        : [];
    case 'RollingUpdate': {
      if (!isPlainObject(us.rollingUpdate)) return [];
      const p = `${path}.rollingUpdate`;
      const errs = nonNegative(us.rollingUpdate.partition, `${p}.partition`);
      const mu = us.rollingUpdate.maxUnavailable;
      if (mu !== undefined && mu !== null) {
        errs.push(...validatePositiveIntOrPercent(mu, `${p}.maxUnavailable`));
        if (intOrPercentValue(mu) === 0) errs.push(fieldErrors.invalid(`${p}.maxUnavailable`, goIntOrString(mu), 'cannot be 0'));
        errs.push(...notMoreThan100Percent(mu, `${p}.maxUnavailable`));
      }
      return errs;
    }
    default:
      return [
        fieldErrors.invalid(
          path,
          goUpdateStrategy('apps.StatefulSetUpdateStrategy', 'apps.RollingUpdateStatefulSetStrategy', us),
          "must be 'RollingUpdate' or 'OnDelete'",
        ),
      ];
  }
}

/** ValidateStatefulSetSpec. */
function validateStatefulSetSpec(obj: KubeObject): FieldError[] {
  const spec = specOf(obj);
  const errs: FieldError[] = [];
  switch (spec.podManagementPolicy) {
    case undefined:
    case '':
      errs.push(fieldErrors.required('spec.podManagementPolicy'));
      break;
    case 'OrderedReady':
    case 'Parallel':
      break;
    default:
      errs.push(fieldErrors.invalid('spec.podManagementPolicy', spec.podManagementPolicy, "must be 'OrderedReady' or 'Parallel'"));
  }
  errs.push(...validateStatefulSetUpdateStrategy(child(spec, 'updateStrategy')));
  const retention = spec.persistentVolumeClaimRetentionPolicy;
  if (isPlainObject(retention)) {
    for (const f of ['whenDeleted', 'whenScaled']) {
      if (retention[f] !== 'Retain' && retention[f] !== 'Delete') {
        errs.push(fieldErrors.notSupported(`spec.persistentVolumeClaimRetentionPolicy.${f}`, retention[f] ?? '', ['Retain', 'Delete']));
      }
    }
  }
  errs.push(...nonNegative(spec.replicas, 'spec.replicas'), ...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  if (isPlainObject(spec.ordinals)) errs.push(...nonNegative(spec.ordinals.start, 'spec.ordinals.start'));
  errs.push(...validateRequiredSelector(spec.selector, 'spec.selector', 'statefulset'));
  const selector = selectorOf(spec.selector);
  if (!selector) errs.push(fieldErrors.invalid('spec.selector', goLabelSelector(spec.selector), ''));
  else {
    // ValidatePodTemplateSpecForStatefulSet: the selector and the template's labels and annotations;
    // kube leaves the pod spec itself unvalidated here (its volumes come from volumeClaimTemplates).
    errs.push(...templateLabelsMatch(selector, spec.template, 'spec.template'));
    const meta = peek(spec.template, 'metadata');
    errs.push(
      ...validateLabels(meta.labels, 'spec.template.labels'),
      ...validateAnnotations(meta.annotations, 'spec.template.annotations'),
    );
  }
  errs.push(...podTemplateRestrictions(spec.template, 'spec.template.spec', 'StatefulSet'));
  return errs;
}

const STATEFULSET_MUTABLE = [
  'replicas',
  'template',
  'updateStrategy',
  'minReadySeconds',
  'ordinals',
  'persistentVolumeClaimRetentionPolicy',
];

/** ValidateStatefulSetUpdate: only replicas, ordinals, template, updateStrategy, the claim retention policy and minReadySeconds change. */
function statefulSetSpecForbidden(obj: KubeObject, old: KubeObject): FieldError[] {
  const now = { ...peek(obj, 'spec') };
  const before = { ...peek(old, 'spec') };
  for (const f of STATEFULSET_MUTABLE) {
    delete now[f];
    delete before[f];
  }
  return semanticEqual(now, before)
    ? []
    : [
        fieldErrors.forbidden(
          'spec',
          "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ),
      ];
}

export const statefulSetStrategy: Strategy = workloadStrategy(
  {
    defaults: defaultStatefulSet,
    prepareForCreate: (obj) => dropStatefulSetDisabledFields(obj),
    prepareForUpdate: (obj, old) => dropStatefulSetDisabledFields(obj, old),
    wire(obj) {
      const spec = specOf(obj);
      wireZero(spec, { selector: null, serviceName: '' });
      templateMetaWire(child(spec, 'template'));
      if (Array.isArray(spec.volumeClaimTemplates)) {
        for (const c of spec.volumeClaimTemplates) if (isPlainObject(c)) templateMetaWire(c);
      }
      wireZero(child(obj, 'status'), { replicas: 0, availableReplicas: 0 });
    },
    podTemplatePath: 'spec.template',
    validate: validateStatefulSetSpec,
    validateUpdate: (obj, old) => [...validateStatefulSetSpec(obj), ...statefulSetSpecForbidden(obj, old)],
    validateStatus: (obj, old) => [
      ...validateCounters(
        statusOf(obj),
        ['replicas', 'readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas', 'observedGeneration', 'collisionCount'],
        [
          ['readyReplicas', 'replicas', REPLICAS_MSG],
          ['currentReplicas', 'replicas', REPLICAS_MSG],
          ['updatedReplicas', 'replicas', REPLICAS_MSG],
          ['availableReplicas', 'replicas', REPLICAS_MSG],
          ['availableReplicas', 'readyReplicas', 'cannot be greater than status.readyReplicas'],
        ],
      ),
      ...collisionCountDecrement(obj, old),
    ],
  },
  {
    // ValidateStatefulSetName: pods are named <statefulset>-<ordinal>, so a DNS label.
    nameValidator: nameIsDNSLabel,
    tableColumns: [nameColumn, column('Ready', 'string', 'Number of the pod with ready state'), ageColumn, containersColumn, imagesColumn],
    tableRow(obj) {
      const spec = peek(obj, 'spec');
      const [names, images] = containerCells(spec.template);
      return [
        objName(obj),
        `${numOf(statusOf(obj).readyReplicas)}/${numOf(spec.replicas)}`,
        age(obj.metadata?.creationTimestamp),
        names,
        images,
      ];
    },
  },
);

// ---- DaemonSet ----------------------------------------------------------------------------------

/** The v1 annotation carrying the internal spec.templateGeneration (apps/v1 conversion). */
const TEMPLATE_GENERATION = 'deprecated.daemonset.template.generation';

function templateGeneration(obj: KubeObject | undefined): number {
  const v = obj?.metadata?.annotations?.[TEMPLATE_GENERATION];
  return typeof v === 'string' && /^[+-]?\d+$/.test(v) ? Number.parseInt(v, 10) : 0;
}

function setTemplateGeneration(obj: KubeObject, g: number): void {
  const m = obj.metadata!;
  m.annotations = { ...(m.annotations ?? {}), [TEMPLATE_GENERATION]: String(g) };
}

function validateDaemonSetUpdateStrategy(us: Obj): FieldError[] {
  const path = 'spec.updateStrategy';
  switch (us.type) {
    case 'OnDelete':
      return [];
    case 'RollingUpdate': {
      if (!isPlainObject(us.rollingUpdate)) return [fieldErrors.required(`${path}.rollingUpdate`)];
      const ru = us.rollingUpdate;
      const p = `${path}.rollingUpdate`;
      const errs = [
        ...validatePositiveIntOrPercent(ru.maxUnavailable ?? 0, `${p}.maxUnavailable`),
        ...validatePositiveIntOrPercent(ru.maxSurge ?? 0, `${p}.maxSurge`),
        ...notMoreThan100Percent(ru.maxUnavailable, `${p}.maxUnavailable`),
        ...notMoreThan100Percent(ru.maxSurge, `${p}.maxSurge`),
      ];
      const hasUnavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
      const hasSurge = intOrPercentValue(ru.maxSurge) !== 0;
      if (hasUnavailable && hasSurge) {
        errs.push(fieldErrors.invalid(`${p}.maxSurge`, goIntOrString(ru.maxSurge), 'may not be set when maxUnavailable is non-zero'));
      } else if (!hasUnavailable && !hasSurge) {
        errs.push(fieldErrors.required(`${p}.maxUnavailable`, 'cannot be 0 when maxSurge is 0'));
      }
      return errs;
    }
    default:
      return [
        fieldErrors.notSupported(path, goUpdateStrategy('apps.DaemonSetUpdateStrategy', 'apps.RollingUpdateDaemonSet', us), [
          'RollingUpdate',
          'OnDelete',
        ]),
      ];
  }
}

/** ValidateDaemonSetSpec: apps/v1 neither defaults nor requires the selector; a missing one selects nothing. */
function validateDaemonSetSpec(obj: KubeObject): FieldError[] {
  const spec = specOf(obj);
  const errs = validateLabelSelector(spec.selector, 'spec.selector');
  const selector = selectorOf(spec.selector);
  if (selector) errs.push(...templateLabelsMatch(selector, spec.template, 'spec.template'));
  const sel = spec.selector;
  if (
    isPlainObject(sel) &&
    Object.keys(peek(sel, 'matchLabels')).length + (Array.isArray(sel.matchExpressions) ? sel.matchExpressions.length : 0) === 0
  ) {
    errs.push(fieldErrors.invalid('spec.selector', goLabelSelector(sel), 'empty selector is invalid for daemonset'));
  }
  errs.push(...validatePodTemplateSpec(spec.template, 'spec.template'));
  errs.push(...podTemplateRestrictions(spec.template, 'spec.template.spec', 'DaemonSet'));
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...validateDaemonSetUpdateStrategy(child(spec, 'updateStrategy')));
  errs.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  return errs;
}

export const daemonSetStrategy: Strategy = workloadStrategy(
  {
    defaults(obj) {
      const spec = specOf(obj);
      const us = child(spec, 'updateStrategy');
      if (!us.type) us.type = 'RollingUpdate';
      if (us.type === 'RollingUpdate') {
        const ru = child(us, 'rollingUpdate');
        defaultTo(ru, 'maxUnavailable', 1);
        defaultTo(ru, 'maxSurge', 0);
      }
      defaultTo(spec, 'revisionHistoryLimit', 10);
      defaultTemplate(spec);
    },
    prepareForCreate(obj) {
      setTemplateGeneration(obj, Math.max(templateGeneration(obj), 1));
    },
    prepareForUpdate(obj, old) {
      // The template generation is the server's: kept, and bumped with every template change.
      const g = templateGeneration(old);
      setTemplateGeneration(obj, semanticEqual(peek(obj, 'spec').template, peek(old, 'spec').template) ? g : g + 1);
    },
    wire(obj) {
      const spec = specOf(obj);
      wireZero(spec, { selector: null });
      templateMetaWire(child(spec, 'template'));
      wireZero(child(obj, 'status'), { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 });
    },
    podTemplatePath: 'spec.template',
    validate: validateDaemonSetSpec,
    // kube validates the spec twice on update (ValidateDaemonSet and ValidateDaemonSetUpdate); the message prints each error once.
    validateUpdate: (obj, old) => [...validateDaemonSetSpec(obj), ...validateDaemonSetSpec(obj), ...selectorImmutable(obj, old)],
    validateStatus: (obj, old) => [
      ...validateCounters(
        statusOf(obj),
        [
          'currentNumberScheduled',
          'numberMisscheduled',
          'desiredNumberScheduled',
          'numberReady',
          'observedGeneration',
          'updatedNumberScheduled',
          'numberAvailable',
          'numberUnavailable',
          'collisionCount',
        ],
        [],
      ),
      ...collisionCountDecrement(obj, old),
    ],
  },
  {
    tableColumns: [
      nameColumn,
      column(
        'Desired',
        'integer',
        'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/',
      ),
      column(
        'Current',
        'integer',
        'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/',
      ),
      column(
        'Ready',
        'integer',
        'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.',
      ),
      column('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod'),
      column(
        'Available',
        'integer',
        'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)',
      ),
      column(
        'Node Selector',
        'string',
        "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/",
      ),
      ageColumn,
      containersColumn,
      imagesColumn,
      column(
        'Selector',
        'string',
        'A label query over pods that are managed by the daemon set. Must match in order to be controlled. If empty, defaulted to labels on Pod template. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
        1,
      ),
    ],
    tableRow(obj) {
      const spec = peek(obj, 'spec');
      const status = statusOf(obj);
      const [names, images] = containerCells(spec.template);
      const nodeSelector = peek(peek(spec.template, 'spec'), 'nodeSelector');
      const keys = Object.keys(nodeSelector).sort();
      return [
        objName(obj),
        numOf(status.desiredNumberScheduled),
        numOf(status.currentNumberScheduled),
        numOf(status.numberReady),
        numOf(status.updatedNumberScheduled),
        numOf(status.numberAvailable),
        keys.length ? keys.map((k) => `${k}=${String(nodeSelector[k])}`).join(',') : '<none>',
        age(obj.metadata?.creationTimestamp),
        names,
        images,
        formatLabelSelector(spec.selector),
      ];
    },
  },
);

// ---- ControllerRevision -------------------------------------------------------------------------

/** runtime.Unknown, the internal form of a ControllerRevision's data, as %#v prints it. */
function goRawData(data: unknown): GoValue {
  const bytes = [...Buffer.from(JSON.stringify(data ?? null))].map((b) => `0x${b.toString(16)}`).join(', ');
  return new GoValue(
    `runtime.Unknown{TypeMeta:runtime.TypeMeta{APIVersion:"", Kind:""}, Raw:[]uint8{${bytes}}, ContentEncoding:"", ContentType:"application/json"}`,
  );
}

function validateControllerRevision(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  if (obj.data === undefined || obj.data === null) errs.push(fieldErrors.required('data', 'data is mandatory'));
  errs.push(...nonNegative(obj.revision, 'revision'));
  return errs;
}

export const controllerRevisionStrategy: Strategy = {
  namespaced: true,
  hasGeneration: false,
  allowUnconditionalUpdate: true,
  hasStatusSubresource: false,
  validate: validateControllerRevision,
  validateUpdate: (obj, old) => [...validateControllerRevision(obj), ...immutable(obj.data, old.data, 'data', goRawData)],
  canonicalize(obj) {
    if (obj.revision === undefined) obj.revision = 0;
  },
  tableColumns: [
    nameColumn,
    column('Controller', 'string', 'Controller of the object'),
    column('Revision', 'string', 'revision indicates the revision of the state represented by Data.'),
    ageColumn,
  ],
  tableRow(obj) {
    // formatResourceName(GroupKind, name): `statefulset.apps/web`.
    const owner = (obj.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
    let controller = '<none>';
    if (owner) {
      const group = owner.apiVersion.includes('/') ? owner.apiVersion.split('/')[0] : '';
      controller = `${(group ? `${owner.kind}.${group}` : owner.kind).toLowerCase()}/${owner.name}`;
    }
    return [objName(obj), controller, numOf(obj.revision), age(obj.metadata?.creationTimestamp)];
  },
};
