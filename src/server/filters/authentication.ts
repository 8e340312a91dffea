// kube's WithAuthentication: the authenticators name the user; a request with no
// credential goes on as system:anonymous (--anonymous-auth, kube's union.NewFailOnError
// around the anonymous authenticator), one with an invalid credential is refused 401.

import { unauthorized } from '../api/errors.js';
import { ANONYMOUS, type Authenticator, authenticate } from '../authn/index.js';
import { authenticationHeaderRemover, type RequestHeaderConfig } from '../authn/requestheader.js';
import type { Filter } from '../http/request.js';

export function withAuthentication(
  authenticators: Authenticator[],
  opts: { anonymous?: boolean; requestHeader?: RequestHeaderConfig } = {},
): Filter {
  const anonymous = opts.anonymous ?? true;
  const stripAuthenticationHeaders = authenticationHeaderRemover(opts.requestHeader);
  return (next) => async (r) => {
    const result = await authenticate(authenticators, r.req);
    if (result.kind === 'invalid' || (result.kind === 'none' && !anonymous)) throw unauthorized();
    r.user = result.kind === 'user' ? result.user : ANONYMOUS;
    // Authenticated: the credential and any front-proxy headers go no further (a proxied server must not see them).
    stripAuthenticationHeaders(r.req);
    return next(r);
  };
}
