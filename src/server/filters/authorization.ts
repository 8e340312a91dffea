// kube's WithAuthorization: the authorizer chain decides; anything but allow is
// refused 403 with responsewriters.Forbidden's wording.

import { forbidden, forbiddenPath } from '../api/errors.js';
import { type Authorizer, attributesFor, authorize, forbiddenMessage } from '../authz/index.js';
import { type Filter, userOf } from '../http/request.js';

export function withAuthorization(authorizers: Authorizer[]): Filter {
  return (next) => (r) => {
    const info = r.info;
    const attrs = attributesFor(userOf(r), info);
    if (authorize(authorizers, attrs).decision === 'allow') return next(r);
    const why = forbiddenMessage(attrs);
    if (!info.isResourceRequest) throw forbiddenPath(why);
    const resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
    throw forbidden({ group: info.apiGroup, resource }, info.name, why);
  };
}
