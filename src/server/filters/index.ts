// The handler chain every request goes through, HTTP and WebSocket upgrades
// alike (k8s.io/apiserver pkg/server/config.go DefaultBuildHandlerChain).

import type { Authenticator } from '../authn/index.js';
import type { Authorizer } from '../authz/index.js';
import type { PermissionsRecorder } from '../authz/usage.js';
import type { ApiHandler, Filter } from '../http/request.js';
import { withAuditId } from './audit-id.js';
import { withAuthentication } from './authentication.js';
import { withAuthorization } from './authorization.js';
import { withImpersonation } from './impersonation.js';
import { withStatusErrors } from './status-errors.js';
import { type TimeoutOptions, withTimeout } from './timeout.js';

export interface HandlerChainConfig {
  authenticators: Authenticator[];
  authorizers: Authorizer[];
  /** Records each authorization decision per user (the least-privilege report). */
  permissions?: PermissionsRecorder;
  /** --anonymous-auth (default true): requests without credentials go on as system:anonymous; false: 401. */
  anonymous?: boolean;
  timeout: TimeoutOptions;
  /** Filters between the deadline and the handler: the place of audit, max-in-flight limits and admission webhooks. */
  extra?: Filter[];
}

/**
 * Wraps `handler` in the filters, listed here in the order a request meets
 * them (kube's DefaultBuildHandlerChain writes them innermost first). Before
 * the chain, apiRequest() parses RequestInfo and negotiates the output once.
 */
export function buildHandlerChain(handler: ApiHandler, c: HandlerChainConfig): ApiHandler {
  const filters: Filter[] = [
    withAuditId,
    withStatusErrors,
    withAuthentication(c.authenticators, { anonymous: c.anonymous }),
    withImpersonation(c.authorizers),
    withAuthorization(c.authorizers, c.permissions),
    withTimeout(c.timeout),
    ...(c.extra ?? []),
  ];
  return filters.reduceRight<ApiHandler>((next, filter) => filter(next), handler);
}
