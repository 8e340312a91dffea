// fieldValidation for request bodies of built-in kinds: unknown fields are
// dropped (as typed decoding drops them), reported as warnings (Warn, the
// server default) or refused (Strict: 400 `... strict decoding error:
// unknown field "spec.foo"`). The work is in fields.ts; this is the seam the
// resource handler calls.

import type { FieldValidation } from '../../endpoints/options.js';
import { applyFieldValidation, strictDecodingError as strictError, strictDecodingIssues } from './fields.js';
import type { Schema } from './models.js';

/** 400 for unknown fields (`fields` are paths such as `spec.foo`). */
export function strictDecodingError(kind: string, version: string, fields: string[]): Error {
  return strictError(kind, version, strictDecodingIssues(fields));
}

export type Decoder = (obj: Record<string, unknown>, opts: { fieldValidation: FieldValidation; warnings: string[]; duplicates?: string[] }) => void;

/** A decoder that validates fields against `schema` (refs resolved through `definitions`). */
export function schemaDecoder(kind: string, version: string, schema: Schema, definitions: Record<string, Schema>): Decoder {
  const target = { kind, version, schema, definitions };
  return (obj, { fieldValidation, warnings, duplicates }) => {
    warnings.push(...applyFieldValidation(fieldValidation, target, obj, duplicates));
  };
}
