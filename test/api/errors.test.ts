// metav1.Status builders: k8s.io/apimachinery's field.ErrorList and NewInvalid wording.

import { describe, expect, it } from 'vitest';
import { fieldErrors, invalid } from '../../src/server/api/errors.js';

describe('Status wording', () => {
  it('formats Invalid with one and several causes', () => {
    expect(invalid({ group: '', kind: 'ConfigMap' }, 'x', [fieldErrors.required('data')]).message).toBe(
      'ConfigMap "x" is invalid: data: Required value',
    );
    const two = invalid({ group: 'example.com', kind: 'Widget' }, 'w', [
      fieldErrors.invalid('spec.a', -1, 'must be positive'),
      fieldErrors.notSupported('spec.b', 'x', ['y']),
    ]);
    expect(two.message).toBe(
      'Widget.example.com "w" is invalid: [spec.a: Invalid value: -1: must be positive, spec.b: Unsupported value: "x": supported values: "y"]',
    );
    expect(two.status.details?.causes).toEqual([
      { reason: 'FieldValueInvalid', message: 'Invalid value: -1: must be positive', field: 'spec.a' },
      { reason: 'FieldValueNotSupported', message: 'Unsupported value: "x": supported values: "y"', field: 'spec.b' },
    ]);
  });
});
