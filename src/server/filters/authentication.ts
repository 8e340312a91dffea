// kube's WithAuthentication: the authenticators name the user; a request with no
// credential goes on as system:anonymous, one with an invalid credential is refused 401.

import { unauthorized } from '../api/errors.js';
import { ANONYMOUS, type Authenticator, authenticate } from '../authn/index.js';
import type { Filter } from '../http/request.js';

export function withAuthentication(authenticators: Authenticator[]): Filter {
  return (next) => (r) => {
    const result = authenticate(authenticators, r.req);
    if (result.kind === 'invalid') throw unauthorized();
    r.user = result.kind === 'user' ? result.user : ANONYMOUS;
    return next(r);
  };
}
