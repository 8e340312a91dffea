// coordination.k8s.io/v1 Lease.

import { type FieldError, fieldErrors } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import type { Strategy } from '../strategy.js';
import { age, ageColumn, column, nameColumn, objName } from './printers.js';

function validateLease(obj: KubeObject): FieldError[] {
  const spec = (obj.spec ?? {}) as Record<string, unknown>;
  const errs: FieldError[] = [];
  for (const f of ['leaseDurationSeconds', 'leaseTransitions']) {
    const v = spec[f];
    if (typeof v === 'number' && v < (f === 'leaseDurationSeconds' ? 1 : 0)) {
      errs.push(
        fieldErrors.invalid(`spec.${f}`, v, f === 'leaseDurationSeconds' ? 'must be greater than 0' : 'must be greater than or equal to 0'),
      );
    }
  }
  return errs;
}

export const leaseStrategy: Strategy = {
  namespaced: true,
  hasGeneration: false,
  allowUnconditionalUpdate: true,
  hasStatusSubresource: false,
  allowCreateOnUpdate: true,
  validate: validateLease,
  validateUpdate: validateLease,
  // Lease.spec is a struct in Go: always serialised, `{}` when empty.
  canonicalize: (obj) => {
    obj.spec ??= {};
  },
  tableColumns: [nameColumn, column('Holder', 'string', 'The holder of the lease'), ageColumn],
  tableRow: (obj) => [
    objName(obj),
    String((obj.spec as { holderIdentity?: string } | undefined)?.holderIdentity ?? ''),
    age(obj.metadata?.creationTimestamp),
  ],
};
