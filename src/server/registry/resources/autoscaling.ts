// HorizontalPodAutoscalers: stored as autoscaling/v2 and served as v2 and v1,
// as pkg/registry/autoscaling/horizontalpodautoscaler with the defaults of
// pkg/apis/autoscaling/v2/defaults.go, the validation of
// pkg/apis/autoscaling/validation and the v1 conversion of
// pkg/apis/autoscaling/v1/conversion.go (what v1 cannot say travels in
// `autoscaling.alpha.kubernetes.io/*` annotations).

import { type FieldError, fieldErrors } from '../../api/errors.js';
import { isValidPathSegmentName } from '../../api/names.js';
import { isPlainObject, type KubeObject } from '../../api/types.js';
import type { Strategy } from '../strategy.js';
import { age, ageColumn, column, nameColumn, objName } from './printers.js';
import { child, isSet, numOf, type Obj, objsOf, peek, specOf, statusOf } from './values.js';
import { defaultTo, nonNegative, wireZero, workloadStrategy } from './workload-helpers.js';

const METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
const CURRENT_METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';
const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
const BEHAVIOR_ANNOTATION = 'autoscaling.alpha.kubernetes.io/behavior';
const ROUND_TRIP_ANNOTATIONS = [METRICS_ANNOTATION, BEHAVIOR_ANNOTATION, CURRENT_METRICS_ANNOTATION, CONDITIONS_ANNOTATION];

const DEFAULT_CPU_UTILIZATION = 80;
const MAX_PERIOD_SECONDS = 1800;
const MAX_STABILIZATION_WINDOW_SECONDS = 3600;

/** Keys whose value is undefined dropped (Go's omitempty on a nil pointer). */
const compact = (o: Obj): Obj => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const cpuUtilizationMetric = (utilization: unknown): Obj => ({
  type: 'Resource',
  resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: utilization } },
});

// ---- v2 defaults --------------------------------------------------------------------------------

const scaleUpDefaults = (): Obj => ({
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
});
// The scale-down stabilization window is the controller's flag: left unset.
const scaleDownDefaults = (): Obj => ({ selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });

/** copyHPAScalingRules: the given rule's set fields over the defaults. */
function scalingRules(from: unknown, defaults: Obj): Obj {
  if (!isPlainObject(from)) return defaults;
  for (const k of ['selectPolicy', 'stabilizationWindowSeconds', 'policies']) if (isSet(from[k])) defaults[k] = from[k];
  return defaults;
}

/** SetDefaults_HorizontalPodAutoscaler (v2). */
function defaultHPA(obj: KubeObject): void {
  const spec = specOf(obj);
  defaultTo(spec, 'minReplicas', 1);
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
    spec.metrics = [cpuUtilizationMetric(DEFAULT_CPU_UTILIZATION)];
  }
  // SetDefaults_HorizontalPodAutoscalerBehavior: a behavior given is filled in completely.
  if (isPlainObject(spec.behavior)) {
    spec.behavior.scaleUp = scalingRules(spec.behavior.scaleUp, scaleUpDefaults());
    spec.behavior.scaleDown = scalingRules(spec.behavior.scaleDown, scaleDownDefaults());
  }
}

// ---- validation (on the v2 form, as kube validates the internal object) ------------------------

function validateCrossVersionObjectReference(ref: unknown, path: string): FieldError[] {
  const r = isPlainObject(ref) ? ref : {};
  const errs: FieldError[] = [];
  for (const f of ['kind', 'name']) {
    const v = typeof r[f] === 'string' ? (r[f] as string) : '';
    if (v === '') errs.push(fieldErrors.required(`${path}.${f}`));
    else for (const m of isValidPathSegmentName(v)) errs.push(fieldErrors.invalid(`${path}.${f}`, v, m));
  }
  return errs;
}

/** A resource.Quantity's sign: kube wants metric targets positive. */
function quantityPositive(q: unknown): boolean {
  const m = /^([+-]?)(\d+\.?\d*|\.\d+)/.exec(String(q ?? ''));
  return !!m && m[1] !== '-' && Number.parseFloat(m[2]) > 0;
}

function validateMetricTarget(t: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!t.type) errs.push(fieldErrors.required(`${path}.type`, 'must specify a metric target type'));
  if (t.type !== 'Utilization' && t.type !== 'Value' && t.type !== 'AverageValue') {
    errs.push(fieldErrors.invalid(`${path}.type`, t.type ?? '', 'must be either Utilization, Value, or AverageValue'));
  }
  if (isSet(t.value) && !quantityPositive(t.value)) errs.push(fieldErrors.invalid(`${path}.value`, t.value, 'must be positive'));
  if (isSet(t.averageValue) && !quantityPositive(t.averageValue)) {
    errs.push(fieldErrors.invalid(`${path}.averageValue`, t.averageValue, 'must be positive'));
  }
  if (typeof t.averageUtilization === 'number' && t.averageUtilization < 1) {
    errs.push(fieldErrors.invalid(`${path}.averageUtilization`, t.averageUtilization, 'must be greater than 0'));
  }
  return errs;
}

function validateMetricIdentifier(id: Obj, path: string): FieldError[] {
  const name = typeof id.name === 'string' ? id.name : '';
  if (name === '') return [fieldErrors.required(`${path}.name`, 'must specify a metric name')];
  return isValidPathSegmentName(name).map((m) => fieldErrors.invalid(`${path}.name`, name, m));
}

/** An object, pods or external source's metric identifier and target. */
function validateMetricAndTarget(src: Obj, path: string): FieldError[] {
  return [
    ...validateMetricIdentifier(peek(src, 'metric'), `${path}.metric`),
    ...validateMetricTarget(peek(src, 'target'), `${path}.target`),
  ];
}

function validateResourceTarget(src: Obj, path: string): FieldError[] {
  const t = peek(src, 'target');
  const errs = validateMetricTarget(t, `${path}.target`);
  if (!isSet(t.averageUtilization) && !isSet(t.averageValue)) {
    errs.push(fieldErrors.required(`${path}.target.averageUtilization`, 'must set either a target raw value or a target utilization'));
  }
  if (isSet(t.averageUtilization) && isSet(t.averageValue)) {
    errs.push(fieldErrors.forbidden(`${path}.target.averageValue`, 'may not set both a target raw value and a target utilization'));
  }
  return errs;
}

/** The per-source checks, by the JSON field holding the source. */
const SOURCE_VALIDATORS: Record<string, (src: Obj, path: string) => FieldError[]> = {
  object(src, path) {
    const t = peek(src, 'target');
    const errs = [
      ...validateCrossVersionObjectReference(src.describedObject, `${path}.describedObject`),
      ...validateMetricAndTarget(src, path),
    ];
    if (!isSet(t.value) && !isSet(t.averageValue))
      errs.push(fieldErrors.required(`${path}.target.averageValue`, 'must set either a target value or averageValue'));
    return errs;
  },
  external(src, path) {
    const t = peek(src, 'target');
    const errs = validateMetricAndTarget(src, path);
    if (!isSet(t.value) && !isSet(t.averageValue)) {
      errs.push(fieldErrors.required(`${path}.target.averageValue`, 'must set either a target value for metric or a per-pod target'));
    }
    if (isSet(t.value) && isSet(t.averageValue)) {
      errs.push(fieldErrors.forbidden(`${path}.target.value`, 'may not set both a target value for metric and a per-pod target'));
    }
    return errs;
  },
  pods(src, path) {
    const errs = validateMetricAndTarget(src, path);
    if (!isSet(peek(src, 'target').averageValue))
      errs.push(fieldErrors.required(`${path}.target.averageValue`, 'must specify a positive target averageValue'));
    return errs;
  },
  resource(src, path) {
    const errs = src.name ? [] : [fieldErrors.required(`${path}.name`, 'must specify a resource name')];
    return [...errs, ...validateResourceTarget(src, path)];
  },
  containerResource(src, path) {
    const errs = src.name ? [] : [fieldErrors.required(`${path}.name`, 'must specify a resource name')];
    if (!src.container) errs.push(fieldErrors.required(`${path}.container`, 'must specify a container'));
    return [...errs, ...validateResourceTarget(src, path)];
  },
};

/** MetricSourceType -> the field holding that source. */
const SOURCE_FIELD: Record<string, string> = {
  Object: 'object',
  Pods: 'pods',
  Resource: 'resource',
  External: 'external',
  ContainerResource: 'containerResource',
};
const SOURCE_TYPES = Object.keys(SOURCE_FIELD).sort();

function validateMetricSpec(m: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!m.type) errs.push(fieldErrors.required(`${path}.type`, 'must specify a metric source type'));
  if (!SOURCE_FIELD[String(m.type ?? '')]) errs.push(fieldErrors.notSupported(`${path}.type`, m.type ?? '', SOURCE_TYPES));
  // Sources present, in kube's order; only the first is validated.
  const present = ['object', 'external', 'pods', 'resource', 'containerResource'].filter((f) => isPlainObject(m[f]));
  if (present.length > 0) errs.push(...SOURCE_VALIDATORS[present[0]](m[present[0]] as Obj, `${path}.${present[0]}`));
  const expected = SOURCE_FIELD[String(m.type ?? '')];
  if (expected) {
    if (!isPlainObject(m[expected]))
      errs.push(fieldErrors.required(`${path}.${expected}`, 'must populate information for the given metric source'));
  } else errs.push(fieldErrors.notSupported(`${path}.type`, m.type ?? '', SOURCE_TYPES));
  if (present.length !== 1) {
    for (const f of present)
      if (f !== expected) errs.push(fieldErrors.forbidden(`${path}.${f}`, 'must populate the given metric source only'));
  }
  return errs;
}

function validateScalingRules(rules: unknown, path: string): FieldError[] {
  if (!isPlainObject(rules)) return [];
  const errs: FieldError[] = [];
  const sw = rules.stabilizationWindowSeconds;
  if (typeof sw === 'number' && sw < 0)
    errs.push(fieldErrors.invalid(`${path}.stabilizationWindowSeconds`, sw, 'must be greater than or equal to zero'));
  if (typeof sw === 'number' && sw > MAX_STABILIZATION_WINDOW_SECONDS) {
    errs.push(
      fieldErrors.invalid(`${path}.stabilizationWindowSeconds`, sw, `must be less than or equal to ${MAX_STABILIZATION_WINDOW_SECONDS}`),
    );
  }
  if (isSet(rules.selectPolicy) && !['Disabled', 'Max', 'Min'].includes(String(rules.selectPolicy))) {
    errs.push(fieldErrors.notSupported(`${path}.selectPolicy`, rules.selectPolicy, ['Disabled', 'Max', 'Min']));
  }
  const policies = Array.isArray(rules.policies) ? rules.policies : [];
  if (policies.length === 0) errs.push(fieldErrors.required(`${path}.policies`, 'must specify at least one Policy'));
  policies.forEach((raw, i) => {
    const p = isPlainObject(raw) ? raw : {};
    const pp = `${path}.policies[${i}]`;
    if (p.type !== 'Pods' && p.type !== 'Percent') errs.push(fieldErrors.notSupported(`${pp}.type`, p.type ?? '', ['Percent', 'Pods']));
    if (numOf(p.value) <= 0) errs.push(fieldErrors.invalid(`${pp}.value`, numOf(p.value), 'must be greater than zero'));
    if (numOf(p.periodSeconds) <= 0)
      errs.push(fieldErrors.invalid(`${pp}.periodSeconds`, numOf(p.periodSeconds), 'must be greater than zero'));
    if (numOf(p.periodSeconds) > MAX_PERIOD_SECONDS) {
      errs.push(fieldErrors.invalid(`${pp}.periodSeconds`, numOf(p.periodSeconds), `must be less than or equal to ${MAX_PERIOD_SECONDS}`));
    }
  });
  return errs;
}

/** validateHorizontalPodAutoscalerSpec; minReplicas 0 is the alpha HPAScaleToZero's (off in 1.32). */
export function validateHPASpec(obj: KubeObject, old?: KubeObject): FieldError[] {
  const spec = peek(obj, 'spec');
  const errs: FieldError[] = [];
  const oldMin = peek(old, 'spec').minReplicas;
  const lowerBound = oldMin === 0 ? 0 : 1;
  if (typeof spec.minReplicas === 'number' && spec.minReplicas < lowerBound) {
    errs.push(fieldErrors.invalid('spec.minReplicas', spec.minReplicas, `must be greater than or equal to ${lowerBound}`));
  }
  const max = numOf(spec.maxReplicas);
  if (max < 1) errs.push(fieldErrors.invalid('spec.maxReplicas', max, 'must be greater than 0'));
  if (typeof spec.minReplicas === 'number' && max < spec.minReplicas) {
    errs.push(fieldErrors.invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  }
  errs.push(...validateCrossVersionObjectReference(spec.scaleTargetRef, 'spec.scaleTargetRef'));
  const metrics = objsOf(spec.metrics);
  metrics.forEach((m, i) => {
    errs.push(...validateMetricSpec(m, `spec.metrics[${i}]`));
  });
  if (spec.minReplicas === 0 && !metrics.some((m) => m.type === 'Object' || m.type === 'External')) {
    errs.push(
      fieldErrors.forbidden('spec.metrics', 'must specify at least one Object or External metric to support scaling to zero replicas'),
    );
  }
  if (isPlainObject(spec.behavior)) {
    errs.push(...validateScalingRules(spec.behavior.scaleUp, 'spec.behavior.scaleUp'));
    errs.push(...validateScalingRules(spec.behavior.scaleDown, 'spec.behavior.scaleDown'));
  }
  return errs;
}

const validateHPAStatus = (obj: KubeObject): FieldError[] => [
  ...nonNegative(statusOf(obj).currentReplicas, 'status.currentReplicas'),
  ...nonNegative(statusOf(obj).desiredReplicas, 'status.desiredReplicas'),
];

// ---- printer ------------------------------------------------------------------------------------

const quantity = (v: unknown): string => (isSet(v) ? String(v) : '<unknown>');

/** formatHPAMetrics: `cpu: <unknown>/80%`, at most two then `+ N more...`. */
function formatHPAMetrics(obj: KubeObject): string {
  const specs = objsOf(peek(obj, 'spec').metrics);
  const statuses = objsOf(statusOf(obj).currentMetrics);
  if (specs.length === 0) return '<none>';
  const out = specs.map((m, i) => {
    const st = statuses[i] ?? {};
    switch (m.type) {
      case 'External':
      case 'Object': {
        const f = m.type === 'External' ? 'external' : 'object';
        const target = peek(m[f], 'target');
        const current = peek(st[f], 'current');
        if (isSet(target.averageValue))
          return `${isPlainObject(st[f]) ? quantity(current.averageValue) : '<unknown>'}/${target.averageValue} (avg)`;
        return `${isPlainObject(st[f]) ? quantity(current.value) : '<unknown>'}/${quantity(target.value)}`;
      }
      case 'Pods':
        return `${isPlainObject(st.pods) ? quantity(peek(st.pods, 'current').averageValue) : '<unknown>'}/${quantity(peek(peek(m, 'pods'), 'target').averageValue)}`;
      case 'Resource':
      case 'ContainerResource': {
        const f = m.type === 'Resource' ? 'resource' : 'containerResource';
        const src = peek(m, f);
        const target = peek(src, 'target');
        const current = peek(st[f], 'current');
        if (isSet(target.averageValue)) {
          return `${String(src.name ?? '')}: ${isPlainObject(st[f]) ? quantity(current.averageValue) : '<unknown>'}/${target.averageValue}`;
        }
        const cur = typeof current.averageUtilization === 'number' ? `${current.averageUtilization}%` : '<unknown>';
        const tgt = typeof target.averageUtilization === 'number' ? `${target.averageUtilization}%` : '<auto>';
        return `${String(src.name ?? '')}: ${cur}/${tgt}`;
      }
      default:
        return '<unknown type>';
    }
  });
  return out.length > 2 ? `${out.slice(0, 2).join(', ')} + ${out.length - 2} more...` : out.join(', ');
}

const hpaTable: Pick<Strategy, 'tableColumns' | 'tableRow'> = {
  tableColumns: [
    nameColumn,
    column(
      'Reference',
      'string',
      'scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.',
    ),
    column(
      'Targets',
      'string',
      'metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used).  The desired replica count is calculated multiplying the ratio between the target value and the current value by the current number of pods.  Ergo, metrics used must decrease as the pod count is increased, and vice-versa.  See the individual metric source types for more information about how each type of metric must respond.',
    ),
    column(
      'MinPods',
      'string',
      'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.  It defaults to 1 pod.  minReplicas is allowed to be 0 if the alpha feature gate HPAScaleToZero is enabled and at least one Object or External metric is configured.  Scaling is active as long as at least one metric value is available.',
    ),
    column(
      'MaxPods',
      'string',
      'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up. It cannot be less that minReplicas.',
    ),
    column(
      'Replicas',
      'string',
      'currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.',
    ),
    ageColumn,
  ],
  tableRow(obj) {
    const spec = peek(obj, 'spec');
    const ref = peek(spec, 'scaleTargetRef');
    return [
      objName(obj),
      `${String(ref.kind ?? '')}/${String(ref.name ?? '')}`,
      formatHPAMetrics(obj),
      typeof spec.minReplicas === 'number' ? String(spec.minReplicas) : '<unset>',
      numOf(spec.maxReplicas),
      numOf(statusOf(obj).currentReplicas),
      age(obj.metadata?.creationTimestamp),
    ];
  },
};

function wireV2(obj: KubeObject): void {
  const spec = specOf(obj);
  wireZero(child(spec, 'scaleTargetRef'), { kind: '', name: '' });
  wireZero(spec, { maxReplicas: 0 });
  wireZero(child(obj, 'status'), { currentMetrics: null, desiredReplicas: 0 });
}

/** autoscaling/v2, the storage version. 1.32 keeps no metadata.generation on HPAs (HPAGeneration came later). */
export const hpaV2Strategy: Strategy = workloadStrategy(
  {
    hasGeneration: false,
    defaults: defaultHPA,
    wire: wireV2,
    validate: (obj) => validateHPASpec(obj),
    validateUpdate: (obj, old) => validateHPASpec(obj, old),
    validateStatus: validateHPAStatus,
  },
  hpaTable,
);

// ---- autoscaling/v1 <-> v2 ----------------------------------------------------------------------

const crossRef = (r: unknown): Obj => {
  const o = isPlainObject(r) ? r : {};
  return compact({ kind: o.kind ?? '', name: o.name ?? '', apiVersion: o.apiVersion || undefined });
};
const orZero = (q: unknown): unknown => (isSet(q) ? q : '0');

/**
 * The v1 metric (v2beta1's shape) of a v2 MetricSpec (`target`) or MetricStatus (`current`): each source
 * present is converted, the v1 fields named after the side (`targetValue`, `currentValue`). A status's
 * resource average value and external value are always written (0 when unset), a spec's only when set.
 */
function metricToV1(m: Obj, side: 'target' | 'current'): Obj {
  const v1 = (field: string): string => `${side}${field}`;
  const always = side === 'current' ? orZero : (q: unknown): unknown => q ?? undefined;
  const out: Obj = { type: m.type ?? '' };
  if (isPlainObject(m.object)) {
    const s = m.object;
    const v = peek(s, side);
    out.object = compact({
      target: crossRef(s.describedObject),
      metricName: peek(s, 'metric').name ?? '',
      [v1('Value')]: orZero(v.value),
      selector: peek(s, 'metric').selector ?? undefined,
      averageValue: v.averageValue ?? undefined,
    });
  }
  if (isPlainObject(m.pods)) {
    const s = m.pods;
    out.pods = compact({
      metricName: peek(s, 'metric').name ?? '',
      [v1('AverageValue')]: orZero(peek(s, side).averageValue),
      selector: peek(s, 'metric').selector ?? undefined,
    });
  }
  for (const f of ['resource', 'containerResource']) {
    const s = m[f];
    if (!isPlainObject(s)) continue;
    const v = peek(s, side);
    out[f] = compact({
      name: s.name ?? '',
      [v1('AverageUtilization')]: v.averageUtilization ?? undefined,
      [v1('AverageValue')]: always(v.averageValue),
      container: f === 'containerResource' ? (s.container ?? '') : undefined,
    });
  }
  if (isPlainObject(m.external)) {
    const s = m.external;
    const v = peek(s, side);
    out.external = compact({
      metricName: peek(s, 'metric').name ?? '',
      metricSelector: peek(s, 'metric').selector ?? undefined,
      [v1('Value')]: always(v.value),
      [v1('AverageValue')]: v.averageValue ?? undefined,
    });
  }
  return out;
}

/** A v2 MetricIdentifier from a v1 source's metric name and selector. */
const ident = (name: unknown, selector: unknown): Obj => compact({ name: name ?? '', selector: selector ?? undefined });

/** A v2 (Container)ResourceMetricSource or its status from a v1 one: the name, the target or current value, the container. */
const resourceFromV1 = (f: string, s: Obj, side: 'target' | 'current', value: Obj): Obj =>
  f === 'resource' ? { name: s.name ?? '', [side]: value } : { name: s.name ?? '', [side]: value, container: s.container ?? '' };

function metricSpecFromV1(m: Obj): Obj {
  const out: Obj = { type: m.type ?? '' };
  if (isPlainObject(m.object)) {
    const s = m.object;
    out.object = {
      describedObject: crossRef(s.target),
      target: compact({
        type: isSet(s.averageValue) ? 'AverageValue' : 'Value',
        value: orZero(s.targetValue),
        averageValue: s.averageValue ?? undefined,
      }),
      metric: ident(s.metricName, s.selector),
    };
  }
  if (isPlainObject(m.pods)) {
    const s = m.pods;
    out.pods = { metric: ident(s.metricName, s.selector), target: { type: 'AverageValue', averageValue: orZero(s.targetAverageValue) } };
  }
  for (const f of ['resource', 'containerResource']) {
    const s = m[f];
    if (!isPlainObject(s)) continue;
    const target = compact({
      type: isSet(s.targetAverageUtilization) ? 'Utilization' : 'AverageValue',
      averageValue: s.targetAverageValue ?? undefined,
      averageUtilization: s.targetAverageUtilization ?? undefined,
    });
    out[f] = resourceFromV1(f, s, 'target', target);
  }
  if (isPlainObject(m.external)) {
    const s = m.external;
    out.external = {
      metric: ident(s.metricName, s.metricSelector),
      target: compact({
        type: isSet(s.targetValue) ? 'Value' : 'AverageValue',
        value: s.targetValue ?? undefined,
        averageValue: s.targetAverageValue ?? undefined,
      }),
    };
  }
  return out;
}

function metricStatusFromV1(m: Obj): Obj {
  const out: Obj = { type: m.type ?? '' };
  if (isPlainObject(m.object)) {
    const s = m.object;
    out.object = {
      metric: ident(s.metricName, s.selector),
      current: compact({ value: orZero(s.currentValue), averageValue: s.averageValue ?? undefined }),
      describedObject: crossRef(s.target),
    };
  }
  if (isPlainObject(m.pods))
    out.pods = { metric: ident(m.pods.metricName, m.pods.selector), current: { averageValue: orZero(m.pods.currentAverageValue) } };
  for (const f of ['resource', 'containerResource']) {
    const s = m[f];
    if (!isPlainObject(s)) continue;
    const current = compact({ averageValue: orZero(s.currentAverageValue), averageUtilization: s.currentAverageUtilization ?? undefined });
    out[f] = resourceFromV1(f, s, 'current', current);
  }
  if (isPlainObject(m.external)) {
    const s = m.external;
    out.external = {
      metric: ident(s.metricName, s.metricSelector),
      current: compact({ value: orZero(s.currentValue), averageValue: s.currentAverageValue ?? undefined }),
    };
  }
  return out;
}

/** A v1 condition as encoding/json writes it (lastTransitionTime is a struct: null when zero). */
const conditionToV1 = (c: Obj): Obj =>
  compact({
    type: c.type ?? '',
    status: c.status ?? '',
    lastTransitionTime: c.lastTransitionTime ?? null,
    reason: c.reason || undefined,
    message: c.message || undefined,
  });

// The behavior annotation carries the internal Go type, whose fields have no JSON tags.
const RULE_FIELDS: Array<[string, string]> = [
  ['stabilizationWindowSeconds', 'StabilizationWindowSeconds'],
  ['selectPolicy', 'SelectPolicy'],
];

function behaviorToInternal(b: Obj): Obj {
  const rules = (r: unknown): Obj | null => {
    if (!isPlainObject(r)) return null;
    const out: Obj = {};
    for (const [v2, go] of RULE_FIELDS) out[go] = r[v2] ?? null;
    out.Policies = Array.isArray(r.policies)
      ? objsOf(r.policies).map((p) => ({ Type: p.type ?? '', Value: numOf(p.value), PeriodSeconds: numOf(p.periodSeconds) }))
      : null;
    return out;
  };
  return { ScaleUp: rules(b.scaleUp), ScaleDown: rules(b.scaleDown) };
}

function behaviorFromInternal(b: Obj): Obj {
  const rules = (r: unknown): Obj | undefined => {
    if (!isPlainObject(r)) return undefined;
    const out: Obj = {};
    for (const [v2, go] of RULE_FIELDS) if (isSet(r[go])) out[v2] = r[go];
    if (Array.isArray(r.Policies))
      out.policies = objsOf(r.Policies).map((p) => ({ type: p.Type ?? '', value: numOf(p.Value), periodSeconds: numOf(p.PeriodSeconds) }));
    return out;
  };
  return compact({ scaleUp: rules(b.ScaleUp), scaleDown: rules(b.ScaleDown) });
}

function parseAnnotation(annotations: Record<string, string>, key: string): unknown {
  const raw = annotations[key];
  if (raw === undefined) return undefined;
  delete annotations[key];
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** Convert_autoscaling_HorizontalPodAutoscaler_To_v1_HorizontalPodAutoscaler (from the stored v2 object). */
export function hpaV2ToV1(obj: KubeObject): KubeObject {
  const spec = peek(obj, 'spec');
  const status = statusOf(obj);
  const metadata = structuredClone(obj.metadata ?? {});
  const annotations: Record<string, string> = { ...(metadata.annotations ?? {}) };
  for (const k of ROUND_TRIP_ANNOTATIONS) delete annotations[k];
  const metrics = objsOf(spec.metrics);
  const isCPUUtilization = (m: Obj): boolean =>
    m.type === 'Resource' && peek(m, 'resource').name === 'cpu' && isSet(peek(peek(m, 'resource'), 'target').averageUtilization);
  const other = metrics.filter((m) => !isCPUUtilization(m)).map((m) => metricToV1(m, 'target'));
  if (other.length > 0) annotations[METRICS_ANNOTATION] = JSON.stringify(other);
  const currentMetrics = objsOf(status.currentMetrics);
  if (currentMetrics.length > 0)
    annotations[CURRENT_METRICS_ANNOTATION] = JSON.stringify(currentMetrics.map((m) => metricToV1(m, 'current')));
  const conditions = objsOf(status.conditions);
  if (conditions.length > 0) annotations[CONDITIONS_ANNOTATION] = JSON.stringify(conditions.map(conditionToV1));
  if (isPlainObject(spec.behavior)) annotations[BEHAVIOR_ANNOTATION] = JSON.stringify(behaviorToInternal(spec.behavior));
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  else delete metadata.annotations;

  // The first CPU resource metric gives targetCPUUtilizationPercentage (when it is a utilization).
  const cpu = metrics.find((m) => m.type === 'Resource' && peek(m, 'resource').name === 'cpu');
  let currentCPU: unknown;
  for (const m of currentMetrics) {
    if (m.type === 'Resource' && peek(m, 'resource').name === 'cpu' && isSet(peek(peek(m, 'resource'), 'current').averageUtilization)) {
      currentCPU = peek(peek(m, 'resource'), 'current').averageUtilization;
    }
  }
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata,
    spec: compact({
      ...hpaSpecFields(spec),
      targetCPUUtilizationPercentage: cpu ? (peek(peek(cpu, 'resource'), 'target').averageUtilization ?? undefined) : undefined,
    }),
    status: compact({
      ...hpaStatusFields(status),
      currentReplicas: numOf(status.currentReplicas),
      desiredReplicas: numOf(status.desiredReplicas),
      currentCPUUtilizationPercentage: currentCPU,
    }),
  };
}

/** The spec fields autoscaling/v1 and v2 share, converted as they are (in their wire order). */
const hpaSpecFields = (spec: Obj): Obj => ({
  scaleTargetRef: crossRef(spec.scaleTargetRef),
  minReplicas: spec.minReplicas ?? undefined,
  maxReplicas: numOf(spec.maxReplicas),
});

/** The status fields autoscaling/v1 and v2 share, converted as they are (in their wire order). */
const hpaStatusFields = (status: Obj): Obj => ({
  observedGeneration: status.observedGeneration ?? undefined,
  lastScaleTime: status.lastScaleTime ?? undefined,
});

/** Convert_v1_HorizontalPodAutoscaler_To_autoscaling_HorizontalPodAutoscaler (to the stored v2 object). */
export function hpaV1ToV2(obj: KubeObject): KubeObject {
  const spec = peek(obj, 'spec');
  const status = statusOf(obj);
  const metadata = structuredClone(obj.metadata ?? {});
  const annotations: Record<string, string> = { ...(metadata.annotations ?? {}) };
  let metrics: Obj[] = isSet(spec.targetCPUUtilizationPercentage) ? [cpuUtilizationMetric(spec.targetCPUUtilizationPercentage)] : [];
  const other = parseAnnotation(annotations, METRICS_ANNOTATION);
  if (Array.isArray(other)) metrics = [...objsOf(other).map(metricSpecFromV1), ...metrics];
  let currentMetrics: Obj[] | undefined = isSet(status.currentCPUUtilizationPercentage)
    ? [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } } }]
    : undefined;
  const current = parseAnnotation(annotations, CURRENT_METRICS_ANNOTATION);
  if (Array.isArray(current)) currentMetrics = objsOf(current).map(metricStatusFromV1);
  // autoscaling/v1's implicit default, made explicit.
  if (metrics.length === 0) metrics = [cpuUtilizationMetric(DEFAULT_CPU_UTILIZATION)];
  const conditions = parseAnnotation(annotations, CONDITIONS_ANNOTATION);
  const behavior = parseAnnotation(annotations, BEHAVIOR_ANNOTATION);
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  else delete metadata.annotations;
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata,
    spec: compact({
      ...hpaSpecFields(spec),
      metrics,
      behavior: isPlainObject(behavior) ? behaviorFromInternal(behavior) : undefined,
    }),
    status: compact({
      ...hpaStatusFields(status),
      currentReplicas: status.currentReplicas || undefined,
      desiredReplicas: numOf(status.desiredReplicas),
      currentMetrics: currentMetrics ?? null,
      conditions: Array.isArray(conditions) ? objsOf(conditions).map((c) => compact({ ...c })) : undefined,
    }),
  };
}

/**
 * autoscaling/v1: its own defaults (minReplicas), the v2 validation on the converted object (kube
 * validates the internal form, so field paths are v2's), the v2 printer.
 */
export const hpaV1Strategy: Strategy = workloadStrategy(
  {
    hasGeneration: false,
    defaults: (obj) => defaultTo(specOf(obj), 'minReplicas', 1),
    wire(obj) {
      const spec = specOf(obj);
      wireZero(child(spec, 'scaleTargetRef'), { kind: '', name: '' });
      wireZero(spec, { maxReplicas: 0 });
      wireZero(child(obj, 'status'), { currentReplicas: 0, desiredReplicas: 0 });
    },
    validate: (obj) => validateHPASpec(hpaV1ToV2(obj)),
    validateUpdate: (obj, old) => validateHPASpec(hpaV1ToV2(obj), hpaV1ToV2(old)),
    validateStatus: validateHPAStatus,
  },
  {
    tableColumns: hpaTable.tableColumns,
    tableRow: (obj) => hpaTable.tableRow!(hpaV1ToV2(obj)),
  },
);
