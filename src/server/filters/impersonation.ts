// kube's WithImpersonation, where impersonation is not enabled: any Impersonate-* header is refused 403.

import { refuseImpersonation } from '../authz/impersonation.js';
import { type Filter, userOf } from '../http/request.js';

export const withImpersonation: Filter = (next) => (r) => {
  const refused = refuseImpersonation(r.req, userOf(r));
  if (refused) throw refused;
  return next(r);
};
