// The strategy for the custom resources a CRD defines
// (apiextensions-apiserver's customresource strategy); the CRD's own strategy
// is a built-in one (registry/resources/apiextensions.ts).

import type { CRD, CRDVersion } from '../api/apiextensions.js';
import type { TableColumn } from '../api/descriptor.js';
import { isPlainObject, type KubeObject } from '../api/types.js';
import { crdTableConvertor } from '../endpoints/tables/convertor.js';
import type { Strategy } from '../registry/strategy.js';
import { type CompiledSchema, compileVersionSchema } from '../schema/index.js';

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
    // customResourceStrategy.AllowUnconditionalUpdate: an update must carry metadata.resourceVersion.
    allowUnconditionalUpdate: false,
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
