// ObjectMeta validation as k8s.io/apimachinery/pkg/api/validation/objectmeta.go.

import { type FieldError, fieldErrors } from '../../api/errors.js';
import { isQualifiedName, isValidLabelValue, type NameValidator } from '../../api/names.js';
import { goTimeString, sameTime } from '../../api/time.js';
import { isPlainObject, type KubeObject, type ObjectMeta } from '../../api/types.js';

const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

export function validateLabels(labels: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (labels === undefined || labels === null) return errs;
  if (!isPlainObject(labels)) return [fieldErrors.invalid(path, labels, 'must be a map of string keys to string values')];
  for (const [k, v] of Object.entries(labels)) {
    for (const m of isQualifiedName(k)) errs.push(fieldErrors.invalid(path, k, m));
    if (typeof v !== 'string') errs.push(fieldErrors.invalid(`${path}[${k}]`, v, 'must be a string'));
    else for (const m of isValidLabelValue(v)) errs.push(fieldErrors.invalid(path, v, m));
  }
  return errs;
}

export function validateAnnotations(annotations: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (annotations === undefined || annotations === null) return errs;
  if (!isPlainObject(annotations)) return [fieldErrors.invalid(path, annotations, 'must be a map of string keys to string values')];
  let total = 0;
  for (const [k, v] of Object.entries(annotations)) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(fieldErrors.invalid(path, k, m));
    total += k.length + (typeof v === 'string' ? v.length : 0);
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(fieldErrors.tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

function validateFinalizers(finalizers: unknown, path: string): FieldError[] {
  if (finalizers === undefined || finalizers === null) return [];
  if (!Array.isArray(finalizers)) return [fieldErrors.invalid(path, finalizers, 'must be a list of strings')];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  finalizers.forEach((f, i) => {
    if (typeof f !== 'string') {
      errs.push(fieldErrors.invalid(`${path}[${i}]`, f, 'must be a string'));
      return;
    }
    for (const m of isQualifiedName(f)) errs.push(fieldErrors.invalid(path, f, m));
    if (seen.has(f)) errs.push(fieldErrors.duplicate(path, f));
    seen.add(f);
  });
  return errs;
}

function validateOwnerReferences(refs: unknown, path: string): FieldError[] {
  if (refs === undefined || refs === null) return [];
  if (!Array.isArray(refs)) return [fieldErrors.invalid(path, refs, 'must be a list')];
  const errs: FieldError[] = [];
  let controllers = 0;
  refs.forEach((r, i) => {
    const p = `${path}[${i}]`;
    if (!isPlainObject(r)) {
      errs.push(fieldErrors.invalid(p, r, 'must be an object'));
      return;
    }
    if (!r.apiVersion) errs.push(fieldErrors.invalid(`${p}.apiVersion`, r.apiVersion ?? '', 'version must not be empty'));
    if (!r.kind) errs.push(fieldErrors.invalid(`${p}.kind`, r.kind ?? '', 'kind must not be empty'));
    if (!r.name) errs.push(fieldErrors.invalid(`${p}.name`, r.name ?? '', 'name must not be empty'));
    if (!r.uid) errs.push(fieldErrors.invalid(`${p}.uid`, r.uid ?? '', 'uid must not be empty'));
    if (r.controller === true) controllers++;
  });
  if (controllers > 1) {
    errs.push(
      fieldErrors.invalid(
        path,
        refs,
        'Only one reference can have Controller set to true. Found "true" in references for ' +
          refs
            .filter((r) => isPlainObject(r) && r.controller === true)
            .map((r) => `${(r as Record<string, unknown>).kind}/${(r as Record<string, unknown>).name}`)
            .join(' and '),
      ),
    );
  }
  return errs;
}

export interface MetaRules {
  namespaced: boolean;
  nameValidator: NameValidator;
}

/** Field errors for metadata on create (and the shared part of update). */
export function validateObjectMeta(meta: ObjectMeta | undefined, rules: MetaRules): FieldError[] {
  const errs: FieldError[] = [];
  const m = meta ?? {};
  if (m.generateName) {
    for (const msg of rules.nameValidator(m.generateName, true))
      errs.push(fieldErrors.invalid('metadata.generateName', m.generateName, msg));
  }
  if (!m.name) errs.push(fieldErrors.required('metadata.name', 'name or generateName is required'));
  else for (const msg of rules.nameValidator(m.name, false)) errs.push(fieldErrors.invalid('metadata.name', m.name, msg));
  if (rules.namespaced && !m.namespace) errs.push(fieldErrors.required('metadata.namespace'));
  if (!rules.namespaced && m.namespace) errs.push(fieldErrors.forbidden('metadata.namespace', 'not allowed on this type'));
  errs.push(...validateLabels(m.labels, 'metadata.labels'));
  errs.push(...validateAnnotations(m.annotations, 'metadata.annotations'));
  errs.push(...validateFinalizers(m.finalizers, 'metadata.finalizers'));
  errs.push(...validateOwnerReferences(m.ownerReferences, 'metadata.ownerReferences'));
  return errs;
}

/** Immutable metadata checks on update (ValidateObjectMetaUpdate). */
export function validateObjectMetaUpdate(obj: KubeObject, old: KubeObject, rules: MetaRules): FieldError[] {
  const errs = validateObjectMeta(obj.metadata, rules);
  const n = obj.metadata ?? {};
  const o = old.metadata ?? {};
  const immutable = (field: keyof ObjectMeta, path: string): void => {
    if (n[field] !== o[field]) errs.push(fieldErrors.invalid(path, n[field] ?? '', 'field is immutable'));
  };
  // Times compare as times (metav1.Time, second precision on the wire); the bad
  // value prints as Go prints a time.Time.
  const immutableTime = (field: 'creationTimestamp' | 'deletionTimestamp', path: string): void => {
    if (sameTime(n[field], o[field])) return;
    const v = n[field];
    errs.push(fieldErrors.invalid(path, typeof v === 'string' ? goTimeString(v) : null, 'field is immutable'));
  };
  immutable('name', 'metadata.name');
  immutable('namespace', 'metadata.namespace');
  immutable('uid', 'metadata.uid');
  immutableTime('creationTimestamp', 'metadata.creationTimestamp');
  immutableTime('deletionTimestamp', 'metadata.deletionTimestamp');
  // An omitted grace period was copied from the stored object; any other difference, setting one included, is a change.
  immutable('deletionGracePeriodSeconds', 'metadata.deletionGracePeriodSeconds');
  if (o.deletionTimestamp) {
    const before = new Set(o.finalizers ?? []);
    const added = (n.finalizers ?? []).filter((f) => !before.has(f));
    if (added.length) {
      errs.push(
        fieldErrors.forbidden(
          'metadata.finalizers',
          `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((a) => JSON.stringify(a)).join(', ')}}`,
        ),
      );
    }
  }
  return errs;
}
