// kube's WithAuthorization: the authorizer chain decides; anything but allow is
// refused 403 with responsewriters.Forbidden's wording (the authorizers' reason
// after a colon when they gave one). Each decision is also recorded for the
// least-privilege report (authz/usage.ts).

import { forbidden, forbiddenPath } from '../api/errors.js';
import { type Authorizer, attributesFor, authorize, forbiddenWithReason } from '../authz/index.js';
import type { PermissionsRecorder } from '../authz/usage.js';
import { type Filter, userOf } from '../http/request.js';

export function withAuthorization(authorizers: Authorizer[], recorder?: PermissionsRecorder): Filter {
  return (next) => async (r) => {
    const info = r.info;
    const attrs = attributesFor(userOf(r), info);
    const d = await authorize(authorizers, attrs);
    recorder?.record(attrs, d.decision === 'allow');
    // The audit event's annotations (kube's decisionAnnotationKey, reasonAnnotationKey).
    if (r.audit) {
      r.audit.annotations['authorization.k8s.io/decision'] = d.decision === 'allow' ? 'allow' : 'forbid';
      r.audit.annotations['authorization.k8s.io/reason'] = d.reason;
    }
    if (d.decision === 'allow') return next(r);
    const why = forbiddenWithReason(attrs, d.reason);
    if (!info.isResourceRequest) throw forbiddenPath(why);
    const resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
    throw forbidden({ group: info.apiGroup, resource }, info.name, why);
  };
}
