// A selector that does not parse. labels.Parse and fields.ParseSelector return plain errors that the
// list and watch handlers answer as 400 BadRequest with the error's text; both parsers here throw
// SelectorError deep inside and turn it into that Status once, at their entry point.

import { badRequest } from '../errors.js';

export class SelectorError extends Error {}

/** Runs one parse; a SelectorError becomes kube's 400 BadRequest carrying its message. */
export function asBadRequest<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof SelectorError) throw badRequest(e.message);
    throw e;
  }
}
