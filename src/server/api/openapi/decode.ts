// fieldValidation for request bodies: unknown fields are dropped (as typed
// decoding drops them), reported as warnings (Warn, the server default) or
// refused (Strict: 400 `... strict decoding error: unknown field "spec.foo"`).

import { badRequest } from '../errors.js';
import { pruneUnknown, type SchemaNode } from '../../schema/prune.js';
import type { FieldValidation } from '../../endpoints/options.js';

export function strictDecodingError(kind: string, version: string, fields: string[]): Error {
  return badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: strict decoding error: ${fields.map((f) => `unknown field "${f}"`).join(', ')}`);
}

export type Decoder = (obj: Record<string, unknown>, opts: { fieldValidation: FieldValidation; warnings: string[] }) => void;

/** A decoder that validates fields against `schema` (refs resolved through `definitions`). */
export function schemaDecoder(kind: string, version: string, schema: SchemaNode, definitions: Record<string, SchemaNode>): Decoder {
  const resolve = (ref: string): SchemaNode | undefined => definitions[ref.replace(/^#\/(definitions|components\/schemas)\//, '')];
  return (obj, { fieldValidation, warnings }) => {
    if (fieldValidation === 'Strict') {
      const unknown = pruneUnknown(obj, schema, { resolve, drop: false });
      if (unknown.length) throw strictDecodingError(kind, version, unknown);
      return;
    }
    const dropped = pruneUnknown(obj, schema, { resolve, drop: true });
    if (fieldValidation === 'Warn') for (const f of dropped) warnings.push(`unknown field "${f}"`);
  };
}
