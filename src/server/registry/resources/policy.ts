// policy/v1 PodDisruptionBudgets, as pkg/registry/policy/poddisruptionbudget with
// the validation of pkg/apis/policy/validation and kube's printer.

import { type FieldError, fieldErrors, GoValue } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import type { Strategy } from '../strategy.js';
import { validateLabelSelector } from '../validation/labelselector.js';
import { goPointer } from './go-values.js';
import { age, ageColumn, column, nameColumn, objName } from './printers.js';
import { child, isSet, numOf, peek, specOf, statusOf } from './values.js';
import { nonNegative, notMoreThan100Percent, validatePositiveIntOrPercent, wireZero, workloadStrategy } from './workload-helpers.js';

const UNHEALTHY_POD_EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];

/** ValidatePodDisruptionBudgetSpec. */
function validatePDBSpec(obj: KubeObject): FieldError[] {
  const spec = specOf(obj);
  const errs: FieldError[] = [];
  if (isSet(spec.minAvailable) && isSet(spec.maxUnavailable)) {
    // kube prints the whole internal spec; its pointers print as addresses.
    const v = new GoValue(
      `policy.PodDisruptionBudgetSpec{MinAvailable:${goPointer('intstr.IntOrString', spec.minAvailable)}, Selector:${goPointer('v1.LabelSelector', spec.selector)}, MaxUnavailable:${goPointer('intstr.IntOrString', spec.maxUnavailable)}, UnhealthyPodEvictionPolicy:${goPointer('policy.UnhealthyPodEvictionPolicyType', spec.unhealthyPodEvictionPolicy)}}`,
    );
    errs.push(fieldErrors.invalid('spec', v, 'minAvailable and maxUnavailable cannot be both set'));
  }
  for (const f of ['minAvailable', 'maxUnavailable']) {
    if (!isSet(spec[f])) continue;
    errs.push(...validatePositiveIntOrPercent(spec[f], `spec.${f}`), ...notMoreThan100Percent(spec[f], `spec.${f}`));
  }
  errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (isSet(policy) && !UNHEALTHY_POD_EVICTION_POLICIES.includes(String(policy))) {
    errs.push(fieldErrors.notSupported('spec.unhealthyPodEvictionPolicy', policy, UNHEALTHY_POD_EVICTION_POLICIES));
  }
  return errs;
}

/** intstr.IntOrString.String(). */
const intOrStringText = (v: unknown): string => (isSet(v) ? String(v) : 'N/A');

export const podDisruptionBudgetStrategy: Strategy = workloadStrategy(
  {
    defaults() {},
    wire(obj) {
      wireZero(child(obj, 'status'), { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 });
    },
    validate: validatePDBSpec,
    validateUpdate: validatePDBSpec,
    validateStatus(obj) {
      const status = statusOf(obj);
      return ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods'].flatMap((f) =>
        nonNegative(status[f], `status.${f}`),
      );
    },
    // "Status update should only be allowed if version match": an update must name its resourceVersion.
    allowUnconditionalUpdate: false,
  },
  {
    tableColumns: [
      nameColumn,
      column('Min Available', 'string', 'The minimum number of pods that must be available.'),
      column('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
      column('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
      ageColumn,
    ],
    tableRow(obj) {
      const spec = peek(obj, 'spec');
      return [
        objName(obj),
        intOrStringText(spec.minAvailable),
        intOrStringText(spec.maxUnavailable),
        numOf(statusOf(obj).disruptionsAllowed),
        age(obj.metadata?.creationTimestamp),
      ];
    },
  },
);
