// kube's WithImpersonation: Impersonate-* headers switch the user once the authorizers allow each part.

import { impersonate } from '../authz/impersonation.js';
import type { Authorizer } from '../authz/index.js';
import { type Filter, userOf } from '../http/request.js';

export function withImpersonation(authorizers: Authorizer[]): Filter {
  return (next) => async (r) => {
    r.user = await impersonate(r.req, userOf(r), authorizers);
    return next(r);
  };
}
