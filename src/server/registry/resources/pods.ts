// core/v1 pods (and their subresources), podtemplates and
// replicationcontrollers: kube's pkg/registry/core/{pod,podtemplate,
// replicationcontroller} strategies, ValidatePod*/ValidateReplicationController*
// and the printers printPod, printPodTemplate, printReplicationController. The
// pod spec itself (defaults, validation) is podspec.ts, shared with every
// workload.

import { isIP } from 'node:net';
import { type FieldError, fieldErrors, GoValue } from '../../api/errors.js';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName } from '../../api/names.js';
import { addQuantity, compareQuantity, parseQuantity, type Quantity } from '../../api/quantity.js';
import { labelSelectorAsSelector } from '../../api/selectors/labels.js';
import { isPlainObject, type KubeObject } from '../../api/types.js';
import { type BuiltinResource, builtinResource as resource } from '../builtin.js';
import type { RequestContext, Strategy } from '../strategy.js';
import { createLegacyBinding, podSubresources } from './pod-subresources.js';
import { podTemplateWarnings, podWarnings } from './pod-warnings.js';
import {
  defaultPod,
  defaultPodSpec,
  defaultPodTemplateSpec,
  templateLabels,
  validatePodOnlySpec,
  validatePodSpec,
  validatePodTemplateSpec,
  validateTolerations,
} from './podspec.js';
import { age, ageColumn, column, formatLabels, nameColumn, objName } from './printers.js';
import {
  containerCells,
  dnsLabelNameWarnings,
  goStringMap,
  nonNegative,
  semanticEqual,
  templateMetaWire,
  warnIfValid,
  wireZero,
  workloadStrategy,
} from './workload-helpers.js';

type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj | undefined => (isPlainObject(v) ? v : undefined);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const specOf = (o: KubeObject): Obj => obj(o.spec) ?? {};
const statusOf = (o: KubeObject): Obj => obj(o.status) ?? {};

// ---------------------------------------------------------------------------
// Pods
// ---------------------------------------------------------------------------

/** qos.GetPodQOS: Guaranteed, Burstable or BestEffort from the containers' cpu and memory. */
export function podQOSClass(spec: Obj): string {
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  const add = (into: Map<string, Quantity>, name: string, q: Quantity): void => {
    const prev = into.get(name);
    into.set(name, prev ? addQuantity(prev, q) : q);
  };
  for (const c of [...list(spec.containers), ...list(spec.initContainers)]) {
    const resources = obj(c.resources) ?? {};
    for (const [name, v] of Object.entries(obj(resources.requests) ?? {})) {
      const q = parseQuantity(v);
      if ((name === 'cpu' || name === 'memory') && q && q.mantissa > 0n) {
        add(requests, name, q);
      }
    }
    const found = new Set<string>();
    for (const [name, v] of Object.entries(obj(resources.limits) ?? {})) {
      const q = parseQuantity(v);
      if ((name === 'cpu' || name === 'memory') && q && q.mantissa > 0n) {
        found.add(name);
        add(limits, name, q);
      }
    }
    if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) {
      const lim = limits.get(name);
      if (!lim || compareQuantity(lim, req) !== 0) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

/** What cmp.Diff prints in ValidatePodUpdate's message, reduced to the fields that differ. */
function specDiff(type: string, old: Obj, now: Obj): string {
  const lines = [`  ${type}{`];
  const goName = (k: string): string => `${k[0].toUpperCase()}${k.slice(1)}`;
  const keys = [...new Set([...Object.keys(old), ...Object.keys(now)])];
  for (const k of keys) {
    if (semanticEqual(old[k], now[k])) continue;
    if (old[k] !== undefined) lines.push(`- \t${goName(k)}: ${JSON.stringify(old[k])},`);
    if (now[k] !== undefined) lines.push(`+ \t${goName(k)}: ${JSON.stringify(now[k])},`);
  }
  lines.push('  }');
  return lines.join('\n');
}

const UPDATABLE_POD_SPEC_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

/** ValidatePodSpecificAnnotations (the checks that apply to API clients). */
function validatePodAnnotations(pod: KubeObject): FieldError[] {
  const ann = pod.metadata?.annotations ?? {};
  const errs: FieldError[] = [];
  const mirror = ann['kubernetes.io/config.mirror'];
  if (mirror !== undefined && !str(specOf(pod).nodeName)) {
    errs.push(
      fieldErrors.invalid(
        'metadata.annotations[kubernetes.io/config.mirror]',
        mirror,
        'must set spec.nodeName if mirror pod annotation is set',
      ),
    );
  }
  const cost = ann['controller.kubernetes.io/pod-deletion-cost'];
  if (cost !== undefined && !(/^[+-]?\d+$/.test(cost) && Math.abs(Number(cost)) <= 2 ** 31)) {
    errs.push(fieldErrors.invalid('metadata.annotations[controller.kubernetes.io/pod-deletion-cost]', cost, 'must be a 32bit integer'));
  }
  return errs;
}

/** validatePodMetadataAndSpec without ObjectMeta (the store checks it). */
function validatePodMetadataAndSpec(pod: KubeObject): FieldError[] {
  return [
    ...validatePodAnnotations(pod),
    ...validatePodSpec(pod.spec, 'spec', { resourceIsPod: true, podName: pod.metadata?.name }),
    ...validatePodOnlySpec(pod.spec, 'spec'),
  ];
}

/** ValidatePodCreate. */
function validatePod(pod: KubeObject): FieldError[] {
  const spec = specOf(pod);
  const errs = validatePodMetadataAndSpec(pod);
  if (list(spec.ephemeralContainers).length > 0) errs.push(fieldErrors.forbidden('spec.ephemeralContainers', 'cannot be set on create'));
  if (str(spec.nodeName) && list(spec.schedulingGates).length > 0) {
    errs.push(fieldErrors.forbidden('spec.nodeName', 'cannot be set until all schedulingGates have been cleared'));
  }
  return errs;
}

/** ValidateContainerUpdates: same containers, images still set; `stop` ends the validation. */
function validateContainerUpdates(now: Obj[], old: Obj[], path: string): { errs: FieldError[]; stop: boolean } {
  if (now.length !== old.length) return { errs: [fieldErrors.forbidden(path, 'pod updates may not add or remove containers')], stop: true };
  const errs: FieldError[] = [];
  now.forEach((c, i) => {
    const image = str(c.image);
    if (!image) errs.push(fieldErrors.required(`${path}[${i}].image`));
    if (image.trim().length !== image.length) {
      errs.push(fieldErrors.invalid(`${path}[${i}].image`, image, 'must not have leading or trailing whitespace'));
    }
  });
  return { errs, stop: false };
}

/** ValidatePodUpdate: only the mutable fields may change. */
function validatePodUpdate(pod: KubeObject, old: KubeObject): FieldError[] {
  const spec = specOf(pod);
  const oldSpec = specOf(old);
  const errs = validatePodMetadataAndSpec(pod);
  const annOld = old.metadata?.annotations ?? {};
  const annNew = pod.metadata?.annotations ?? {};
  const mirror = 'kubernetes.io/config.mirror';
  if (mirror in annOld && annOld[mirror] !== annNew[mirror]) {
    errs.push(fieldErrors.forbidden(`metadata.annotations[${mirror}]`, 'may not remove or update mirror pod annotation'));
  } else if (!(mirror in annOld) && mirror in annNew) {
    errs.push(fieldErrors.forbidden(`metadata.annotations[${mirror}]`, 'may not add mirror pod annotation'));
  }
  for (const key of ['containers', 'initContainers']) {
    const r = validateContainerUpdates(list(spec[key]), list(oldSpec[key]), `spec.${key}`);
    errs.push(...r.errs);
    if (r.stop) return errs;
  }
  const ads = spec.activeDeadlineSeconds;
  const oldAds = oldSpec.activeDeadlineSeconds;
  if (typeof ads === 'number') {
    if (ads < 0 || ads > 2147483647) {
      errs.push(fieldErrors.invalid('spec.activeDeadlineSeconds', ads, 'must be between 0 and 2147483647, inclusive'));
      return errs;
    }
    if (typeof oldAds === 'number' && oldAds < ads) {
      errs.push(fieldErrors.invalid('spec.activeDeadlineSeconds', ads, 'must be less than or equal to previous value'));
      return errs;
    }
  } else if (typeof oldAds === 'number') {
    errs.push(fieldErrors.invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }
  // Tolerations may only be added (an existing one may change its tolerationSeconds).
  const newTolerations = list(spec.tolerations);
  for (const t of list(oldSpec.tolerations)) {
    const found = newTolerations.some((n) => semanticEqual({ ...t, tolerationSeconds: n.tolerationSeconds }, n));
    if (!found) {
      errs.push(fieldErrors.forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'));
      break;
    }
  }
  if (!errs.some((e) => e.field === 'spec.tolerations')) errs.push(...validateTolerations(newTolerations, 'spec.tolerations'));
  // Scheduling gates may only be removed.
  const oldGates = new Set(list(oldSpec.schedulingGates).map((g) => str(g.name)));
  list(spec.schedulingGates).forEach((g, i) => {
    const name = str(g.name);
    if (!oldGates.has(name)) {
      errs.push(
        fieldErrors.forbidden(`spec.schedulingGates[${i}].name`, `only deletion is allowed, but found new scheduling gate '${name}'`),
      );
    }
  });
  if (semanticEqual(spec, oldSpec)) return errs;
  // The mutable fields take their old values; anything else that differs is refused with the diff.
  const munged: Obj = structuredClone(spec);
  for (const key of ['containers', 'initContainers']) {
    const oldList = list(oldSpec[key]);
    if (Array.isArray(munged[key])) munged[key] = list(munged[key]).map((c, i) => ({ ...c, image: oldList[i]?.image }));
  }
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  munged.schedulingGates = oldSpec.schedulingGates;
  munged.tolerations = oldSpec.tolerations;
  const oldGrace = oldSpec.terminationGracePeriodSeconds;
  if (typeof oldGrace === 'number' && oldGrace < 0 && munged.terminationGracePeriodSeconds === 1)
    munged.terminationGracePeriodSeconds = oldGrace;
  if (oldGates.size > 0) {
    // A gated pod may still gain node selector entries and change its node affinity.
    munged.nodeSelector = oldSpec.nodeSelector;
    const affinity = obj(munged.affinity);
    if (affinity) affinity.nodeAffinity = obj(oldSpec.affinity)?.nodeAffinity;
  }
  if (!semanticEqual(munged, oldSpec)) {
    errs.push(
      fieldErrors.forbidden(
        'spec',
        `pod updates may not change fields other than ${UPDATABLE_POD_SPEC_FIELDS.join(',')}\n${specDiff('core.PodSpec', oldSpec, munged)}`,
      ),
    );
  }
  return errs;
}

/** ValidatePodStatusUpdate (the checks a client's status can fail). */
function validatePodStatusUpdate(pod: KubeObject, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const status = statusOf(pod);
  const oldStatus = statusOf(old);
  const system = new Set(['PodScheduled', 'Ready', 'Initialized']);
  list(status.conditions).forEach((c, i) => {
    const type = str(c.type);
    if (system.has(type)) return;
    for (const m of isQualifiedName(type)) errs.push(fieldErrors.invalid(`metadata.conditions[${i}].Type`, type, m));
  });
  const nominated = str(status.nominatedNodeName);
  if (nominated && nominated !== str(oldStatus.nominatedNodeName)) {
    for (const m of isDNS1123Subdomain(nominated)) errs.push(fieldErrors.invalid('status.nominatedNodeName', nominated, m));
  }
  if (str(status.qosClass) !== str(oldStatus.qosClass))
    errs.push(fieldErrors.invalid('status.qosClass', str(status.qosClass), 'field is immutable'));
  list(status.podIPs).forEach((p, i) => {
    if (!isIP(str(p.ip))) {
      errs.push(fieldErrors.invalid(`status.podIPs[${i}]`, str(p.ip), 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
    }
  });
  return errs;
}

/** ValidatePodEphemeralContainersUpdate: the spec still valid, existing ephemeral containers untouched. */
function validateEphemeralContainersUpdate(pod: KubeObject, old: KubeObject): FieldError[] {
  const errs = validatePodMetadataAndSpec(pod);
  if ('kubernetes.io/config.mirror' in (old.metadata?.annotations ?? {})) {
    return [fieldErrors.forbidden('', 'static pods do not support ephemeral containers')];
  }
  const byName = new Map(list(specOf(pod).ephemeralContainers).map((c) => [str(c.name), c]));
  for (const c of list(specOf(old).ephemeralContainers)) {
    const name = str(c.name);
    const now = byName.get(name);
    if (!now) errs.push(fieldErrors.forbidden('spec.ephemeralContainers', `existing ephemeral containers "${name}" may not be removed\n`));
    else if (!semanticEqual(c, now)) {
      errs.push(
        fieldErrors.forbidden(
          'spec.ephemeralContainers',
          `existing ephemeral containers "${name}" may not be changed\n${specDiff('core.EphemeralContainer', c, now)}`,
        ),
      );
    }
  }
  return errs;
}

/** Replaces `target`'s fields with `source`'s (a strategy prepares the object it is handed). */
function replaceWith(target: KubeObject, source: KubeObject): void {
  for (const k of Object.keys(target)) delete target[k];
  Object.assign(target, source);
}

function podFields(pod: KubeObject): Record<string, string> {
  const spec = specOf(pod);
  const status = statusOf(pod);
  const podIPs = list(status.podIPs);
  const nodeName = str(spec.nodeName);
  return {
    'spec.nodeName': nodeName,
    // Old v1 clients' name for spec.nodeName (the field label conversion maps it).
    'spec.host': nodeName,
    'spec.restartPolicy': str(spec.restartPolicy),
    'spec.schedulerName': str(spec.schedulerName),
    'spec.serviceAccountName': str(spec.serviceAccountName),
    'spec.hostNetwork': String(spec.hostNetwork === true),
    'status.phase': str(status.phase),
    'status.podIP': podIPs.length ? str(podIPs[0].ip) : str(status.podIP),
    // Accepted by the label conversion, but not among the pod's selectable fields: it matches only ''.
    'status.podIPs': '',
    'status.nominatedNodeName': str(status.nominatedNodeName),
  };
}

const isRestartableInit = (c: Obj | undefined): boolean => c?.restartPolicy === 'Always';

/** printPod: READY, STATUS, RESTARTS as kubectl shows them. */
function podRow(pod: KubeObject): unknown[] {
  const spec = specOf(pod);
  const status = statusOf(pod);
  const conditions = list(status.conditions);
  let restarts = 0;
  let restartableInitRestarts = 0;
  let total = list(spec.containers).length;
  let ready = 0;
  let lastRestart = 0;
  let lastRestartableInitRestart = 0;
  const phase = str(status.phase);
  let reason = str(status.reason) || phase;
  if (conditions.some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) reason = 'SchedulingGated';
  const inits = new Map(list(spec.initContainers).map((c) => [str(c.name), c]));
  for (const c of inits.values()) if (isRestartableInit(c)) total++;
  const finishedAt = (cs: Obj): number => {
    const at = str(obj(obj(cs.lastState)?.terminated)?.finishedAt);
    return at ? Date.parse(at) : 0;
  };
  let initializing = false;
  const initStatuses = list(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    const state = obj(cs.state) ?? {};
    const terminated = obj(state.terminated);
    const waiting = obj(state.waiting);
    const count = typeof cs.restartCount === 'number' ? cs.restartCount : 0;
    restarts += count;
    lastRestart = Math.max(lastRestart, finishedAt(cs));
    const restartable = isRestartableInit(inits.get(str(cs.name)));
    if (restartable) {
      restartableInitRestarts += count;
      lastRestartableInitRestart = Math.max(lastRestartableInitRestart, finishedAt(cs));
    }
    if (terminated && terminated.exitCode === 0) continue;
    if (restartable && cs.started === true) {
      if (cs.ready === true) ready++;
      continue;
    }
    if (terminated) {
      if (!str(terminated.reason)) {
        reason = terminated.signal ? `Init:Signal:${terminated.signal}` : `Init:ExitCode:${terminated.exitCode ?? 0}`;
      } else reason = `Init:${str(terminated.reason)}`;
    } else if (waiting && str(waiting.reason) && waiting.reason !== 'PodInitializing') reason = `Init:${str(waiting.reason)}`;
    else reason = `Init:${i}/${list(spec.initContainers).length}`;
    initializing = true;
    break;
  }
  const initialized = conditions.some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initialized) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses = list(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      const state = obj(cs.state) ?? {};
      const terminated = obj(state.terminated);
      const waiting = obj(state.waiting);
      restarts += typeof cs.restartCount === 'number' ? cs.restartCount : 0;
      lastRestart = Math.max(lastRestart, finishedAt(cs));
      if (waiting && str(waiting.reason)) reason = str(waiting.reason);
      else if (terminated && str(terminated.reason)) reason = str(terminated.reason);
      else if (terminated) reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode ?? 0}`;
      else if (cs.ready === true && state.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = conditions.some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }
  }
  if (pod.metadata?.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';
  let restartsCell = String(restarts);
  if (restarts !== 0 && lastRestart > 0) restartsCell = `${restarts} (${age(new Date(lastRestart).toISOString())} ago)`;
  const podIPs = list(status.podIPs);
  let readinessGates = '<none>';
  const gates = list(spec.readinessGates);
  if (gates.length) {
    const trueCount = gates.filter((g) => conditions.find((c) => c.type === g.conditionType)?.status === 'True').length;
    readinessGates = `${trueCount}/${gates.length}`;
  }
  return [
    objName(pod),
    `${ready}/${total}`,
    reason,
    restartsCell,
    age(pod.metadata?.creationTimestamp),
    (podIPs.length ? str(podIPs[0].ip) : '') || '<none>',
    str(spec.nodeName) || '<none>',
    str(status.nominatedNodeName) || '<none>',
    readinessGates,
  ];
}

const POD_COLUMNS = [
  nameColumn,
  column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
  column('Status', 'string', 'The aggregate status of the containers in this pod.'),
  column(
    'Restarts',
    'string',
    'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
  ),
  ageColumn,
  column('IP', 'string', 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
  column(
    'Node',
    'string',
    'NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename',
    1,
  ),
  column(
    'Nominated Node',
    'string',
    'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.',
    1,
  ),
  column(
    'Readiness Gates',
    'string',
    'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to "True" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates',
    1,
  ),
];

/** The pod strategy's PrepareForCreate after defaulting: initial status and the scheduling-gated condition. */
function preparePodCreate(pod: KubeObject, ctx: RequestContext): void {
  defaultPod(pod);
  const spec = specOf(pod);
  const status: Obj = { phase: 'Pending', qosClass: podQOSClass(spec) };
  if (list(spec.schedulingGates).length > 0) {
    status.conditions = [
      {
        type: 'PodScheduled',
        status: 'False',
        lastProbeTime: null,
        lastTransitionTime: null,
        reason: 'SchedulingGated',
        message: 'Scheduling is blocked due to non-empty scheduling gates',
      },
    ];
  }
  pod.status = status;
  const msgs = isDNS1123Label(pod.metadata?.name ?? '');
  if (msgs.length) {
    ctx.warnings.push(
      `metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; a DNS label is recommended: [${msgs.join(' ')}]`,
    );
  }
}

export const podStrategy: Strategy = {
  namespaced: true,
  hasGeneration: false,
  allowUnconditionalUpdate: true,
  hasStatusSubresource: true,
  returnDeletedObject: true,
  prepareForCreate: preparePodCreate,
  defaults: defaultPod,
  prepareForUpdate(pod, old, ctx) {
    if (ctx.subresource === 'status') {
      // podStatusStrategy: the QoS class is set once, at creation; an empty one is backfilled.
      const status = obj(pod.status);
      if (status && !status.qosClass && statusOf(old).qosClass) status.qosClass = statusOf(old).qosClass;
      return;
    }
    if (ctx.subresource === 'ephemeralcontainers') {
      // dropNonEphemeralContainerUpdates: only spec.ephemeralContainers (and the managed fields) come from the request.
      const next = structuredClone(old);
      const ephemeral = specOf(pod).ephemeralContainers;
      const spec = specOf(next);
      if (ephemeral === undefined) delete spec.ephemeralContainers;
      else spec.ephemeralContainers = ephemeral;
      next.spec = spec;
      if (pod.metadata?.managedFields !== undefined) next.metadata = { ...next.metadata, managedFields: pod.metadata.managedFields };
      replaceWith(pod, next);
    }
    defaultPod(pod);
  },
  validate: (pod, ctx) => warnIfValid(validatePod(pod), ctx, () => podWarnings(pod)),
  validateUpdate(pod, old, ctx) {
    if (ctx.subresource === 'status') return validatePodStatusUpdate(pod, old);
    if (ctx.subresource === 'ephemeralcontainers') return validateEphemeralContainersUpdate(pod, old);
    return warnIfValid(validatePodUpdate(pod, old), ctx, () => podWarnings(pod));
  },
  canonicalize(pod) {
    wireZero(pod as Obj, { spec: {}, status: {} });
  },
  /** CheckGracefulDelete: the requested period, else the pod's; unscheduled and terminated pods go at once. */
  gracefulDeletePeriod(pod, requested) {
    const spec = specOf(pod);
    let period = requested ?? (typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 0);
    const phase = statusOf(pod).phase;
    if (!str(spec.nodeName) || phase === 'Failed' || phase === 'Succeeded') period = 0;
    return period < 0 ? 1 : period;
  },
  fieldLabels: podFields,
  supportedFieldLabels: Object.keys(podFields({})),
  tableColumns: POD_COLUMNS,
  tableRow: podRow,
};

// ---------------------------------------------------------------------------
// PodTemplates
// ---------------------------------------------------------------------------

function defaultPodTemplate(t: KubeObject): void {
  if (!isPlainObject(t.template)) t.template = {};
  defaultPodTemplateSpec(t.template);
}

export const podTemplateStrategy: Strategy = {
  namespaced: true,
  hasGeneration: true,
  allowUnconditionalUpdate: true,
  hasStatusSubresource: false,
  prepareForCreate: defaultPodTemplate,
  prepareForUpdate: defaultPodTemplate,
  defaults: defaultPodTemplate,
  specChanged: (t, old) => !semanticEqual(t.template, old.template),
  validate: (t, ctx) =>
    warnIfValid(validatePodTemplateSpec(t.template, 'template'), ctx, () => podTemplateWarnings(t.template, 'template')),
  validateUpdate: (t, old, ctx) =>
    warnIfValid(validatePodTemplateSpec(t.template, 'template'), ctx, () =>
      semanticEqual(t.template, old.template) ? [] : podTemplateWarnings(t.template, 'template'),
    ),
  canonicalize(t) {
    templateMetaWire(t.template as Obj);
  },
  tableColumns: [
    nameColumn,
    column('Containers', 'string', 'Names of each container in the template.'),
    column('Images', 'string', 'Images referenced by each container in the template.'),
    column('Pod Labels', 'string', 'The labels for the pod template.'),
  ],
  tableRow(t) {
    const [names, images] = containerCells(t.template);
    return [objName(t), names, images, formatLabels(templateLabels(t.template))];
  },
};

// ---------------------------------------------------------------------------
// ReplicationControllers
// ---------------------------------------------------------------------------

/** SetDefaults_ReplicationController and the template's defaults. */
function defaultReplicationController(rc: KubeObject): void {
  const spec = obj(rc.spec) ?? {};
  rc.spec = spec;
  const labels = templateLabels(spec.template);
  if (labels) {
    if (!isPlainObject(spec.selector) || Object.keys(spec.selector).length === 0) spec.selector = { ...labels };
    const meta = rc.metadata ?? {};
    if (!meta.labels || Object.keys(meta.labels).length === 0) meta.labels = { ...labels };
  }
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  if (isPlainObject(spec.template)) defaultPodSpec(obj(spec.template.spec) ?? (spec.template.spec = {}));
}

/** ValidateReplicationControllerSpec with ValidatePodTemplateSpecForRC. */
function validateReplicationControllerSpec(rc: KubeObject): FieldError[] {
  const spec = specOf(rc);
  const errs: FieldError[] = [];
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  const selector = obj(spec.selector) ?? {};
  if (Object.keys(selector).length === 0) errs.push(fieldErrors.required('spec.selector'));
  errs.push(...nonNegative(spec.replicas, 'spec.replicas'));
  const template = obj(spec.template);
  if (!template) {
    errs.push(fieldErrors.required('spec.template'));
    return errs;
  }
  if (Object.keys(selector).length > 0) {
    const labels = templateLabels(template);
    if (!labelSelectorAsSelector({ matchLabels: selector }).matches(labels)) {
      errs.push(
        fieldErrors.invalid(
          'spec.template.metadata.labels',
          new GoValue(goStringMap(labels)),
          '`selector` does not match template `labels`',
        ),
      );
    }
  }
  errs.push(...validatePodTemplateSpec(template, 'spec.template'));
  const tspec = obj(template.spec) ?? {};
  if (tspec.restartPolicy !== 'Always')
    errs.push(fieldErrors.notSupported('spec.template.spec.restartPolicy', tspec.restartPolicy ?? '', ['Always']));
  if (tspec.activeDeadlineSeconds !== undefined && tspec.activeDeadlineSeconds !== null) {
    errs.push(
      fieldErrors.forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in ReplicationController is not Supported'),
    );
  }
  return errs;
}

/** ValidateReplicationControllerStatus. */
function validateReplicationControllerStatus(rc: KubeObject): FieldError[] {
  const s = statusOf(rc);
  const n = (k: string): number => (typeof s[k] === 'number' ? (s[k] as number) : 0);
  const errs: FieldError[] = [];
  for (const k of ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration']) {
    errs.push(...nonNegative(s[k], `status.${k}`));
  }
  const msg = 'cannot be greater than status.replicas';
  for (const k of ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas']) {
    if (n(k) > n('replicas')) errs.push(fieldErrors.invalid(`status.${k}`, n(k), msg));
  }
  if (n('availableReplicas') > n('readyReplicas')) {
    errs.push(fieldErrors.invalid('status.availableReplicas', n('availableReplicas'), 'cannot be greater than readyReplicas'));
  }
  return errs;
}

function rcFields(rc: KubeObject): Record<string, string> {
  const replicas = statusOf(rc).replicas;
  return { 'status.replicas': String(typeof replicas === 'number' ? replicas : 0) };
}

export const replicationControllerStrategy: Strategy = workloadStrategy(
  {
    defaults: defaultReplicationController,
    wire(rc) {
      if (isPlainObject(rc.status)) wireZero(rc.status, { replicas: 0 });
      const template = obj(specOf(rc).template);
      if (template) templateMetaWire(template);
    },
    validate: (rc) => validateReplicationControllerSpec(rc),
    validateUpdate: (rc) => validateReplicationControllerSpec(rc),
    validateStatus: (rc) => validateReplicationControllerStatus(rc),
    warningsOnCreate: dnsLabelNameWarnings,
    podTemplatePath: 'spec.template',
  },
  {
    specChanged: (rc, old) => !semanticEqual(rc.spec, old.spec),
    fieldLabels: rcFields,
    supportedFieldLabels: ['status.replicas'],
    tableColumns: [
      nameColumn,
      column(
        'Desired',
        'integer',
        'Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller',
      ),
      column(
        'Current',
        'integer',
        'Replicas is the most recently observed number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller',
      ),
      column('Ready', 'integer', 'The number of ready replicas for this replication controller.'),
      ageColumn,
      column('Containers', 'string', 'Names of each container in the template.', 1),
      column('Images', 'string', 'Images referenced by each container in the template.', 1),
      column(
        'Selector',
        'string',
        'Selector is a label query over pods that should match the Replicas count. If Selector is empty, it is defaulted to the labels present on the Pod template. Label keys and values that must match in order to be controlled by this replication controller, if empty defaulted to labels on Pod template. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
        1,
      ),
    ],
    tableRow(rc) {
      const spec = specOf(rc);
      const status = statusOf(rc);
      const int = (v: unknown): number => (typeof v === 'number' ? v : 0);
      const [names, images] = containerCells(spec.template);
      return [
        objName(rc),
        int(spec.replicas),
        int(status.replicas),
        int(status.readyReplicas),
        age(rc.metadata?.creationTimestamp),
        names,
        images,
        formatLabels(spec.selector),
      ];
    },
  },
);

export const podResources: BuiltinResource[] = [
  resource(
    {
      group: '',
      version: 'v1',
      resource: 'pods',
      singular: 'pod',
      kind: 'Pod',
      namespaced: true,
      shortNames: ['po'],
      categories: ['all'],
      subresources: { status: true },
    },
    podStrategy,
    'V1Pod',
    undefined,
    { subresources: podSubresources },
  ),
  resource(
    { group: '', version: 'v1', resource: 'podtemplates', singular: 'podtemplate', kind: 'PodTemplate', namespaced: true },
    podTemplateStrategy,
    'V1PodTemplate',
  ),
  resource(
    {
      group: '',
      version: 'v1',
      resource: 'replicationcontrollers',
      singular: 'replicationcontroller',
      kind: 'ReplicationController',
      namespaced: true,
      shortNames: ['rc'],
      categories: ['all'],
      subresources: {
        status: true,
        scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.spec.selector' },
      },
    },
    replicationControllerStrategy,
    'V1ReplicationController',
    '/controllers',
  ),
  // The top-level Binding (kube's LegacyBindingREST): create only, binding the pod the body names.
  resource(
    {
      group: '',
      version: 'v1',
      resource: 'bindings',
      singular: 'binding',
      kind: 'Binding',
      namespaced: true,
      verbs: ['create'],
      storageVersionHash: false,
    },
    { namespaced: true, hasGeneration: false, allowUnconditionalUpdate: false, hasStatusSubresource: false },
    'V1Binding',
    undefined,
    { create: createLegacyBinding },
  ),
];
