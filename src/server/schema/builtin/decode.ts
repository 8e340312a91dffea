// fieldValidation for request bodies of built-in kinds: unknown fields are
// dropped (as typed decoding drops them), reported as warnings (Warn, the
// server default) or refused (Strict: 400 `... strict decoding error:
// unknown field "spec.foo"`). Before that, values are checked against their Go
// types (typed.ts). The work is in fields.ts and typed.ts; this is the seam the
// resource handler calls.

import { badRequest, fieldErrors, invalid } from '../../api/errors.js';
import type { FieldValidation } from '../../api/types.js';
import { applyFieldValidation, strictDecodingIssues, strictDecodingError as strictError } from './fields.js';
import type { Schema } from './models.js';
import { cannotBeHandledMessage, decodeTyped } from './typed.js';

/** 400 for unknown fields (`fields` are paths such as `spec.foo`). */
export function strictDecodingError(kind: string, version: string, fields: string[]): Error {
  return strictError(kind, version, strictDecodingIssues(fields));
}

/** `patched`: the object is the result of applying a patch to the stored one, not a request body. */
export type Decoder = (
  obj: Record<string, unknown>,
  opts: { fieldValidation: FieldValidation; warnings: string[]; duplicates?: string[]; patched?: boolean },
) => void;

/** A decoder that validates fields against `schema` (refs resolved through `definitions`). */
export function schemaDecoder(kind: string, version: string, schema: Schema, definitions: Record<string, Schema>): Decoder {
  const target = { kind, version, schema, definitions };
  return (obj, { fieldValidation, warnings, duplicates, patched }) => {
    // Typed decoding fails before strict field checks are looked at, as kube's serializer does.
    const err = decodeTyped(target, obj);
    if (err !== undefined) {
      // A request body: 400 BadRequest. A patch result: the patcher's 422 on the field `patch`
      // carrying the patched JSON (handlers/patch.go applyPatchToCurrentObject).
      if (patched) throw invalid({ group: '', kind: '' }, '', [fieldErrors.invalid('patch', JSON.stringify(obj), err)]);
      throw badRequest(cannotBeHandledMessage(kind, version, err));
    }
    warnings.push(...applyFieldValidation(fieldValidation, target, obj, duplicates));
  };
}

/**
 * schemaDecoder built on first use: a served kind's schema is read from the generated models only
 * when a body of that kind is first decoded, so startup does not pay for every kind in the catalog.
 */
export function lazySchemaDecoder(
  kind: string,
  version: string,
  resolve: () => { schema: Schema; definitions: Record<string, Schema> },
): Decoder {
  let decoder: Decoder | undefined;
  return (obj, opts) => {
    if (!decoder) {
      const { schema, definitions } = resolve();
      decoder = schemaDecoder(kind, version, schema, definitions);
    }
    decoder(obj, opts);
  };
}
