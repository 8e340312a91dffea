// kube's WithPanicRecovery and the handlers' responsewriters.ErrorNegotiated, in
// one place: whatever a filter or handler throws is answered as a Status.

import { isStatusError, toStatus } from '../api/errors.js';
import type { Filter } from '../http/request.js';
import { respond } from '../http/response.js';

export const withStatusErrors: Filter = (next) => async (r) => {
  try {
    await next(r);
  } catch (e) {
    if (!isStatusError(e)) console.error('kapi-env: internal error serving', r.req.method ?? 'GET', r.path, e);
    const status = toStatus(e);
    respond(r, status.code, status);
  }
};
