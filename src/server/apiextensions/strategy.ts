// Strategies for CustomResourceDefinitions and for the custom resources they
// define (apiextensions-apiserver's customresourcedefinition and
// customresource strategies).

import { fieldErrors, type FieldError } from '../api/errors.js';
import { isPlainObject, type KubeObject } from '../api/types.js';
import { ageColumn, nameColumn, objName } from '../registry/resources/printers.js';
import type { Strategy } from '../registry/strategy.js';
import { crdTableConvertor } from '../endpoints/tables/convertor.js';
import { compileVersionSchema, type CompiledSchema } from '../schema/index.js';
import type { CRD, CRDVersion } from './types.js';
import { validateCRDSpec } from './validation.js';
import type { TableColumn } from '../api/descriptor.js';

export const CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

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
  requireResourceVersionOnUpdate: false,
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

/** The strategy for the custom resources of one served version. */
export function customResourceStrategy(
  crd: CRD,
  version: CRDVersion,
): { strategy: Strategy; compiled: CompiledSchema; table: { columns: TableColumn[]; row(obj: KubeObject): unknown[] } } {
  const compiled = compileVersionSchema(
    version.schema?.openAPIV3Schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    '',
  );
  const selectable = (version.selectableFields ?? []).map((f) => f.jsonPath.replace(/^\./, ''));
  const hasStatus = !!version.subresources?.status;
  const strategy: Strategy = {
    namespaced: crd.spec.scope === 'Namespaced',
    hasGeneration: true,
    requireResourceVersionOnUpdate: true,
    hasStatusSubresource: hasStatus,
    prepareForCreate(obj) {
      // With a status subresource, create cannot set status (customResourceStrategy.PrepareForCreate).
      if (hasStatus) delete obj.status;
    },
    validate: (obj) => compiled.validate(obj, undefined),
    validateUpdate: (obj, old) => compiled.validate(obj, old),
    supportedFieldLabels: selectable,
    fieldLabels(obj) {
      const out: Record<string, string> = {};
      for (const f of selectable) {
        let cur: unknown = obj;
        for (const part of f.split('.')) cur = isPlainObject(cur) ? cur[part] : undefined;
        out[f] = cur === undefined || cur === null ? '' : String(cur);
      }
      return out;
    },
  };
  return { strategy, compiled, table: crdTableConvertor(version.additionalPrinterColumns) };
}

export function isPlainCRD(obj: KubeObject): obj is KubeObject & CRD {
  return isPlainObject(obj.spec);
}
