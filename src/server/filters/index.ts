// The handler chain every request goes through, HTTP and WebSocket upgrades
// alike (k8s.io/apiserver pkg/server/config.go DefaultBuildHandlerChain).

import type { Auditor } from '../audit/index.js';
import type { Authenticator } from '../authn/index.js';
import type { RequestHeaderConfig } from '../authn/requestheader.js';
import type { Authorizer } from '../authz/index.js';
import type { PermissionsRecorder } from '../authz/usage.js';
import type { ApiHandler, Filter } from '../http/request.js';
import type { ApiServerMetrics } from '../metrics/index.js';
import { withAudit, withFailedAuthenticationAudit } from './audit.js';
import { withAuditId } from './audit-id.js';
import { withAuthentication } from './authentication.js';
import { withAuthorization } from './authorization.js';
import { withImpersonation } from './impersonation.js';
import { type MaxInFlightOptions, withMaxInFlightLimit } from './maxinflight.js';
import { withMetrics } from './metrics.js';
import type { ShutdownLifecycle } from './shutdown.js';
import { withStatusErrors } from './status-errors.js';
import { type TimeoutOptions, withTimeout } from './timeout.js';

export interface HandlerChainConfig {
  authenticators: Authenticator[];
  authorizers: Authorizer[];
  /** Records each authorization decision per user (the least-privilege report). */
  permissions?: PermissionsRecorder;
  /** --anonymous-auth (default true): requests without credentials go on as system:anonymous; false: 401. */
  anonymous?: boolean;
  /** The front-proxy headers (--requestheader-*) removed from authenticated requests, beside the standard X-Remote-*. */
  requestHeader?: RequestHeaderConfig;
  timeout: TimeoutOptions;
  /** --max-requests-inflight, --max-mutating-requests-inflight (kube's WithMaxInFlightLimit); none when absent. */
  maxInFlight?: MaxInFlightOptions;
  /** Graceful termination: requests refused once stopping, the others counted (kube's WithRetryAfter, WithWaitGroup). */
  shutdown?: ShutdownLifecycle;
  /** /metrics and the request metrics recorded (ServerConfig.metrics, default on). */
  metrics?: ApiServerMetrics;
  /** Audit logging (--audit-policy-file and a backend); no audit filter without it. */
  audit?: Auditor;
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
    ...(c.shutdown ? [c.shutdown.filter] : []),
    ...(c.audit ? [withFailedAuthenticationAudit(c.audit)] : []),
    withAuthentication(c.authenticators, { anonymous: c.anonymous, requestHeader: c.requestHeader }),
    ...(c.audit ? [withAudit(c.audit)] : []),
    withImpersonation(c.authorizers),
    ...(c.maxInFlight ? [withMaxInFlightLimit(c.maxInFlight)] : []),
    withAuthorization(c.authorizers, c.permissions),
    ...(c.metrics ? [withMetrics(c.metrics)] : []),
    withTimeout(c.timeout),
    ...(c.extra ?? []),
  ];
  return filters.reduceRight<ApiHandler>((next, filter) => filter(next), handler);
}
