// The pod spec's scheduling constraints: kube's validateAffinity (node, pod and
// pod anti-affinity) and validateTopologySpreadConstraints
// (pkg/apis/core/validation/validation.go), with their messages and paths.

import { type FieldError, fieldErrors } from '../../api/errors.js';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue } from '../../api/names.js';
import { isPlainObject } from '../../api/types.js';
import { validateLabelSelector } from '../validation/labelselector.js';

type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj | undefined => (isPlainObject(v) ? v : undefined);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : String(x))) : []);

const NOT_POSITIVE = 'must be greater than zero';

/** metav1validation.ValidateLabelName. */
function labelName(name: string, path: string): FieldError[] {
  return isQualifiedName(name).map((m) => fieldErrors.invalid(path, name, m));
}

/** ValidateNodeSelectorRequirement: the operator's value count, the key, and each value as a label value. */
function validateNodeSelectorRequirement(rq: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const values = strings(rq.values);
  switch (rq.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errs.push(fieldErrors.required(`${path}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0)
        errs.push(fieldErrors.forbidden(`${path}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1)
        errs.push(fieldErrors.required(`${path}.values`, "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      break;
    default:
      errs.push(fieldErrors.invalid(`${path}.operator`, str(rq.operator), 'not a valid selector operator'));
  }
  errs.push(...labelName(str(rq.key), `${path}.key`));
  values.forEach((v, i) => {
    for (const m of isValidLabelValue(v)) errs.push(fieldErrors.invalid(`${path}.values[${i}]`, v, m));
  });
  return errs;
}

/** ValidateNodeFieldSelectorRequirement: only `metadata.name`, with In/NotIn and one node name. */
function validateNodeFieldSelectorRequirement(rq: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const values = strings(rq.values);
  if (rq.operator === 'In' || rq.operator === 'NotIn') {
    if (values.length !== 1) {
      errs.push(
        fieldErrors.required(`${path}.values`, "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"),
      );
    }
  } else errs.push(fieldErrors.invalid(`${path}.operator`, str(rq.operator), 'not a valid selector operator'));
  if (rq.key !== 'metadata.name') errs.push(fieldErrors.invalid(`${path}.key`, str(rq.key), 'not a valid field selector key'));
  else {
    values.forEach((v, i) => {
      for (const m of isDNS1123Subdomain(v)) errs.push(fieldErrors.invalid(`${path}.values[${i}]`, v, m));
    });
  }
  return errs;
}

/** ValidateNodeSelectorTerm. */
function validateNodeSelectorTerm(term: Obj, path: string): FieldError[] {
  return [
    ...list(term.matchExpressions).flatMap((rq, i) => validateNodeSelectorRequirement(rq, `${path}.matchExpressions[${i}]`)),
    ...list(term.matchFields).flatMap((rq, i) => validateNodeFieldSelectorRequirement(rq, `${path}.matchFields[${i}]`)),
  ];
}

/** ValidateNodeSelector: at least one term, each valid. */
export function validateNodeSelector(selector: Obj, path: string): FieldError[] {
  const terms = list(selector.nodeSelectorTerms);
  if (terms.length === 0) return [fieldErrors.required(`${path}.nodeSelectorTerms`, 'must have at least one node selector term')];
  return terms.flatMap((t, i) => validateNodeSelectorTerm(t, `${path}.nodeSelectorTerms[${i}]`));
}

function weight(v: unknown, path: string): FieldError[] {
  const w = typeof v === 'number' ? v : 0;
  return w <= 0 || w > 100 ? [fieldErrors.invalid(path, w, 'must be in the range 1-100')] : [];
}

function validateNodeAffinity(na: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const required = obj(na.requiredDuringSchedulingIgnoredDuringExecution);
  if (required) errs.push(...validateNodeSelector(required, `${path}.requiredDuringSchedulingIgnoredDuringExecution`));
  list(na.preferredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
    const p = `${path}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
    errs.push(...weight(t.weight, `${p}.weight`));
    errs.push(...validateNodeSelectorTerm(obj(t.preference) ?? {}, `${p}.preference`));
  });
  return errs;
}

/** validateMatchLabelKeysAndMismatchLabelKeys (MatchLabelKeysInPodAffinity is on in 1.32). */
function validateMatchLabelKeys(term: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const selector = obj(term.labelSelector);
  const match = strings(term.matchLabelKeys);
  const mismatch = strings(term.mismatchLabelKeys);
  for (const [field, keys] of [
    ['matchLabelKeys', match],
    ['mismatchLabelKeys', mismatch],
  ] as const) {
    if (keys.length === 0) continue;
    if (!selector) {
      errs.push(fieldErrors.forbidden(`${path}.${field}`, 'must not be specified when labelSelector is not set'));
      continue;
    }
    keys.forEach((k, i) => {
      errs.push(...labelName(k, `${path}.${field}[${i}]`));
    });
  }
  const mismatchSet = new Set(mismatch);
  match.forEach((k, i) => {
    if (mismatchSet.has(k))
      errs.push(fieldErrors.invalid(`${path}.matchLabelKeys[${i}]`, k, 'exists in both matchLabelKeys and mismatchLabelKeys'));
  });
  return errs;
}

/** validatePodAffinityTerm: selectors, namespaces, label keys, and a required topologyKey. */
function validatePodAffinityTerm(term: Obj, path: string): FieldError[] {
  const errs = [
    ...validateLabelSelector(term.labelSelector, `${path}.labelSelector`),
    ...validateLabelSelector(term.namespaceSelector, `${path}.namespaceSelector`),
  ];
  for (const ns of strings(term.namespaces)) for (const m of isDNS1123Label(ns)) errs.push(fieldErrors.invalid(`${path}.namespace`, ns, m));
  errs.push(...validateMatchLabelKeys(term, path));
  const key = str(term.topologyKey);
  if (!key) errs.push(fieldErrors.required(`${path}.topologyKey`, 'can not be empty'));
  errs.push(...labelName(key, `${path}.topologyKey`));
  return errs;
}

/** validatePodAffinity and validatePodAntiAffinity: the same two lists of terms. */
function validatePodAffinity(pa: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  list(pa.requiredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
    errs.push(...validatePodAffinityTerm(t, `${path}.requiredDuringSchedulingIgnoredDuringExecution[${i}]`));
  });
  list(pa.preferredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
    const p = `${path}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
    errs.push(...weight(t.weight, `${p}.weight`));
    errs.push(...validatePodAffinityTerm(obj(t.podAffinityTerm) ?? {}, `${p}.podAffinityTerm`));
  });
  return errs;
}

/** validateAffinity: `path` is the affinity's field path (`spec.affinity`). */
export function validateAffinity(affinityValue: unknown, path: string): FieldError[] {
  const affinity = obj(affinityValue);
  if (!affinity) return [];
  const errs: FieldError[] = [];
  const na = obj(affinity.nodeAffinity);
  if (na) errs.push(...validateNodeAffinity(na, `${path}.nodeAffinity`));
  const pa = obj(affinity.podAffinity);
  if (pa) errs.push(...validatePodAffinity(pa, `${path}.podAffinity`));
  const paa = obj(affinity.podAntiAffinity);
  if (paa) errs.push(...validatePodAffinity(paa, `${path}.podAntiAffinity`));
  return errs;
}

const WHEN_UNSATISFIABLE = ['DoNotSchedule', 'ScheduleAnyway'];
const NODE_INCLUSION_POLICIES = ['Honor', 'Ignore'];

/** validateMatchLabelKeysInTopologySpread. */
function topologyMatchLabelKeys(keys: string[], selectorValue: unknown, path: string): FieldError[] {
  if (keys.length === 0) return [];
  const errs: FieldError[] = [];
  const selector = obj(selectorValue);
  const selectorKeys = new Set<string>();
  if (selector) {
    for (const k of Object.keys(obj(selector.matchLabels) ?? {})) selectorKeys.add(k);
    for (const e of list(selector.matchExpressions)) selectorKeys.add(str(e.key));
  } else errs.push(fieldErrors.forbidden(path, 'must not be specified when labelSelector is not set'));
  keys.forEach((k, i) => {
    errs.push(...labelName(k, `${path}[${i}]`));
    if (selectorKeys.has(k)) errs.push(fieldErrors.invalid(`${path}[${i}]`, k, 'exists in both matchLabelKeys and labelSelector'));
  });
  return errs;
}

/** validateTopologySpreadConstraints. */
export function validateTopologySpreadConstraints(constraintsValue: unknown, path: string): FieldError[] {
  const constraints = list(constraintsValue);
  const errs: FieldError[] = [];
  constraints.forEach((c, i) => {
    const idx = `${path}[${i}]`;
    const skew = typeof c.maxSkew === 'number' ? c.maxSkew : 0;
    if (skew <= 0) errs.push(fieldErrors.invalid(`${idx}.maxSkew`, skew, NOT_POSITIVE));
    const key = str(c.topologyKey);
    if (!key) errs.push(fieldErrors.required(`${idx}.topologyKey`, 'can not be empty'));
    const when = str(c.whenUnsatisfiable);
    if (!WHEN_UNSATISFIABLE.includes(when)) errs.push(fieldErrors.notSupported(`${idx}.whenUnsatisfiable`, when, WHEN_UNSATISFIABLE));
    // ValidateSpreadConstraintNotRepeat: the first of a repeated {topologyKey, whenUnsatisfiable} pair is reported.
    if (constraints.slice(i + 1).some((o) => str(o.topologyKey) === key && str(o.whenUnsatisfiable) === when)) {
      errs.push(fieldErrors.duplicate(`${idx}.{topologyKey, whenUnsatisfiable}`, `{${key}, ${when}}`));
    }
    if (c.minDomains !== undefined && c.minDomains !== null) {
      const md = typeof c.minDomains === 'number' ? c.minDomains : 0;
      if (md <= 0) errs.push(fieldErrors.invalid(`${idx}.minDomains`, md, NOT_POSITIVE));
      if (when !== 'DoNotSchedule') {
        errs.push(fieldErrors.invalid(`${idx}.minDomains`, md, `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${when}`));
      }
    }
    for (const k of ['nodeAffinityPolicy', 'nodeTaintsPolicy']) {
      const v = c[k];
      if (v !== undefined && v !== null && !NODE_INCLUSION_POLICIES.includes(str(v))) {
        errs.push(fieldErrors.notSupported(`${idx}.${k}`, v, NODE_INCLUSION_POLICIES));
      }
    }
    errs.push(...topologyMatchLabelKeys(strings(c.matchLabelKeys), c.labelSelector, `${idx}.matchLabelKeys`));
    errs.push(...validateLabelSelector(c.labelSelector, `${idx}.labelSelector`));
  });
  return errs;
}
