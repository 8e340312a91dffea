// apiextensions.k8s.io/v1 CustomResourceDefinition, served like any built-in
// (k8s.io/apiextensions-apiserver/pkg/registry/customresourcedefinition/strategy.go).
// The CRD controller (apiextensions/) reconciles what this strategy admits.

import type { CRD, CRDVersion } from '../../api/apiextensions.js';
import { type FieldError, fieldErrors } from '../../api/errors.js';
import { isPlainObject, type KubeObject } from '../../api/types.js';
import { compileVersionSchema } from '../../schema/index.js';
import type { Strategy } from '../strategy.js';
import { validateCRDSpec } from '../validation/customresourcedefinition.js';
import { ageColumn, nameColumn, objName } from './printers.js';

/** Held by every CRD until the controller has removed its custom resources. */
export const CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

/** Where CRDs are stored, as kube-apiserver lays them out (`/registry/apiextensions.k8s.io/customresourcedefinitions/...`). */
export const CRD_KEY_PREFIX = '/apiextensions.k8s.io/customresourcedefinitions';

function defaultCRD(obj: KubeObject): void {
  const crd = obj as unknown as CRD;
  if (!isPlainObject(crd.spec)) return;
  const names = crd.spec.names;
  if (isPlainObject(names) && typeof names.kind === 'string') {
    if (!names.singular) names.singular = names.kind.toLowerCase();
    if (!names.listKind) names.listKind = `${names.kind}List`;
  }
  if (!crd.spec.conversion) crd.spec.conversion = { strategy: 'None' };
}

function schemaErrors(v: CRDVersion, path: string): FieldError[] {
  const s = v.schema?.openAPIV3Schema;
  if (!s) return [fieldErrors.required(`${path}.schema.openAPIV3Schema`, 'schemas are required')];
  return compileVersionSchema(s, `${path}.schema.openAPIV3Schema`).errors;
}

export const crdStrategy: Strategy = {
  namespaced: false,
  hasGeneration: true,
  allowUnconditionalUpdate: true,
  hasStatusSubresource: true,
  prepareForCreate(obj) {
    defaultCRD(obj);
    const crd = obj as unknown as CRD;
    const storage = Array.isArray(crd.spec?.versions) ? crd.spec.versions.find((v) => v.storage)?.name : undefined;
    crd.status = { conditions: [], acceptedNames: { plural: '', kind: '' }, storedVersions: storage ? [storage] : [] };
    const m = obj.metadata!;
    const fins = m.finalizers ?? [];
    if (!fins.includes(CLEANUP_FINALIZER)) m.finalizers = [...fins, CLEANUP_FINALIZER];
  },
  prepareForUpdate(obj) {
    defaultCRD(obj);
  },
  validate: (obj) => validateCRDSpec(obj as unknown as CRD, schemaErrors),
  validateUpdate(obj, old) {
    const crd = obj as unknown as CRD;
    const prev = old as unknown as CRD;
    const errs = validateCRDSpec(crd, schemaErrors);
    if (crd.spec?.group !== prev.spec?.group) errs.push(fieldErrors.invalid('spec.group', crd.spec?.group, 'field is immutable'));
    if (crd.spec?.names?.plural !== prev.spec?.names?.plural)
      errs.push(fieldErrors.invalid('spec.names.plural', crd.spec?.names?.plural, 'field is immutable'));
    if (crd.spec?.scope !== prev.spec?.scope) errs.push(fieldErrors.invalid('spec.scope', crd.spec?.scope, 'field is immutable'));
    const stored = prev.status?.storedVersions ?? [];
    for (const v of stored) {
      if (!crd.spec?.versions?.some((x) => x.name === v)) {
        errs.push(fieldErrors.invalid('status.storedVersions', stored, `must have the storage version ${v} in spec.versions`));
      }
    }
    return errs;
  },
  tableColumns: [nameColumn, { name: 'Created At', type: 'date', format: '', priority: 0, description: ageColumn.description }],
  tableRow: (obj) => [objName(obj), obj.metadata?.creationTimestamp ?? null],
};
