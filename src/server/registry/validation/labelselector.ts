// metav1.LabelSelector validation as k8s.io/apimachinery/pkg/apis/meta/v1/validation
// (ValidateLabelSelector, ValidateLabelSelectorRequirement).

import { type FieldError, fieldErrors } from '../../api/errors.js';
import { isQualifiedName, isValidLabelValue } from '../../api/names.js';
import { isPlainObject } from '../../api/types.js';
import { validateLabels } from './objectmeta.js';

export interface LabelSelectorValidationOptions {
  /** Tolerate values that are not valid label values (an existing object's selector on update). */
  allowInvalidLabelValueInSelector?: boolean;
}

/** ValidateLabelSelector: matchLabels as labels, each matchExpression's operator, key and values. */
export function validateLabelSelector(sel: unknown, path: string, opts: LabelSelectorValidationOptions = {}): FieldError[] {
  if (sel === undefined || sel === null || !isPlainObject(sel)) return [];
  const errs = validateLabels(sel.matchLabels, `${path}.matchLabels`);
  const exprs = Array.isArray(sel.matchExpressions) ? sel.matchExpressions : [];
  exprs.forEach((raw, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    const e = isPlainObject(raw) ? raw : {};
    const values = Array.isArray(e.values) ? e.values : [];
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) errs.push(fieldErrors.required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0)
          errs.push(fieldErrors.forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        errs.push(fieldErrors.invalid(`${p}.operator`, e.operator ?? '', 'not a valid selector operator'));
    }
    const key = typeof e.key === 'string' ? e.key : '';
    for (const m of isQualifiedName(key)) errs.push(fieldErrors.invalid(`${p}.key`, key, m));
    if (!opts.allowInvalidLabelValueInSelector) {
      values.forEach((v, j) => {
        for (const m of isValidLabelValue(String(v))) errs.push(fieldErrors.invalid(`${p}.values[${j}]`, v, m));
      });
    }
  });
  return errs;
}

/** LabelSelectorHasInvalidLabelValue: whether an existing selector would fail strict value validation. */
export function labelSelectorHasInvalidLabelValue(sel: unknown): boolean {
  if (!isPlainObject(sel) || !Array.isArray(sel.matchExpressions)) return false;
  return sel.matchExpressions.some(
    (e) => isPlainObject(e) && Array.isArray(e.values) && e.values.some((v) => isValidLabelValue(String(v)).length > 0),
  );
}
