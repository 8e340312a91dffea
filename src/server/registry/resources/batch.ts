// batch/v1 strategies: Jobs and CronJobs, as pkg/registry/batch/{job,cronjob}/strategy.go
// with the defaults of pkg/apis/batch/v1/defaults.go, the validation of
// pkg/apis/batch/validation and the printers of pkg/printers/internalversion.

import { type FieldError, fieldErrors, GoValue } from '../../api/errors.js';
import { isDNS1123Label, isQualifiedName } from '../../api/names.js';
import { isPlainObject, type KubeObject } from '../../api/types.js';
import type { Strategy } from '../strategy.js';
import { labelSelectorHasInvalidLabelValue, validateLabelSelector } from '../validation/labelselector.js';
import { cronScheduleError, loadLocationError } from './cron.js';
import { goLabelSelector, goStringMap, goStruct } from './go-values.js';
import { defaultPodTemplateSpec, validatePodTemplateSpec } from './podspec.js';
import { age, ageColumn, column, humanDuration, nameColumn, objName } from './printers.js';
import { child, isSet, numOf, type Obj, peek, specOf, statusOf } from './values.js';
import {
  containerCells,
  containersColumn,
  defaultTo,
  dnsLabelNameWarnings,
  formatLabelSelector,
  imagesColumn,
  immutable,
  nonNegative,
  selectorOf,
  semanticEqual,
  templateMetaWire,
  wireZero,
  workloadStrategy,
} from './workload-helpers.js';

// The labels kube's job controller selects its pods by (pkg/apis/batch/types.go).
const LEGACY_JOB_NAME = 'job-name';
const JOB_NAME = 'batch.kubernetes.io/job-name';
const LEGACY_CONTROLLER_UID = 'controller-uid';
const CONTROLLER_UID = 'batch.kubernetes.io/controller-uid';

const MAX_PARALLELISM_INDEXED = 100000;
const MAX_FAILED_INDEXES = 100000;
const MAX_POD_FAILURE_POLICY_RULES = 20;
const MAX_EXIT_CODE_VALUES = 255;
const MAX_POD_CONDITION_PATTERNS = 20;

const jobSelectorColumn = column(
  'Selector',
  'string',
  'A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
  1,
);

/** SetDefaults_Job on a JobSpec (a CronJob's template gets only the pod defaults). */
function defaultJobSpec(spec: Obj): void {
  if ((spec.completions === undefined || spec.completions === null) && (spec.parallelism === undefined || spec.parallelism === null)) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  defaultTo(spec, 'parallelism', 1);
  if (spec.backoffLimit === undefined || spec.backoffLimit === null) {
    spec.backoffLimit = spec.backoffLimitPerIndex !== undefined && spec.backoffLimitPerIndex !== null ? 2147483647 : 6;
  }
  defaultTo(spec, 'completionMode', 'NonIndexed');
  defaultTo(spec, 'suspend', false);
  const pfp = spec.podFailurePolicy;
  if (isPlainObject(pfp) && Array.isArray(pfp.rules)) {
    for (const rule of pfp.rules) {
      if (!isPlainObject(rule) || !Array.isArray(rule.onPodConditions)) continue;
      for (const p of rule.onPodConditions) if (isPlainObject(p) && !p.status) p.status = 'True';
    }
  }
  defaultTo(spec, 'podReplacementPolicy', isPlainObject(pfp) ? 'Failed' : 'TerminatingOrFailed');
  defaultTo(spec, 'manualSelector', false);
}

/**
 * SetDefaults_Job's `labels`: a Job without labels takes its template's. kube applies it on every
 * decode, so a Job read back after the selector was generated carries the generated labels too.
 */
function defaultJobLabels(obj: KubeObject): void {
  const labels = peek(peek(specOf(obj), 'template'), 'metadata').labels;
  const m = obj.metadata!;
  if (isPlainObject(labels) && Object.keys(m.labels ?? {}).length === 0 && Object.keys(labels).length > 0) {
    m.labels = { ...(labels as Record<string, string>) };
  }
}

/** generateSelector: the template labels and the selector tying a Job to its own pods (by uid). */
function generateSelector(obj: KubeObject): void {
  const spec = specOf(obj);
  const meta = child(child(spec, 'template'), 'metadata');
  const labels = child(meta, 'labels');
  const name = obj.metadata?.name ?? '';
  const uid = obj.metadata?.uid ?? '';
  for (const k of [LEGACY_JOB_NAME, JOB_NAME]) if (!(k in labels)) labels[k] = name;
  for (const k of [LEGACY_CONTROLLER_UID, CONTROLLER_UID]) if (!(k in labels)) labels[k] = uid;
  const matchLabels = child(child(spec, 'selector'), 'matchLabels');
  if (!(CONTROLLER_UID in matchLabels)) matchLabels[CONTROLLER_UID] = uid;
}

/** A labels map as field.Error prints it. */
const goMap = (m: unknown): GoValue => new GoValue(goStringMap(m));

/** ValidateHasLabel. */
function hasLabel(meta: Obj, path: string, key: string, expected: string): FieldError[] {
  const labels = isPlainObject(meta.labels) ? meta.labels : {};
  if (!(key in labels)) return [fieldErrors.required(`${path}.labels[${key}]`, expected)];
  if (labels[key] !== expected) return [fieldErrors.invalid(`${path}.labels[${key}]`, goMap(labels), `must be '${expected}'`)];
  return [];
}

/** validateGeneratedSelector: a generated selector and its labels must be the ones kube generated. */
function validateGeneratedSelector(obj: KubeObject, requirePrefixed: boolean): FieldError[] {
  const spec = specOf(obj);
  if (spec.manualSelector === true || spec.selector === undefined || spec.selector === null) return [];
  const errs: FieldError[] = [];
  const uid = obj.metadata?.uid ?? '';
  const name = obj.metadata?.name ?? '';
  if (!uid) errs.push(fieldErrors.required('metadata.uid'));
  const meta = peek(spec.template, 'metadata');
  const path = 'spec.template.metadata';
  errs.push(...hasLabel(meta, path, LEGACY_CONTROLLER_UID, uid), ...hasLabel(meta, path, LEGACY_JOB_NAME, name));
  const expected: Record<string, string> = { [LEGACY_CONTROLLER_UID]: uid, [LEGACY_JOB_NAME]: name };
  if (requirePrefixed) {
    errs.push(...hasLabel(meta, path, CONTROLLER_UID, uid), ...hasLabel(meta, path, JOB_NAME, name));
    expected[CONTROLLER_UID] = uid;
    expected[JOB_NAME] = name;
  }
  const selector = selectorOf(spec.selector);
  if (selector && !selector.matches(expected)) {
    errs.push(fieldErrors.invalid('spec.selector', goLabelSelector(spec.selector), '`selector` not auto-generated'));
  }
  return errs;
}

function validatePodFailurePolicy(spec: Obj, path: string): FieldError[] {
  const pfp = peek(spec, 'podFailurePolicy');
  const rules = Array.isArray(pfp.rules) ? pfp.rules : [];
  const errs: FieldError[] = [];
  if (rules.length > MAX_POD_FAILURE_POLICY_RULES)
    errs.push(fieldErrors.tooMany(`${path}.rules`, rules.length, MAX_POD_FAILURE_POLICY_RULES));
  const podSpec = peek(spec.template, 'spec');
  const names = new Set(
    [podSpec.containers, podSpec.initContainers].flatMap((l) => (Array.isArray(l) ? l.filter(isPlainObject).map((c) => c.name) : [])),
  );
  const actions = ['Count', 'FailIndex', 'FailJob', 'Ignore'];
  rules.forEach((raw, i) => {
    const rule = isPlainObject(raw) ? raw : {};
    const p = `${path}.rules[${i}]`;
    if (!rule.action) errs.push(fieldErrors.required(`${p}.action`, `valid values: ["${actions.join('" "')}"]`));
    else if (rule.action === 'FailIndex') {
      if (spec.backoffLimitPerIndex === undefined || spec.backoffLimitPerIndex === null) {
        errs.push(fieldErrors.invalid(`${p}.action`, rule.action, 'requires the backoffLimitPerIndex to be set'));
      }
    } else if (!actions.includes(String(rule.action))) errs.push(fieldErrors.notSupported(`${p}.action`, rule.action, actions));
    const onExit = rule.onExitCodes;
    const conds = Array.isArray(rule.onPodConditions) ? rule.onPodConditions : [];
    if (isPlainObject(onExit)) {
      const ep = `${p}.onExitCodes`;
      const ops = ['In', 'NotIn'];
      if (!onExit.operator) errs.push(fieldErrors.required(`${ep}.operator`, `valid values: ["${ops.join('" "')}"]`));
      else if (!ops.includes(String(onExit.operator))) errs.push(fieldErrors.notSupported(`${ep}.operator`, onExit.operator, ops));
      if (typeof onExit.containerName === 'string' && !names.has(onExit.containerName)) {
        errs.push(
          fieldErrors.invalid(
            `${ep}.containerName`,
            onExit.containerName,
            'must be one of the container or initContainer names in the pod template',
          ),
        );
      }
      const values = Array.isArray(onExit.values) ? (onExit.values as number[]) : [];
      if (values.length === 0) errs.push(fieldErrors.invalid(`${ep}.values`, onExit.values ?? null, 'at least one value is required'));
      else if (values.length > MAX_EXIT_CODE_VALUES) errs.push(fieldErrors.tooMany(`${ep}.values`, values.length, MAX_EXIT_CODE_VALUES));
      const seen = new Set<number>();
      let ordered = true;
      values.forEach((v, j) => {
        if (onExit.operator === 'In' && v === 0)
          errs.push(fieldErrors.invalid(`${ep}.values[${j}]`, v, 'must not be 0 for the In operator'));
        if (seen.has(v)) errs.push(fieldErrors.duplicate(`${ep}.values[${j}]`, v));
        seen.add(v);
        if (j > 0 && values[j - 1] > v) ordered = false;
      });
      if (!ordered) errs.push(fieldErrors.invalid(`${ep}.values`, values, 'must be ordered'));
    }
    if (conds.length > 0) {
      const cp = `${p}.onPodConditions`;
      if (conds.length > MAX_POD_CONDITION_PATTERNS) errs.push(fieldErrors.tooMany(cp, conds.length, MAX_POD_CONDITION_PATTERNS));
      conds.forEach((c, j) => {
        const pat = isPlainObject(c) ? c : {};
        for (const m of isQualifiedName(String(pat.type ?? ''))) errs.push(fieldErrors.invalid(`${cp}[${j}].type`, pat.type ?? '', m));
        const statuses = ['False', 'True', 'Unknown'];
        if (!pat.status) errs.push(fieldErrors.required(`${cp}[${j}].status`, `valid values: ["${statuses.join('" "')}"]`));
        else if (!statuses.includes(String(pat.status))) errs.push(fieldErrors.notSupported(`${cp}[${j}].status`, pat.status, statuses));
      });
    }
    if (isPlainObject(onExit) && conds.length > 0) {
      errs.push({
        type: 'FieldValueInvalid',
        field: p,
        hasBadValue: false,
        detail: 'specifying both OnExitCodes and OnPodConditions is not supported',
      });
    }
    if (!isPlainObject(onExit) && conds.length === 0) {
      errs.push({
        type: 'FieldValueInvalid',
        field: p,
        hasBadValue: false,
        detail: 'specifying one of OnExitCodes and OnPodConditions is required',
      });
    }
  });
  return errs;
}

/** validateJobSpec (shared by Jobs and a CronJob's jobTemplate). */
function validateJobSpecCommon(spec: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of [
    'parallelism',
    'completions',
    'activeDeadlineSeconds',
    'backoffLimit',
    'ttlSecondsAfterFinished',
    'backoffLimitPerIndex',
  ]) {
    errs.push(...nonNegative(spec[f], `${path}.${f}`));
  }
  if (isSet(spec.maxFailedIndexes)) {
    errs.push(...nonNegative(spec.maxFailedIndexes, `${path}.maxFailedIndexes`));
    if (!isSet(spec.backoffLimitPerIndex))
      errs.push(fieldErrors.required(`${path}.backoffLimitPerIndex`, 'when maxFailedIndexes is specified'));
  }
  const mode = spec.completionMode;
  if (isSet(mode)) {
    if (mode !== 'NonIndexed' && mode !== 'Indexed')
      errs.push(fieldErrors.notSupported(`${path}.completionMode`, mode, ['NonIndexed', 'Indexed']));
    if (mode === 'Indexed') {
      if (!isSet(spec.completions)) errs.push(fieldErrors.required(`${path}.completions`, 'when completion mode is Indexed'));
      if (numOf(spec.parallelism) > MAX_PARALLELISM_INDEXED) {
        errs.push(
          fieldErrors.invalid(
            `${path}.parallelism`,
            spec.parallelism,
            `must be less than or equal to ${MAX_PARALLELISM_INDEXED} when completion mode is Indexed`,
          ),
        );
      }
      if (isSet(spec.completions) && isSet(spec.maxFailedIndexes) && numOf(spec.maxFailedIndexes) > numOf(spec.completions)) {
        errs.push(fieldErrors.invalid(`${path}.maxFailedIndexes`, spec.maxFailedIndexes, 'must be less than or equal to completions'));
      }
      if (numOf(spec.maxFailedIndexes) > MAX_FAILED_INDEXES) {
        errs.push(
          fieldErrors.invalid(`${path}.maxFailedIndexes`, spec.maxFailedIndexes, `must be less than or equal to ${MAX_FAILED_INDEXES}`),
        );
      }
    }
  }
  if (!isSet(mode) || mode === 'NonIndexed') {
    if (isSet(spec.backoffLimitPerIndex))
      errs.push(fieldErrors.invalid(`${path}.backoffLimitPerIndex`, spec.backoffLimitPerIndex, 'requires indexed completion mode'));
    if (isSet(spec.maxFailedIndexes))
      errs.push(fieldErrors.invalid(`${path}.maxFailedIndexes`, spec.maxFailedIndexes, 'requires indexed completion mode'));
  }
  if (isPlainObject(spec.podFailurePolicy)) errs.push(...validatePodFailurePolicy(spec, `${path}.podFailurePolicy`));
  if (isPlainObject(spec.successPolicy)) {
    if (mode !== 'Indexed')
      errs.push(
        fieldErrors.invalid(
          `${path}.successPolicy`,
          goStruct('batch.SuccessPolicy', spec.successPolicy),
          'requires indexed completion mode',
        ),
      );
    else if (!Array.isArray(spec.successPolicy.rules) || spec.successPolicy.rules.length === 0) {
      errs.push(
        fieldErrors.required(`${path}.successPolicy.rules`, 'at least one rules must be specified when the successPolicy is specified'),
      );
    }
  }
  const prp = spec.podReplacementPolicy;
  if (isSet(prp)) {
    if (isPlainObject(spec.podFailurePolicy)) {
      if (prp !== 'Failed') errs.push(fieldErrors.notSupported(`${path}.podReplacementPolicy`, prp, ['Failed']));
    } else if (prp !== 'Failed' && prp !== 'TerminatingOrFailed') {
      errs.push(fieldErrors.notSupported(`${path}.podReplacementPolicy`, prp, ['Failed', 'TerminatingOrFailed']));
    }
  }
  errs.push(...validatePodTemplateSpec(spec.template, `${path}.template`));
  // The pod defaults make an unset restartPolicy Always, so both mean "not set" here.
  const rp = peek(spec.template, 'spec').restartPolicy;
  const rpPath = `${path}.template.spec.restartPolicy`;
  if (rp === 'Always' || !rp) errs.push(fieldErrors.required(rpPath, 'valid values: "OnFailure", "Never"'));
  else if (rp !== 'OnFailure' && rp !== 'Never') errs.push(fieldErrors.notSupported(rpPath, rp, ['OnFailure', 'Never']));
  else if (isPlainObject(spec.podFailurePolicy) && rp !== 'Never') {
    errs.push(fieldErrors.invalid(rpPath, rp, 'only "Never" is supported when podFailurePolicy is specified'));
  }
  return errs;
}

/** ValidateJobSpec: the common checks, a required selector, and the template labels it must match. */
function validateJobSpec(spec: Obj, allowInvalidLabelValueInSelector = false): FieldError[] {
  const errs = validateJobSpecCommon(spec, 'spec');
  if (!isSet(spec.selector)) errs.push(fieldErrors.required('spec.selector'));
  else errs.push(...validateLabelSelector(spec.selector, 'spec.selector', { allowInvalidLabelValueInSelector }));
  const selector = selectorOf(spec.selector);
  const labels = peek(peek(spec.template, 'metadata'), 'labels') as Record<string, string>;
  if (selector && !selector.matches(labels)) {
    errs.push(
      fieldErrors.invalid(
        'spec.template.metadata.labels',
        goMap(peek(spec.template, 'metadata').labels),
        '`selector` does not match template `labels`',
      ),
    );
  }
  return errs;
}

/** ValidateJob. */
function validateJob(obj: KubeObject, requirePrefixedLabels: boolean, allowInvalidLabelValueInSelector = false): FieldError[] {
  const spec = specOf(obj);
  const errs = [...validateGeneratedSelector(obj, requirePrefixedLabels), ...validateJobSpec(spec, allowInvalidLabelValueInSelector)];
  if (spec.completionMode === 'Indexed' && numOf(spec.completions) > 0) {
    // Indexed pods' hostnames are <job>-<index>.
    const hostname = `${obj.metadata?.name ?? ''}-${numOf(spec.completions) - 1}`;
    if (isDNS1123Label(hostname).length > 0) {
      errs.push(
        fieldErrors.invalid('metadata.name', obj.metadata?.name ?? '', `will not able to create pod with invalid DNS label: ${hostname}`),
      );
    }
  }
  return errs;
}

/**
 * validatePodTemplateUpdate: a Job's template is immutable, except the scheduling directives
 * (node affinity, node selector, tolerations, scheduling gates) and the template's labels and
 * annotations of a suspended Job that never started.
 */
function validateJobTemplateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const now = peek(obj, 'spec').template;
  let before = peek(old, 'spec').template;
  const oldSpec = peek(old, 'spec');
  const mutableScheduling = oldSpec.suspend === true && !isSet(statusOf(old).startTime);
  if (mutableScheduling && isPlainObject(before)) {
    const b = structuredClone(before);
    const bSpec = child(b, 'spec');
    const nSpec = peek(now, 'spec');
    const nAff = nSpec.affinity;
    const bAff = bSpec.affinity;
    if (!isSet(nAff) && isPlainObject(bAff)) {
      delete bAff.nodeAffinity;
      if (Object.keys(bAff).length === 0) delete bSpec.affinity;
    } else if (isPlainObject(nAff) && !isSet(bAff)) {
      bSpec.affinity = isSet(nAff.nodeAffinity) ? { nodeAffinity: nAff.nodeAffinity } : {};
    } else if (isPlainObject(nAff) && isPlainObject(bAff)) {
      if (isSet(nAff.nodeAffinity)) bAff.nodeAffinity = nAff.nodeAffinity;
      else delete bAff.nodeAffinity;
    }
    for (const f of ['nodeSelector', 'tolerations', 'schedulingGates']) {
      if (isSet(nSpec[f])) bSpec[f] = nSpec[f];
      else delete bSpec[f];
    }
    const bMeta = child(b, 'metadata');
    const nMeta = peek(now, 'metadata');
    for (const f of ['labels', 'annotations']) {
      if (isSet(nMeta[f])) bMeta[f] = nMeta[f];
      else delete bMeta[f];
    }
    before = b;
  }
  return immutable(now, before, 'spec.template', (v) => goStruct('core.PodTemplateSpec', v));
}

/** ValidateJobSpecUpdate's immutable fields (completions may change with parallelism for Indexed Jobs). */
function validateJobSpecUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const spec = specOf(obj);
  const oldSpec = peek(old, 'spec');
  const errs: FieldError[] = [];
  if (spec.completionMode !== 'Indexed') errs.push(...immutable(spec.completions, oldSpec.completions, 'spec.completions'));
  else if (!semanticEqual(spec.completions, oldSpec.completions) && isSet(spec.completions) && spec.completions !== spec.parallelism) {
    errs.push(fieldErrors.invalid('spec.completions', spec.completions, 'can only be modified in tandem with spec.parallelism'));
  }
  errs.push(...immutable(spec.selector, oldSpec.selector, 'spec.selector', goLabelSelector));
  errs.push(...validateJobTemplateUpdate(obj, old));
  errs.push(...immutable(spec.completionMode, oldSpec.completionMode, 'spec.completionMode'));
  errs.push(
    ...immutable(spec.podFailurePolicy, oldSpec.podFailurePolicy, 'spec.podFailurePolicy', (v) => goStruct('batch.PodFailurePolicy', v)),
  );
  errs.push(...immutable(spec.backoffLimitPerIndex, oldSpec.backoffLimitPerIndex, 'spec.backoffLimitPerIndex'));
  errs.push(...immutable(spec.managedBy, oldSpec.managedBy, 'spec.managedBy'));
  errs.push(...immutable(spec.successPolicy, oldSpec.successPolicy, 'spec.successPolicy', (v) => goStruct('batch.SuccessPolicy', v)));
  return errs;
}

function jobCondition(obj: KubeObject, type: string): boolean {
  const conds = statusOf(obj).conditions;
  return Array.isArray(conds) && conds.some((c) => isPlainObject(c) && c.type === type && c.status === 'True');
}

/** printJob's STATUS cell. */
function jobStatus(obj: KubeObject): string {
  if (jobCondition(obj, 'Complete')) return 'Complete';
  if (jobCondition(obj, 'Failed')) return 'Failed';
  if (obj.metadata?.deletionTimestamp) return 'Terminating';
  if (jobCondition(obj, 'Suspended')) return 'Suspended';
  if (jobCondition(obj, 'FailureTarget')) return 'FailureTarget';
  if (jobCondition(obj, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

function jobDuration(obj: KubeObject): string {
  const status = statusOf(obj);
  if (typeof status.startTime !== 'string') return '';
  const start = Date.parse(status.startTime);
  const end = typeof status.completionTime === 'string' ? Date.parse(status.completionTime) : Date.now();
  return humanDuration(end - start);
}

export const jobStrategy: Strategy = {
  // batch/v1 keeps OrphanDependents as the default garbage collection policy, for back compatibility.
  defaultOrphanDependents: true,
  ...workloadStrategy(
    {
      defaults(obj) {
        const spec = specOf(obj);
        defaultJobSpec(spec);
        defaultPodTemplateSpec(child(spec, 'template'));
      },
      prepareForCreate(obj) {
        if (specOf(obj).manualSelector !== true) generateSelector(obj);
        defaultJobLabels(obj);
      },
      prepareForUpdate: defaultJobLabels,
      wire(obj) {
        templateMetaWire(child(specOf(obj), 'template'));
      },
      validate: (obj) => validateJob(obj, true),
      validateUpdate(obj, old) {
        // Jobs created before the batch.kubernetes.io labels are not held to them.
        const oldLabels = peek(peek(peek(old, 'spec').template, 'metadata'), 'labels');
        const requirePrefixed = JOB_NAME in oldLabels && CONTROLLER_UID in oldLabels;
        const allowInvalid = labelSelectorHasInvalidLabelValue(peek(old, 'spec').selector);
        // kube validates the spec in ValidateJob and again in ValidateJobSpecUpdate.
        return [
          ...validateJob(obj, requirePrefixed, allowInvalid),
          ...validateJobSpec(specOf(obj), allowInvalid),
          ...validateJobSpecUpdate(obj, old),
        ];
      },
      validateStatus(obj) {
        const status = statusOf(obj);
        return ['active', 'succeeded', 'failed', 'ready', 'terminating'].flatMap((f) => nonNegative(status[f], `status.${f}`));
      },
      warningsOnCreate: dnsLabelNameWarnings,
      podTemplatePath: 'spec.template',
    },
    {
      fieldLabels: (obj) => ({ 'status.successful': String(numOf(statusOf(obj).succeeded)) }),
      supportedFieldLabels: ['status.successful'],
      tableColumns: [
        nameColumn,
        column('Status', 'string', 'Status of the job.'),
        column(
          'Completions',
          'string',
          'The number of pods which reached phase Succeeded. The value increases monotonically for a given spec. However, it may decrease in reaction to scale down of elastic indexed jobs.',
        ),
        column('Duration', 'string', 'Time required to complete the job.'),
        ageColumn,
        containersColumn,
        imagesColumn,
        jobSelectorColumn,
      ],
      tableRow(obj) {
        const spec = peek(obj, 'spec');
        const succeeded = numOf(statusOf(obj).succeeded);
        let completions: string;
        if (isSet(spec.completions)) completions = `${succeeded}/${numOf(spec.completions)}`;
        else completions = numOf(spec.parallelism) > 1 ? `${succeeded}/1 of ${numOf(spec.parallelism)}` : `${succeeded}/1`;
        const [names, images] = containerCells(spec.template);
        return [
          objName(obj),
          jobStatus(obj),
          completions,
          jobDuration(obj),
          age(obj.metadata?.creationTimestamp),
          names,
          images,
          formatLabelSelector(spec.selector),
        ];
      },
    },
  ),
};

// ---- CronJob ------------------------------------------------------------------------------------

const TIME_ZONE_PART = /^[A-Za-z.\-_0-9+]{1,14}$/;

/** validateTimeZone. */
function validateTimeZone(tz: unknown, path: string): FieldError[] {
  if (tz === undefined || tz === null) return [];
  const s = String(tz);
  if (s === '') return [fieldErrors.invalid(path, s, 'timeZone must be nil or non-empty string')];
  for (const part of s.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !TIME_ZONE_PART.test(part)) {
      return [fieldErrors.invalid(path, s, `unknown time zone ${s}`)];
    }
  }
  const errs: FieldError[] = [];
  if (s.toLowerCase() === 'local') {
    errs.push(fieldErrors.invalid(path, s, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'));
  }
  const loadErr = loadLocationError(s);
  if (loadErr) errs.push(fieldErrors.invalid(path, s, loadErr));
  return errs;
}

/** validateCronJobSpec; `oldSpec` on update. */
function validateCronJobSpec(spec: Obj, oldSpec?: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const schedule = typeof spec.schedule === 'string' ? spec.schedule : '';
  if (schedule === '') errs.push(fieldErrors.required('spec.schedule'));
  else {
    const parseErr = cronScheduleError(schedule);
    if (parseErr) errs.push(fieldErrors.invalid('spec.schedule', schedule, parseErr));
    // A schedule stored with TZ before the timeZone field existed may keep it.
    const allowTZ = typeof oldSpec?.schedule === 'string' && oldSpec.schedule.includes('TZ');
    if (allowTZ && schedule.includes('TZ') && isSet(spec.timeZone)) {
      errs.push(fieldErrors.invalid('spec.schedule', schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
    } else if (!allowTZ && schedule.includes('TZ')) {
      errs.push(fieldErrors.invalid('spec.schedule', schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
    }
  }
  errs.push(...nonNegative(spec.startingDeadlineSeconds, 'spec.startingDeadlineSeconds'));
  if (!oldSpec || oldSpec.timeZone !== spec.timeZone) errs.push(...validateTimeZone(spec.timeZone, 'spec.timeZone'));
  const cp = spec.concurrencyPolicy;
  if (!cp) errs.push(fieldErrors.required('spec.concurrencyPolicy'));
  else if (cp !== 'Allow' && cp !== 'Forbid' && cp !== 'Replace')
    errs.push(fieldErrors.notSupported('spec.concurrencyPolicy', cp, ['Allow', 'Forbid', 'Replace']));
  // ValidateJobTemplateSpec: the job template's selector is always generated.
  const jobSpec = peek(spec.jobTemplate, 'spec');
  errs.push(...validateJobSpecCommon(jobSpec, 'spec.jobTemplate.spec'));
  if (isSet(jobSpec.selector)) {
    errs.push(
      fieldErrors.invalid('spec.jobTemplate.spec.selector', goLabelSelector(jobSpec.selector), '`selector` will be auto-generated'),
    );
  }
  if (jobSpec.manualSelector === true) errs.push(fieldErrors.notSupported('spec.jobTemplate.spec.manualSelector', true, ['nil', 'false']));
  errs.push(...nonNegative(spec.successfulJobsHistoryLimit, 'spec.successfulJobsHistoryLimit'));
  errs.push(...nonNegative(spec.failedJobsHistoryLimit, 'spec.failedJobsHistoryLimit'));
  return errs;
}

/** The cronjob controller names its Jobs <cronjob>-<11 digit timestamp>; a Job name is at most 63. */
const MAX_CRONJOB_NAME = 52;

export const cronJobStrategy: Strategy = workloadStrategy(
  {
    defaults(obj) {
      const spec = specOf(obj);
      if (!spec.concurrencyPolicy) spec.concurrencyPolicy = 'Allow';
      defaultTo(spec, 'suspend', false);
      defaultTo(spec, 'successfulJobsHistoryLimit', 3);
      defaultTo(spec, 'failedJobsHistoryLimit', 1);
      defaultPodTemplateSpec(child(child(child(spec, 'jobTemplate'), 'spec'), 'template'));
    },
    wire(obj) {
      const spec = specOf(obj);
      wireZero(spec, { schedule: '' });
      const jobTemplate = child(spec, 'jobTemplate');
      templateMetaWire(jobTemplate);
      templateMetaWire(child(child(jobTemplate, 'spec'), 'template'));
    },
    validate(obj) {
      const errs = validateCronJobSpec(specOf(obj));
      const name = obj.metadata?.name ?? '';
      if (name.length > MAX_CRONJOB_NAME)
        errs.push(fieldErrors.invalid('metadata.name', name, `must be no more than ${MAX_CRONJOB_NAME} characters`));
      return errs;
    },
    validateUpdate: (obj, old) => validateCronJobSpec(specOf(obj), peek(old, 'spec')),
    warningsOnCreate: dnsLabelNameWarnings,
    podTemplatePath: 'spec.jobTemplate.spec.template',
  },
  {
    tableColumns: [
      nameColumn,
      column('Schedule', 'string', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
      column(
        'Timezone',
        'string',
        'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, this will default to the time zone of the kube-controller-manager process. The set of valid time zone names and the time zone offset is loaded from the system-wide time zone database by the API server during CronJob validation and the controller manager during execution. If no system-wide time zone database can be found a bundled version of the database is used instead. If the time zone name becomes invalid during the lifetime of a CronJob or due to a change in host configuration, the controller will stop creating new new Jobs and will create a system event with the reason UnknownTimeZone. More information can be found in https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones',
      ),
      column(
        'Suspend',
        'boolean',
        'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false.',
      ),
      column('Active', 'integer', 'A list of pointers to currently running jobs.'),
      column('Last Schedule', 'string', 'Information when was the last time the job was successfully scheduled.'),
      ageColumn,
      containersColumn,
      imagesColumn,
      jobSelectorColumn,
    ],
    tableRow(obj) {
      const spec = peek(obj, 'spec');
      const status = statusOf(obj);
      const jobSpec = peek(spec.jobTemplate, 'spec');
      const [names, images] = containerCells(jobSpec.template);
      return [
        objName(obj),
        String(spec.schedule ?? ''),
        typeof spec.timeZone === 'string' ? spec.timeZone : '<none>',
        typeof spec.suspend === 'boolean' ? (spec.suspend ? 'True' : 'False') : '<unset>',
        Array.isArray(status.active) ? status.active.length : 0,
        typeof status.lastScheduleTime === 'string' ? age(status.lastScheduleTime) : '<none>',
        age(obj.metadata?.creationTimestamp),
        names,
        images,
        formatLabelSelector(jobSpec.selector),
      ];
    },
  },
);
